#include "envs/resilience123/indicator_cache.h"

#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

IndicatorSet WithResilience(double r) {
  IndicatorSet s;
  s.resilience = r;
  return s;
}

TEST(TopologyKeyTest, DistinguishesMasksAndTheirLengths) {
  const std::vector<uint8_t> a = {1, 0, 1}, b = {1, 0, 0}, none = {}, one = {1};
  EXPECT_EQ(MakeTopologyKey(a, none, one), MakeTopologyKey(a, none, one));
  EXPECT_NE(MakeTopologyKey(a, none, one), MakeTopologyKey(b, none, one));
  // The same bits split differently between the masks are different keys.
  EXPECT_NE(MakeTopologyKey(one, none, none), MakeTopologyKey(none, one, none));
  EXPECT_NE(MakeTopologyKey(one, none, none), MakeTopologyKey(none, none, one));
  // Any nonzero byte is a set bit.
  const std::vector<uint8_t> twos = {2, 0, 7};
  EXPECT_EQ(MakeTopologyKey(twos, none, none), MakeTopologyKey(a, none, none));
  // Long masks cross word boundaries without collisions.
  std::vector<uint8_t> long_a(130, 0), long_b(130, 0);
  long_a[129] = 1;
  long_b[65] = 1;
  EXPECT_NE(MakeTopologyKey(long_a, none, none), MakeTopologyKey(long_b, none, none));
}

TEST(IndicatorCacheTest, RepeatedKeyComputesOnce) {
  IndicatorCache cache;
  const TopologyKey key = MakeTopologyKey(std::vector<uint8_t>{1, 1}, {}, {});
  int calls = 0;
  auto compute = [&]() -> absl::StatusOr<IndicatorSet> {
    ++calls;
    return WithResilience(0.7);
  };
  for (int k = 0; k < 3; ++k) {
    absl::StatusOr<IndicatorSet> r = cache.GetOrCompute(key, compute);
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(r->resilience, 0.7);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(IndicatorCacheTest, ErrorsAreNotCached) {
  IndicatorCache cache;
  const TopologyKey key = MakeTopologyKey(std::vector<uint8_t>{1}, {}, {});
  absl::StatusOr<IndicatorSet> r = cache.GetOrCompute(
      key, []() -> absl::StatusOr<IndicatorSet> { return absl::InvalidArgumentError("x"); });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(IndicatorCacheTest, EvictsTheLeastRecentlyUsed) {
  IndicatorCache cache(2);
  const TopologyKey a = MakeTopologyKey(std::vector<uint8_t>{1}, {}, {});
  const TopologyKey b = MakeTopologyKey(std::vector<uint8_t>{0}, {}, {});
  const TopologyKey c = MakeTopologyKey(std::vector<uint8_t>{0, 0}, {}, {});
  cache.Insert(a, WithResilience(0.1));
  cache.Insert(b, WithResilience(0.2));
  ASSERT_TRUE(cache.Find(a).has_value());  // a is now the most recent
  cache.Insert(c, WithResilience(0.3));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_FALSE(cache.Find(b).has_value());
  ASSERT_TRUE(cache.Find(a).has_value());
  EXPECT_DOUBLE_EQ(cache.Find(c)->resilience, 0.3);
  // Overwriting keeps the size.
  cache.Insert(a, WithResilience(0.9));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_DOUBLE_EQ(cache.Find(a)->resilience, 0.9);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Find(a).has_value());
}

TEST(IndicatorCacheTest, WrapsTheResilienceModel) {
  absl::StatusOr<Graph> g = Graph::Create(3, {{0, 1}, {1, 2}});
  ASSERT_TRUE(g.ok());
  absl::StatusOr<ResilienceModel> model = ResilienceModel::Create(*g);
  ASSERT_TRUE(model.ok());
  const GridState state{{1, 1}, {{0, 100.0}}, {{2, 10.0, true, true}}};
  IndicatorCache cache;
  const std::vector<uint8_t> failed = {0, 0}, online = {1};
  const TopologyKey key = MakeTopologyKey(state.edge_in_service, failed, online);
  absl::StatusOr<IndicatorSet> first =
      cache.GetOrCompute(key, [&] { return model->Evaluate(state); });
  absl::StatusOr<IndicatorSet> second =
      cache.GetOrCompute(key, [&] { return model->Evaluate(state); });
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->raw, second->raw);
  EXPECT_EQ(first->resilience, second->resilience);
  EXPECT_EQ(cache.hits(), 1u);
}

}  // namespace
}  // namespace gridrl::metrics
