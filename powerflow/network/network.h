// The network model: buses, generators, branches, costs and areas of a transmission or distribution
// case, in MATPOWER's conventions (per-unit impedances on base_mva, loads in MW/MVAr, angles in
// degrees, external bus numbers). This is plain data, read from MATPOWER files or the project's
// JSON cases and compiled into a `Grid` (grid.h) for solving. Invariants after `Validate`: bus ids
// are unique and positive, every generator and branch refers to an existing bus.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridrl::powerflow {

enum class BusType : int { kPQ = 1, kPV = 2, kRef = 3, kIsolated = 4 };

struct Bus {
  int id = 0;
  BusType type = BusType::kPQ;
  double pd_mw = 0, qd_mvar = 0;  // constant-power load
  double gs_mw = 0, bs_mvar = 0;  // shunt at V = 1 pu
  int area = 1;
  double vm_pu = 1, va_deg = 0;  // initial (or stored solved) voltage
  double base_kv = 0;
  int zone = 1;
  double vmax_pu = 1.1, vmin_pu = 0.9;
};

struct Generator {
  int bus_id = 0;
  double pg_mw = 0, qg_mvar = 0;
  double qmax_mvar = 0, qmin_mvar = 0;
  double vg_pu = 1;
  double mbase_mva = 100;
  bool in_service = true;
  double pmax_mw = 0, pmin_mw = 0;
};

struct Branch {
  int from_id = 0, to_id = 0;
  double r_pu = 0, x_pu = 0, b_pu = 0;  // series impedance, total line charging
  double rate_a_mva = 0, rate_b_mva = 0, rate_c_mva = 0;  // 0 = unlimited
  double tap = 0;        // off-nominal ratio at the from end; 0 means 1 (a line)
  double shift_deg = 0;  // phase shift at the from end
  bool in_service = true;
  double angmin_deg = -360, angmax_deg = 360;
};

// MATPOWER gencost row: model 1 = piecewise linear (x1 y1 ... xn yn), 2 = polynomial (c(n-1)..c0).
struct GenCost {
  int model = 2;
  double startup = 0, shutdown = 0;
  std::vector<double> params;
};

struct Area {
  int id = 0;
  int ref_bus_id = 0;
};

// A two-terminal DC line (MATPOWER dcline columns), modelled in the AC power flow as fixed
// injections at its ends: -pf_mw + j qf_mvar at the from bus, +pt_mw + j qt_mvar at the to bus.
// Its terminal voltage set-points are not enforced (the buses keep their own PV/PQ role).
struct DcLine {
  int from_id = 0, to_id = 0;
  bool in_service = true;
  double pf_mw = 0, pt_mw = 0, qf_mvar = 0, qt_mvar = 0;
  double vf_pu = 1, vt_pu = 1;
  double pmin_mw = 0, pmax_mw = 0;
  double qminf_mvar = 0, qmaxf_mvar = 0, qmint_mvar = 0, qmaxt_mvar = 0;
  double loss0_mw = 0, loss1 = 0;
};

struct Network {
  std::string name;
  std::string source;  // where it came from (file name), for messages
  std::string notice;  // data-use notice that must travel with copies of the data (may be empty)
  double base_mva = 100;
  std::vector<Bus> buses;
  std::vector<Generator> gens;
  std::vector<Branch> branches;
  std::vector<GenCost> gencost;
  std::vector<Area> areas;
  std::vector<DcLine> dclines;

  // Checks the invariants above; the message names the table, row and field.
  absl::Status Validate() const;
  // Bus id -> position in `buses`; built by `Validate`-checked data.
  absl::flat_hash_map<int, int> BusIndex() const;
  // Position of the bus with this id, or NotFound.
  absl::StatusOr<int> FindBus(int id) const;
};

}  // namespace gridrl::powerflow
