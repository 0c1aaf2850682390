// The IEEE 123 feeder as the resilience123 environment uses it (spec section 1): the built-in
// `ieee123` (published taps, normal switch states) plus the four ties the OpenDSS files lack
// (250-251, 450-451, 300-350, 95-195) with a backup feeder behind each (ideal 1.0 pu source,
// 1000 kVA, energised only while its tie is closed) and the four DERs (49, 21, 105, 56; 350.35
// kVA, grid-forming in islands without a grid source). Build once, share the model.
#pragma once

#include <array>
#include <memory>

#include "absl/status/statusor.h"
#include "powerflow/feeder_solver.h"

namespace gridrl::powerflow {

struct Ieee123ResilienceOptions {
  double backup_max_kva = 1000;
  double der_kva = 350.35;
  std::array<const char*, 4> der_buses{"49", "21", "105", "56"};
};

struct Ieee123Resilience {
  std::shared_ptr<const FeederModel> model;
  // Line index of the spec's sw1..sw12 (sw1 = 150r-149, sw5 = 61-61s which feeds the 61-610
  // transformer, sw9 = 54-94 phase A, sw10 = 151-300, sw7/8/11/12 = the added ties).
  std::array<int, 12> switch_line{};
  // Source index of the backup feeders behind sw7, sw8, sw11, sw12 (buses 251, 451, 350, 195).
  std::array<int, 4> backup_source{};
  std::array<int, 4> der{};  // DER index at 49, 21, 105, 56
  int substation = 0;        // source index of the substation (bus 150)
};

absl::StatusOr<Ieee123Resilience> BuildIeee123Resilience(
    const Ieee123ResilienceOptions& options = {});

}  // namespace gridrl::powerflow
