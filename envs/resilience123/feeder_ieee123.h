// The IEEE 123 feeder as the resilience123 environment uses it (spec section 1): a feeder with the
// IEEE 123 buses (the built-in `ieee123`, published taps and normal switch states, or a file),
// plus the four ties the OpenDSS files lack (250-251, 450-451, 300-350, 95-195) with a backup
// feeder behind each (ideal 1.0 pu source, energised only while its tie is closed) and the four
// DERs (49, 21, 105, 56; grid-forming in islands without a grid source). The one builder of this
// feeder: the environment and the power-flow tests use it. Build once, share the model.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "powerflow/distribution/feeder_solver.h"

namespace gridrl::powerflow {

struct Ieee123ResilienceOptions {
  std::string feeder = "ieee123";  // built-in name or path; must have the IEEE 123 buses
  double backup_max_kva = 1000;
  double der_kva = 350.35;
  std::array<std::string, 4> der_buses{"49", "21", "105", "56"};
};

// Spec switch index (0 = sw1) of the tie in front of each backup feeder: sw7, sw8, sw11, sw12.
inline constexpr std::array<int, 4> kIeee123TieSwitch = {6, 7, 10, 11};

struct Ieee123Resilience {
  std::shared_ptr<const FeederModel> model;
  // Line index of the spec's sw1..sw12 (sw1 = 150r-149, sw5 = 61-61s which feeds the 61-610
  // transformer, sw9 = 54-94 phase A, sw10 = 151-300, sw7/8/11/12 = the added ties).
  std::array<int, 12> switch_line{};
  // Source index of the backup feeders behind sw7, sw8, sw11, sw12 (buses 251, 451, 350, 195).
  std::array<int, 4> backup_source{};
  std::array<int, 4> der{};  // DER index at options.der_buses (49, 21, 105, 56)
  int substation = 0;        // source index of the substation (bus 150)
};

// Errors name the feeder and what is missing (a bus, a switch, the substation source).
absl::StatusOr<Ieee123Resilience> BuildIeee123Resilience(
    const Ieee123ResilienceOptions& options = {});

}  // namespace gridrl::powerflow
