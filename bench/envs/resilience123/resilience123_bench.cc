// Speed of the resilience123 environment on one core (issue #7 item 5): steps per second of the
// random baseline under hurricane (mostly new topologies: indicator and power-flow cache misses),
// the same when every topology repeats (one seeded episode replayed: cache hits), and the cost of
// one indicator evaluation (a miss) on the intact feeder. Counters: steps/s and the hit rates of
// the indicator and service caches. Run: build/bin/gridrl-resilience123-bench
#include <benchmark/benchmark.h>

#include <memory>

#include "envs/resilience123/baselines.h"
#include "envs/resilience123/env.h"
#include "env/registry.h"
#include "envs/resilience123/fast_indicators.h"

namespace {

using gridrl::agents::MakeR123Policy;
using gridrl::agents::R123Policy;
using gridrl::agents::WriteR123Action;
namespace env = gridrl::env;

std::unique_ptr<env::Env> MakeEnv(const std::string& calamity,
                                  const std::string& shed_search = "bisect") {
  auto made = env::Registry::Global().Make("resilience123",
                                           {{"calamity", calamity}, {"shed_search", shed_search}});
  if (!made.ok()) std::abort();
  return *std::move(made);
}

void Counters(benchmark::State& state, const env::Env& e, int64_t steps) {
  const auto& c = env::Resilience123SimOf(e)->caches();
  const double ih = double(c.indicators.hits()), im = double(c.indicators.misses());
  const double sh = double(c.service_hits), sm = double(c.service_misses);
  state.counters["steps/s"] = benchmark::Counter(double(steps), benchmark::Counter::kIsRate);
  state.counters["indicator_hit"] = ih + im > 0 ? ih / (ih + im) : 0.0;
  state.counters["service_hit"] = sh + sm > 0 ? sh / (sh + sm) : 0.0;
  const double eh = double(c.edge_hits), em = double(c.edge_misses);
  state.counters["edge_hit"] = eh + em > 0 ? eh / (eh + em) : 0.0;
}

// Steps of `policy`; with `replay`, every episode is the same seeded episode (policy reset too).
void Run(benchmark::State& state, const std::string& calamity, bool replay,
         const std::string& shed_search = "bisect") {
  auto e = MakeEnv(calamity, shed_search);
  std::unique_ptr<R123Policy> policy = *MakeR123Policy("random", 5);
  env::StepBatch b;
  b.Allocate(e->spec(), 1, false);
  env::ActionBatch a;
  a.Allocate(e->spec(), 1);
  uint64_t episode = 0;
  e->Reset(1, env::StepSlot(&b, 0));
  if (replay) {  // warm the caches with one pass of the episode
    for (bool done = false; !done;) {
      auto act = policy->Act(*e, b.obs[0].data<float>(), b.action_mask.data<bool>());
      (void)WriteR123Action(e->spec(), *act, a, 0);
      e->Step(env::ActionRow(&a, 0), env::StepSlot(&b, 0));
      done = b.terminated.data<bool>()[0] || b.truncated.data<bool>()[0];
    }
    policy = *MakeR123Policy("random", 5);
    e->Reset(1, env::StepSlot(&b, 0));
  }
  int64_t steps = 0;
  for (auto _ : state) {
    auto act = policy->Act(*e, b.obs[0].data<float>(), b.action_mask.data<bool>());
    (void)WriteR123Action(e->spec(), *act, a, 0);
    e->Step(env::ActionRow(&a, 0), env::StepSlot(&b, 0));
    ++steps;
    if (b.terminated.data<bool>()[0] || b.truncated.data<bool>()[0]) {
      if (replay) {
        policy = *MakeR123Policy("random", 5);
        e->Reset(1, env::StepSlot(&b, 0));
      } else {
        e->Reset(100 + ++episode, env::StepSlot(&b, 0));
      }
    }
  }
  Counters(state, *e, steps);
}

void BM_R123RandomHurricane(benchmark::State& state) { Run(state, "hurricane", false); }
BENCHMARK(BM_R123RandomHurricane)->Unit(benchmark::kMicrosecond)->MinTime(5.0);

// The same with the one-group-per-power-flow shedding reference (shed_search = linear).
void BM_R123RandomHurricaneLinearShedding(benchmark::State& state) {
  Run(state, "hurricane", false, "linear");
}
BENCHMARK(BM_R123RandomHurricaneLinearShedding)->Unit(benchmark::kMicrosecond)->MinTime(5.0);

void BM_R123RandomHurricaneRepeatedTopologies(benchmark::State& state) {
  Run(state, "hurricane", true);
}
BENCHMARK(BM_R123RandomHurricaneRepeatedTopologies)->Unit(benchmark::kMicrosecond)->MinTime(3.0);

void BM_R123RandomShortCircuit(benchmark::State& state) { Run(state, "short_circuit", false); }
BENCHMARK(BM_R123RandomShortCircuit)->Unit(benchmark::kMicrosecond)->MinTime(3.0);

// One indicator evaluation (what a cache miss costs) and its parts, on the intact feeder with
// configuration 4's sources (arg 0) and on the meshed state of configuration 4's recommended
// switches with ties 54-94 and 151-300 both closed (arg 1).
gridrl::metrics::GridState MissState(const env::Env& e, bool meshed) {
  const auto& model = env::Resilience123SimOf(e)->model();
  const auto& d = model.feeder().data();
  gridrl::metrics::GridState s;
  s.edge_in_service.assign(model.num_metric_edges(), 1);
  for (size_t l = 0; l < d.lines.size(); ++l) s.edge_in_service[l] = d.lines[l].closed;
  if (meshed) {
    s.edge_in_service[model.switch_line()[8]] = 1;  // sw9 54-94
    s.edge_in_service[model.switch_line()[9]] = 1;  // sw10 151-300
  }
  s.sources.push_back({d.sources[model.substation_source()].bus, 5000, true});
  for (int j = 0; j < gridrl::env::r123::kNumDers; ++j) s.sources.push_back({d.ders[j].bus, 350.35, true});
  for (const auto& g : model.groups()) s.loads.push_back({g.bus, g.kva, g.critical, true});
  return s;
}

void BM_R123IndicatorMiss(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  for (auto _ : state) {
    auto r = model.metric_model().Evaluate(s);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_R123IndicatorMiss)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_R123InformationCentrality(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  for (auto _ : state) {
    auto r = gridrl::metrics::InformationCentrality(model.metric_model().graph(), s.edge_in_service, 0.1);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_R123InformationCentrality)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The same indicator by the exact faster implementation (envs/resilience123/fast_indicators.h).
void BM_R123FastCentrality(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  gridrl::metrics::CentralityWorkspace ws;
  for (auto _ : state) {
    auto r = ws.HighCentralityIndicator(model.metric_model().graph(), s.edge_in_service, 0.1);
    benchmark::DoNotOptimize(r);
  }
  state.counters["swept_nodes"] = ws.last_swept_nodes();
}
BENCHMARK(BM_R123FastCentrality)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_R123Percolation(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  for (auto _ : state) {
    auto r = gridrl::metrics::Percolation(model.metric_model().graph(), s.edge_in_service,
                                          model.metric_model().config().percolation);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_R123Percolation)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_R123BucketedPercolation(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  gridrl::metrics::PercolationWorkspace ws;
  for (auto _ : state) {
    auto r = ws.Threshold(model.metric_model().graph(), s.edge_in_service,
                          model.metric_model().config().percolation);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_R123BucketedPercolation)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_R123PathVariability(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  for (auto _ : state) {
    auto r = gridrl::metrics::WeightedPathVariability(model.metric_model().graph(), s);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_R123PathVariability)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_R123PrunedPathVariability(benchmark::State& state) {
  auto e = MakeEnv("hurricane");
  const auto& model = env::Resilience123SimOf(*e)->model();
  const auto s = MissState(*e, state.range(0) != 0);
  for (auto _ : state) {
    auto r = gridrl::metrics::PrunedWeightedPathVariability(model.metric_model().graph(), s, {});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_R123PrunedPathVariability)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
