// DC power flow (lossless, Vm = 1, small angles): B theta = P, with tap ratios and phase shifters
// as in MATPOWER's makeBdc. It reads statuses, dispatch and loads from an `AcPowerFlow`'s inputs,
// so the same islands and slack choice apply (REF buses, else the largest in-service generator;
// islands without generation are de-energized). Meant for screening and initial guesses; it
// builds and factors its matrix per call.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "powerflow/transmission/ac_power_flow.h"

namespace gridrl::powerflow {

struct DcPowerFlowResult {
  std::vector<double> va_deg;     // per bus; 0 where de-energized
  std::vector<char> energized;
  std::vector<double> p_from_mw;  // per branch, from end (the to end is its negative)
  std::vector<double> slack_p_mw; // per bus: generation picked up by slack buses (0 elsewhere)
  double unserved_mw = 0;
};

absl::StatusOr<DcPowerFlowResult> SolveDcPowerFlow(const AcPowerFlow& inputs);

}  // namespace gridrl::powerflow
