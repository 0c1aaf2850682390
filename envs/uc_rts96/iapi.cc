#include "envs/uc_rts96/iapi.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>
#include <thread>

#include "absl/strings/str_cat.h"
#include "env/rng.h"
#include "nlohmann/json.hpp"

namespace gridrl::agents {
namespace {

using env::Rng;
using env::uc::kDaFeaturesPerAction;
using env::uc::kHours;
using env::uc::kRtFeatures;
using env::uc::UcSim;

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return x;
}

double Dot(const std::array<double, 15>& a, const double* b) {
  double s = 0;
  for (int i = 0; i < kRtFeatures; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

absl::Status IapiOptions::Validate() const {
  if (iterations < 1) return absl::InvalidArgumentError("iterations: must be >= 1");
  if (candidates < 2) return absl::InvalidArgumentError("candidates: must be >= 2");
  if (!(elite_fraction > 0 && elite_fraction <= 1)) {
    return absl::InvalidArgumentError("elite_fraction: must be in (0, 1]");
  }
  if (static_cast<int>(elite_fraction * candidates) < 1) {
    return absl::InvalidArgumentError("elite_fraction x candidates: must keep at least one");
  }
  if (initial_days < 1) return absl::InvalidArgumentError("initial_days: must be >= 1");
  if (!(std_scale >= 0) || !(alpha0 > 0) || !(gamma >= 0 && gamma <= 1)) {
    return absl::InvalidArgumentError("std_scale >= 0, alpha0 > 0 and gamma in [0, 1] expected");
  }
  if (threads < 1) return absl::InvalidArgumentError("threads: must be >= 1");
  return absl::OkStatus();
}

CandidateResult ScoreCandidate(UcSim& sim, const std::vector<double>& psi,
                               const IapiOptions& options, uint64_t seed,
                               std::vector<VisitedState>* visited) {
  CandidateResult out;
  out.psi = psi;
  Rng rng(seed);
  Rng ties(Mix(seed, 0x7135));
  std::vector<std::array<double, 15>> phis;
  phis.reserve(static_cast<size_t>(options.initial_days) * kHours);
  std::array<double, 15> phi{}, next{};
  double reward_sum = 0;
  int64_t c = 0;
  auto& theta = out.theta;
  for (int day = 0; day < options.initial_days; ++day) {
    sim.StartEpisode(rng, env::uc::StressDayOfRollout(day));
    const int a = env::uc::PsiAction(sim.model(), sim.net_demand_forecast(), psi, ties);
    out.actions.push_back(a);
    sim.Commit(a);
    double r = 0;
    for (int h = 0; h < kHours; ++h) {
      sim.RealiseHour(rng);
      sim.LoadSchedule();
      sim.HeuristicRedispatch();
      const double r_next = sim.EvaluateReliability().reward;
      sim.RtFeatures(next);
      if (visited != nullptr) {
        visited->push_back({sim.EffectiveDemand(), sim.DemandEntropy(), sim.GenerationEntropy(),
                            r_next, next});
      }
      phis.push_back(next);
      if (h > 0) {  // the transition phi (reward r) -> next
        const double delta = r + options.gamma * Dot(theta, next.data()) - Dot(theta, phi.data());
        const double alpha = options.alpha0 * std::pow(static_cast<double>(++c), -options.alpha_decay);
        for (int i = 0; i < kRtFeatures; ++i) theta[i] += alpha * delta * phi[i];
      }
      phi = next;
      r = r_next;
      reward_sum += r_next;
      sim.NextHour();
    }
    // The day's last post-decision state ends the rollout: no bootstrap.
    const double delta = r - Dot(theta, phi.data());
    const double alpha = options.alpha0 * std::pow(static_cast<double>(++c), -options.alpha_decay);
    for (int i = 0; i < kRtFeatures; ++i) theta[i] += alpha * delta * phi[i];
  }
  double score = 0;
  for (const auto& p : phis) score += Dot(theta, p.data());
  out.score = score / static_cast<double>(phis.size());
  out.mean_reward = reward_sum / static_cast<double>(phis.size());
  return out;
}

Iapi::Iapi(std::shared_ptr<const env::uc::UcModel> model, IapiOptions options)
    : model_(std::move(model)), options_(options) {
  // Initial population: half all-tie (psi = 0), half N(0, I).
  Rng rng(Mix(options_.seed, 0xA11));
  for (int k = 0; k < options_.candidates; ++k) {
    std::vector<double> psi(kDaFeaturesPerAction, 0.0);
    if (k >= options_.candidates / 2) {
      for (double& v : psi) v = rng.Normal();
    }
    population_.push_back(std::move(psi));
  }
}

std::vector<CandidateResult> Iapi::Evaluate(
    int iteration, const std::function<void(int64_t, int64_t)>& progress) {
  const int n = static_cast<int>(population_.size());
  std::vector<CandidateResult> results(n);
  std::atomic<int> next{0};
  std::atomic<int64_t> done{0};
  std::mutex progress_mu;
  const uint64_t iteration_seed = Mix(options_.seed, 1000 + iteration);
  auto worker = [&] {
    UcSim sim(model_);
    while (true) {
      const int k = next.fetch_add(1);
      if (k >= n) break;
      // Common random numbers: every candidate of the iteration sees the same realisations.
      results[k] = ScoreCandidate(sim, population_[k], options_, iteration_seed);
      const int64_t d = done.fetch_add(1) + 1;
      if (progress) {
        std::lock_guard lock(progress_mu);
        progress(d, n);
      }
    }
  };
  const int threads = std::min(options_.threads, n);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return results;
}

absl::Status Iapi::Run(
    const std::function<absl::Status(const IterationLog&, const std::vector<CandidateResult>&)>&
        after_iteration,
    const std::function<void(int64_t, int64_t)>& progress) {
  if (auto s = options_.Validate(); !s.ok()) return s;
  while (completed_ < options_.iterations) {
    const int iteration = completed_ + 1;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<CandidateResult> results = Evaluate(iteration, progress);
    std::vector<int> order(results.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return results[a].score > results[b].score; });
    const int elite = std::max(1, static_cast<int>(options_.elite_fraction * results.size()));
    IterationLog log;
    log.iteration = iteration;
    log.top_percentile_score = results[order[elite - 1]].score;
    log.best_score = results[order[0]].score;
    log.best_mean_reward = results[order[0]].mean_reward;
    for (int i = 0; i < elite; ++i) {
      log.elite_mean_score += results[order[i]].score / elite;
      log.elite_mean_reward += results[order[i]].mean_reward / elite;
    }
    for (const auto& r : results) log.mean_score += r.score / results.size();
    best_ = results[order[0]];
    // Next population: the elite, then Gaussian perturbations of uniformly drawn elite members.
    Rng rng(Mix(options_.seed, 5000 + iteration));
    const double sigma = options_.std_scale * std::pow(static_cast<double>(iteration),
                                                       -options_.std_decay);
    std::vector<std::vector<double>> next;
    for (int i = 0; i < elite; ++i) next.push_back(results[order[i]].psi);
    while (static_cast<int>(next.size()) < options_.candidates) {
      std::vector<double> psi = results[order[rng.UniformInt(elite)]].psi;
      for (double& v : psi) v += sigma * rng.Normal();
      next.push_back(std::move(psi));
    }
    population_ = std::move(next);
    completed_ = iteration;
    log.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    history_.push_back(log);
    if (after_iteration) {
      if (auto s = after_iteration(log, results); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

std::string Iapi::CheckpointJson() const {
  nlohmann::json j;
  j["format"] = "gridrl-iapi-checkpoint-1";
  j["options"] = {{"iterations", options_.iterations},
                  {"candidates", options_.candidates},
                  {"elite_fraction", options_.elite_fraction},
                  {"initial_days", options_.initial_days},
                  {"std_scale", options_.std_scale},
                  {"std_decay", options_.std_decay},
                  {"alpha0", options_.alpha0},
                  {"alpha_decay", options_.alpha_decay},
                  {"gamma", options_.gamma},
                  {"seed", options_.seed}};
  j["completed_iterations"] = completed_;
  j["population"] = population_;
  j["best"] = {{"psi", best_.psi},
               {"theta", best_.theta},
               {"score", best_.score},
               {"mean_reward", best_.mean_reward},
               {"actions", best_.actions}};
  nlohmann::json h = nlohmann::json::array();
  for (const auto& l : history_) {
    h.push_back({{"iteration", l.iteration},
                 {"top_percentile_score", l.top_percentile_score},
                 {"elite_mean_score", l.elite_mean_score},
                 {"best_score", l.best_score},
                 {"mean_score", l.mean_score},
                 {"best_mean_reward", l.best_mean_reward},
                 {"elite_mean_reward", l.elite_mean_reward},
                 {"seconds", l.seconds}});
  }
  j["history"] = h;
  return j.dump(1);
}

absl::Status Iapi::RestoreCheckpoint(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "gridrl-iapi-checkpoint-1") {
    return absl::InvalidArgumentError("checkpoint: not a gridrl-iapi-checkpoint-1 JSON document");
  }
  try {
    const auto& o = j.at("options");
    if (o.at("candidates").get<int>() != options_.candidates ||
        o.at("seed").get<uint64_t>() != options_.seed ||
        o.at("initial_days").get<int>() != options_.initial_days ||
        o.at("elite_fraction").get<double>() != options_.elite_fraction) {
      return absl::FailedPreconditionError(
          "checkpoint: candidates, seed, initial_days or elite_fraction differ from the options "
          "of this run (resume with the same options)");
    }
    completed_ = j.at("completed_iterations").get<int>();
    population_ = j.at("population").get<std::vector<std::vector<double>>>();
    for (const auto& psi : population_) {
      if (psi.size() != kDaFeaturesPerAction) {
        return absl::InvalidArgumentError("checkpoint: population rows must have 19 weights");
      }
    }
    const auto& b = j.at("best");
    best_.psi = b.at("psi").get<std::vector<double>>();
    best_.theta = b.at("theta").get<std::array<double, 15>>();
    best_.score = b.at("score").get<double>();
    best_.mean_reward = b.at("mean_reward").get<double>();
    best_.actions = b.at("actions").get<std::vector<int>>();
    history_.clear();
    for (const auto& l : j.at("history")) {
      IterationLog log;
      log.iteration = l.at("iteration").get<int>();
      log.top_percentile_score = l.at("top_percentile_score").get<double>();
      log.elite_mean_score = l.at("elite_mean_score").get<double>();
      log.best_score = l.at("best_score").get<double>();
      log.mean_score = l.at("mean_score").get<double>();
      log.best_mean_reward = l.at("best_mean_reward").get<double>();
      log.elite_mean_reward = l.at("elite_mean_reward").get<double>();
      log.seconds = l.at("seconds").get<double>();
      history_.push_back(log);
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace gridrl::agents
