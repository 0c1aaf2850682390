#include "powerflow/distribution/feeder_solver.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "Eigen/Dense"
#include "absl/strings/str_cat.h"

namespace gridrl::powerflow {
namespace {

constexpr double kSqrt3 = 1.7320508075688772;
const Complex kJ(0, 1);

Complex Phasor(double mag, double deg) {
  double rad = deg * std::numbers::pi / 180.0;
  return {mag * std::cos(rad), mag * std::sin(rad)};
}

// |z| without hypot's overflow care: feeder voltages and currents are far from overflow.
inline double Mag(Complex z) { return std::sqrt(z.real() * z.real() + z.imag() * z.imag()); }
inline Complex Mul(Complex a, Complex b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
// conj(s / v) without a complex division.
inline Complex ConjDiv(Complex s, Complex v) {
  const double inv = 1.0 / (v.real() * v.real() + v.imag() * v.imag());
  return Mul(std::conj(s), v) * inv;
}

double PhaseAngleDeg(int phase) { return phase == 1 ? 0.0 : phase == 2 ? -120.0 : 120.0; }

// Coil base volts of a load / capacitor (OpenDSS convention: 1-phase units are rated at the
// voltage across their terminals, multi-phase wye units line-to-line).
double CoilBase(FeederConn conn, int phases, double kv) {
  if (conn == FeederConn::kWye && phases > 1) return kv * 1000.0 / kSqrt3;
  return kv * 1000.0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Model compilation.

absl::StatusOr<std::shared_ptr<const FeederModel>> FeederModel::Build(FeederData data) {
  if (absl::Status s = ValidateFeeder(data); !s.ok()) return s;
  bool need_bases = false;
  for (const auto& b : data.buses) need_bases |= !(b.kv_base > 0);
  if (need_bases) {
    if (absl::Status s = ComputeVoltageBases(&data); !s.ok()) return s;
  }
  auto m = std::shared_ptr<FeederModel>(new FeederModel());
  m->data_ = std::move(data);
  const FeederData& d = m->data_;
  const int nb = static_cast<int>(d.buses.size());

  // Nodes: every phase any element touches, grouped by bus.
  std::vector<std::array<bool, 3>> used(nb, {false, false, false});
  auto mark = [&](int bus, const std::vector<int>& nodes) {
    for (int n : nodes) {
      if (n >= 1 && n <= 3) used[bus][n - 1] = true;
    }
  };
  for (const auto& l : d.lines) {
    mark(l.bus1, l.nodes1);
    mark(l.bus2, l.nodes2);
  }
  for (const auto& t : d.transformers)
    for (const auto& w : t.windings) mark(w.bus, w.nodes);
  for (const auto& l : d.loads) mark(l.bus, l.nodes);
  for (const auto& c : d.capacitors) mark(c.bus, c.nodes);
  for (const auto& s : d.sources) mark(s.bus, s.nodes);
  for (const auto& g : d.ders) mark(g.bus, g.nodes);
  m->bus_nodes_.assign(nb, {-1, -1, -1});
  for (int b = 0; b < nb; ++b) {
    for (int p = 0; p < 3; ++p) {
      if (!used[b][p]) continue;
      m->bus_nodes_[b][p] = static_cast<int>(m->nodes_.size());
      m->nodes_.push_back({b, p + 1, d.buses[b].kv_base * 1000.0 / kSqrt3});
    }
  }
  const int n = m->num_nodes();
  auto global = [&](int bus, int node) { return node == 0 ? -1 : m->bus_nodes_[bus][node - 1]; };

  std::vector<std::pair<int, int>> entries;
  auto pattern = [&](const Stamp& st) {
    for (int a : st.node)
      for (int b : st.node)
        if (a >= 0 && b >= 0 && a <= b) entries.push_back({a, b});
  };

  // Lines.
  for (size_t li = 0; li < d.lines.size(); ++li) {
    const auto& l = d.lines[li];
    const int c = l.conductors();
    Eigen::MatrixXcd z(c, c);
    for (int i = 0; i < c; ++i)
      for (int j = 0; j < c; ++j) z(i, j) = Complex(l.r_ohm[i * c + j], l.x_ohm[i * c + j]);
    Eigen::FullPivLU<Eigen::MatrixXcd> lu(z);
    if (!lu.isInvertible())
      return absl::InvalidArgumentError(absl::StrCat("line ", l.name, ": singular impedance matrix"));
    Eigen::MatrixXcd yser = lu.inverse();
    LineC lc;
    lc.y.assign(4 * c * c, Complex(0, 0));
    const int w = 2 * c;
    for (int i = 0; i < c; ++i) {
      for (int j = 0; j < c; ++j) {
        Complex ys = yser(i, j);
        Complex ysh = kJ * (l.b_siemens[i * c + j] / 2);
        lc.y[i * w + j] = ys + ysh;
        lc.y[(i + c) * w + (j + c)] = ys + ysh;
        lc.y[i * w + (j + c)] = -ys;
        lc.y[(i + c) * w + j] = -ys;
      }
    }
    for (int k = 0; k < c; ++k) lc.stamp.node.push_back(global(l.bus1, l.nodes1[k]));
    for (int k = 0; k < c; ++k) lc.stamp.node.push_back(global(l.bus2, l.nodes2[k]));
    pattern(lc.stamp);
    m->line_offset_.push_back(li == 0 ? 0 : m->line_offset_.back() + d.lines[li - 1].conductors());
    m->lines_.push_back(std::move(lc));
  }
  // Transformers.
  m->xf_regulator_.assign(d.transformers.size(), -1);
  for (size_t r = 0; r < d.regulators.size(); ++r)
    m->xf_regulator_[d.regulators[r].transformer] = static_cast<int>(r);
  for (const auto& t : d.transformers) {
    Stamp st;
    for (const auto& w : t.windings)
      for (int node : w.nodes) st.node.push_back(global(w.bus, node));
    pattern(st);
    m->xf_stamps_.push_back(std::move(st));
  }
  // Load and capacitor coils.
  auto add_coils = [&](int bus, const std::vector<int>& nodes, FeederConn conn, int phases,
                       double kv, Complex s_total_va, int load, int cap, double cap_kvar) {
    const double vbase = CoilBase(conn, phases, kv);
    std::vector<std::pair<int, int>> coils;
    if (conn == FeederConn::kWye) {
      for (int node : nodes) coils.push_back({global(bus, node), -1});
    } else if (phases == 1) {
      coils.push_back({global(bus, nodes[0]), global(bus, nodes[1])});
    } else {
      for (size_t k = 0; k < nodes.size(); ++k)
        coils.push_back({global(bus, nodes[k]), global(bus, nodes[(k + 1) % nodes.size()])});
    }
    for (auto [a, b] : coils) {
      CoilLoad cl;
      cl.n1 = a;
      cl.n2 = b;
      cl.load = load;
      cl.cap = cap;
      cl.vbase = vbase;
      cl.s_va = s_total_va / static_cast<double>(coils.size());
      if (cap >= 0) {
        cl.yeq = kJ * (cap_kvar * 1000.0 / coils.size()) / (vbase * vbase);
      } else {
        cl.yeq = std::conj(cl.s_va) / (vbase * vbase);
      }
      cl.ymat = cl.yeq;
      if (load >= 0) {
        // Half the nominal admittance stays in the matrix for constant-power and
        // constant-current coils: their true sensitivity is -Yeq (P) or 0 (I) to magnitude and
        // +Yeq to angle, so 0.5 Yeq splits the fixed-point error between the two directions.
        const auto model = m->data_.loads[load].model;
        if (model != FeederLoadModel::kConstantImpedance) cl.ymat = 0.5 * cl.yeq;
      }
      cl.stamp.node = b >= 0 ? std::vector<int>{a, b} : std::vector<int>{a};
      pattern(cl.stamp);
      m->coils_.push_back(std::move(cl));
    }
  };
  for (size_t i = 0; i < d.loads.size(); ++i) {
    const auto& l = d.loads[i];
    add_coils(l.bus, l.nodes, l.conn, l.phases, l.kv, Complex(l.kw, l.kvar) * 1000.0,
              static_cast<int>(i), -1, 0);
  }
  for (size_t i = 0; i < d.capacitors.size(); ++i) {
    const auto& c = d.capacitors[i];
    add_coils(c.bus, c.nodes, c.conn, c.phases, c.kv, {}, -1, static_cast<int>(i), c.kvar);
  }
  // Sources: Thevenin equivalents from sequence impedances.
  for (const auto& s : d.sources) {
    Complex z1(s.r1, s.x1), z0(s.r0, s.x0);
    Complex zs = (2.0 * z1 + z0) / 3.0, zm = (z0 - z1) / 3.0;
    Eigen::Matrix3cd z;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) z(i, j) = i == j ? zs : zm;
    Eigen::Matrix3cd y = z.inverse();
    std::array<Complex, 9> ya;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) ya[i * 3 + j] = y(i, j);
    m->source_y_.push_back(ya);
    std::array<Complex, 3> e;
    for (int k = 0; k < 3; ++k)
      e[k] = Phasor(s.pu * s.kv_ll * 1000.0 / kSqrt3, s.angle_deg + PhaseAngleDeg(s.nodes[k]));
    m->source_e_.push_back(e);
    Stamp st;
    for (int node : s.nodes) st.node.push_back(global(s.bus, node));
    pattern(st);
    m->source_stamps_.push_back(std::move(st));
    m->source_tie_.push_back(s.tie_switch.empty() ? -1 : d.FindLine(s.tie_switch));
  }
  for (const auto& g : d.ders) {
    Stamp st;
    for (int node : g.nodes) st.node.push_back(global(g.bus, node));
    pattern(st);
    m->der_stamps_.push_back(std::move(st));
  }
  m->ldl_template_.Analyze(n, entries);
  auto positions = [&](Stamp& st) {
    const int k = static_cast<int>(st.node.size());
    st.pos.assign(k * k, -1);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) {
        int a = st.node[i], b = st.node[j];
        if (a >= 0 && b >= 0 && a <= b) st.pos[i * k + j] = m->ldl_template_.Position(a, b);
      }
  };
  for (auto& l : m->lines_) positions(l.stamp);
  for (auto& s : m->xf_stamps_) positions(s);
  for (auto& c : m->coils_) positions(c.stamp);
  for (auto& s : m->source_stamps_) positions(s);
  for (auto& s : m->der_stamps_) positions(s);
  for (size_t i = 0; i < m->coils_.size(); ++i) {
    const auto& c = m->coils_[i];
    if (c.load >= 0 && m->data_.loads[c.load].model != FeederLoadModel::kConstantImpedance)
      m->nonlinear_coils_.push_back(static_cast<int>(i));
  }
  m->inv_vbase2_.resize(n);
  for (int i = 0; i < n; ++i)
    m->inv_vbase2_[i] = 1.0 / (m->nodes_[i].vbase_ln_volts * m->nodes_[i].vbase_ln_volts);
  m->diag_pos_.resize(n);
  for (int i = 0; i < n; ++i) m->diag_pos_[i] = m->ldl_template_.Position(i, i);
  return std::shared_ptr<const FeederModel>(std::move(m));
}

FeederState FeederModel::NormalState() const {
  FeederState s;
  for (const auto& l : data_.lines) s.line_closed.push_back(l.closed ? 1 : 0);
  s.load_on.assign(data_.loads.size(), 1);
  s.source_on.assign(data_.sources.size(), 1);
  s.der_on.assign(data_.ders.size(), 0);
  for (const auto& g : data_.ders) {
    s.der_p_kw.push_back(g.p_kw);
    s.der_q_kvar.push_back(g.q_kvar);
  }
  for (const auto& r : data_.regulators) s.taps.push_back(r.tap);
  s.reg_timer_s.assign(data_.regulators.size(), 0.0);
  return s;
}

int FeederModel::NodeIndex(int bus, int phase) const {
  if (bus < 0 || bus >= static_cast<int>(bus_nodes_.size()) || phase < 1 || phase > 3) return -1;
  return bus_nodes_[bus][phase - 1];
}

// ---------------------------------------------------------------------------------------------
// Solver.

FeederSolver::FeederSolver(std::shared_ptr<const FeederModel> model)
    : model_(std::move(model)), ldl_(model_->ldl_template_) {
  const FeederData& d = model_->data();
  const int n = model_->num_nodes();
  const int nb = static_cast<int>(d.buses.size());
  result_.v.assign(n, Complex(0, 0));
  result_.vm_pu.assign(n, 0);
  result_.va_deg.assign(n, 0);
  result_.node_island.assign(n, 0);
  int conductors = 0;
  for (const auto& l : d.lines) conductors += l.conductors();
  result_.line_i1_a.assign(conductors, 0);
  result_.line_i2_a.assign(conductors, 0);
  result_.line_loading.assign(d.lines.size(), 0);
  result_.line_p1_kw.assign(d.lines.size(), 0);
  result_.line_q1_kvar.assign(d.lines.size(), 0);
  result_.xf_loading.assign(d.transformers.size(), 0);
  result_.xf_p1_kw.assign(d.transformers.size(), 0);
  result_.xf_q1_kvar.assign(d.transformers.size(), 0);
  result_.load_kw.assign(d.loads.size(), 0);
  result_.load_kvar.assign(d.loads.size(), 0);
  result_.source_kw.assign(d.sources.size(), 0);
  result_.source_kvar.assign(d.sources.size(), 0);
  result_.der_kw.assign(d.ders.size(), 0);
  result_.der_kvar.assign(d.ders.size(), 0);
  result_.taps.assign(d.regulators.size(), 0);
  result_.reg_timer_s.assign(d.regulators.size(), 0.0);
  result_.islands.reserve(nb);
  result_.bus_island.assign(nb, 0);
  uf_.assign(nb, 0);
  bus_live_.assign(nb, 0);
  island_forming_der_.assign(nb, -1);
  der_forming_.assign(d.ders.size(), 0);
  der_active_.assign(d.ders.size(), 0);
  source_active_.assign(d.sources.size(), 0);
  der_share_.assign(d.ders.size(), 0);
  der_s_.assign(d.ders.size(), Complex(0, 0));
  rhs_.assign(n, Complex(0, 0));
  isrc_.assign(n, Complex(0, 0));
  vnew_.assign(n, Complex(0, 0));
  f_.assign(n, Complex(0, 0));
  aa_fprev_.assign(n, Complex(0, 0));
  aa_gprev_.assign(n, Complex(0, 0));
  aa_df_.assign(static_cast<size_t>(kMaxAndersonDepth) * n, Complex(0, 0));
  aa_dg_.assign(static_cast<size_t>(kMaxAndersonDepth) * n, Complex(0, 0));
  ybuf_.assign(36, Complex(0, 0));
  last_ = model_->NormalState();
  taps_ = last_.taps;
}

bool FeederSolver::TopologyChanged(const FeederState& s) const {
  return !factor_valid_ || s.line_closed != last_.line_closed || s.load_on != last_.load_on ||
         s.source_on != last_.source_on || s.der_on != last_.der_on ||
         s.load_scale != last_.load_scale || taps_ != last_.taps;
}

void FeederSolver::FindIslands(const FeederState& s) {
  const FeederData& d = model_->data();
  const int nb = static_cast<int>(d.buses.size());
  for (int b = 0; b < nb; ++b) uf_[b] = b;
  auto find = [&](int b) {
    while (uf_[b] != b) {
      uf_[b] = uf_[uf_[b]];
      b = uf_[b];
    }
    return b;
  };
  auto unite = [&](int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b) uf_[std::max(a, b)] = std::min(a, b);
  };
  for (size_t l = 0; l < d.lines.size(); ++l)
    if (s.line_closed[l]) unite(d.lines[l].bus1, d.lines[l].bus2);
  for (const auto& t : d.transformers) unite(t.windings[0].bus, t.windings[1].bus);
  // Island ids in bus order; roots are the smallest bus index of each set.
  result_.islands.clear();
  for (int b = 0; b < nb; ++b) {
    int r = find(b);
    if (r == b) {
      FeederIsland isl;
      isl.id = static_cast<int>(result_.islands.size());
      result_.islands.push_back(isl);
      island_forming_der_[b] = isl.id;  // temporarily: root -> island id
    }
    result_.bus_island[b] = island_forming_der_[r];
    result_.islands[result_.bus_island[b]].num_buses++;
  }
  for (auto& isl : result_.islands) isl.forming_der = -1;
  for (size_t k = 0; k < d.sources.size(); ++k) {
    int tie = model_->source_tie_[k];
    bool on = s.source_on[k] && (tie < 0 || s.line_closed[tie]);
    source_active_[k] = on;
    if (on) result_.islands[result_.bus_island[d.sources[k].bus]].grid_sources++;
  }
  for (size_t g = 0; g < d.ders.size(); ++g) {
    der_active_[g] = s.der_on[g];
    der_forming_[g] = 0;
    if (!s.der_on[g]) continue;
    FeederIsland& isl = result_.islands[result_.bus_island[d.ders[g].bus]];
    isl.ders_online++;
    if (isl.grid_sources == 0 &&
        (isl.forming_der < 0 || d.ders[g].kva > d.ders[isl.forming_der].kva))
      isl.forming_der = static_cast<int>(g);
  }
  for (auto& isl : result_.islands) {
    isl.energised = isl.grid_sources > 0 || isl.ders_online > 0;
    if (isl.forming_der >= 0) der_forming_[isl.forming_der] = 1;
  }
  for (int b = 0; b < nb; ++b) bus_live_[b] = result_.islands[result_.bus_island[b]].energised;
  // DER shares of island load (non-forming DERs in DER-only islands).
  for (size_t g = 0; g < d.ders.size(); ++g) {
    der_share_[g] = 0;
    if (!der_active_[g] || der_forming_[g]) continue;
    const FeederIsland& isl = result_.islands[result_.bus_island[d.ders[g].bus]];
    if (isl.grid_sources > 0) continue;
    double total = 0;
    for (size_t h = 0; h < d.ders.size(); ++h)
      if (der_active_[h] && result_.bus_island[d.ders[h].bus] == isl.id) total += d.ders[h].kva;
    der_share_[g] = d.ders[g].kva / total;
  }
  const auto& nodes = model_->nodes();
  for (size_t i = 0; i < nodes.size(); ++i) result_.node_island[i] = result_.bus_island[nodes[i].bus];
}

void FeederSolver::TransformerY(int ti, double tap1, double tap2, Complex* y) const {
  const FeederTransformer& t = model_->data().transformers[ti];
  const auto& w1 = t.windings[0];
  const auto& w2 = t.windings[1];
  const int k1 = static_cast<int>(w1.nodes.size()), k2 = static_cast<int>(w2.nodes.size());
  const int k = k1 + k2;
  std::fill(y, y + k * k, Complex(0, 0));
  auto coil_kv = [&](const FeederWinding& w) {
    return (w.conn == FeederConn::kWye && t.phases > 1) ? w.kv / kSqrt3 : w.kv;
  };
  const double kv1 = coil_kv(w1), kv2 = coil_kv(w2);
  const double kva_coil = w1.kva / t.phases;
  const double zbase = kv1 * kv1 * 1000.0 / kva_coil;
  const Complex z = Complex((w1.pct_r + w2.pct_r) / 100.0, t.xhl_pct / 100.0) * zbase;
  const Complex ys = 1.0 / z;
  const double ratio = (kv1 * tap1) / (kv2 * tap2);
  // Coil terminals as local indices (b = -1: ground).
  auto coil = [&](const FeederWinding& w, int offset, int c, int* a, int* b) {
    const int m = static_cast<int>(w.nodes.size());
    if (w.conn == FeederConn::kWye) {
      *a = offset + c;
      *b = -1;
    } else {
      *a = offset + c;
      *b = offset + (c + 1) % m;
    }
  };
  for (int c = 0; c < t.phases; ++c) {
    int a1, b1, a2, b2;
    coil(w1, 0, c, &a1, &b1);
    coil(w2, k1, c, &a2, &b2);
    // Ycoil = ys [1 -n; -n n^2] on (v1, v2), v = V[a] - V[b].
    const int ia[2][2] = {{a1, b1}, {a2, b2}};
    const Complex yc[2][2] = {{ys, -ratio * ys}, {-ratio * ys, ratio * ratio * ys}};
    for (int p = 0; p < 2; ++p)
      for (int q = 0; q < 2; ++q)
        for (int sp = 0; sp < 2; ++sp)
          for (int sq = 0; sq < 2; ++sq) {
            int r = ia[p][sp], cidx = ia[q][sq];
            if (r < 0 || cidx < 0) continue;
            double sign = (sp == 0 ? 1.0 : -1.0) * (sq == 0 ? 1.0 : -1.0);
            y[r * k + cidx] += sign * yc[p][q];
          }
  }
  if (t.ppm_antifloat > 0) {
    const Complex shunt = kJ * (t.ppm_antifloat * 1e-6 * std::abs(ys));
    for (int i = 0; i < k; ++i) y[i * k + i] += shunt;
  }
}

void FeederSolver::Assemble(const FeederState& s, const std::vector<int>& taps) {
  const FeederModel& m = *model_;
  const FeederData& d = m.data();
  auto& ax = ldl_.values();
  std::fill(ax.begin(), ax.end(), Complex(0, 0));
  auto add = [&](const FeederModel::Stamp& st, const Complex* y, Complex scale) {
    const int k = static_cast<int>(st.node.size());
    for (int i = 0; i < k * k; ++i)
      if (st.pos[i] >= 0) ax[st.pos[i]] += scale * y[i];
  };
  for (size_t l = 0; l < d.lines.size(); ++l)
    if (s.line_closed[l] && bus_live_[d.lines[l].bus1]) add(m.lines_[l].stamp, m.lines_[l].y.data(), 1.0);
  for (size_t t = 0; t < d.transformers.size(); ++t) {
    if (!bus_live_[d.transformers[t].windings[0].bus]) continue;
    double tap[2] = {d.transformers[t].windings[0].tap, d.transformers[t].windings[1].tap};
    int r = m.xf_regulator_[t];
    if (r >= 0) tap[d.regulators[r].winding] = 1.0 + d.regulators[r].tap_step * taps[r];
    TransformerY(static_cast<int>(t), tap[0], tap[1], ybuf_.data());
    add(m.xf_stamps_[t], ybuf_.data(), 1.0);
  }
  for (const auto& c : m.coils_) {
    int bus = c.load >= 0 ? d.loads[c.load].bus : d.capacitors[c.cap].bus;
    if (!bus_live_[bus]) continue;
    Complex y = c.ymat;
    if (c.load >= 0) {
      if (!s.load_on[c.load]) continue;
      y *= s.load_scale;
    }
    Complex yl[4] = {y, -y, -y, y};
    add(c.stamp, yl, 1.0);
  }
  std::fill(isrc_.begin(), isrc_.end(), Complex(0, 0));
  for (size_t k = 0; k < d.sources.size(); ++k) {
    if (!source_active_[k]) continue;
    const auto& st = m.source_stamps_[k];
    add(st, m.source_y_[k].data(), 1.0);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) isrc_[st.node[i]] += m.source_y_[k][i * 3 + j] * m.source_e_[k][j];
  }
  for (size_t g = 0; g < d.ders.size(); ++g) {
    if (!der_forming_[g]) continue;
    const auto& st = m.der_stamps_[g];
    const Complex y = 1.0 / Complex(0, d.ders[g].x_ohm);
    Complex yd[9] = {y, 0, 0, 0, y, 0, 0, 0, y};
    add(st, yd, 1.0);
    for (int i = 0; i < 3; ++i) {
      const auto& node = m.nodes()[st.node[i]];
      isrc_[st.node[i]] += y * Phasor(node.vbase_ln_volts, PhaseAngleDeg(node.phase));
    }
  }
  for (int i = 0; i < m.num_nodes(); ++i)
    if (!bus_live_[m.nodes()[i].bus]) ax[m.diag_pos_[i]] += 1.0;
}

namespace {

// Current drawn by one load coil (from n1 through the load to n2).
inline Complex CoilCurrent(const FeederLoad& l, const FeederModel::CoilLoad& c, Complex vc,
                           double scale) {
  const Complex yeq = c.yeq * scale;
  if (l.model == FeederLoadModel::kConstantImpedance) return Mul(yeq, vc);
  const double vmag = Mag(vc);
  const double u = vmag / c.vbase;
  if (l.model == FeederLoadModel::kConstantPower) {
    if (u < l.vminpu) return Mul(yeq, vc) * (1.0 / (l.vminpu * l.vminpu));
    if (u > l.vmaxpu) return Mul(yeq, vc) * (1.0 / (l.vmaxpu * l.vmaxpu));
    return ConjDiv(c.s_va * scale, vc);
  }
  // Constant current magnitude at the load's power factor.
  if (u < l.vlowpu) return Mul(yeq, vc) * (1.0 / l.vlowpu);
  return Mul(std::conj(c.s_va * scale), vc) * (1.0 / (c.vbase * vmag));
}

}  // namespace

// Anderson acceleration of the fixed-point map V -> G(V) (one linear solve with the load
// injections of V): the next iterate mixes the last `depth` images so that the weighted
// residual G(V) - V is least-squares smallest. The map converges linearly (about 0.12 per
// iteration on IEEE 123); this roughly halves the solves. History restarts when the residual
// grows (a load crossing its vminpu/vmaxpu knee changes the map).
void FeederSolver::AndersonStep(int it, double change, const FeederSolveOptions& o) {
  const FeederModel& m = *model_;
  const int n = m.num_nodes();
  auto& v = result_.v;
  const int depth = std::clamp(o.anderson_depth, 0, kMaxAndersonDepth);
  if (it == 1 || depth == 0 || change > 2 * aa_last_change_) aa_count_ = 0;
  if (it > 1 && depth > 0) {
    const int col = aa_count_ % depth;
    Complex* df = &aa_df_[col * n];
    Complex* dg = &aa_dg_[col * n];
    for (int i = 0; i < n; ++i) {
      df[i] = f_[i] - aa_fprev_[i];
      dg[i] = vnew_[i] - aa_gprev_[i];
      aa_fprev_[i] = f_[i];
      aa_gprev_[i] = vnew_[i];
    }
    ++aa_count_;
  } else {
    std::copy(f_.begin(), f_.end(), aa_fprev_.begin());
    std::copy(vnew_.begin(), vnew_.end(), aa_gprev_.begin());
  }
  aa_last_change_ = change;
  const int mk = std::min(aa_count_, depth);
  if (mk == 0 || change < o.tol_pu) {
    std::copy(vnew_.begin(), vnew_.end(), v.begin());
    return;
  }
  // Normal equations of min || f - dF gamma ||_W over real gamma (the map is only R-linear:
  // constant-power currents depend on conj(V)), W = 1 / vbase^2 per node; every inner product
  // in one pass over the nodes.
  double h[kMaxAndersonDepth][kMaxAndersonDepth + 1] = {};
  const Complex* cols[kMaxAndersonDepth];
  for (int a = 0; a < mk; ++a) cols[a] = &aa_df_[a * n];
  for (int i = 0; i < n; ++i) {
    const double w = m.inv_vbase2_[i];
    for (int a = 0; a < mk; ++a) {
      const Complex x = cols[a][i] * w;
      for (int c = a; c < mk; ++c)
        h[a][c] += x.real() * cols[c][i].real() + x.imag() * cols[c][i].imag();
      h[a][mk] += x.real() * f_[i].real() + x.imag() * f_[i].imag();
    }
  }
  for (int a = 0; a < mk; ++a)
    for (int c = a + 1; c < mk; ++c) h[c][a] = h[a][c];
  double scale = 0;
  for (int a = 0; a < mk; ++a) scale = std::max(scale, h[a][a]);
  for (int a = 0; a < mk; ++a) h[a][a] += 1e-12 * scale;
  // Gaussian elimination (mk <= 3, Hermitian positive semi-definite + ridge).
  bool ok = scale > 0;
  for (int a = 0; a < mk && ok; ++a) {
    if (std::abs(h[a][a]) < 1e-300) {
      ok = false;
      break;
    }
    for (int r = a + 1; r < mk; ++r) {
      double f = h[r][a] / h[a][a];
      for (int c = a; c <= mk; ++c) h[r][c] -= f * h[a][c];
    }
  }
  double gamma[kMaxAndersonDepth];
  for (int a = mk - 1; a >= 0 && ok; --a) {
    double sum = h[a][mk];
    for (int c = a + 1; c < mk; ++c) sum -= h[a][c] * gamma[c];
    gamma[a] = sum / h[a][a];
    ok = std::isfinite(gamma[a]);
  }
  if (!ok) {
    aa_count_ = 0;
    std::copy(vnew_.begin(), vnew_.end(), v.begin());
    return;
  }
  for (int i = 0; i < n; ++i) {
    Complex x = vnew_[i];
    for (int a = 0; a < mk; ++a) x -= gamma[a] * aa_dg_[a * n + i];
    v[i] = x;
  }
}

void FeederSolver::Iterate(const FeederState& s, const FeederSolveOptions& o) {
  const FeederModel& m = *model_;
  const FeederData& d = m.data();
  const auto& nodes = m.nodes();
  const int n = m.num_nodes();
  auto& v = result_.v;
  // Start: keep the last solution where it is sensible, flat voltages elsewhere.
  for (int i = 0; i < n; ++i) {
    if (!bus_live_[nodes[i].bus]) {
      v[i] = 0;
      continue;
    }
    if (!o.warm_start || !have_solution_ || std::abs(v[i]) < 0.5 * nodes[i].vbase_ln_volts)
      v[i] = Phasor(nodes[i].vbase_ln_volts, PhaseAngleDeg(nodes[i].phase));
  }
  // DER injections: setpoints when grid-connected; in DER-only islands the shares start from
  // the last solution when warm-starting, else from zero (so a cold solve depends on the state
  // alone, bit for bit).
  for (size_t g = 0; g < d.ders.size(); ++g) {
    const bool grid = result_.islands[result_.bus_island[d.ders[g].bus]].grid_sources > 0;
    if (der_active_[g] && !der_forming_[g] && grid)
      der_s_[g] = Complex(s.der_p_kw[g], s.der_q_kvar[g]) * 1000.0;
    else if (!der_active_[g] || der_forming_[g] || !o.warm_start || !have_solution_)
      der_s_[g] = 0;
  }
  result_.converged = false;
  aa_count_ = 0;
  aa_last_change_ = std::numeric_limits<double>::infinity();
  for (int it = 1; it <= o.max_iterations; ++it) {
    std::copy(isrc_.begin(), isrc_.end(), rhs_.begin());
    for (int ci : m.nonlinear_coils_) {
      const auto& c = m.coils_[ci];
      const FeederLoad& l = d.loads[c.load];
      if (!s.load_on[c.load] || !bus_live_[l.bus]) continue;
      Complex vc = v[c.n1] - (c.n2 >= 0 ? v[c.n2] : Complex(0, 0));
      Complex comp = Mul(c.ymat * s.load_scale, vc) - CoilCurrent(l, c, vc, s.load_scale);
      rhs_[c.n1] += comp;
      if (c.n2 >= 0) rhs_[c.n2] -= comp;
    }
    for (size_t g = 0; g < d.ders.size(); ++g) {
      if (!der_active_[g] || der_forming_[g]) continue;
      const auto& st = m.der_stamps_[g];
      for (int k = 0; k < 3; ++k) {
        Complex vk = v[st.node[k]];
        if (vk != Complex(0, 0)) rhs_[st.node[k]] += ConjDiv(der_s_[g] / 3.0, vk);
      }
    }
    ldl_.Solve(rhs_.data(), vnew_.data());
    double change2 = 0;
    for (int i = 0; i < n; ++i) {
      f_[i] = vnew_[i] - v[i];
      change2 = std::max(change2, std::norm(f_[i]) * m.inv_vbase2_[i]);
    }
    // NaN would slip through max(); a non-finite sum catches it and infinities alike.
    const bool finite = std::isfinite(change2);
    const double change = std::sqrt(change2);
    result_.iterations = it;
    result_.max_change_pu = change;
    AndersonStep(it, change, o);
    if (!finite) {
      result_.message = "voltages became non-finite";
      return;
    }
    // DERs in islands without a grid source share the island's load by rating.
    for (size_t g = 0; g < d.ders.size(); ++g) {
      if (!der_forming_[g]) continue;
      const int island = result_.bus_island[d.ders[g].bus];
      const auto& st = m.der_stamps_[g];
      const Complex y = 1.0 / Complex(0, d.ders[g].x_ohm);
      Complex total(0, 0);
      for (int k = 0; k < 3; ++k) {
        const auto& node = nodes[st.node[k]];
        Complex e = Phasor(node.vbase_ln_volts, PhaseAngleDeg(node.phase));
        total += v[st.node[k]] * std::conj(y * (e - v[st.node[k]]));
      }
      for (size_t h = 0; h < d.ders.size(); ++h)
        if (der_active_[h] && !der_forming_[h] && result_.bus_island[d.ders[h].bus] == island)
          total += der_s_[h];
      for (size_t h = 0; h < d.ders.size(); ++h)
        if (der_active_[h] && !der_forming_[h] && result_.bus_island[d.ders[h].bus] == island)
          der_s_[h] = total * der_share_[h];
    }
    if (change < o.tol_pu) {
      result_.converged = true;
      result_.message.clear();
      return;
    }
  }
  result_.message = absl::StrCat("no convergence in ", o.max_iterations,
                                 " iterations (largest change ", result_.max_change_pu, " pu)");
}

bool FeederSolver::RegulateTaps(const FeederState& s, const FeederSolveOptions& o,
                                std::vector<int>* taps) {
  const bool timed = o.control_step_s > 0;
  const FeederModel& m = *model_;
  const FeederData& d = m.data();
  bool changed = false;
  for (size_t r = 0; r < d.regulators.size(); ++r) {
    const FeederRegulator& g = d.regulators[r];
    const FeederTransformer& t = d.transformers[g.transformer];
    const auto& w = t.windings[g.winding];
    if (!bus_live_[w.bus]) continue;
    const auto& st = m.xf_stamps_[g.transformer];
    double tap[2] = {t.windings[0].tap, t.windings[1].tap};
    tap[g.winding] = 1.0 + g.tap_step * (*taps)[r];
    TransformerY(g.transformer, tap[0], tap[1], ybuf_.data());
    const int k = static_cast<int>(st.node.size());
    const int local = g.winding == 0 ? 0 : static_cast<int>(t.windings[0].nodes.size());
    Complex i_in(0, 0);
    for (int j = 0; j < k; ++j)
      if (st.node[j] >= 0) i_in += ybuf_[local * k + j] * result_.v[st.node[j]];
    Complex vterm = result_.v[st.node[local]];
    // Line-drop compensation: the current leaves the regulated winding toward the load.
    Complex vc = vterm / g.ptratio - Complex(g.r_ldc, g.x_ldc) * (-i_in / g.ctprim);
    double diff = g.vreg - std::abs(vc);
    if (std::abs(diff) <= g.band / 2) {
      if (timed) result_.reg_timer_s[r] = 0;
      continue;
    }
    if (timed) {
      const double before = s.reg_timer_s.empty() ? 0.0 : s.reg_timer_s[r];
      result_.reg_timer_s[r] = before + o.control_step_s;
      if (result_.reg_timer_s[r] < g.delay_s) continue;
      result_.reg_timer_s[r] = 0;
    }
    int steps = static_cast<int>(std::lround(diff / (g.tap_step * 120.0)));
    if (steps == 0) steps = diff > 0 ? 1 : -1;
    int nt = std::clamp((*taps)[r] + steps, g.min_tap, g.max_tap);
    if (nt != (*taps)[r]) {
      (*taps)[r] = nt;
      changed = true;
    }
  }
  return changed;
}

const FeederResult& FeederSolver::Solve(const FeederState& s, const FeederSolveOptions& o) {
  const FeederData& d = model_->data();
  if (s.line_closed.size() != d.lines.size() || s.load_on.size() != d.loads.size() ||
      s.source_on.size() != d.sources.size() || s.der_on.size() != d.ders.size() ||
      s.der_p_kw.size() != d.ders.size() || s.der_q_kvar.size() != d.ders.size() ||
      s.taps.size() != d.regulators.size()) {
    result_.converged = false;
    result_.message = "state sizes do not match the model (use FeederModel::NormalState)";
    return result_;
  }
  for (size_t r = 0; r < d.regulators.size(); ++r) {
    if (s.taps[r] < d.regulators[r].min_tap || s.taps[r] > d.regulators[r].max_tap) {
      result_.converged = false;
      result_.message = absl::StrCat("tap of regulator ", d.regulators[r].name, " out of range");
      return result_;
    }
  }
  if (!s.reg_timer_s.empty() && s.reg_timer_s.size() != d.regulators.size()) {
    result_.converged = false;
    result_.message = "reg_timer_s must be empty or one value per regulator";
    return result_;
  }
  std::copy(s.taps.begin(), s.taps.end(), taps_.begin());
  for (size_t r = 0; r < d.regulators.size(); ++r)
    result_.reg_timer_s[r] = s.reg_timer_s.empty() ? 0.0 : s.reg_timer_s[r];
  result_.control_rounds = 0;
  for (auto& isl : result_.islands) isl.converged = false;
  const int max_rounds = o.control_step_s > 0 ? 1 : o.max_control_rounds;
  for (int round = 0; round <= max_rounds; ++round) {
    if (TopologyChanged(s)) {
      FindIslands(s);
      Assemble(s, taps_);
      absl::Status st = ldl_.Factorize();
      factor_valid_ = st.ok();
      last_.line_closed = s.line_closed;
      last_.load_on = s.load_on;
      last_.source_on = s.source_on;
      last_.der_on = s.der_on;
      last_.load_scale = s.load_scale;
      last_.taps = taps_;
      if (!st.ok()) {
        result_.converged = false;
        result_.message = std::string(st.message());
        have_solution_ = false;
        return result_;
      }
    }
    Iterate(s, o);
    have_solution_ = result_.converged;
    if (!s.regulate_taps || !result_.converged || round == max_rounds) break;
    if (!RegulateTaps(s, o, &taps_)) break;
    result_.control_rounds = round + 1;
  }
  ComputeOutputs(s, taps_, o);
  return result_;
}

void FeederSolver::ComputeOutputs(const FeederState& s, const std::vector<int>& taps,
                                  const FeederSolveOptions& o) {
  const FeederModel& m = *model_;
  const FeederData& d = m.data();
  const auto& nodes = m.nodes();
  auto& r = result_;
  std::copy(taps.begin(), taps.end(), r.taps.begin());
  for (auto& isl : r.islands) {
    isl.load_kw = isl.load_kvar = isl.source_kw = isl.source_kvar = 0;
    isl.vmin_pu = 1e9;
    isl.vmax_pu = 0;
    isl.voltage_violations = isl.overloaded_branches = isl.der_violations =
        isl.source_violations = 0;
    isl.converged = true;
  }
  const double tol2 = o.tol_pu * o.tol_pu;
  for (int i = 0; i < m.num_nodes(); ++i) {
    r.vm_pu[i] = Mag(r.v[i]) / nodes[i].vbase_ln_volts;
    r.va_deg[i] = std::arg(r.v[i]) * 180.0 / std::numbers::pi;
    FeederIsland& isl = r.islands[r.node_island[i]];
    // f_ holds the last iteration's change (NaN fails the test).
    if (!r.converged && !(std::norm(f_[i]) * m.inv_vbase2_[i] < tol2)) isl.converged = false;
    if (!isl.energised) continue;
    isl.vmin_pu = std::min(isl.vmin_pu, r.vm_pu[i]);
    isl.vmax_pu = std::max(isl.vmax_pu, r.vm_pu[i]);
    if (r.vm_pu[i] < o.vmin_pu || r.vm_pu[i] > o.vmax_pu) isl.voltage_violations++;
  }
  for (auto& isl : r.islands) {
    if (!isl.energised) isl.vmin_pu = isl.vmax_pu = 0;
  }
  Complex loss(0, 0);
  for (size_t l = 0; l < d.lines.size(); ++l) {
    const auto& lc = m.lines_[l];
    const int c = d.lines[l].conductors(), w = 2 * c, off = m.line_offset(static_cast<int>(l));
    const bool on = s.line_closed[l] && bus_live_[d.lines[l].bus1];
    if (!on) {
      std::fill(&r.line_i1_a[off], &r.line_i1_a[off] + c, 0.0);
      std::fill(&r.line_i2_a[off], &r.line_i2_a[off] + c, 0.0);
      r.line_loading[l] = r.line_p1_kw[l] = r.line_q1_kvar[l] = 0;
      continue;
    }
    // I1 = Ys (V1 - V2) + Ysh V1 and I2 = -Ys (V1 - V2) + Ysh V2, with Ys = -Y12 and
    // Ysh = Y11 + Y12 read from the primitive matrix.
    Complex v1[3], v2[3], dv[3];
    for (int k = 0; k < c; ++k) {
      v1[k] = r.v[lc.stamp.node[k]];
      v2[k] = r.v[lc.stamp.node[c + k]];
      dv[k] = v1[k] - v2[k];
    }
    double imax = 0;
    Complex s1(0, 0), s2(0, 0);
    for (int i = 0; i < c; ++i) {
      Complex series(0, 0), sh1(0, 0), sh2(0, 0);
      const Complex* y11 = &lc.y[i * w];
      const Complex* y12 = &lc.y[i * w + c];
      for (int j = 0; j < c; ++j) {
        series -= Mul(y12[j], dv[j]);
        const Complex ysh = y11[j] + y12[j];
        sh1 += Mul(ysh, v1[j]);
        sh2 += Mul(ysh, v2[j]);
      }
      const Complex i1 = series + sh1, i2 = sh2 - series;
      const double a1 = Mag(i1), a2 = Mag(i2);
      r.line_i1_a[off + i] = a1;
      r.line_i2_a[off + i] = a2;
      imax = std::max(imax, std::max(a1, a2));
      s1 += Mul(v1[i], std::conj(i1));
      s2 += Mul(v2[i], std::conj(i2));
    }
    loss += s1 + s2;
    r.line_loading[l] = imax / d.lines[l].norm_amps;
    r.line_p1_kw[l] = s1.real() / 1000.0;
    r.line_q1_kvar[l] = s1.imag() / 1000.0;
    if (r.line_loading[l] > o.loading_limit)
      r.islands[r.bus_island[d.lines[l].bus1]].overloaded_branches++;
  }
  for (size_t t = 0; t < d.transformers.size(); ++t) {
    const auto& tr = d.transformers[t];
    r.xf_loading[t] = r.xf_p1_kw[t] = r.xf_q1_kvar[t] = 0;
    if (!bus_live_[tr.windings[0].bus]) continue;
    double tap[2] = {tr.windings[0].tap, tr.windings[1].tap};
    int reg = m.xf_regulator_[t];
    if (reg >= 0) tap[d.regulators[reg].winding] = 1.0 + d.regulators[reg].tap_step * taps[reg];
    TransformerY(static_cast<int>(t), tap[0], tap[1], ybuf_.data());
    const auto& st = m.xf_stamps_[t];
    const int k = static_cast<int>(st.node.size());
    const int k1 = static_cast<int>(tr.windings[0].nodes.size());
    double loading = 0;
    for (int i = 0; i < k; ++i) {
      Complex cur(0, 0);
      for (int j = 0; j < k; ++j)
        if (st.node[j] >= 0) cur += ybuf_[i * k + j] * r.v[st.node[j]];
      Complex vi = st.node[i] >= 0 ? r.v[st.node[i]] : Complex(0, 0);
      Complex si = vi * std::conj(cur);
      loss += si;
      const auto& w = tr.windings[i < k1 ? 0 : 1];
      double rated = tr.phases == 3 ? w.kva * 1000.0 / (kSqrt3 * w.kv * 1000.0)
                                    : w.kva * 1000.0 / (w.kv * 1000.0);
      loading = std::max(loading, std::abs(cur) / rated);
      if (i < k1) {
        r.xf_p1_kw[t] += si.real() / 1000.0;
        r.xf_q1_kvar[t] += si.imag() / 1000.0;
      }
    }
    r.xf_loading[t] = loading;
    if (loading > o.loading_limit) r.islands[r.bus_island[tr.windings[0].bus]].overloaded_branches++;
  }
  r.loss_kw = loss.real() / 1000.0;
  r.loss_kvar = loss.imag() / 1000.0;
  std::fill(r.load_kw.begin(), r.load_kw.end(), 0.0);
  std::fill(r.load_kvar.begin(), r.load_kvar.end(), 0.0);
  for (const auto& c : m.coils_) {
    if (c.load < 0) continue;
    const FeederLoad& l = d.loads[c.load];
    if (!s.load_on[c.load] || !bus_live_[l.bus]) continue;
    Complex vc = r.v[c.n1] - (c.n2 >= 0 ? r.v[c.n2] : Complex(0, 0));
    Complex sl = vc * std::conj(CoilCurrent(l, c, vc, s.load_scale));
    r.load_kw[c.load] += sl.real() / 1000.0;
    r.load_kvar[c.load] += sl.imag() / 1000.0;
  }
  r.total_load_kw = r.total_load_kvar = 0;
  for (size_t i = 0; i < d.loads.size(); ++i) {
    r.total_load_kw += r.load_kw[i];
    r.total_load_kvar += r.load_kvar[i];
    if (r.load_kw[i] != 0 || r.load_kvar[i] != 0) {
      FeederIsland& isl = r.islands[r.bus_island[d.loads[i].bus]];
      isl.load_kw += r.load_kw[i];
      isl.load_kvar += r.load_kvar[i];
    }
  }
  r.total_source_kw = r.total_source_kvar = 0;
  for (size_t k = 0; k < d.sources.size(); ++k) {
    Complex sk(0, 0);
    if (source_active_[k]) {
      const auto& st = m.source_stamps_[k];
      for (int i = 0; i < 3; ++i) {
        Complex cur(0, 0);
        for (int j = 0; j < 3; ++j)
          cur += m.source_y_[k][i * 3 + j] * (m.source_e_[k][j] - r.v[st.node[j]]);
        sk += r.v[st.node[i]] * std::conj(cur);
      }
    }
    r.source_kw[k] = sk.real() / 1000.0;
    r.source_kvar[k] = sk.imag() / 1000.0;
    r.total_source_kw += r.source_kw[k];
    r.total_source_kvar += r.source_kvar[k];
    FeederIsland& isl = r.islands[r.bus_island[d.sources[k].bus]];
    isl.source_kw += r.source_kw[k];
    isl.source_kvar += r.source_kvar[k];
    if (d.sources[k].max_kva > 0 && std::abs(sk) / 1000.0 > d.sources[k].max_kva)
      isl.source_violations++;
  }
  for (size_t g = 0; g < d.ders.size(); ++g) {
    Complex sg(0, 0);
    if (der_forming_[g]) {
      const auto& st = m.der_stamps_[g];
      const Complex y = 1.0 / Complex(0, d.ders[g].x_ohm);
      for (int k = 0; k < 3; ++k) {
        const auto& node = nodes[st.node[k]];
        Complex e = Phasor(node.vbase_ln_volts, PhaseAngleDeg(node.phase));
        sg += r.v[st.node[k]] * std::conj(y * (e - r.v[st.node[k]]));
      }
    } else if (der_active_[g] && bus_live_[d.ders[g].bus]) {
      sg = der_s_[g];
    }
    r.der_kw[g] = sg.real() / 1000.0;
    r.der_kvar[g] = sg.imag() / 1000.0;
    r.total_source_kw += r.der_kw[g];
    r.total_source_kvar += r.der_kvar[g];
    FeederIsland& isl = r.islands[r.bus_island[d.ders[g].bus]];
    isl.source_kw += r.der_kw[g];
    isl.source_kvar += r.der_kvar[g];
    if (std::abs(sg) / 1000.0 > d.ders[g].kva * (1 + 1e-9)) isl.der_violations++;
  }
}

}  // namespace gridrl::powerflow
