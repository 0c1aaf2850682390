#include "powerflow/transmission/grid.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gridrl::powerflow {

absl::StatusOr<std::shared_ptr<const Grid>> Grid::Create(Network network) {
  if (auto s = network.Validate(); !s.ok()) return s;
  auto grid = std::shared_ptr<Grid>(new Grid());
  Grid& g = *grid;
  g.network_ = std::move(network);
  const Network& net = g.network_;
  g.nb_ = static_cast<int>(net.buses.size());
  g.nl_ = static_cast<int>(net.branches.size());
  g.ng_ = static_cast<int>(net.gens.size());
  g.bus_index_ = net.BusIndex();

  const int nb = g.nb_;
  g.from_.resize(g.nl_);
  g.to_.resize(g.nl_);
  g.yff_.resize(g.nl_);
  g.yft_.resize(g.nl_);
  g.ytf_.resize(g.nl_);
  g.ytt_.resize(g.nl_);
  // Ybus pattern (self + neighbours over all branches), built as CSR without per-bus vectors.
  std::vector<int> deg(nb + 1, 0);
  for (int l = 0; l < g.nl_; ++l) {
    const Branch& br = net.branches[l];
    const int f = g.bus_index_.at(br.from_id), t = g.bus_index_.at(br.to_id);
    g.from_[l] = f;
    g.to_[l] = t;
    const Complex ys = 1.0 / Complex(br.r_pu, br.x_pu);
    const Complex bc(0, br.b_pu / 2);
    const double tap = br.tap == 0 ? 1.0 : br.tap;
    const Complex t_cplx = std::polar(tap, br.shift_deg * std::numbers::pi / 180.0);
    g.ytt_[l] = ys + bc;
    g.yff_[l] = (ys + bc) / (tap * tap);
    g.yft_[l] = -ys / std::conj(t_cplx);
    g.ytf_[l] = -ys / t_cplx;
    ++deg[f + 1];
    ++deg[t + 1];
  }
  for (int i = 0; i < nb; ++i) deg[i + 1] += deg[i] + 1;  // + the diagonal
  std::vector<int> nbr(deg[nb]);
  std::vector<int> fill(deg.begin(), deg.end() - 1);
  for (int i = 0; i < nb; ++i) nbr[fill[i]++] = i;
  for (int l = 0; l < g.nl_; ++l) {
    nbr[fill[g.from_[l]]++] = g.to_[l];
    nbr[fill[g.to_[l]]++] = g.from_[l];
  }
  g.ybus_row_ptr_.assign(nb + 1, 0);
  g.ybus_diag_.resize(nb);
  g.ybus_col_.reserve(nbr.size());
  for (int i = 0; i < nb; ++i) {
    auto b = nbr.begin() + deg[i], e = nbr.begin() + deg[i + 1];
    std::sort(b, e);
    e = std::unique(b, e);
    for (auto it = b; it != e; ++it) {
      if (*it == i) g.ybus_diag_[i] = static_cast<int>(g.ybus_col_.size());
      g.ybus_col_.push_back(*it);
    }
    g.ybus_row_ptr_[i + 1] = static_cast<int>(g.ybus_col_.size());
  }
  auto pos = [&](int i, int j) {
    auto b = g.ybus_col_.begin() + g.ybus_row_ptr_[i], e = g.ybus_col_.begin() + g.ybus_row_ptr_[i + 1];
    return static_cast<int>(std::lower_bound(b, e, j) - g.ybus_col_.begin());
  };
  g.branch_pos_.resize(4 * g.nl_);
  for (int l = 0; l < g.nl_; ++l) {
    const int f = g.from_[l], t = g.to_[l];
    g.branch_pos_[4 * l + 0] = pos(f, f);
    g.branch_pos_[4 * l + 1] = pos(f, t);
    g.branch_pos_[4 * l + 2] = pos(t, f);
    g.branch_pos_[4 * l + 3] = pos(t, t);
  }
  g.shunt_.resize(nb);
  g.base_type_.resize(nb);
  for (int i = 0; i < nb; ++i) {
    const Bus& b = net.buses[i];
    g.shunt_[i] = Complex(b.gs_mw, b.bs_mvar) / net.base_mva;
    g.base_type_[i] = b.type;
  }
  g.gen_bus_.resize(g.ng_);
  g.bus_has_generator_.assign(nb, 0);
  std::vector<char> has_gen(nb, 0);
  for (int k = 0; k < g.ng_; ++k) {
    g.gen_bus_[k] = g.bus_index_.at(net.gens[k].bus_id);
    g.bus_has_generator_[g.gen_bus_[k]] = 1;
    if (net.gens[k].in_service) has_gen[g.gen_bus_[k]] = 1;
  }
  for (int i = 0; i < nb; ++i) {
    if (g.base_type_[i] == BusType::kPV && !has_gen[i]) g.base_type_[i] = BusType::kPQ;
  }
  g.bus_order_ = SparseLuPattern::AmdOrder(nb, g.ybus_row_ptr_, g.ybus_col_);
  std::vector<char> theta(nb, 0), vm_base(nb, 0);
  for (int i = 0; i < nb; ++i) {
    const BusType t = g.base_type_[i];
    if (t == BusType::kRef || t == BusType::kIsolated) continue;
    theta[i] = 1;
    if (t == BusType::kPQ) vm_base[i] = 1;
  }
  g.base_pattern_ = JacobianPattern::Build(g, theta, vm_base);
  return std::shared_ptr<const Grid>(std::move(grid));
}

const std::shared_ptr<const JacobianPattern>& Grid::full_pattern() const {
  std::call_once(full_once_, [this] {
    std::vector<char> theta(nb_, 0), vm(nb_, 0);
    for (int i = 0; i < nb_; ++i) {
      if (base_type_[i] != BusType::kIsolated) theta[i] = vm[i] = 1;
    }
    full_pattern_ = JacobianPattern::Build(*this, theta, vm);
  });
  return full_pattern_;
}

int Grid::FindBusIndex(int bus_id) const {
  auto it = bus_index_.find(bus_id);
  return it == bus_index_.end() ? -1 : it->second;
}

std::shared_ptr<const JacobianPattern> JacobianPattern::Build(const Grid& grid,
                                                              const std::vector<char>& need_theta,
                                                              const std::vector<char>& need_vm) {
  auto jp = std::make_shared<JacobianPattern>();
  const int nb = grid.num_buses();
  jp->theta_var.assign(nb, -1);
  jp->vm_var.assign(nb, -1);
  int n = 0;
  for (int i = 0; i < nb; ++i) {
    if (need_theta[i]) jp->theta_var[i] = n++;
    if (need_vm[i]) jp->vm_var[i] = n++;
  }
  jp->nvar = n;
  // Elimination order: buses in the grid's AMD order, each bus's Va then Vm.
  std::vector<int> order;
  order.reserve(n);
  for (int b : grid.bus_order()) {
    if (jp->theta_var[b] >= 0) order.push_back(jp->theta_var[b]);
    if (jp->vm_var[b] >= 0) order.push_back(jp->vm_var[b]);
  }
  const auto& rp = grid.ybus_row_ptr();
  const auto& col = grid.ybus_col();
  std::vector<int> row_ptr(n + 1, 0), cols;
  cols.reserve(4 * grid.ybus_nnz());
  for (int i = 0; i < nb; ++i) {
    for (const int r : {jp->theta_var[i], jp->vm_var[i]}) {
      if (r < 0) continue;
      for (int p = rp[i]; p < rp[i + 1]; ++p) {
        const int j = col[p];
        if (jp->theta_var[j] >= 0) cols.push_back(jp->theta_var[j]);
        if (jp->vm_var[j] >= 0) cols.push_back(jp->vm_var[j]);
      }
      row_ptr[r + 1] = static_cast<int>(cols.size());
    }
  }
  jp->lu = SparseLuPattern::AnalyzeCsr(n, row_ptr, cols, &order);
  const int nnz = grid.ybus_nnz();
  jp->pos_pt.assign(nnz, -1);
  jp->pos_pv.assign(nnz, -1);
  jp->pos_qt.assign(nnz, -1);
  jp->pos_qv.assign(nnz, -1);
  jp->diag_pos.resize(n);
  std::vector<int> where(n, -1);
  for (int i = 0; i < nb; ++i) {
    const int pr = jp->theta_var[i], qr = jp->vm_var[i];
    if (pr >= 0) {
      jp->lu.RowPositions(pr, where.data());
      jp->diag_pos[pr] = where[pr];
      for (int p = rp[i]; p < rp[i + 1]; ++p) {
        const int tc = jp->theta_var[col[p]], vc = jp->vm_var[col[p]];
        if (tc >= 0) jp->pos_pt[p] = where[tc];
        if (vc >= 0) jp->pos_pv[p] = where[vc];
      }
    }
    if (qr >= 0) {
      jp->lu.RowPositions(qr, where.data());
      jp->diag_pos[qr] = where[qr];
      for (int p = rp[i]; p < rp[i + 1]; ++p) {
        const int tc = jp->theta_var[col[p]], vc = jp->vm_var[col[p]];
        if (tc >= 0) jp->pos_qt[p] = where[tc];
        if (vc >= 0) jp->pos_qv[p] = where[vc];
      }
    }
  }
  return jp;
}

bool JacobianPattern::Covers(const std::vector<char>& need_theta,
                             const std::vector<char>& need_vm) const {
  for (size_t i = 0; i < need_theta.size(); ++i) {
    if (need_theta[i] && theta_var[i] < 0) return false;
    if (need_vm[i] && vm_var[i] < 0) return false;
  }
  return true;
}

}  // namespace gridrl::powerflow
