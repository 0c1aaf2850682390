// restoration70 benchmarks: one state evaluation (reconfigure + sweep + shed + OIS + CIU), the
// environment step, exact ORQ at k faults, surrogate inference. See bench/README.md.
#include <benchmark/benchmark.h>

#include <ctime>
#include <memory>

#include "envs/restoration70/orq.h"
#include "envs/restoration70/surrogate.h"
#include "envs/restoration70/model.h"
#include "env/registry.h"
#include "env/rng.h"

namespace gridrl {
namespace {

using env::restoration70::ModelOptions;
using env::restoration70::ReconfigMethod;
using env::restoration70::RestorationModel;

std::shared_ptr<const RestorationModel> Model(ReconfigMethod method) {
  ModelOptions o;
  o.method = method;
  return *RestorationModel::Create(o);
}

std::vector<int> Faults(const RestorationModel& m, int k, uint64_t seed) {
  env::Rng rng(seed);
  std::vector<int> all(m.num_branches());
  for (int i = 0; i < m.num_branches(); ++i) all[i] = i;
  for (int j = 0; j < k; ++j) std::swap(all[j], all[j + rng.UniformInt(all.size() - j)]);
  return {all.begin(), all.begin() + k};
}

// Random repair states of 20-fault events, as the ORQ sweep sees them.
void BM_EvaluateState(benchmark::State& state) {
  auto m = Model(state.range(0) ? ReconfigMethod::kMinimumSpanningTree
                                : ReconfigMethod::kShortestPathTree);
  auto failed = Faults(*m, 20, 1);
  auto ws = m->MakeWorkspace();
  std::vector<uint8_t> avail;
  env::Rng rng(2);
  int64_t sheds = 0, sweeps = 0;
  for (auto _ : state) {
    agents::StateAvailability(*m, failed, rng.Next() & ((1u << 20) - 1), avail);
    benchmark::DoNotOptimize(m->Evaluate(avail, ws));
    sheds += ws.num_shed;
    sweeps += ws.sweeps;
  }
  state.counters["sheds/state"] = double(sheds) / state.iterations();
  state.counters["sweeps/state"] = double(sweeps) / state.iterations();
  state.SetLabel(state.range(0) ? "mst" : "spt");
}
BENCHMARK(BM_EvaluateState)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Environment steps on one core (random legal repairs; resets counted as steps).
void BM_EnvStep(benchmark::State& state) {
  auto e = env::Registry::Global().Make("restoration70", {});
  auto& env = **e;
  const auto& spec = env.spec();
  env::StepBatch batch;
  batch.Allocate(spec, 1, false);
  env::ActionBatch actions;
  actions.Allocate(spec, 1);
  env::Rng rng(3);
  env.Reset(11, env::StepSlot(&batch, 0));
  int64_t resets = 0;
  for (auto _ : state) {
    if (batch.terminated.data<bool>()[0]) {
      env.Reset(std::nullopt, env::StepSlot(&batch, 0));
      ++resets;
      continue;
    }
    const bool* mask = reinterpret_cast<const bool*>(batch.action_mask.row(0));
    int64_t a;
    do {
      a = static_cast<int64_t>(rng.UniformInt(spec.action_mask_size));
    } while (!mask[a]);
    actions.leaves[0].data<int64_t>()[0] = a;
    env.Step(env::ActionRow(&actions, 0), env::StepSlot(&batch, 0));
  }
  state.counters["steps/s"] = benchmark::Counter(double(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["resets"] = double(resets);
}
BENCHMARK(BM_EnvStep)->Unit(benchmark::kMicrosecond);

// Exact ORQ for one k-fault event (all 2^k states), on `threads` threads.
void BM_OrqSolve(benchmark::State& state) {
  auto m = Model(ReconfigMethod::kShortestPathTree);
  const int k = static_cast<int>(state.range(0));
  auto failed = Faults(*m, k, 5);
  agents::OrqOptions o;
  o.threads = static_cast<int>(state.range(1));
  double r = 0, ciu_s = 0;
  const std::clock_t c0 = std::clock();
  for (auto _ : state) {
    auto res = agents::SolveOrq(*m, failed, o);
    r = res->resilience;
    ciu_s = res->seconds_ciu;
  }
  state.counters["R"] = r;
  state.counters["sweep_s"] = ciu_s;
  state.counters["us/state"] = 1e6 * ciu_s / double(int64_t{1} << k);
  // Process CPU time over all threads per state: less sensitive to other load on the machine.
  state.counters["cpu_us/state"] =
      1e6 * double(std::clock() - c0) / CLOCKS_PER_SEC / double(int64_t{1} << k);
}
BENCHMARK(BM_OrqSolve)
    ->Args({12, 2})
    ->Args({16, 2})
    ->Args({20, 1})
    ->Args({20, 2})
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

// One surrogate forward pass over the 76 branch states.
void BM_SurrogatePredict(benchmark::State& state) {
  agents::SurrogateNet net(76, static_cast<int>(state.range(0)), 1);
  std::vector<float> x(76, 1.0f);
  x[3] = 0;
  x[40] = 0;
  for (auto _ : state) benchmark::DoNotOptimize(net.Predict(x));
}
BENCHMARK(BM_SurrogatePredict)->Arg(10)->Arg(20)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace gridrl

BENCHMARK_MAIN();
