// The reference policy: a deterministic, state-free choice of action from (env id, the env's own
// step counter, its current mask). It takes masked choices into account, covers every space
// kind, and is simple enough to port exactly (tests/python/reference_policy.py does), so rollouts
// through different transports and languages can be compared row for row.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "env/env.h"

namespace gridrl::env {

// The action of env `id` at its own step `t`, given its current mask row (may be null).
inline void PolicyRow(const EnvSpec& spec, int32_t id, int64_t t, const bool* mask,
                      ActionBatch& actions, int64_t row) {
  int64_t mask_offset = 0;
  for (size_t k = 0; k < spec.action_leaves.size(); ++k) {
    const Leaf& leaf = spec.action_leaves[k];
    const Space& s = *leaf.space;
    std::byte* dst = actions.leaves[k].row(row);
    const int64_t h = t * 7 + id * 3 + static_cast<int64_t>(k);
    switch (s.kind) {
      case SpaceKind::kDiscrete: {
        int64_t choice = h % s.n;
        if (mask != nullptr) {  // the first allowed value at or after `choice`, cyclically
          for (int64_t step = 0; step < s.n; ++step) {
            int64_t c = (choice + step) % s.n;
            if (mask[mask_offset + c]) {
              choice = c;
              break;
            }
          }
        }
        reinterpret_cast<int64_t*>(dst)[0] = s.start + choice;
        mask_offset += s.n;
        break;
      }
      case SpaceKind::kMultiDiscrete:
        for (size_t j = 0; j < s.nvec.size(); ++j) {
          int64_t choice = (h + static_cast<int64_t>(j)) % s.nvec[j];
          if (mask != nullptr) {
            for (int64_t step = 0; step < s.nvec[j]; ++step) {
              int64_t c = (choice + step) % s.nvec[j];
              if (mask[mask_offset + c]) {
                choice = c;
                break;
              }
            }
          }
          reinterpret_cast<int64_t*>(dst)[j] = choice;
          mask_offset += s.nvec[j];
        }
        break;
      case SpaceKind::kMultiBinary:
        for (int64_t j = 0; j < leaf.num_elements; ++j) {
          reinterpret_cast<int8_t*>(dst)[j] = static_cast<int8_t>((h + j) % 2);
        }
        break;
      case SpaceKind::kBox:
        for (int64_t j = 0; j < leaf.num_elements; ++j) {
          double lo = std::max(s.low[j], -1e3), hi = std::min(s.high[j], 1e3);
          double v = lo + (hi - lo) * static_cast<double>((h * 13 + j * 5) % 11) / 10.0;
          if (leaf.dtype == DType::kFloat32) reinterpret_cast<float*>(dst)[j] = float(v);
          if (leaf.dtype == DType::kFloat64) reinterpret_cast<double*>(dst)[j] = v;
          if (leaf.dtype == DType::kInt32) {
            reinterpret_cast<int32_t*>(dst)[j] = static_cast<int32_t>(std::floor(v));
          }
        }
        break;
      case SpaceKind::kDict: break;
    }
  }
}

}  // namespace gridrl::env
