#include "envs/uc_rts96/heuristics.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace gridrl::agents {
namespace {

using env::uc::kDaFeaturesPerAction;
using env::uc::UcModel;

class RandomPolicy final : public DaPolicy {
 public:
  explicit RandomPolicy(std::shared_ptr<const UcModel> m) : m_(std::move(m)) {}
  std::string name() const override { return "random"; }
  int Act(std::span<const double> net, std::span<const double>, env::Rng& rng) const override {
    return env::uc::RandomAction(*m_, net, rng);
  }

 private:
  std::shared_ptr<const UcModel> m_;
};

class CostPolicy final : public DaPolicy {
 public:
  explicit CostPolicy(std::shared_ptr<const UcModel> m) : m_(std::move(m)) {}
  std::string name() const override { return "cost"; }
  int Act(std::span<const double> net, std::span<const double>, env::Rng&) const override {
    return m_->CostAction(net);
  }

 private:
  std::shared_ptr<const UcModel> m_;
};

class ElasticPolicy final : public DaPolicy {
 public:
  explicit ElasticPolicy(std::shared_ptr<const UcModel> m) : m_(std::move(m)) {}
  std::string name() const override { return "elastic"; }
  int Act(std::span<const double> net, std::span<const double>, env::Rng&) const override {
    return m_->ElasticAction(net);
  }

 private:
  std::shared_ptr<const UcModel> m_;
};

class PsiPolicy final : public DaPolicy {
 public:
  explicit PsiPolicy(std::vector<double> psi) : psi_(std::move(psi)) {}
  std::string name() const override { return "iapi"; }
  int Act(std::span<const double>, std::span<const double> phi, env::Rng& rng) const override {
    return ArgmaxLinear(phi, psi_, rng);
  }

 private:
  std::vector<double> psi_;
};

}  // namespace

int ArgmaxLinear(std::span<const double> phi, std::span<const double> psi, env::Rng& rng) {
  const int n = static_cast<int>(phi.size() / kDaFeaturesPerAction);
  double best = -1e300;
  int best_a = 0, ties = 0;
  for (int a = 0; a < n; ++a) {
    double v = 0;
    for (int i = 0; i < kDaFeaturesPerAction; ++i) v += psi[i] * phi[a * kDaFeaturesPerAction + i];
    if (v > best + 1e-12) {
      best = v;
      best_a = a;
      ties = 1;
    } else if (std::abs(v - best) <= 1e-12) {
      ++ties;
      if (rng.UniformInt(ties) == 0) best_a = a;
    }
  }
  return best_a;
}

absl::StatusOr<std::unique_ptr<DaPolicy>> MakeDaPolicy(const std::string& name,
                                                       std::shared_ptr<const UcModel> model,
                                                       std::vector<double> psi) {
  if (name == "random") return std::make_unique<RandomPolicy>(std::move(model));
  if (name == "cost") return std::make_unique<CostPolicy>(std::move(model));
  if (name == "elastic") return std::make_unique<ElasticPolicy>(std::move(model));
  if (name == "psi" || name == "iapi") {
    if (psi.size() != kDaFeaturesPerAction) {
      return absl::InvalidArgumentError(absl::StrCat("psi: ", kDaFeaturesPerAction,
                                                     " weights expected, got ", psi.size()));
    }
    for (double v : psi) {
      if (!std::isfinite(v)) return absl::InvalidArgumentError("psi: weights must be finite");
    }
    return std::make_unique<PsiPolicy>(std::move(psi));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("day-ahead policy '", name, "': expected random, cost, elastic or psi"));
}

}  // namespace gridrl::agents
