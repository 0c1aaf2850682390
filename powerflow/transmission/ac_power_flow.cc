#include "powerflow/transmission/ac_power_flow.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace gridrl::powerflow {
namespace {

constexpr double kDegPerRad = 180.0 / std::numbers::pi;

int Find(std::vector<int>& dsu, int x) {
  while (dsu[x] != x) {
    dsu[x] = dsu[dsu[x]];
    x = dsu[x];
  }
  return x;
}

}  // namespace

AcPowerFlow::AcPowerFlow(std::shared_ptr<const Grid> grid) : grid_(std::move(grid)) {
  const int nb = grid_->num_buses(), ng = grid_->num_gens(), nl = grid_->num_branches();
  branch_on_.resize(nl);
  gen_on_.resize(ng);
  gen_p_mw_.resize(ng);
  gen_q_mvar_in_.resize(ng);
  gen_vg_.resize(ng);
  pd_mw_.resize(nb);
  qd_mvar_.resize(nb);
  ResetInputs();
  vm_.resize(nb);
  va_.resize(nb);
  for (int i = 0; i < nb; ++i) {
    vm_[i] = grid_->network().buses[i].vm_pu;
    va_[i] = grid_->network().buses[i].va_deg / kDegPerRad;
    if (!(vm_[i] > 0)) vm_[i] = 1.0;
  }
  v_.resize(nb);
  ybus_.resize(grid_->ybus_nnz());
  sbus_.resize(nb);
  s_calc_.resize(nb);
  role_.resize(nb);
  energized_.resize(nb);
  qlim_pq_.assign(nb, 0);
  qlim_mvar_.assign(nb, 0);
  island_.resize(nb);
  island_ref_.resize(nb);
  reenergized_.reserve(nb);
  dsu_.resize(nb);
  island_slack_.resize(nb);
  island_best_.resize(nb);
  island_has_ref_.resize(nb);
  island_has_gen_.resize(nb);
  need_theta_.resize(nb);
  need_vm_.resize(nb);
  bus_pg_mw_.resize(nb);
  bus_qg_mvar_.resize(nb);
  // Sized for the base pattern; a wider pattern (Q limits, islands) grows them once.
  const int nvar = grid_->base_pattern()->nvar;
  frozen_.reserve(nvar);
  rhs_.reserve(nvar);
  work_.reserve(nvar);
  lu_values_.reserve(grid_->base_pattern()->lu.nnz());
}

void AcPowerFlow::ResetInputs() {
  const Network& net = grid_->network();
  for (size_t l = 0; l < net.branches.size(); ++l) branch_on_[l] = net.branches[l].in_service;
  for (size_t k = 0; k < net.gens.size(); ++k) {
    gen_on_[k] = net.gens[k].in_service;
    gen_p_mw_[k] = net.gens[k].pg_mw;
    gen_q_mvar_in_[k] = net.gens[k].qg_mvar;
    gen_vg_[k] = net.gens[k].vg_pu;
  }
  for (size_t i = 0; i < net.buses.size(); ++i) {
    pd_mw_[i] = net.buses[i].pd_mw;
    qd_mvar_[i] = net.buses[i].qd_mvar;
  }
  topology_dirty_ = true;
}

void AcPowerFlow::SetBranchInService(int branch, bool in_service) {
  if ((branch_on_[branch] != 0) != in_service) {
    branch_on_[branch] = in_service;
    topology_dirty_ = true;
  }
}

void AcPowerFlow::SetGenInService(int gen, bool in_service) {
  if ((gen_on_[gen] != 0) != in_service) {
    gen_on_[gen] = in_service;
    topology_dirty_ = true;
  }
}

void AcPowerFlow::SetPreferredSlacks(std::vector<int> buses) {
  preferred_slacks_ = std::move(buses);
  topology_dirty_ = true;
}

void AcPowerFlow::SetFlatStart() {
  const int nb = grid_->num_buses();
  for (int i = 0; i < nb; ++i) {
    vm_[i] = 1.0;
    va_[i] = grid_->base_bus_type()[i] == BusType::kRef
                 ? grid_->network().buses[i].va_deg / kDegPerRad
                 : 0.0;
  }
}

void AcPowerFlow::CopyStateFrom(const AcPowerFlow& other) {
  branch_on_ = other.branch_on_;
  gen_on_ = other.gen_on_;
  gen_p_mw_ = other.gen_p_mw_;
  gen_q_mvar_in_ = other.gen_q_mvar_in_;
  gen_vg_ = other.gen_vg_;
  pd_mw_ = other.pd_mw_;
  qd_mvar_ = other.qd_mvar_;
  if (preferred_slacks_ != other.preferred_slacks_) preferred_slacks_ = other.preferred_slacks_;
  vm_ = other.vm_;
  va_ = other.va_;
  energized_ = other.energized_;
  first_topology_ = other.first_topology_;
  last_failed_ = other.last_failed_;
  topology_dirty_ = true;
}

void AcPowerFlow::PrepareTopology() {
  const Grid& g = *grid_;
  const Network& net = g.network();
  const int nb = g.num_buses(), nl = g.num_branches(), ng = g.num_gens();
  // Ybus values from the in-service branches; the pattern covers every branch.
  std::fill(ybus_.begin(), ybus_.end(), Complex(0, 0));
  for (int i = 0; i < nb; ++i) ybus_[g.ybus_diag()[i]] = g.bus_shunt()[i];
  const auto& bp = g.branch_pos();
  for (int l = 0; l < nl; ++l) {
    if (!branch_on_[l]) continue;
    ybus_[bp[4 * l + 0]] += g.yff()[l];
    ybus_[bp[4 * l + 1]] += g.yft()[l];
    ybus_[bp[4 * l + 2]] += g.ytf()[l];
    ybus_[bp[4 * l + 3]] += g.ytt()[l];
  }
  // Islands.
  for (int i = 0; i < nb; ++i) dsu_[i] = i;
  for (int l = 0; l < nl; ++l) {
    if (!branch_on_[l]) continue;
    int a = Find(dsu_, g.branch_from()[l]), b = Find(dsu_, g.branch_to()[l]);
    if (a != b) dsu_[std::max(a, b)] = std::min(a, b);
  }
  for (int i = 0; i < nb; ++i) {
    island_[i] = Find(dsu_, i);
    island_slack_[i] = -1;
    island_best_[i] = -std::numeric_limits<double>::infinity();
    island_has_ref_[i] = 0;
    island_has_gen_[i] = 0;
  }
  const auto& types = g.base_bus_type();
  // Generators per bus (need_vm_ is scratch here, rebuilt below).
  std::vector<char>& has_gen = need_vm_;
  std::fill(has_gen.begin(), has_gen.end(), 0);
  for (int k = 0; k < ng; ++k) {
    if (gen_on_[k]) has_gen[g.gen_bus()[k]] = 1;
  }
  // A REF bus is a slack while one of its generators is in service (or if the case gives it
  // none: an ideal source). With all its units off it becomes a PQ bus and its island picks
  // another slack, as unit commitment needs.
  auto ref_active = [&](int i) {
    return types[i] == BusType::kRef && (has_gen[i] || !g.bus_has_generator()[i]);
  };
  for (int i = 0; i < nb; ++i) {
    if (ref_active(i)) island_has_ref_[island_[i]] = 1;
  }
  for (int k = 0; k < ng; ++k) {
    if (!gen_on_[k]) continue;
    const int b = g.gen_bus()[k];
    if (types[b] == BusType::kIsolated) continue;
    const int r = island_[b];
    island_has_gen_[r] = 1;
    const double size = std::isnan(net.gens[k].pmax_mw) ? 0.0 : net.gens[k].pmax_mw;
    if (island_slack_[r] < 0 || size > island_best_[r]) {
      island_best_[r] = size;
      island_slack_[r] = b;
    }
  }
  for (int b : preferred_slacks_) {
    if (b < 0 || b >= nb) continue;
    const int r = island_[b];
    if (island_has_ref_[r] || !island_has_gen_[r]) continue;
    if (island_best_[r] != std::numeric_limits<double>::infinity()) {  // first preference wins
      island_slack_[r] = b;
      island_best_[r] = std::numeric_limits<double>::infinity();
    }
  }
  num_islands_ = 0;
  num_dead_ = 0;
  for (int i = 0; i < nb; ++i) {
    const int r = island_[i];
    const bool live = types[i] != BusType::kIsolated && (island_has_ref_[r] || island_has_gen_[r]);
    if (!live) {
      role_[i] = kDead;
    } else if (ref_active(i) || (!island_has_ref_[r] && island_slack_[r] == i)) {
      role_[i] = kSlack;
    } else if (qlim_pq_[i]) {
      role_[i] = kPQ;
    } else if (has_gen[i] && net.buses[i].type == BusType::kPV) {
      role_[i] = kPV;
    } else {
      role_[i] = kPQ;
    }
    if (live && !energized_[i] && !first_topology_) reenergized_.push_back(i);
    energized_[i] = live;
    if (role_[i] == kSlack) island_ref_[r] = i;
    if (!live) {
      island_[i] = -1;
      ++num_dead_;
    } else if (r == i) {
      ++num_islands_;
    }
  }
  // Buses coming back from a de-energized island start flat, at their island's slack angle:
  // their old voltages belong to another topology.
  for (int i : reenergized_) {
    vm_[i] = 1.0;
    va_[i] = va_[island_ref_[island_[i]]];
  }
  reenergized_.clear();
  first_topology_ = false;
  // A REF bus holds its case angle. If it just became a slack again (its units were off), shift
  // its island's angles so the warm start keeps the angle differences.
  for (int i = 0; i < nb; ++i) {
    if (!(role_[i] == kSlack && types[i] == BusType::kRef)) continue;
    const double target = net.buses[i].va_deg * std::numbers::pi / 180.0;
    const double delta = target - va_[i];
    if (delta == 0) continue;
    const int r = island_[i];
    for (int j = 0; j < nb; ++j) {
      if (island_[j] == r) va_[j] += delta;
    }
  }
  for (int i = 0; i < nb; ++i) {
    need_theta_[i] = role_[i] == kPV || role_[i] == kPQ;
    need_vm_[i] = role_[i] == kPQ;
  }
  if (g.base_pattern()->Covers(need_theta_, need_vm_)) {
    pattern_ = g.base_pattern();
  } else if (g.full_pattern()->Covers(need_theta_, need_vm_)) {
    pattern_ = g.full_pattern();
  } else {
    if (!custom_pattern_ || !custom_pattern_->Covers(need_theta_, need_vm_)) {
      std::vector<char> theta(nb), vm(nb);
      for (int i = 0; i < nb; ++i) {
        theta[i] = need_theta_[i] || (g.full_pattern()->theta_var[i] >= 0);
        vm[i] = need_vm_[i] || (g.full_pattern()->vm_var[i] >= 0);
      }
      custom_pattern_ = JacobianPattern::Build(g, theta, vm);
    }
    pattern_ = custom_pattern_;
  }
  const JacobianPattern& jp = *pattern_;
  frozen_.assign(jp.nvar, 1);
  for (int i = 0; i < nb; ++i) {
    if (need_theta_[i]) frozen_[jp.theta_var[i]] = 0;
    if (need_vm_[i]) frozen_[jp.vm_var[i]] = 0;
  }
  rhs_.resize(jp.nvar);
  work_.resize(jp.nvar);
  lu_values_.resize(jp.lu.nnz());
  topology_dirty_ = false;
}

void AcPowerFlow::PrepareInjections() {
  const Grid& g = *grid_;
  const Network& net = g.network();
  const int nb = g.num_buses(), ng = g.num_gens();
  const double base = net.base_mva;
  unserved_mw_ = 0;
  for (int i = 0; i < nb; ++i) {
    sbus_[i] = Complex(-pd_mw_[i], -qd_mvar_[i]);
    if (!energized_[i]) unserved_mw_ += pd_mw_[i];
  }
  // Voltage set-points: the first in-service generator of a PV or slack bus sets its Vm.
  for (int k = ng - 1; k >= 0; --k) {  // reverse so the first generator wins
    if (!gen_on_[k]) continue;
    const int b = g.gen_bus()[k];
    sbus_[b] += Complex(gen_p_mw_[k], gen_q_mvar_in_[k]);
    if (role_[b] == kPV || role_[b] == kSlack) vm_[b] = gen_vg_[k];
  }
  for (const DcLine& d : net.dclines) {
    if (!d.in_service) continue;
    const int f = g.FindBusIndex(d.from_id), t = g.FindBusIndex(d.to_id);
    sbus_[f] += Complex(-d.pf_mw, d.qf_mvar);
    sbus_[t] += Complex(d.pt_mw, d.qt_mvar);
  }
  for (int i = 0; i < nb; ++i) {
    if (qlim_pq_[i] && role_[i] == kPQ) {
      // Generators held at their limit: replace their Q set-points by the limit total.
      double q_set = 0;
      for (int k = 0; k < ng; ++k) {
        if (gen_on_[k] && g.gen_bus()[k] == i) q_set += gen_q_mvar_in_[k];
      }
      sbus_[i] += Complex(0, qlim_mvar_[i] - q_set);
    }
    sbus_[i] /= base;
  }
}

double AcPowerFlow::ComputeMismatch() {
  const Grid& g = *grid_;
  const int nb = g.num_buses();
  const auto& rp = g.ybus_row_ptr();
  const auto& col = g.ybus_col();
  const JacobianPattern& jp = *pattern_;
  double worst = 0;
  for (int i = 0; i < nb; ++i) {
    if (role_[i] == kDead) continue;
    Complex acc(0, 0);
    for (int p = rp[i]; p < rp[i + 1]; ++p) acc += ybus_[p] * v_[col[p]];
    const Complex s = v_[i] * std::conj(acc);
    s_calc_[i] = s;
    const Complex mis = s - sbus_[i];
    if (role_[i] == kPV || role_[i] == kPQ) {
      rhs_[jp.theta_var[i]] = -mis.real();
      worst = std::max(worst, std::fabs(mis.real()));
      if (role_[i] == kPQ) {
        rhs_[jp.vm_var[i]] = -mis.imag();
        worst = std::max(worst, std::fabs(mis.imag()));
      }
    }
  }
  if (!std::isfinite(worst)) return std::numeric_limits<double>::infinity();
  return worst;
}

int AcPowerFlow::NewtonRaphson(const SolveOptions& options, double* max_mismatch, bool* singular) {
  const Grid& g = *grid_;
  const int nb = g.num_buses();
  const auto& rp = g.ybus_row_ptr();
  const auto& col = g.ybus_col();
  const JacobianPattern& jp = *pattern_;
  const int nvar = jp.nvar;
  *singular = false;
  for (int i = 0; i < nb; ++i) v_[i] = std::polar(vm_[i], va_[i]);
  for (int k = 0; k < nvar; ++k) rhs_[k] = 0;
  double worst = ComputeMismatch();
  int iter = 0;
  while (worst > options.tolerance_pu && iter < options.max_iterations && std::isfinite(worst)) {
    ++iter;
    // Jacobian straight into the LU value array.
    std::fill(lu_values_.begin(), lu_values_.end(), 0.0);
    double* a = lu_values_.data();
    for (int i = 0; i < nb; ++i) {
      const char r = role_[i];
      if (r != kPV && r != kPQ) continue;
      const Complex vi = v_[i];
      const Complex si = s_calc_[i];
      for (int p = rp[i]; p < rp[i + 1]; ++p) {
        const int j = col[p];
        const Complex t = vi * std::conj(ybus_[p] * v_[j]);
        Complex d_th, d_vm;
        if (j != i) {
          d_th = Complex(t.imag(), -t.real());  // -j t
          d_vm = t / vm_[j];
        } else {
          const Complex u = si - t;
          d_th = Complex(-u.imag(), u.real());  // j (S_i - t)
          d_vm = (t + si) / vm_[i];
        }
        if (jp.pos_pt[p] >= 0) a[jp.pos_pt[p]] = d_th.real();
        if (jp.pos_pv[p] >= 0) a[jp.pos_pv[p]] = d_vm.real();
        if (r == kPQ) {
          if (jp.pos_qt[p] >= 0) a[jp.pos_qt[p]] = d_th.imag();
          if (jp.pos_qv[p] >= 0) a[jp.pos_qv[p]] = d_vm.imag();
        }
      }
    }
    // Frozen unknowns: identity rows. Rows of PV buses' Q equations (present in a wider pattern)
    // were skipped above, so their off-diagonal entries are already zero.
    for (int k = 0; k < nvar; ++k) {
      if (frozen_[k]) a[jp.diag_pos[k]] = 1.0;
    }
    if (!jp.lu.Factor(a, work_.data())) {
      *singular = true;
      break;
    }
    jp.lu.Solve(a, rhs_.data(), work_.data());
    for (int i = 0; i < nb; ++i) {
      const char r = role_[i];
      if (r != kPV && r != kPQ) continue;
      va_[i] += rhs_[jp.theta_var[i]];
      if (r == kPQ) vm_[i] += rhs_[jp.vm_var[i]];
      v_[i] = std::polar(vm_[i], va_[i]);
    }
    for (int k = 0; k < nvar; ++k) rhs_[k] = 0;
    worst = ComputeMismatch();
  }
  *max_mismatch = worst;
  return iter;
}

SolveReport AcPowerFlow::Solve(const SolveOptions& options) {
  SolveReport rep = SolveOnce(options, options.flat_start || last_failed_);
  if (!rep.converged && options.retry_flat_start && !options.flat_start && !last_failed_) {
    const int spent = rep.iterations;
    rep = SolveOnce(options, true);
    rep.iterations += spent;
    rep.retried_flat = true;
    report_ = rep;
  }
  last_failed_ = !rep.converged;
  return rep;
}

SolveReport AcPowerFlow::SolveOnce(const SolveOptions& options, bool flat) {
  const Grid& g = *grid_;
  const int nb = g.num_buses();
  if (flat) SetFlatStart();
  bool had_qlim = false;
  for (int i = 0; i < nb; ++i) {
    if (qlim_pq_[i]) {
      qlim_pq_[i] = 0;
      had_qlim = true;
    }
  }
  if (had_qlim || topology_dirty_) PrepareTopology();
  SolveReport rep;
  for (int round = 0;; ++round) {
    PrepareInjections();
    double worst = 0;
    bool singular = false;
    rep.iterations += NewtonRaphson(options, &worst, &singular);
    rep.max_mismatch_pu = worst;
    rep.singular = singular;
    rep.converged = !singular && std::isfinite(worst) && worst <= options.tolerance_pu;
    if (!rep.converged || !options.enforce_q_limits || round >= options.max_q_limit_rounds) break;
    // Q-limit check at PV buses (slack buses stay unconstrained).
    generation_valid_ = false;
    ComputeBusGeneration();
    int switched = 0;
    for (int i = 0; i < nb; ++i) {
      if (role_[i] != kPV) continue;
      double qmax = 0, qmin = 0;
      for (int k = 0; k < g.num_gens(); ++k) {
        if (gen_on_[k] && g.gen_bus()[k] == i) {
          qmax += g.network().gens[k].qmax_mvar;
          qmin += g.network().gens[k].qmin_mvar;
        }
      }
      const double q = bus_qg_mvar_[i];
      const double tol = 1e-6;
      if (q > qmax + tol || q < qmin - tol) {
        qlim_pq_[i] = 1;
        qlim_mvar_[i] = q > qmax ? qmax : qmin;
        ++switched;
      }
    }
    if (switched == 0) break;
    rep.q_limit_switches += switched;
    PrepareTopology();
  }
  rep.num_islands = num_islands_;
  rep.num_dead_buses = num_dead_;
  rep.unserved_mw = unserved_mw_;
  report_ = rep;
  generation_valid_ = false;
  return rep;
}

double AcPowerFlow::va_deg(int bus) const { return energized_[bus] ? va_[bus] * kDegPerRad : 0.0; }

BranchFlow AcPowerFlow::branch_flow(int l) const {
  BranchFlow f;
  if (!branch_on_[l]) return f;
  const Grid& g = *grid_;
  const int a = g.branch_from()[l], b = g.branch_to()[l];
  if (!energized_[a]) return f;
  const Complex va = v_[a], vb = v_[b];  // complex voltages of the last solve
  const double base = g.base_mva();
  const Complex sf = va * std::conj(g.yff()[l] * va + g.yft()[l] * vb) * base;
  const Complex st = vb * std::conj(g.ytf()[l] * va + g.ytt()[l] * vb) * base;
  f.p_from_mw = sf.real();
  f.q_from_mvar = sf.imag();
  f.p_to_mw = st.real();
  f.q_to_mvar = st.imag();
  return f;
}

double AcPowerFlow::branch_loading(int l) const {
  const double rate = grid_->network().branches[l].rate_a_mva;
  if (!(rate > 0) || !branch_on_[l]) return 0.0;
  const BranchFlow f = branch_flow(l);
  const double sf2 = f.p_from_mw * f.p_from_mw + f.q_from_mvar * f.q_from_mvar;
  const double st2 = f.p_to_mw * f.p_to_mw + f.q_to_mvar * f.q_to_mvar;
  return std::sqrt(std::max(sf2, st2)) / rate;
}

double AcPowerFlow::losses_mw() const {
  double loss = 0;
  for (int l = 0; l < grid_->num_branches(); ++l) {
    const BranchFlow f = branch_flow(l);
    loss += f.p_from_mw + f.p_to_mw;
  }
  return loss;
}

void AcPowerFlow::ComputeBusGeneration() const {
  if (generation_valid_) return;
  const Grid& g = *grid_;
  const Network& net = g.network();
  const int nb = g.num_buses();
  const auto& rp = g.ybus_row_ptr();
  const auto& col = g.ybus_col();
  const double base = g.base_mva();
  for (int i = 0; i < nb; ++i) {
    if (!energized_[i]) {
      bus_pg_mw_[i] = bus_qg_mvar_[i] = 0;
      continue;
    }
    const Complex vi = v_[i];
    Complex acc(0, 0);
    for (int p = rp[i]; p < rp[i + 1]; ++p) acc += ybus_[p] * v_[col[p]];
    const Complex s = vi * std::conj(acc) * base;
    bus_pg_mw_[i] = s.real() + pd_mw_[i];
    bus_qg_mvar_[i] = s.imag() + qd_mvar_[i];
  }
  for (const DcLine& d : net.dclines) {
    if (!d.in_service) continue;
    const int f = g.FindBusIndex(d.from_id), t = g.FindBusIndex(d.to_id);
    bus_pg_mw_[f] -= -d.pf_mw;
    bus_qg_mvar_[f] -= d.qf_mvar;
    bus_pg_mw_[t] -= d.pt_mw;
    bus_qg_mvar_[t] -= d.qt_mvar;
  }
  generation_valid_ = true;
}

double AcPowerFlow::gen_p_mw(int gen) const {
  if (!gen_on_[gen]) return 0;
  const Grid& g = *grid_;
  const int b = g.gen_bus()[gen];
  if (!energized_[b]) return 0;
  if (role_[b] != kSlack) return gen_p_mw_[gen];
  ComputeBusGeneration();
  // The first in-service generator of a slack bus takes the balance.
  double others = 0;
  int first = -1;
  for (int k = 0; k < g.num_gens(); ++k) {
    if (!gen_on_[k] || g.gen_bus()[k] != b) continue;
    if (first < 0) {
      first = k;
    } else {
      others += gen_p_mw_[k];
    }
  }
  return gen == first ? bus_pg_mw_[b] - others : gen_p_mw_[gen];
}

double AcPowerFlow::gen_q_mvar(int gen) const {
  if (!gen_on_[gen]) return 0;
  const Grid& g = *grid_;
  const Network& net = g.network();
  const int b = g.gen_bus()[gen];
  if (!energized_[b]) return 0;
  if (role_[b] == kPQ && !qlim_pq_[b]) return gen_q_mvar_in_[gen];
  ComputeBusGeneration();
  // Share the bus total in proportion to the Q ranges (equally if a range is not finite).
  double range_sum = 0;
  double qmin_sum = 0;
  int count = 0;
  bool finite = true;
  for (int k = 0; k < g.num_gens(); ++k) {
    if (!gen_on_[k] || g.gen_bus()[k] != b) continue;
    const double r = net.gens[k].qmax_mvar - net.gens[k].qmin_mvar;
    if (!std::isfinite(r)) finite = false;
    range_sum += r;
    qmin_sum += net.gens[k].qmin_mvar;
    ++count;
  }
  const double total = bus_qg_mvar_[b];
  if (!finite || !(range_sum > 1e-9)) return total / count;
  const double r = net.gens[gen].qmax_mvar - net.gens[gen].qmin_mvar;
  return net.gens[gen].qmin_mvar + (total - qmin_sum) * r / range_sum;
}

PowerFlowResult AcPowerFlow::Result() const {
  const Grid& g = *grid_;
  PowerFlowResult r;
  r.report = report_;
  const int nb = g.num_buses();
  for (int i = 0; i < nb; ++i) {
    r.bus_id.push_back(g.network().buses[i].id);
    r.vm_pu.push_back(vm_pu(i));
    r.va_deg.push_back(va_deg(i));
    r.energized.push_back(energized_[i]);
  }
  for (int l = 0; l < g.num_branches(); ++l) {
    r.branches.push_back(branch_flow(l));
    r.losses_mw += r.branches.back().p_from_mw + r.branches.back().p_to_mw;
  }
  for (int k = 0; k < g.num_gens(); ++k) {
    r.gen_p_mw.push_back(gen_p_mw(k));
    r.gen_q_mvar.push_back(gen_q_mvar(k));
  }
  return r;
}

}  // namespace gridrl::powerflow
