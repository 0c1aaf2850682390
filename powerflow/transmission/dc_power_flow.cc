#include "powerflow/transmission/dc_power_flow.h"

#include <cmath>
#include <numbers>

#include "Eigen/SparseCore"
#include "Eigen/SparseLU"
#include "absl/strings/str_cat.h"

namespace gridrl::powerflow {

absl::StatusOr<DcPowerFlowResult> SolveDcPowerFlow(const AcPowerFlow& in) {
  const Grid& g = in.grid();
  const Network& net = g.network();
  const int nb = g.num_buses(), nl = g.num_branches(), ng = g.num_gens();
  const double base = g.base_mva();
  constexpr double kRad = std::numbers::pi / 180.0;
  // Islands by union-find over in-service branches.
  std::vector<int> dsu(nb);
  for (int i = 0; i < nb; ++i) dsu[i] = i;
  auto find = [&](int x) {
    while (dsu[x] != x) x = dsu[x] = dsu[dsu[x]];
    return x;
  };
  for (int l = 0; l < nl; ++l) {
    if (!in.branch_in_service(l)) continue;
    int a = find(g.branch_from()[l]), b = find(g.branch_to()[l]);
    if (a != b) dsu[std::max(a, b)] = std::min(a, b);
  }
  std::vector<char> has_ref(nb, 0), has_gen(nb, 0);
  std::vector<int> best(nb, -1);
  std::vector<double> best_size(nb, -1);
  std::vector<char> bus_gen_on(nb, 0);
  for (int k = 0; k < ng; ++k) {
    if (in.gen_in_service(k)) bus_gen_on[g.gen_bus()[k]] = 1;
  }
  // Same rule as the AC solver: a REF bus is a slack while one of its units is in service.
  auto ref_active = [&](int i) {
    return g.base_bus_type()[i] == BusType::kRef && (bus_gen_on[i] || !g.bus_has_generator()[i]);
  };
  for (int i = 0; i < nb; ++i) {
    if (ref_active(i)) has_ref[find(i)] = 1;
  }
  std::vector<double> pinj(nb, 0);  // per unit
  for (int k = 0; k < ng; ++k) {
    if (!in.gen_in_service(k)) continue;
    const int b = g.gen_bus()[k], r = find(b);
    has_gen[r] = 1;
    pinj[b] += in.gen_p_setpoint_mw(k) / base;
    if (net.gens[k].pmax_mw > best_size[r]) {
      best_size[r] = net.gens[k].pmax_mw;
      best[r] = b;
    }
  }
  for (const DcLine& d : net.dclines) {
    if (!d.in_service) continue;
    pinj[g.FindBusIndex(d.from_id)] -= d.pf_mw / base;
    pinj[g.FindBusIndex(d.to_id)] += d.pt_mw / base;
  }
  DcPowerFlowResult res;
  res.va_deg.assign(nb, 0);
  res.energized.assign(nb, 0);
  res.p_from_mw.assign(nl, 0);
  res.slack_p_mw.assign(nb, 0);
  std::vector<char> slack(nb, 0);
  for (int i = 0; i < nb; ++i) {
    const int r = find(i);
    const bool live = g.base_bus_type()[i] != BusType::kIsolated && (has_ref[r] || has_gen[r]);
    res.energized[i] = live;
    pinj[i] -= in.load_p_mw(i) / base + net.buses[i].gs_mw / base;
    if (!live) {
      res.unserved_mw += in.load_p_mw(i);
      continue;
    }
    if (ref_active(i) || (!has_ref[r] && best[r] == i)) slack[i] = 1;
  }
  // Unknown numbering: live, non-slack buses.
  std::vector<int> var(nb, -1);
  int n = 0;
  for (int i = 0; i < nb; ++i) {
    if (res.energized[i] && !slack[i]) var[i] = n++;
  }
  std::vector<double> theta(nb, 0);
  for (int i = 0; i < nb; ++i) {
    if (slack[i]) theta[i] = net.buses[i].va_deg * kRad;
  }
  std::vector<Eigen::Triplet<double>> trip;
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
  std::vector<double> pshift(nb, 0);
  for (int l = 0; l < nl; ++l) {
    if (!in.branch_in_service(l)) continue;
    const Branch& br = net.branches[l];
    const double tap = br.tap == 0 ? 1.0 : br.tap;
    const double b = 1.0 / (br.x_pu * tap);
    const int f = g.branch_from()[l], t = g.branch_to()[l];
    const double pfinj = -b * br.shift_deg * kRad;
    pshift[f] += pfinj;
    pshift[t] -= pfinj;
    const int vf = var[f], vt = var[t];
    if (vf >= 0) trip.emplace_back(vf, vf, b);
    if (vt >= 0) trip.emplace_back(vt, vt, b);
    if (vf >= 0 && vt >= 0) {
      trip.emplace_back(vf, vt, -b);
      trip.emplace_back(vt, vf, -b);
    }
    if (vf >= 0 && vt < 0) rhs[vf] += b * theta[t];
    if (vt >= 0 && vf < 0) rhs[vt] += b * theta[f];
  }
  for (int i = 0; i < nb; ++i) {
    if (var[i] >= 0) rhs[var[i]] += pinj[i] - pshift[i];
  }
  if (n > 0) {
    Eigen::SparseMatrix<double> bmat(n, n);
    bmat.setFromTriplets(trip.begin(), trip.end());
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.compute(bmat);
    if (lu.info() != Eigen::Success) {
      return absl::FailedPreconditionError(
          absl::StrCat("DC power flow: singular B matrix for case '", net.name, "'"));
    }
    Eigen::VectorXd x = lu.solve(rhs);
    for (int i = 0; i < nb; ++i) {
      if (var[i] >= 0) theta[i] = x[var[i]];
    }
  }
  for (int l = 0; l < nl; ++l) {
    if (!in.branch_in_service(l)) continue;
    const Branch& br = net.branches[l];
    const double tap = br.tap == 0 ? 1.0 : br.tap;
    const double b = 1.0 / (br.x_pu * tap);
    const int f = g.branch_from()[l], t = g.branch_to()[l];
    if (!res.energized[f]) continue;
    const double pf = b * (theta[f] - theta[t]) - b * br.shift_deg * kRad;
    res.p_from_mw[l] = pf * base;
    if (slack[f]) res.slack_p_mw[f] += pf * base;
    if (slack[t]) res.slack_p_mw[t] -= pf * base;
  }
  for (int i = 0; i < nb; ++i) {
    if (slack[i]) res.slack_p_mw[i] -= pinj[i] * base;  // balance beyond the bus's own injection
    if (res.energized[i]) res.va_deg[i] = theta[i] / kRad;
  }
  return res;
}

}  // namespace gridrl::powerflow
