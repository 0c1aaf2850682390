#include "envs/restoration70/ciu.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

TEST(OctTest, PaperTableColumns) {
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  ASSERT_EQ(oct.num_inputs(), 5);
  EXPECT_EQ(oct.IndexOf(kOctPowerSupply), 0);
  EXPECT_EQ(oct.IndexOf(kOctIct), 4);
  EXPECT_EQ(oct.IndexOf("gas"), -1);
  EXPECT_EQ(oct.FullLevel(oct.IndexOf(kOctWaterStation)), 140.0);
  EXPECT_EQ(oct.column(2).levels, (std::vector<double>{100, 80, 60, 30, 0}));
}

TEST(OctTest, TableRowsMapExactly) {
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  const double ciu[] = {100, 75, 50, 25, 0};
  for (int c = 0; c < oct.num_inputs(); ++c) {
    for (int r = 0; r < 5; ++r) {
      EXPECT_DOUBLE_EQ(*oct.InputCiuPct(c, oct.column(c).levels[r]), ciu[r]) << c << "," << r;
    }
  }
}

TEST(OctTest, PiecewiseLinearBetweenRows) {
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  EXPECT_DOUBLE_EQ(*oct.InputCiuPct(0, 35), 87.5);   // power: between 30 (75) and 40 (100)
  EXPECT_DOUBLE_EQ(*oct.InputCiuPct(1, 80), 62.5);   // water: 60 (50) .. 100 (75)
  EXPECT_DOUBLE_EQ(*oct.InputCiuPct(2, 45), 37.5);   // hospital: 30 (25) .. 60 (50)
  EXPECT_DOUBLE_EQ(*oct.InputCiuPct(3, 60), 60.0);   // government: identity
  EXPECT_NEAR(*oct.InputCiuPct(4, 150), 50 + 25.0 * 30 / 70, 1e-12);  // ICT: 120 .. 190
  EXPECT_DOUBLE_EQ(*oct.InputCiuPct(1, 10), 12.5);   // water: 0 (0) .. 20 (25)
  EXPECT_DOUBLE_EQ(*oct.InputCiuPct(4, 300), 100.0);  // above the table saturates
}

TEST(OctTest, SystemCiuIsTheMinimumAndReportsTheLimitingInput) {
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  const std::vector<double> inputs = {35, 80, 45, 60, 150};
  absl::StatusOr<CiuResult> r = oct.SystemCiu(inputs);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->ciu_pct, 37.5);
  EXPECT_EQ(r->limiting_input, 2);
  EXPECT_EQ(r->limiting_name, "hospital");
  EXPECT_EQ(r->per_input_pct.size(), 5u);
  EXPECT_DOUBLE_EQ(r->per_input_pct[0], 87.5);
  // A tie reports the first column in table order.
  r = oct.SystemCiu(std::vector<double>{20, 60, 60, 50, 120});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->ciu_pct, 50.0);
  EXPECT_EQ(r->limiting_name, "power_supply");
}

TEST(OctTest, BadInputsNameTheField) {
  const OperationalCapacityTable oct = OperationalCapacityTable::Paper();
  absl::StatusOr<CiuResult> r = oct.SystemCiu(std::vector<double>{1, 2, 3});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inputs"), std::string::npos);
  r = oct.SystemCiu(std::vector<double>{40, 140, std::nan(""), 100, 260});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inputs[2] (hospital)"), std::string::npos);
  EXPECT_FALSE(oct.InputCiuPct(1, -5).ok());
  EXPECT_FALSE(oct.InputCiuPct(7, 5).ok());
}

TEST(OctTest, CreateValidatesTheTable) {
  EXPECT_TRUE(OperationalCapacityTable::Create({100, 0}, {{"x", "u", {10, 0}}}).ok());
  absl::StatusOr<OperationalCapacityTable> t =
      OperationalCapacityTable::Create({100, 50, 0}, {{"x", "u", {10, 10, 0}}});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("columns[0].levels[1]"), std::string::npos);
  t = OperationalCapacityTable::Create({100, 50, 0}, {{"x", "u", {10, 0}}});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("columns[0].levels"), std::string::npos);
  t = OperationalCapacityTable::Create({50, 100}, {{"x", "u", {10, 0}}});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("ciu_levels_pct[1]"), std::string::npos);
  EXPECT_FALSE(
      OperationalCapacityTable::Create({100, 0}, {{"x", "u", {1, 0}}, {"x", "u", {2, 0}}}).ok());
  EXPECT_FALSE(OperationalCapacityTable::Create({100, 0}, {}).ok());
}

TEST(ResilienceAreaTest, HandMadeRestorationCurve) {
  // CIU 50 % for 1 h, 75 % for 2 h, 100 % for 1 h: area 300 %h over 4 h * 100 % = 0.75.
  const std::vector<double> t = {0, 1, 3, 4};
  const std::vector<double> ciu = {50, 75, 100, 100};
  absl::StatusOr<double> r = ResilienceArea(t, ciu);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(*r, 0.75);
  // The last sample only closes the interval: its value does not matter.
  EXPECT_DOUBLE_EQ(*ResilienceArea(t, std::vector<double>{50, 75, 100, 0}), 0.75);
  // No loss at all gives 1.
  EXPECT_DOUBLE_EQ(*ResilienceArea(t, std::vector<double>{100, 100, 100, 100}), 1.0);
  // Uniform steps: (50 + 75 + 100) / 300.
  EXPECT_DOUBLE_EQ(*ResilienceAreaUniform(std::vector<double>{50, 75, 100}), 0.75);
}

TEST(ResilienceAreaTest, BadCurvesNameTheField) {
  absl::StatusOr<double> r =
      ResilienceArea(std::vector<double>{0, 1, 1}, std::vector<double>{10, 20, 30});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("times_h[2]"), std::string::npos);
  r = ResilienceArea(std::vector<double>{0, 1}, std::vector<double>{10, 101});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ciu_pct[1]"), std::string::npos);
  EXPECT_FALSE(ResilienceArea(std::vector<double>{0, 1}, std::vector<double>{10}).ok());
  EXPECT_FALSE(ResilienceArea(std::vector<double>{0}, std::vector<double>{10}).ok());
  EXPECT_FALSE(
      ResilienceArea(std::vector<double>{0, NAN}, std::vector<double>{10, 10}).ok());
  EXPECT_FALSE(ResilienceAreaUniform(std::vector<double>{NAN}).ok());
  EXPECT_FALSE(ResilienceAreaUniform(std::vector<double>{}).ok());
}

}  // namespace
}  // namespace gridrl::metrics
