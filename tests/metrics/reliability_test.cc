#include "metrics/reliability.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

TEST(ReliabilityTest, HandMadeEvent) {
  // Loads 100/200/300/400 kW; intervals [0,1), [1,2), [2,4).
  // Load 0 out in the first hour (1 h), load 1 out for two hours (2 h), load 2 never, load 3 out
  // in the second hour (1 h). Interrupted: 700 of 1000 kW -> SAIFI 0.7;
  // SAIDI = (100*1 + 200*2 + 400*1) / 1000 = 0.9 h; CAIDI = 0.9 / 0.7 h.
  const std::vector<double> t = {0, 1, 2, 4};
  const std::vector<double> kw = {100, 200, 300, 400};
  const std::vector<std::vector<uint8_t>> served = {{0, 0, 1, 1}, {1, 0, 1, 0}, {1, 1, 1, 1}};
  absl::StatusOr<ReliabilityIndices> r = ReliabilityFromServedSeries(t, kw, served, 50);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->saifi, 0.7, 1e-12);
  EXPECT_NEAR(r->saidi_h, 0.9, 1e-12);
  EXPECT_NEAR(r->caidi_h, 0.9 / 0.7, 1e-12);
  EXPECT_NEAR(r->customers_interrupted, 35.0, 1e-12);
  EXPECT_NEAR(r->customer_hours_interrupted, 45.0, 1e-12);
}

TEST(ReliabilityTest, OutageRecordsAndNoInterruption) {
  // Two separate outages of one load count once, their durations add.
  const std::vector<LoadPointOutage> outages = {{300, 0.0}, {100, 3.0}};
  absl::StatusOr<ReliabilityIndices> r = ComputeReliability(outages, 8);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->saifi, 0.25);
  EXPECT_DOUBLE_EQ(r->saidi_h, 0.75);
  EXPECT_DOUBLE_EQ(r->caidi_h, 3.0);
  EXPECT_DOUBLE_EQ(r->customers_interrupted, 2.0);
  const std::vector<LoadPointOutage> none = {{300, 0.0}, {100, 0.0}};
  r = ComputeReliability(none, 8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->saifi, 0.0);
  EXPECT_EQ(r->saidi_h, 0.0);
  EXPECT_EQ(r->caidi_h, 0.0);
}

TEST(ReliabilityTest, BadInputsNameTheField) {
  const std::vector<double> t = {0, 1};
  const std::vector<double> kw = {100, 200};
  absl::StatusOr<ReliabilityIndices> r =
      ReliabilityFromServedSeries(t, kw, {{1, 0}, {1, 1}}, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("served"), std::string::npos);
  r = ReliabilityFromServedSeries(t, kw, {{1}}, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("served[0]"), std::string::npos);
  r = ReliabilityFromServedSeries(std::vector<double>{1, 0}, kw, {{1, 1}}, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("times_h[1]"), std::string::npos);
  r = ReliabilityFromServedSeries(t, std::vector<double>{100, NAN}, {{1, 1}}, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("outages[1].load_kw"), std::string::npos);
  EXPECT_FALSE(ComputeReliability(std::vector<LoadPointOutage>{{1, -1}}, 1).ok());
  EXPECT_FALSE(ComputeReliability(std::vector<LoadPointOutage>{{0, 1}}, 1).ok());
  EXPECT_FALSE(ComputeReliability(std::vector<LoadPointOutage>{{1, 1}}, NAN).ok());
}

}  // namespace
}  // namespace gridrl::metrics
