// `Grid`: the immutable, compiled form of a Network, shared (std::shared_ptr<const Grid>) by every
// solver, environment copy and thread (MuJoCo's model in the model/data split). It holds the
// branch primitive admittances, the Ybus sparsity pattern over *all* branches (in service or not,
// so switching a branch only changes values, never the pattern) and the symbolic analyses of the
// Newton-Raphson Jacobian. Mutable per-solve state lives in `AcPowerFlow` (ac_power_flow.h).
#pragma once

#include <complex>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "powerflow/network/network.h"
#include "powerflow/transmission/sparse_lu.h"

namespace gridrl::powerflow {

using Complex = std::complex<double>;

class Grid;

// The unknowns of one Newton-Raphson system and its fixed-pattern LU layout. Unknown `theta_var[b]`
// is Va of bus b (equation: P balance at b), `vm_var[b]` is Vm of bus b (equation: Q balance at b);
// -1 means the bus has no such unknown in this pattern. For each Ybus entry p (row i, col j) the
// four Jacobian positions (dP_i/dVa_j, dP_i/dVm_j, dQ_i/dVa_j, dQ_i/dVm_j) are precomputed.
struct JacobianPattern {
  std::vector<int> theta_var, vm_var;
  int nvar = 0;
  SparseLuPattern lu;
  std::vector<int> pos_pt, pos_pv, pos_qt, pos_qv;  // per Ybus entry, -1 if absent
  std::vector<int> diag_pos;                          // per unknown, position of (k, k)

  static std::shared_ptr<const JacobianPattern> Build(const Grid& grid,
                                                      const std::vector<char>& need_theta,
                                                      const std::vector<char>& need_vm);
  bool Covers(const std::vector<char>& need_theta, const std::vector<char>& need_vm) const;
};

class Grid {
 public:
  static absl::StatusOr<std::shared_ptr<const Grid>> Create(Network network);

  const Network& network() const { return network_; }
  int num_buses() const { return nb_; }
  int num_branches() const { return nl_; }
  int num_gens() const { return ng_; }
  double base_mva() const { return network_.base_mva; }

  // Ybus pattern (CSR over bus indices, sorted columns) and the entry of each bus's diagonal.
  const std::vector<int>& ybus_row_ptr() const { return ybus_row_ptr_; }
  const std::vector<int>& ybus_col() const { return ybus_col_; }
  const std::vector<int>& ybus_diag() const { return ybus_diag_; }
  int ybus_nnz() const { return static_cast<int>(ybus_col_.size()); }

  // Branch data in bus indices and per-unit primitive admittances (pi model with tap and shift).
  const std::vector<int>& branch_from() const { return from_; }
  const std::vector<int>& branch_to() const { return to_; }
  const std::vector<Complex>& yff() const { return yff_; }
  const std::vector<Complex>& yft() const { return yft_; }
  const std::vector<Complex>& ytf() const { return ytf_; }
  const std::vector<Complex>& ytt() const { return ytt_; }
  // Ybus positions of each branch's ff, ft, tf, tt entries: branch_pos()[4 * l + k].
  const std::vector<int>& branch_pos() const { return branch_pos_; }
  const std::vector<Complex>& bus_shunt() const { return shunt_; }  // per unit at V = 1
  const std::vector<int>& gen_bus() const { return gen_bus_; }
  // Whether the case has any generator (in service or not) at each bus.
  const std::vector<char>& bus_has_generator() const { return bus_has_generator_; }
  // Bus types after MATPOWER's cleaning: a PV bus without an in-service generator is PQ.
  const std::vector<BusType>& base_bus_type() const { return base_type_; }
  int FindBusIndex(int bus_id) const;  // -1 if absent

  // Jacobian patterns: `base_pattern` has Va unknowns at non-REF buses and Vm unknowns at base
  // PQ buses; `full_pattern` has both at every bus that is not isolated (type 4), which covers
  // PV buses switched to PQ by Q limits and REF buses whose units are all off. The full
  // pattern is analysed on first use (thread-safe), so grids that never need it do not pay.
  const std::shared_ptr<const JacobianPattern>& base_pattern() const { return base_pattern_; }
  const std::shared_ptr<const JacobianPattern>& full_pattern() const;
  // Fill-reducing elimination order of the buses (AMD on the Ybus graph); Jacobian unknowns are
  // eliminated bus by bus in this order.
  const std::vector<int>& bus_order() const { return bus_order_; }

 private:
  Network network_;
  int nb_ = 0, nl_ = 0, ng_ = 0;
  std::vector<int> ybus_row_ptr_, ybus_col_, ybus_diag_;
  std::vector<int> from_, to_, branch_pos_, gen_bus_;
  std::vector<Complex> yff_, yft_, ytf_, ytt_, shunt_;
  std::vector<BusType> base_type_;
  std::vector<char> bus_has_generator_;
  absl::flat_hash_map<int, int> bus_index_;
  std::vector<int> bus_order_;
  std::shared_ptr<const JacobianPattern> base_pattern_;
  mutable std::once_flag full_once_;
  mutable std::shared_ptr<const JacobianPattern> full_pattern_;
};

}  // namespace gridrl::powerflow
