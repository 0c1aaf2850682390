#include "agents/nn_heads.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace gridrl::agents {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 * log(2 pi)

double Softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
double Sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

// A categorical element over k logits with an optional mask: its allowed choices' probabilities
// (0 for masked ones) and the log-normaliser over the allowed logits.
struct Categorical {
  double lse = 0.0;
  bool any_allowed = false;
  bool Allowed(const bool* mask, int64_t j) const {
    return !any_allowed || mask == nullptr || mask[j];
  }
};

Categorical Normalise(const double* z, const bool* mask, int64_t k, double* p) {
  Categorical c;
  if (mask != nullptr) {
    for (int64_t j = 0; j < k; ++j) c.any_allowed |= mask[j];
  }
  double max = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < k; ++j) {
    if (c.Allowed(mask, j)) max = std::max(max, z[j]);
  }
  double sum = 0.0;
  for (int64_t j = 0; j < k; ++j) {
    p[j] = c.Allowed(mask, j) ? std::exp(z[j] - max) : 0.0;
    sum += p[j];
  }
  for (int64_t j = 0; j < k; ++j) p[j] /= sum;
  c.lse = max + std::log(sum);
  return c;
}

}  // namespace

absl::StatusOr<ActionHeads> ActionHeads::FromSpec(const env::EnvSpec& spec) {
  ActionHeads h;
  int64_t mask_offset = 0;
  for (const env::Leaf& leaf : spec.action_leaves) {
    const env::Space& s = *leaf.space;
    const std::string name = leaf.name.empty() ? std::string("action") : leaf.name;
    switch (s.kind) {
      case env::SpaceKind::kDiscrete:
        h.AddCategorical(name, {s.n}, spec.has_action_mask ? mask_offset : -1);
        h.heads_.back().start = s.start;
        h.heads_.back().leaf_is_discrete = true;
        mask_offset += s.n;
        break;
      case env::SpaceKind::kMultiDiscrete: {
        h.AddCategorical(name, s.nvec, spec.has_action_mask ? mask_offset : -1);
        for (int64_t n : s.nvec) mask_offset += n;
        break;
      }
      case env::SpaceKind::kMultiBinary:
        h.AddBernoulli(name, leaf.num_elements);
        break;
      case env::SpaceKind::kBox:
        if (leaf.dtype != env::DType::kFloat32 && leaf.dtype != env::DType::kFloat64) {
          return absl::InvalidArgumentError(absl::StrCat(
              "action '", name, "' of env '", spec.id, "' is a Box of ",
              env::DTypeName(leaf.dtype),
              "; PPO's heads handle Discrete, MultiDiscrete, MultiBinary and float Box actions"));
        }
        h.AddGaussian(name, leaf.num_elements, s.low, s.high);
        h.heads_.back().dtype = leaf.dtype;
        break;
      case env::SpaceKind::kDict:
        return absl::InvalidArgumentError(
            absl::StrCat("action '", name, "' of env '", spec.id, "' is a nested Dict leaf"));
    }
  }
  return h;
}

void ActionHeads::AddCategorical(std::string name, std::vector<int64_t> sizes,
                                 int64_t mask_offset) {
  Head head;
  head.kind = Kind::kCategorical;
  head.name = std::move(name);
  head.logit_offset = num_logits_;
  head.action_offset = action_size_;
  head.mask_offset = mask_offset;
  for (int64_t k : sizes) num_logits_ += k;
  action_size_ += static_cast<int64_t>(sizes.size());
  head.sizes = std::move(sizes);
  heads_.push_back(std::move(head));
}

void ActionHeads::AddBernoulli(std::string name, int64_t n) {
  Head head;
  head.kind = Kind::kBernoulli;
  head.name = std::move(name);
  head.logit_offset = num_logits_;
  head.action_offset = action_size_;
  head.sizes = {n};
  head.dtype = env::DType::kInt8;
  num_logits_ += n;
  action_size_ += n;
  heads_.push_back(std::move(head));
}

void ActionHeads::AddGaussian(std::string name, int64_t n, std::vector<double> low,
                              std::vector<double> high) {
  Head head;
  head.kind = Kind::kGaussian;
  head.name = std::move(name);
  head.logit_offset = num_logits_;
  head.action_offset = action_size_;
  head.log_std_offset = num_log_std_;
  head.sizes = {n};
  head.low = std::move(low);
  head.high = std::move(high);
  head.dtype = env::DType::kFloat32;
  num_logits_ += n;
  num_log_std_ += n;
  action_size_ += n;
  heads_.push_back(std::move(head));
}

double ActionHeads::Sample(const double* logits, const double* log_std, const bool* mask,
                           bool deterministic, env::Rng& rng, double* action) const {
  double logp = 0.0;
  std::vector<double> p;
  for (const Head& h : heads_) {
    const double* z = logits + h.logit_offset;
    double* a = action + h.action_offset;
    switch (h.kind) {
      case Kind::kCategorical: {
        const bool* m = (mask != nullptr && h.mask_offset >= 0) ? mask + h.mask_offset : nullptr;
        for (size_t e = 0; e < h.sizes.size(); ++e) {
          const int64_t k = h.sizes[e];
          p.resize(k);
          const Categorical c = Normalise(z, m, k, p.data());
          int64_t choice = 0;
          if (deterministic) {
            for (int64_t j = 1; j < k; ++j) {
              if (p[j] > p[choice]) choice = j;
            }
          } else {
            const double u = rng.Uniform();
            double cum = 0.0;
            choice = -1;
            for (int64_t j = 0; j < k; ++j) {
              cum += p[j];
              if (p[j] > 0.0 && u < cum) {
                choice = j;
                break;
              }
            }
            if (choice < 0) {  // rounding left u above the last partial sum: take the last allowed
              for (int64_t j = k; j-- > 0;) {
                if (p[j] > 0.0) {
                  choice = j;
                  break;
                }
              }
            }
          }
          a[e] = static_cast<double>(choice);
          logp += z[choice] - c.lse;
          z += k;
          if (m != nullptr) m += k;
        }
        break;
      }
      case Kind::kBernoulli:
        for (int64_t j = 0; j < h.sizes[0]; ++j) {
          const bool one = deterministic ? z[j] > 0.0 : rng.Uniform() < Sigmoid(z[j]);
          a[j] = one ? 1.0 : 0.0;
          logp -= one ? Softplus(-z[j]) : Softplus(z[j]);
        }
        break;
      case Kind::kGaussian: {
        const double* s = log_std + h.log_std_offset;
        for (int64_t j = 0; j < h.sizes[0]; ++j) {
          const double eps = deterministic ? 0.0 : rng.Normal();
          a[j] = z[j] + std::exp(s[j]) * eps;
          logp += -0.5 * eps * eps - s[j] - kHalfLog2Pi;
        }
        break;
      }
    }
  }
  return logp;
}

ActionHeads::Eval ActionHeads::Evaluate(const double* logits, const double* log_std,
                                        const bool* mask, const double* action,
                                        double* dlogp_dlogits, double* dent_dlogits,
                                        double* dlogp_dlogstd, double* dent_dlogstd) const {
  Eval out;
  std::vector<double> p;
  for (const Head& h : heads_) {
    const double* z = logits + h.logit_offset;
    const double* a = action + h.action_offset;
    double* gl = dlogp_dlogits ? dlogp_dlogits + h.logit_offset : nullptr;
    double* ge = dent_dlogits ? dent_dlogits + h.logit_offset : nullptr;
    switch (h.kind) {
      case Kind::kCategorical: {
        const bool* m = (mask != nullptr && h.mask_offset >= 0) ? mask + h.mask_offset : nullptr;
        for (size_t e = 0; e < h.sizes.size(); ++e) {
          const int64_t k = h.sizes[e];
          p.resize(k);
          const Categorical c = Normalise(z, m, k, p.data());
          const int64_t choice = static_cast<int64_t>(a[e]);
          out.logp += z[choice] - c.lse;
          double entropy = 0.0;
          for (int64_t j = 0; j < k; ++j) {
            if (p[j] > 0.0) entropy -= p[j] * (z[j] - c.lse);
          }
          out.entropy += entropy;
          for (int64_t j = 0; j < k; ++j) {
            if (gl) gl[j] = (j == choice ? 1.0 : 0.0) - p[j];
            if (ge) ge[j] = p[j] > 0.0 ? -p[j] * ((z[j] - c.lse) + entropy) : 0.0;
          }
          z += k;
          if (gl) gl += k;
          if (ge) ge += k;
          if (m != nullptr) m += k;
        }
        break;
      }
      case Kind::kBernoulli:
        for (int64_t j = 0; j < h.sizes[0]; ++j) {
          const double pj = Sigmoid(z[j]);
          out.logp -= a[j] > 0.5 ? Softplus(-z[j]) : Softplus(z[j]);
          out.entropy += pj * Softplus(-z[j]) + (1.0 - pj) * Softplus(z[j]);
          if (gl) gl[j] = a[j] - pj;
          if (ge) ge[j] = -z[j] * pj * (1.0 - pj);
        }
        break;
      case Kind::kGaussian: {
        const double* s = log_std + h.log_std_offset;
        double* gs = dlogp_dlogstd ? dlogp_dlogstd + h.log_std_offset : nullptr;
        double* gse = dent_dlogstd ? dent_dlogstd + h.log_std_offset : nullptr;
        for (int64_t j = 0; j < h.sizes[0]; ++j) {
          const double inv_std = std::exp(-s[j]);
          const double eps = (a[j] - z[j]) * inv_std;
          out.logp += -0.5 * eps * eps - s[j] - kHalfLog2Pi;
          out.entropy += s[j] + 0.5 + kHalfLog2Pi;
          if (gl) gl[j] = eps * inv_std;
          if (ge) ge[j] = 0.0;
          if (gs) gs[j] = eps * eps - 1.0;
          if (gse) gse[j] = 1.0;
        }
        break;
      }
    }
  }
  return out;
}

void ActionHeads::WriteAction(const double* action, env::ActionBatch& batch, int64_t row) const {
  for (size_t k = 0; k < heads_.size(); ++k) {
    const Head& h = heads_[k];
    std::byte* dst = batch.leaves[k].row(row);
    const double* a = action + h.action_offset;
    switch (h.kind) {
      case Kind::kCategorical:
        if (h.leaf_is_discrete) {
          reinterpret_cast<int64_t*>(dst)[0] = h.start + static_cast<int64_t>(a[0]);
        } else {
          for (size_t e = 0; e < h.sizes.size(); ++e) {
            reinterpret_cast<int64_t*>(dst)[e] = static_cast<int64_t>(a[e]);
          }
        }
        break;
      case Kind::kBernoulli:
        for (int64_t j = 0; j < h.sizes[0]; ++j) {
          reinterpret_cast<int8_t*>(dst)[j] = a[j] > 0.5 ? 1 : 0;
        }
        break;
      case Kind::kGaussian:
        for (int64_t j = 0; j < h.sizes[0]; ++j) {
          const double v = std::clamp(a[j], h.low[j], h.high[j]);
          if (h.dtype == env::DType::kFloat64) {
            reinterpret_cast<double*>(dst)[j] = v;
          } else {
            float f = static_cast<float>(v);
            // float rounding must not leave the bounds the env checks in double precision
            if (static_cast<double>(f) > h.high[j]) f = std::nextafter(f, -INFINITY);
            if (static_cast<double>(f) < h.low[j]) f = std::nextafter(f, INFINITY);
            reinterpret_cast<float*>(dst)[j] = f;
          }
        }
        break;
    }
  }
}

}  // namespace gridrl::agents
