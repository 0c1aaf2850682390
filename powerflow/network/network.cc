#include "powerflow/network/network.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace gridrl::powerflow {
namespace {

absl::Status RowError(const Network& net, absl::string_view table, size_t row,
                      absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(net.source.empty() ? net.name : net.source, ": ",
                                                 table, " row ", row + 1, ", field ", field, ": ",
                                                 what));
}

}  // namespace

absl::flat_hash_map<int, int> Network::BusIndex() const {
  absl::flat_hash_map<int, int> index;
  index.reserve(buses.size());
  for (size_t i = 0; i < buses.size(); ++i) index.emplace(buses[i].id, static_cast<int>(i));
  return index;
}

absl::StatusOr<int> Network::FindBus(int id) const {
  for (size_t i = 0; i < buses.size(); ++i) {
    if (buses[i].id == id) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat("bus ", id, " not found in case '", name, "'"));
}

absl::Status Network::Validate() const {
  if (!(base_mva > 0) || !std::isfinite(base_mva)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source.empty() ? name : source, ": baseMVA must be positive, got ", base_mva));
  }
  if (buses.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source.empty() ? name : source, ": the case has no buses"));
  }
  absl::flat_hash_map<int, int> index;
  for (size_t i = 0; i < buses.size(); ++i) {
    const Bus& b = buses[i];
    if (b.id <= 0) return RowError(*this, "bus", i, "bus_i", "bus numbers must be positive");
    if (!index.emplace(b.id, static_cast<int>(i)).second) {
      return RowError(*this, "bus", i, "bus_i", absl::StrCat("duplicate bus number ", b.id));
    }
    int t = static_cast<int>(b.type);
    if (t < 1 || t > 4) return RowError(*this, "bus", i, "type", "must be 1 (PQ), 2 (PV), 3 (REF) or 4");
    for (double v : {b.pd_mw, b.qd_mvar, b.gs_mw, b.bs_mvar, b.vm_pu, b.va_deg}) {
      if (!std::isfinite(v)) return RowError(*this, "bus", i, "Pd/Qd/Gs/Bs/Vm/Va", "not finite");
    }
  }
  for (size_t i = 0; i < gens.size(); ++i) {
    const Generator& g = gens[i];
    if (!index.contains(g.bus_id)) {
      return RowError(*this, "gen", i, "bus", absl::StrCat("unknown bus ", g.bus_id));
    }
    if (!std::isfinite(g.pg_mw) || !std::isfinite(g.vg_pu) || g.vg_pu <= 0) {
      return RowError(*this, "gen", i, "Pg/Vg", "Pg must be finite and Vg positive");
    }
  }
  for (size_t i = 0; i < branches.size(); ++i) {
    const Branch& br = branches[i];
    if (!index.contains(br.from_id)) {
      return RowError(*this, "branch", i, "fbus", absl::StrCat("unknown bus ", br.from_id));
    }
    if (!index.contains(br.to_id)) {
      return RowError(*this, "branch", i, "tbus", absl::StrCat("unknown bus ", br.to_id));
    }
    if (br.from_id == br.to_id) {
      return RowError(*this, "branch", i, "tbus", "a branch must join two different buses");
    }
    if (!std::isfinite(br.r_pu) || !std::isfinite(br.x_pu) || !std::isfinite(br.b_pu)) {
      return RowError(*this, "branch", i, "r/x/b", "not finite");
    }
    if (br.r_pu == 0 && br.x_pu == 0) {
      return RowError(*this, "branch", i, "r/x", "zero impedance (r = x = 0) is not supported");
    }
    if (br.tap < 0 || !std::isfinite(br.tap)) {
      return RowError(*this, "branch", i, "ratio", "must be 0 (none) or positive");
    }
  }
  for (size_t i = 0; i < dclines.size(); ++i) {
    if (!index.contains(dclines[i].from_id)) {
      return RowError(*this, "dcline", i, "fbus", absl::StrCat("unknown bus ", dclines[i].from_id));
    }
    if (!index.contains(dclines[i].to_id)) {
      return RowError(*this, "dcline", i, "tbus", absl::StrCat("unknown bus ", dclines[i].to_id));
    }
  }
  return absl::OkStatus();
}

}  // namespace gridrl::powerflow
