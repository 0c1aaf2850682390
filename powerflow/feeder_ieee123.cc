#include "powerflow/feeder_ieee123.h"

#include "absl/strings/str_cat.h"

namespace gridrl::powerflow {

absl::StatusOr<Ieee123Resilience> BuildIeee123Resilience(const Ieee123ResilienceOptions& o) {
  absl::StatusOr<FeederData> loaded = LoadFeeder("ieee123");
  if (!loaded.ok()) return loaded.status();
  FeederData d = *std::move(loaded);
  d.name = "ieee123_resilience";
  Ieee123Resilience out;
  // The OpenDSS names of the switches the files already have, in the spec's order.
  const char* existing[12] = {"Sw1", "Sw2", "Sw3", "Sw4", "Sw6", "Sw5",
                              nullptr, nullptr, "Sw8", "Sw7", nullptr, nullptr};
  for (int k = 0; k < 12; ++k) {
    if (!existing[k]) continue;
    out.switch_line[k] = d.FindLine(existing[k]);
    if (out.switch_line[k] < 0)
      return absl::NotFoundError(absl::StrCat("ieee123 has no line ", existing[k]));
  }
  struct Tie {
    int spec_index;
    const char* from;
    const char* to;
  };
  const Tie ties[4] = {{6, "250", "251"}, {7, "450", "451"}, {10, "300", "350"}, {11, "95", "195"}};
  const double kv = d.buses[d.sources[0].bus].kv_base;
  for (int t = 0; t < 4; ++t) {
    const std::string name = absl::StrCat("Tie", ties[t].from, "_", ties[t].to);
    absl::StatusOr<int> line = AddSwitch(&d, name, ties[t].from, ties[t].to, /*closed=*/false);
    if (!line.ok()) return line.status();
    out.switch_line[ties[t].spec_index] = *line;
    FeederSource b;
    b.name = absl::StrCat("backup", ties[t].to);
    b.bus = d.FindBus(ties[t].to);
    b.kind = FeederSourceKind::kBackupFeeder;
    b.kv_ll = kv;
    b.max_kva = o.backup_max_kva;
    b.tie_switch = name;
    d.sources.push_back(b);
    out.backup_source[t] = static_cast<int>(d.sources.size()) - 1;
  }
  for (int g = 0; g < 4; ++g) {
    FeederDer der;
    der.name = absl::StrCat("der", o.der_buses[g]);
    der.bus = d.FindBus(o.der_buses[g]);
    if (der.bus < 0) return absl::NotFoundError(absl::StrCat("DER bus ", o.der_buses[g]));
    der.kva = o.der_kva;
    d.ders.push_back(der);
    out.der[g] = static_cast<int>(d.ders.size()) - 1;
  }
  absl::StatusOr<std::shared_ptr<const FeederModel>> model = FeederModel::Build(std::move(d));
  if (!model.ok()) return model.status();
  out.model = *model;
  return out;
}

}  // namespace gridrl::powerflow
