// Unbalanced three-phase distribution feeder: the project's own data format (FeederData, plain
// structs with a JSON form, data/feeders/NAME.json) with loading, validation and name lookups.
// feeder_solver.h compiles it into the immutable FeederModel that every environment copy shares;
// the mutable part of a simulation (switch states, loads on/off, DERs on/off, regulator taps) is
// FeederState, small and cheap to copy; the solver's scratch space is FeederSolver. This is
// MuJoCo's model/data split.
//
// Conventions: a terminal is a bus plus node numbers (1, 2, 3 = phases a, b, c; 0 = ground).
// Impedances are totals for the element in ohm, shunt susceptances in siemens. Bus kV bases are
// line-to-line; per-unit node voltages use the line-to-neutral base kv_base / sqrt(3).
#pragma once

#include <complex>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridrl::powerflow {

using Complex = std::complex<double>;

enum class FeederConn { kWye, kDelta };
// The OpenDSS load models the IEEE feeders use: 1 constant power, 2 constant impedance,
// 5 constant current magnitude.
enum class FeederLoadModel { kConstantPower = 1, kConstantImpedance = 2, kConstantCurrent = 5 };
enum class FeederSourceKind { kSubstation, kBackupFeeder };

struct FeederBus {
  std::string name;
  double kv_base = 0;  // line-to-line kV; 0 until ComputeVoltageBases
  bool has_xy = false;
  double x = 0, y = 0;
};

struct FeederLine {
  std::string name;
  int bus1 = -1, bus2 = -1;
  std::vector<int> nodes1, nodes2;  // same length n = number of conductors
  // n x n row-major totals for the whole length.
  std::vector<double> r_ohm, x_ohm, b_siemens;  // b: total shunt, half at each end
  bool is_switch = false;
  bool closed = true;  // normal state
  double norm_amps = 400, emerg_amps = 600;
  std::string linecode;  // informational
  double length = 0;     // informational, in length_units
  std::string length_units;
  int conductors() const { return static_cast<int>(nodes1.size()); }
};

struct FeederWinding {
  int bus = -1;
  std::vector<int> nodes;  // phase nodes (for wye the neutral is ground)
  FeederConn conn = FeederConn::kWye;
  double kv = 12.47;  // rated kV: line-to-line when phases > 1, coil kV for 1-phase units
  double kva = 1000;
  double pct_r = 0.2;
  double tap = 1.0;  // per-unit tap of this winding (regulated winding: overridden by state)
};

struct FeederTransformer {
  std::string name;
  std::string bank;  // e.g. "reg4" for the three single-phase units reg4a/b/c
  int phases = 3;
  std::vector<FeederWinding> windings;  // exactly 2
  double xhl_pct = 7;
  double ppm_antifloat = 1;  // tiny shunt to ground at each terminal, keeps delta sides defined
};

// A voltage regulator control acting on one transformer's winding tap.
struct FeederRegulator {
  std::string name;
  int transformer = -1;
  int winding = 1;  // 0-based: 1 = the second winding
  double vreg = 120, band = 3, ptratio = 60, ctprim = 300, r_ldc = 0, x_ldc = 0;  // volts (120 V base)
  double delay_s = 15;
  double tap_step = 0.00625;
  int min_tap = -16, max_tap = 16;
  int tap = 0;  // tap position in the model (published operating point for ieee123)
};

struct FeederLoad {
  std::string name;
  int bus = -1;
  std::vector<int> nodes;  // wye: phase nodes; delta: the phase nodes, coils between neighbours
  int phases = 1;
  FeederConn conn = FeederConn::kWye;
  FeederLoadModel model = FeederLoadModel::kConstantPower;
  double kv = 12.47, kw = 10, kvar = 5;
  double vminpu = 0.95, vmaxpu = 1.05, vlowpu = 0.5;
};

struct FeederCapacitor {
  std::string name;
  int bus = -1;
  std::vector<int> nodes;
  int phases = 3;
  FeederConn conn = FeederConn::kWye;
  double kvar = 600, kv = 12.47;
};

// A grid source: the substation or a backup feeder behind a tie. Modelled as a Thevenin source
// (phase voltages behind the impedance given in sequence components).
struct FeederSource {
  std::string name;
  int bus = -1;
  std::vector<int> nodes{1, 2, 3};
  FeederSourceKind kind = FeederSourceKind::kSubstation;
  double kv_ll = 12.47, pu = 1.0, angle_deg = 0;
  double r1 = 0, x1 = 1e-4, r0 = 0, x0 = 1e-4;  // ohm
  double max_kva = 0;       // 0 = unlimited; checked, not enforced
  std::string tie_switch;   // if set: energised only while this line is closed
};

// An inverter-based DER (three-phase). Grid-connected: a PQ injection at its setpoint. In an
// island without a grid source: the largest online DER is grid-forming (holds 1.0 pu) and the
// others share the island's load in proportion to rating.
struct FeederDer {
  std::string name;
  int bus = -1;
  std::vector<int> nodes{1, 2, 3};
  double kva = 350.35;
  double p_kw = 0, q_kvar = 0;  // setpoint when grid-connected
  double x_ohm = 1e-4;          // internal reactance when grid-forming
};

struct FeederData {
  std::string name;
  double base_freq_hz = 60;
  std::vector<double> voltage_bases_kv;  // the candidate bases, line-to-line
  std::vector<FeederBus> buses;
  std::vector<FeederLine> lines;
  std::vector<FeederTransformer> transformers;
  std::vector<FeederRegulator> regulators;
  std::vector<FeederLoad> loads;
  std::vector<FeederCapacitor> capacitors;
  std::vector<FeederSource> sources;
  std::vector<FeederDer> ders;
  std::string provenance;
  std::string notice;  // licence notice of the source data, kept with every copy

  int FindBus(absl::string_view name) const;  // -1 if missing (case-insensitive)
  int AddBus(absl::string_view name);           // existing index or a new bus
  int FindLine(absl::string_view name) const;
  int FindLoad(absl::string_view name) const;
  int FindTransformer(absl::string_view name) const;
};

// Sets every bus's kv_base by walking lines and transformers from the sources (switch states
// ignored) and snapping to the nearest of voltage_bases_kv when given.
absl::Status ComputeVoltageBases(FeederData* data);

// Structural checks: indices in range, matrix sizes, positive ratings. Names the element.
absl::Status ValidateFeeder(const FeederData& data);

// JSON form (bus references by name). Errors name the field.
std::string FeederToJson(const FeederData& data, int indent = 1);
absl::StatusOr<FeederData> FeederFromJson(absl::string_view text, absl::string_view origin);
absl::StatusOr<FeederData> LoadFeederFile(const std::string& path);  // .json or .dss
// A built-in name ("ieee123" -> data/feeders/ieee123.json) or a path (.json / .dss).
absl::StatusOr<FeederData> LoadFeeder(absl::string_view name_or_path);

// Resolves a regulator name as users write it: "RG4.a", "reg4a", "creg4a", "RG1" (ganged).
// Returns the regulator indices it names (several for a bank without a phase).
absl::StatusOr<std::vector<int>> FindRegulators(const FeederData& data, absl::string_view spec);
// Resolves a switch named by its line name ("Sw7") or by its buses ("54-94", "151-300").
absl::StatusOr<int> FindSwitchLine(const FeederData& data, absl::string_view spec);

// Adds a three-phase switch line (r = 0.001 ohm per the OpenDSS switch convention) from an
// existing bus to a bus (created if missing).
absl::StatusOr<int> AddSwitch(FeederData* data, absl::string_view name, absl::string_view from_bus,
                              absl::string_view to_bus, bool closed);

}  // namespace gridrl::powerflow
