// The exact faster indicators (envs/resilience123/fast_indicators.h) that resilience123 evaluates on every
// new topology equal the envs/resilience123/resilience.h reference on the IEEE 123 feeder graph under random
// switch states and line failures (hand-drawn graphs: tests/envs/resilience123/fast_indicators_test.cc).
#include <gtest/gtest.h>

#include "envs/resilience123/model.h"
#include "env/rng.h"
#include "envs/resilience123/fast_indicators.h"
#include "envs/resilience123/resilience.h"

namespace gridrl::env::r123 {
namespace {

TEST(Resilience123Indicators, CentralityUnderRandomMasks) {
  auto model = Resilience123Model::Build(Resilience123Params{});
  ASSERT_TRUE(model.ok()) << model.status();
  const metrics::Graph& g = (*model)->metric_model().graph();
  const auto& d = (*model)->feeder().data();
  Rng rng(99);
  metrics::CentralityWorkspace ws;
  int swept_cases = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<uint8_t> mask(g.num_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) {
      mask[l] = d.lines[l].is_switch ? rng.Bernoulli(0.5) : !rng.Bernoulli(trial % 3 == 0 ? 0.0 : 0.05);
    }
    for (double th : {0.05, 0.1, 0.2}) {
      auto fast = ws.HighCentralityIndicator(g, mask, th);
      ASSERT_TRUE(fast.ok());
      auto want = metrics::InformationCentrality(g, mask, th);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(*fast, want->indicator) << "trial " << trial << " th " << th;
      if (ws.last_swept_nodes() > 0) ++swept_cases;
    }
  }
  EXPECT_GT(swept_cases, 0);  // loops were exercised
}

TEST(Resilience123Indicators, PathVariabilityUnderRandomMasksAndSources) {
  auto model = Resilience123Model::Build(Resilience123Params{});
  ASSERT_TRUE(model.ok());
  const metrics::Graph& g = (*model)->metric_model().graph();
  const auto& d = (*model)->feeder().data();
  Rng rng(7);
  for (int trial = 0; trial < 80; ++trial) {
    metrics::GridState s;
    s.edge_in_service.assign(g.num_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) {
      s.edge_in_service[l] = d.lines[l].is_switch ? rng.Bernoulli(0.5) : !rng.Bernoulli(0.04);
    }
    s.sources.push_back({d.sources[0].bus, 5000, true});
    for (int j = 1; j < static_cast<int>(d.sources.size()); ++j) {
      s.sources.push_back({d.sources[j].bus, 1000, rng.Bernoulli(0.5)});
    }
    for (const auto& der : d.ders) s.sources.push_back({der.bus, 350.35, rng.Bernoulli(0.6)});
    for (const auto& grp : (*model)->groups()) s.loads.push_back({grp.bus, grp.kva, grp.critical, true});
    auto want = metrics::WeightedPathVariability(g, s);
    auto got = metrics::PrunedWeightedPathVariability(g, s, {});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->wpv) << "trial " << trial;
  }
}

TEST(Resilience123Indicators, PercolationUnderRandomMasks) {
  auto model = Resilience123Model::Build(Resilience123Params{});
  ASSERT_TRUE(model.ok());
  const metrics::Graph& g = (*model)->metric_model().graph();
  const auto& d = (*model)->feeder().data();
  Rng rng(13);
  metrics::PercolationWorkspace ws;
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<uint8_t> mask(g.num_edges(), 1);
    for (size_t l = 0; l < d.lines.size(); ++l) {
      mask[l] = d.lines[l].is_switch ? rng.Bernoulli(0.5) : !rng.Bernoulli(0.06);
    }
    metrics::PercolationConfig cfg;
    cfg.seed = 100 + trial;
    cfg.trials = trial % 2 ? 200 : 37;
    if (trial % 5 == 0) {  // another grid, with q_max off the step
      cfg.q_min = 0.0;
      cfg.q_max = 0.95;
      cfg.q_step = 0.03;
    }
    auto want = metrics::Percolation(g, mask, cfg);
    auto got = ws.Threshold(g, mask, cfg);
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(*got, want->q_c) << "trial " << trial;
  }
}

}  // namespace
}  // namespace gridrl::env::r123
