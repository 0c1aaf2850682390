// PPO's own cost (inference and updates) against the environment's stepping cost.
//
//   build/bin/gridrl-ppo-bench [--benchmark_filter=...]
//
// Micro: one Act over a batch of envs (single and dual policies) and one PPO update of a
// 25-episode resilience123 rollout (1250 samples, the paper's 4 epochs of minibatch 64).
// Training runs: the trainer's own split of wall time into env stepping and agent work, on the
// tutorial env with `work` standing in for physics and on resilience123 with the dual agent
// (counters env_s, agent_s, agent_over_env). Single-threaded pools, so the split is not blurred by
// worker threads.
#include <benchmark/benchmark.h>

#include "envs/resilience123/dual_ppo.h"
#include "agents/ppo.h"
#include "env/pool.h"

namespace {

using gridrl::agents::DualPpoOptions;
using gridrl::agents::DualPpoPolicy;
using gridrl::agents::ObsEncoder;
using gridrl::agents::PpoConfig;
using gridrl::agents::PpoTrainer;

std::unique_ptr<gridrl::env::EnvPool> Pool(const std::string& id,
                                           const gridrl::env::ConfigOverrides& config,
                                           int64_t num_envs) {
  gridrl::env::PoolOptions o;
  o.num_envs = num_envs;
  o.num_threads = 1;
  o.autoreset = gridrl::env::AutoresetMode::kSameStep;
  auto pool = gridrl::env::EnvPool::Make(id, {config}, o);
  if (!pool.ok()) std::abort();
  return *std::move(pool);
}

std::unique_ptr<PpoTrainer> DualTrainer(gridrl::env::VecEnv* vec, uint64_t seed) {
  DualPpoOptions d = DualPpoOptions::Paper(seed);
  ObsEncoder enc(vec->spec());
  auto policy = DualPpoPolicy::Make(vec->spec(), enc.size(), d);
  if (!policy.ok()) std::abort();
  return *PpoTrainer::MakeWithPolicy(vec, d.strategic, *std::move(policy));
}

// One Act for all envs of a batch: the per-step inference cost.
void ActTutorial(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto pool = Pool("tutorial", {{"action_space", std::string("discrete")}}, n);
  auto trainer = *PpoTrainer::Make(pool.get(), PpoConfig{});
  auto batch = pool->Reset();
  ObsEncoder enc(pool->spec());
  gridrl::agents::Matrix raw(enc.size(), n);
  for (int64_t r = 0; r < n; ++r) enc.Encode((*batch)->obs, r, raw, r);
  gridrl::env::ActionBatch actions;
  actions.Allocate(pool->spec(), n);
  gridrl::env::Rng rng(1);
  std::vector<bool> m(n * pool->spec().action_mask_size, true);
  std::unique_ptr<bool[]> mask(new bool[m.size()]);
  for (size_t i = 0; i < m.size(); ++i) mask[i] = true;
  for (auto _ : state) trainer->policy().Act(raw, mask.get(), false, nullptr, rng, actions);
  state.counters["env_steps_per_s"] =
      benchmark::Counter(double(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(ActTutorial)->Arg(1)->Arg(8)->Unit(benchmark::kMicrosecond);

void ActDualResilience123(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto pool = Pool("resilience123", {}, n);
  auto trainer = DualTrainer(pool.get(), 1);
  auto batch = pool->Reset();
  ObsEncoder enc(pool->spec());
  gridrl::agents::Matrix raw(enc.size(), n);
  for (int64_t r = 0; r < n; ++r) enc.Encode((*batch)->obs, r, raw, r);
  gridrl::env::ActionBatch actions;
  actions.Allocate(pool->spec(), n);
  gridrl::env::Rng rng(1);
  const bool* mask = reinterpret_cast<const bool*>((*batch)->action_mask.bytes());
  for (auto _ : state) trainer->policy().Act(raw, mask, false, nullptr, rng, actions);
  state.counters["env_steps_per_s"] =
      benchmark::Counter(double(state.iterations() * n), benchmark::Counter::kIsRate);
}
BENCHMARK(ActDualResilience123)->Arg(1)->Arg(5)->Unit(benchmark::kMicrosecond);

// One dual-agent PPO update (both learners) on a synthetic 1250-sample rollout with the
// resilience123 shapes: the paper's update of 25 episodes x 50 steps.
void UpdateDual1250(benchmark::State& state) {
  auto pool = Pool("resilience123", {}, 5);
  auto trainer = DualTrainer(pool.get(), 2);
  auto batch = pool->Reset();
  ObsEncoder enc(pool->spec());
  gridrl::agents::Matrix raw(enc.size(), 5);
  gridrl::env::ActionBatch actions;
  actions.Allocate(pool->spec(), 5);
  gridrl::env::Rng rng(3);
  const bool* mask = reinterpret_cast<const bool*>((*batch)->action_mask.bytes());
  std::vector<uint8_t> record(5, 1);
  for (auto _ : state) {
    state.PauseTiming();
    trainer->policy().BeginRollout(5);
    for (int t = 0; t < 250; ++t) {  // 250 steps x 5 envs, observations jittered
      for (int64_t r = 0; r < 5; ++r) {
        enc.Encode((*batch)->obs, r, raw, r);
        for (int64_t k = 0; k < raw.rows(); ++k) raw(k, r) += 0.1 * rng.Normal();
      }
      trainer->policy().Act(raw, mask, false, record.data(), rng, actions);
      for (int64_t r = 0; r < 5; ++r) {
        trainer->policy().SetOutcome(r, rng.Normal(), false, (t + 1) % 50 == 0, nullptr);
      }
    }
    trainer->policy().FinishRollout(raw);
    state.ResumeTiming();
    for (auto* l : trainer->policy().learners()) {
      gridrl::env::Rng u(4);
      benchmark::DoNotOptimize(l->Update(u));
    }
  }
}
BENCHMARK(UpdateDual1250)->Unit(benchmark::kMillisecond)->Iterations(5);

void Report(benchmark::State& state, const PpoTrainer& t) {
  state.counters["env_s"] = t.env_seconds();
  state.counters["agent_s"] = t.agent_seconds();
  state.counters["agent_over_env"] = t.agent_seconds() / t.env_seconds();
  state.counters["steps"] = double(t.total_steps());
  state.counters["agent_us_per_step"] = 1e6 * t.agent_seconds() / double(t.total_steps());
  state.counters["env_us_per_step"] = 1e6 * t.env_seconds() / double(t.total_steps());
}

// Generic PPO training on the tutorial env with `work` Newton iterations per step (2000 is about
// the cost of a small power-flow solve), 8 envs, 128 steps per env per update.
void TrainTutorial(benchmark::State& state) {
  for (auto _ : state) {
    auto pool = Pool("tutorial",
                     {{"action_space", std::string("discrete")}, {"work", state.range(0)}}, 8);
    auto trainer = *PpoTrainer::Make(pool.get(), PpoConfig{});
    PpoTrainer::TrainOptions t;
    t.episodes = 1500;
    if (!trainer->Train(t).ok()) std::abort();
    Report(state, *trainer);
  }
}
BENCHMARK(TrainTutorial)->Arg(0)->Arg(2000)->Unit(benchmark::kSecond)->Iterations(1);

// The dual agent on resilience123 (flood), 5 envs, the paper's update every 25 episodes:
// range(0) episodes.
void TrainDualResilience123(benchmark::State& state) {
  for (auto _ : state) {
    auto pool = Pool("resilience123", {{"calamity", std::string("flood")}}, 5);
    auto trainer = DualTrainer(pool.get(), 1);
    PpoTrainer::TrainOptions t;
    t.episodes = state.range(0);
    if (!trainer->Train(t).ok()) std::abort();
    Report(state, *trainer);
  }
}
BENCHMARK(TrainDualResilience123)->Arg(50)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
