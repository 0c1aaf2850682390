// Unbalanced three-phase power flow on a FeederModel, per node and phase.
//
//   auto model = FeederModel::Build(*LoadFeeder("ieee123"));   // immutable, share it
//   FeederState state = (*model)->NormalState();               // small, per environment copy
//   FeederSolver solver(*model);                               // reusable workspace
//   state.line_closed[(*model)->data().FindLine("Sw8")] = 1;   // close tie 54-94
//   const FeederResult& r = solver.Solve(state);               // no allocation after the first
//
// Method: the network (lines with full 3x3 series and shunt matrices, transformers with taps,
// capacitors, constant-impedance loads, source impedances) is one complex-symmetric nodal
// admittance matrix over the union pattern of every switch state, factorized by a sparse LDL^T
// that is analysed once. Constant-power and constant-current loads and PQ DERs are current
// injections updated by fixed-point iteration (the nominal load admittance stays in the matrix
// as preconditioner), so meshes, several sources and islands need no special handling. Islands
// are found from the switch states; an island without a source is de-energised (V = 0).
#pragma once

#include <array>
#include <complex>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "powerflow/distribution/feeder_ldl.h"
#include "powerflow/network/feeder_data.h"

namespace gridrl::powerflow {

// The mutable part of a simulation; sized by FeederModel::NormalState.
struct FeederState {
  std::vector<uint8_t> line_closed;  // per line (switches and failed lines alike)
  std::vector<uint8_t> load_on;      // per load (load shedding)
  std::vector<uint8_t> source_on;    // per source (a backup also needs its tie closed)
  std::vector<uint8_t> der_on;       // per DER
  std::vector<double> der_p_kw, der_q_kvar;  // PQ setpoints when grid-connected
  std::vector<int> taps;             // per regulator, in steps
  double load_scale = 1.0;
  bool regulate_taps = false;        // let the RegControls move taps
  // Seconds each regulator has been out of band (time-stepped regulation, see
  // FeederSolveOptions::control_step_s); the solver reports the updated values.
  std::vector<double> reg_timer_s;
};

struct FeederSolveOptions {
  double tol_pu = 1e-9;  // on the largest node-voltage change between iterations
  int max_iterations = 100;
  int max_control_rounds = 30;
  // Regulation when FeederState::regulate_taps is set. 0: static, taps move until every
  // regulated voltage is within its band. > 0: one control step of this many seconds: a
  // regulator out of band for at least its `delay_s` moves (by the steps it needs) and the
  // feeder is re-solved once; copy FeederResult::taps and reg_timer_s into the next state.
  double control_step_s = 0;
  bool warm_start = true;
  int anderson_depth = 2;  // Anderson acceleration of the fixed point (0 = plain iteration)
  double vmin_pu = 0.95, vmax_pu = 1.05;  // constraint checks
  // A branch is overloaded above loading_limit x its rating (lines: norm_amps, which the
  // OpenDSS files leave at the 400 A default; the published IEEE 123 operating point loads the
  // feeder head L115/L3/L7/L10/Sw1 to 1.39-1.57 of that).
  double loading_limit = 1.0;
};

// One energised or de-energised part of the feeder and its constraint checks.
struct FeederIsland {
  int id = 0;
  bool energised = false;
  int grid_sources = 0;       // substation and backup feeders online in the island
  int ders_online = 0;
  int forming_der = -1;       // DER holding voltage when there is no grid source
  int num_buses = 0;
  double load_kw = 0, load_kvar = 0;        // served in this island
  double source_kw = 0, source_kvar = 0;    // grid sources + DERs
  double vmin_pu = 0, vmax_pu = 0;
  int voltage_violations = 0;  // node-phases outside [vmin_pu, vmax_pu]
  int overloaded_branches = 0; // lines above norm_amps, transformers above rated current
  int der_violations = 0;      // DERs above their kVA rating
  int source_violations = 0;   // backup feeders above max_kva
  // The island's voltages settled: its largest change in the last iteration is below tol_pu
  // (true for every island of a converged solve). An island can settle while another one of the
  // same solve does not (e.g. a DER island that cannot carry its load).
  bool converged = false;
  bool feasible() const {
    return voltage_violations == 0 && overloaded_branches == 0 && der_violations == 0 &&
           source_violations == 0;
  }
};

struct FeederResult {
  bool converged = false;
  int iterations = 0;
  int control_rounds = 0;
  double max_change_pu = 0;  // last iteration's largest voltage change
  std::string message;       // why it did not converge, if it did not

  // Per node (FeederModel::nodes()).
  std::vector<Complex> v;  // volts, line-to-ground
  std::vector<double> vm_pu, va_deg;
  std::vector<int> node_island;  // island id per node
  // Per line: per conductor current magnitudes at each end (offset = line_offset(l)).
  std::vector<double> line_i1_a, line_i2_a;
  std::vector<double> line_loading;      // max |I| / norm_amps per line
  std::vector<double> line_p1_kw, line_q1_kvar;  // flow into terminal 1
  // Per transformer: per coil current at winding 1 and loading vs rated current.
  std::vector<double> xf_loading;
  std::vector<double> xf_p1_kw, xf_q1_kvar;
  // Per element outputs.
  std::vector<double> load_kw, load_kvar;  // served (0 when off or de-energised)
  std::vector<double> source_kw, source_kvar;
  std::vector<double> der_kw, der_kvar;
  std::vector<int> taps;  // taps in effect (after regulation, if enabled)
  std::vector<double> reg_timer_s;  // out-of-band timers after this step (time-stepped mode)

  double total_load_kw = 0, total_load_kvar = 0;
  double total_source_kw = 0, total_source_kvar = 0;  // grid sources + DERs
  double loss_kw = 0, loss_kvar = 0;                    // lines + transformers
  std::vector<FeederIsland> islands;
  std::vector<int> bus_island;  // island id per bus
};

class FeederModel {
 public:
  struct Node {
    int bus;
    int phase;             // 1, 2, 3
    double vbase_ln_volts;
  };

  static absl::StatusOr<std::shared_ptr<const FeederModel>> Build(FeederData data);

  const FeederData& data() const { return data_; }
  FeederState NormalState() const;
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  const std::vector<Node>& nodes() const { return nodes_; }
  int NodeIndex(int bus, int phase) const;  // -1 if the bus has no such phase
  int line_offset(int line) const { return line_offset_[line]; }
  int factor_nonzeros() const { return ldl_template_.factor_nonzeros(); }

  // Internal compiled data, used by FeederSolver.
  struct Stamp {
    std::vector<int> node;  // local -> global node (-1 ground)
    std::vector<int> pos;   // local (i*n+j) -> LDL value slot, -1 if not stored
  };
  struct LineC {
    Stamp stamp;
    std::vector<Complex> y;  // 2n x 2n row-major
  };
  struct CoilLoad {  // one coil of a load or a capacitor
    int n1, n2;      // global nodes (-1 ground)
    int load;        // load index or -1 (capacitor)
    int cap;
    Complex s_va;    // per-coil nominal power (loads)
    double vbase;    // coil base volts
    Complex yeq;     // nominal admittance (capacitor: its admittance)
    Complex ymat;    // the part kept in the matrix; the rest is an injection
    Stamp stamp;     // 2x2 (or 1x1 for ground)
  };

 private:
  friend class FeederSolver;
  FeederData data_;
  std::vector<Node> nodes_;
  std::vector<std::array<int, 3>> bus_nodes_;
  std::vector<LineC> lines_;
  std::vector<int> line_offset_;
  std::vector<Stamp> xf_stamps_;
  std::vector<int> xf_regulator_;  // regulator acting on each transformer, -1 if none
  std::vector<CoilLoad> coils_;
  std::vector<Stamp> source_stamps_, der_stamps_;
  std::vector<std::array<Complex, 9>> source_y_;  // 3x3 source admittance
  std::vector<std::array<Complex, 3>> source_e_;  // open-circuit phase voltages
  std::vector<int> diag_pos_;
  std::vector<double> inv_vbase2_;
  std::vector<int> nonlinear_coils_;  // load coils with constant-power or -current models
  std::vector<int> source_tie_;  // line index or -1
  FeederLdl ldl_template_;       // analysed pattern, copied into each solver
};

// The reusable workspace: owns a factorization and every buffer of a solve.
class FeederSolver {
 public:
  explicit FeederSolver(std::shared_ptr<const FeederModel> model);

  // Solves for `state`. Re-factorizes only when the topology, loads on/off or taps changed.
  // Bad state sizes give a result with converged = false and a message.
  const FeederResult& Solve(const FeederState& state, const FeederSolveOptions& options = {});
  const FeederResult& result() const { return result_; }
  const FeederModel& model() const { return *model_; }
  // Forgets the factorization and the last solution: the next Solve is a full one (assembly,
  // factorization, flat start), e.g. at an environment reset.
  void Reset() {
    factor_valid_ = false;
    have_solution_ = false;
  }

 private:
  bool TopologyChanged(const FeederState& s) const;
  void FindIslands(const FeederState& s);
  void Assemble(const FeederState& s, const std::vector<int>& taps);
  void TransformerY(int t, double tap1, double tap2, Complex* y) const;
  void Iterate(const FeederState& s, const FeederSolveOptions& o);
  void AndersonStep(int it, double change, const FeederSolveOptions& o);
  static constexpr int kMaxAndersonDepth = 3;
  void ComputeOutputs(const FeederState& s, const std::vector<int>& taps,
                      const FeederSolveOptions& o);
  bool RegulateTaps(const FeederState& s, const FeederSolveOptions& o, std::vector<int>* taps);

  std::shared_ptr<const FeederModel> model_;
  FeederLdl ldl_;
  FeederResult result_;
  bool factor_valid_ = false;
  bool have_solution_ = false;
  FeederState last_;  // the state the factorization belongs to
  std::vector<int> taps_;
  // Islands.
  std::vector<int> uf_;
  std::vector<uint8_t> bus_live_;
  std::vector<int> island_forming_der_;  // per island
  std::vector<uint8_t> der_forming_, der_active_, source_active_;
  std::vector<double> der_share_;         // PQ share of island load for non-forming DERs
  std::vector<Complex> der_s_;            // current PQ injection per DER (VA, 3-phase)
  std::vector<Complex> rhs_, isrc_, vnew_;
  std::vector<Complex> ybuf_;
  std::vector<Complex> f_, aa_fprev_, aa_gprev_, aa_df_, aa_dg_;
  int aa_count_ = 0;
  double aa_last_change_ = 0;
};

}  // namespace gridrl::powerflow
