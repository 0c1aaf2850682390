#include "powerflow/radial/radial_sweep.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_format.h"

namespace gridrl::powerflow {

absl::Status ValidateRadialTopology(std::span<const int> order, std::span<const int> parent,
                                    int num_buses) {
  if (static_cast<int>(parent.size()) != num_buses) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "parent: expected one entry per bus (%d), got %d", num_buses, parent.size()));
  }
  std::vector<int> position(num_buses, -1);
  for (size_t k = 0; k < order.size(); ++k) {
    const int b = order[k];
    if (b < 0 || b >= num_buses) {
      return absl::InvalidArgumentError(
          absl::StrFormat("order[%d]: bus %d out of range [0, %d)", k, b, num_buses));
    }
    if (position[b] >= 0) {
      return absl::InvalidArgumentError(absl::StrFormat("order[%d]: bus %d listed twice", k, b));
    }
    const int p = parent[b];
    if (p >= 0) {
      if (p >= num_buses || position[p] < 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "parent[%d] = %d: the parent must be an energised bus listed earlier in order", b, p));
      }
    } else if (p != -1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("parent[%d] = %d: expected -1 (root) or a bus index", b, p));
    }
    position[b] = static_cast<int>(k);
  }
  return absl::OkStatus();
}

RadialSweepResult SolveRadialSweep(const RadialSweepData& d, const RadialSweepOptions& options,
                                   bool warm_start) {
  RadialSweepResult result;
  const size_t m = d.order.size();
  if (!warm_start) {
    for (size_t k = 0; k < m; ++k) {
      const int b = d.order[k];
      d.v_re[b] = d.parent[b] < 0 ? d.root_vm_pu[b] : d.v_re[d.parent[b]];
      d.v_im[b] = 0.0;
    }
  }
  for (int it = 1; it <= options.max_iterations; ++it) {
    // Backward: load current conj(S / V) = (P - jQ) / conj(V), then add each bus's current into
    // its parent's (children come after parents in `order`, so walk it backwards).
    for (size_t k = 0; k < m; ++k) {
      const int b = d.order[k];
      const double vr = d.v_re[b], vi = d.v_im[b];
      const double inv = 1.0 / (vr * vr + vi * vi);
      const double p = d.p_pu[b], q = d.q_pu[b];
      d.i_re[b] = (p * vr + q * vi) * inv;
      d.i_im[b] = (p * vi - q * vr) * inv;
    }
    for (size_t k = m; k-- > 0;) {
      const int b = d.order[k];
      const int p = d.parent[b];
      if (p >= 0) {
        d.i_re[p] += d.i_re[b];
        d.i_im[p] += d.i_im[b];
      }
    }
    // Forward: V_b = V_parent - Z_b J_b.
    double change = 0.0;
    double vmin2 = 1e300;
    for (size_t k = 0; k < m; ++k) {
      const int b = d.order[k];
      const int p = d.parent[b];
      double nr, ni;
      if (p < 0) {
        nr = d.root_vm_pu[b];
        ni = 0.0;
      } else {
        const double zr = d.z_re_pu[b], zi = d.z_im_pu[b];
        const double jr = d.i_re[b], ji = d.i_im[b];
        nr = d.v_re[p] - (zr * jr - zi * ji);
        ni = d.v_im[p] - (zr * ji + zi * jr);
      }
      change = std::max(change, std::abs(nr - d.v_re[b]) + std::abs(ni - d.v_im[b]));
      d.v_re[b] = nr;
      d.v_im[b] = ni;
      vmin2 = std::min(vmin2, nr * nr + ni * ni);
    }
    result.iterations = it;
    result.max_change_pu = change;
    if (!(vmin2 >= options.collapse_vm_pu * options.collapse_vm_pu)) return result;
    if (change <= options.tolerance_pu) {
      result.converged = true;
      return result;
    }
  }
  return result;
}

}  // namespace gridrl::powerflow
