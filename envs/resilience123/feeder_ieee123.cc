#include "envs/resilience123/feeder_ieee123.h"

#include "absl/strings/str_cat.h"
#include "powerflow/network/feeder_data.h"

namespace gridrl::powerflow {
namespace {

// Spec switch k (0 = sw1) by its buses; sw5 is 61-610 in the spec, 61-61s in the data (the
// transformer XFM1 61s-610 follows it), so both spellings are tried.
constexpr std::array<std::array<const char*, 2>, 12> kSwitchBuses = {{
    {"150r-149", ""}, {"13-152", ""}, {"18-135", ""}, {"60-160", ""}, {"61-610", "61-61s"},
    {"97-197", ""}, {"250-251", ""}, {"450-451", ""}, {"54-94", ""}, {"151-300", ""},
    {"300-350", ""}, {"95-195", ""},
}};
// The four ties the OpenDSS files lack (from an existing bus to the backup feeder's bus).
constexpr std::array<std::array<const char*, 2>, 4> kTies = {{
    {"250", "251"}, {"450", "451"}, {"300", "350"}, {"95", "195"},
}};

}  // namespace

absl::StatusOr<Ieee123Resilience> BuildIeee123Resilience(const Ieee123ResilienceOptions& o) {
  absl::StatusOr<FeederData> loaded = LoadFeeder(o.feeder);
  if (!loaded.ok()) return loaded.status();
  FeederData d = *std::move(loaded);
  auto need_bus = [&](const std::string& name) -> absl::Status {
    if (d.FindBus(name) >= 0) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "bus ", name, " needed by the resilience feeder is missing from '", o.feeder, "'"));
  };
  Ieee123Resilience out;
  out.substation = -1;
  for (size_t k = 0; k < d.sources.size(); ++k) {
    if (d.sources[k].kind == FeederSourceKind::kSubstation) {
      out.substation = static_cast<int>(k);
      break;
    }
  }
  if (out.substation < 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", o.feeder, "' has no substation source"));
  }
  for (int t = 0; t < 4; ++t) {
    if (absl::Status s = need_bus(kTies[t][0]); !s.ok()) return s;
    const std::string name = absl::StrCat("Tie", kTies[t][0], "_", kTies[t][1]);
    absl::StatusOr<int> line = AddSwitch(&d, name, kTies[t][0], kTies[t][1], /*closed=*/false);
    if (!line.ok()) return line.status();
    FeederSource b;
    b.name = absl::StrCat("Backup", kTies[t][1]);
    b.bus = d.FindBus(kTies[t][1]);
    b.kind = FeederSourceKind::kBackupFeeder;
    b.kv_ll = d.sources[out.substation].kv_ll;
    b.pu = 1.0;
    b.max_kva = o.backup_max_kva;
    b.tie_switch = name;
    d.sources.push_back(b);
    out.backup_source[t] = static_cast<int>(d.sources.size()) - 1;
  }
  d.ders.clear();
  for (int g = 0; g < 4; ++g) {
    if (absl::Status s = need_bus(o.der_buses[g]); !s.ok()) return s;
    FeederDer der;
    der.name = absl::StrCat("Der", o.der_buses[g]);
    der.bus = d.FindBus(o.der_buses[g]);
    der.kva = o.der_kva;
    d.ders.push_back(der);
    out.der[g] = g;
  }
  if (absl::Status s = ComputeVoltageBases(&d); !s.ok()) return s;
  for (int k = 0; k < 12; ++k) {
    absl::StatusOr<int> l = FindSwitchLine(d, kSwitchBuses[k][0]);
    if (!l.ok() && kSwitchBuses[k][1][0] != '\0') l = FindSwitchLine(d, kSwitchBuses[k][1]);
    if (!l.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("switch sw", k + 1, " (", kSwitchBuses[k][0],
                                                     ") not found in '", o.feeder, "'"));
    }
    out.switch_line[k] = *l;
  }
  absl::StatusOr<std::shared_ptr<const FeederModel>> model = FeederModel::Build(std::move(d));
  if (!model.ok()) return model.status();
  out.model = *model;
  return out;
}

}  // namespace gridrl::powerflow
