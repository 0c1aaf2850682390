#include "envs/resilience123/economics.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace gridrl::metrics {
namespace {

EconomicsAccumulator MakeAccumulator(EconomicsParams params = {}) {
  absl::StatusOr<EconomicsAccumulator> acc = EconomicsAccumulator::Create(std::move(params));
  EXPECT_TRUE(acc.ok()) << acc.status();
  return *std::move(acc);
}

// Three steps of a year, every number below worked out by hand from the paper's parameters.
std::vector<EconomicsStep> HandYear() {
  EconomicsStep s1;  // configuration 4 in normal weather
  s1.config = 4;
  s1.n_der = 4;
  s1.capital_multiplier = 3.0;
  s1.operational_multiplier = 1.8;
  s1.maintenance_multiplier = 1.4;
  s1.resilience = 0.8;
  s1.der_running = true;  // not charged outside a calamity
  EconomicsStep s2 = s1;  // same configuration, calamity hits
  s2.calamity = true;
  s2.resilience = 0.4;
  s2.customers_out = 10;
  s2.failed_lines = 3;
  s2.new_failed_lines = 2;
  s2.critical_load_lost = true;
  EconomicsStep s3;  // down to configuration 1, still calamity
  s3.config = 1;
  s3.n_der = 1;
  s3.capital_multiplier = 1.5;
  s3.operational_multiplier = 1.2;
  s3.maintenance_multiplier = 1.1;
  s3.calamity = true;
  s3.resilience = 0.9;
  s3.failed_lines = 1;
  return {s1, s2, s3};
}

TEST(EconomicsTest, CapitalAndOperationalFormulas) {
  const EconomicsParams p;
  // 3.0 * (50000 + 3000*4 + 12*(1500+2500+2000)) / 5 = 80400.
  EXPECT_DOUBLE_EQ(AnnualisedCapitalUsd(p, 3.0, 4), 80400.0);
  // 1.8 * (12*2*1.4 + 10*4 + 12*0.5 + 30 + 5) = 206.28.
  EXPECT_NEAR(OperationalUsdPerStep(p, 1.8, 1.4, 4), 206.28, 1e-9);
}

TEST(EconomicsTest, PerStepCostsOfAHandComputedYear) {
  EconomicsAccumulator acc = MakeAccumulator();
  const std::vector<EconomicsStep> steps = HandYear();
  absl::StatusOr<StepCosts> c1 = acc.AddStep(steps[0]);
  ASSERT_TRUE(c1.ok()) << c1.status();
  EXPECT_DOUBLE_EQ(c1->base_cost_usd, 50000.0);  // 0 -> 4: 50 units of 1000 $
  EXPECT_DOUBLE_EQ(c1->capital_usd, 80400.0 / 50);
  EXPECT_NEAR(c1->operational_usd, 206.28, 1e-9);
  EXPECT_DOUBLE_EQ(c1->failure_usd, 0.0);
  EXPECT_DOUBLE_EQ(c1->resilience_value_usd, 4000.0);  // 0.8 * 50 * 100
  EXPECT_NEAR(c1->revenue_usd, 480.0 + 300.0, 1e-9);   // 2000/(50/12) + 1000*0.3
  EXPECT_DOUBLE_EQ(c1->risk_reduction_usd, 0.0);

  absl::StatusOr<StepCosts> c2 = acc.AddStep(steps[1]);
  ASSERT_TRUE(c2.ok());
  EXPECT_DOUBLE_EQ(c2->base_cost_usd, 0.0);
  EXPECT_NEAR(c2->operational_usd, 206.28 * 1.5, 1e-9);
  // (5*10 + 50*3 + 200 + 1000*2 + 5000) * 2 = 14800.
  EXPECT_DOUBLE_EQ(c2->failure_usd, 14800.0);
  EXPECT_NEAR(c2->revenue_usd, 480.0, 1e-9);
  EXPECT_NEAR(c2->risk_reduction_usd, -100.0, 1e-9);  // -1000 * (0.5 - 0.4)

  absl::StatusOr<StepCosts> c3 = acc.AddStep(steps[2]);
  ASSERT_TRUE(c3.ok());
  EXPECT_DOUBLE_EQ(c3->base_cost_usd, 15000.0);
  // 1.2 * (12*2*1.1 + 10 + 6 + 35) * 1.5 = 139.32.
  EXPECT_NEAR(c3->operational_usd, 139.32, 1e-9);
  EXPECT_DOUBLE_EQ(c3->failure_usd, 100.0);  // one crew, doubled
  // 480 + 1000*0.4 + 2000*0.4.
  EXPECT_NEAR(c3->revenue_usd, 1680.0, 1e-9);
}

TEST(EconomicsTest, YearSummaryOfAHandComputedYear) {
  EconomicsAccumulator acc = MakeAccumulator();
  for (const EconomicsStep& s : HandYear()) ASSERT_TRUE(acc.AddStep(s).ok());
  const YearSummary y = acc.Summarize();
  EXPECT_EQ(y.steps, 3);
  EXPECT_EQ(y.calamity_steps, 2);
  EXPECT_NEAR(y.mean_resilience, 0.7, 1e-12);
  EXPECT_DOUBLE_EQ(y.base_cost_usd, 65000.0);
  EXPECT_NEAR(y.capital_usd, (80400.0 * 2 + 37500.0) / 3, 1e-9);  // 66100
  EXPECT_NEAR(y.operational_usd, 206.28 + 309.42 + 139.32, 1e-9);
  EXPECT_DOUBLE_EQ(y.failure_usd, 14900.0);
  EXPECT_DOUBLE_EQ(y.development_usd, 30000.0);
  EXPECT_NEAR(y.cost_usd, 176655.02, 1e-6);
  EXPECT_DOUBLE_EQ(y.resilience_value_usd, 10500.0);
  EXPECT_NEAR(y.revenue_usd, 2940.0, 1e-9);
  EXPECT_NEAR(y.risk_reduction_usd, -100.0, 1e-9);
  EXPECT_NEAR(y.total_cost_usd, 883275.1, 1e-6);
  EXPECT_NEAR(y.total_benefit_usd, 14200.0, 1e-9);
  // CF = 2840 - 176655.02; with inflation = discount every year is CF / 1.03:
  // NPV = -150000 + 5 * CF / 1.03 = -993762.233010, checked with
  //   python3 -c "CF=2840-176655.02;print(-150000+sum(CF*1.03**(y-1)/1.03**y for y in range(1,6)))"

  EXPECT_NEAR(y.npv_usd, -993762.233010, 1e-5);
  EXPECT_NEAR(y.bcr, 14200.0 / 883275.1, 1e-12);
  EXPECT_NEAR(y.cpub, 883275.1 / 14200.0, 1e-9);
  EXPECT_NEAR(y.net_benefit_usd, 14200.0 - 883275.1, 1e-6);
}

TEST(EconomicsTest, NpvWithDifferentInflationAndDiscount) {
  EconomicsParams p;
  p.inflation_rate = 0.0;
  p.discount_rate = 0.1;
  p.lifetime_years = 2;
  p.development_usd_per_year = 0;
  p.subscription_usd_per_month = 0;
  p.initial_investment_usd = 1000;
  p.num_switches = 0;
  p.control_system_usd = 0;
  p.operator_usd_per_step = 0;
  p.monitoring_usd_per_step = 0;
  EconomicsAccumulator acc = MakeAccumulator(p);
  EconomicsStep s;
  s.resilience = 1.0;  // revenue 1000 * 0.5 = 500, no cost at all
  ASSERT_TRUE(acc.AddStep(s).ok());
  const YearSummary y = acc.Summarize();
  EXPECT_DOUBLE_EQ(y.cost_usd, 0.0);
  EXPECT_NEAR(y.npv_usd, -1000 + 500 / 1.1 + 500 / 1.21, 1e-9);
  EXPECT_EQ(y.bcr, 0.0);  // no cost: reported as 0, not a division by zero
}

TEST(EconomicsTest, CapitalBasisLargestDeployed) {
  EconomicsParams p;
  p.capital_basis = CapitalBasis::kLargestDeployed;
  EconomicsAccumulator acc = MakeAccumulator(p);
  for (const EconomicsStep& s : HandYear()) ASSERT_TRUE(acc.AddStep(s).ok());
  EXPECT_DOUBLE_EQ(acc.Summarize().capital_usd, 80400.0);
  acc.Reset();
  EXPECT_EQ(acc.Summarize().steps, 0);
  EXPECT_DOUBLE_EQ(acc.Summarize().capital_usd, 0.0);
  // After Reset the first step compares against the initial configuration again.
  EXPECT_DOUBLE_EQ(acc.AddStep(HandYear()[0])->base_cost_usd, 50000.0);
}

TEST(EconomicsTest, NoBenefitMakesCpubInfinite) {
  EconomicsParams p;
  p.subscription_usd_per_month = 0;
  EconomicsAccumulator acc = MakeAccumulator(p);
  EconomicsStep s;
  s.resilience = 0.2;
  ASSERT_TRUE(acc.AddStep(s).ok());
  EXPECT_EQ(acc.Summarize().cpub, std::numeric_limits<double>::infinity());
}

TEST(EconomicsTest, CustomersOutInProportionToKva) {
  const std::vector<double> kva = {10, 30, 60};
  const std::vector<uint8_t> served = {1, 0, 1};
  absl::StatusOr<double> out = CustomersOut(50, kva, served);
  ASSERT_TRUE(out.ok());
  EXPECT_DOUBLE_EQ(*out, 15.0);
  EXPECT_FALSE(CustomersOut(50, kva, std::vector<uint8_t>{1}).ok());
  EXPECT_FALSE(CustomersOut(50, std::vector<double>{1, NAN, 1}, served).ok());
}

TEST(EconomicsTest, BadInputsNameTheField) {
  EconomicsParams p;
  p.lifetime_years = 0;
  absl::StatusOr<EconomicsAccumulator> bad = EconomicsAccumulator::Create(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("lifetime_years"), std::string::npos);
  p = EconomicsParams{};
  p.fuel_usd_per_der_step = std::nan("");
  bad = EconomicsAccumulator::Create(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("fuel_usd_per_der_step"), std::string::npos);
  p = EconomicsParams{};
  p.initial_config = 6;
  EXPECT_FALSE(EconomicsAccumulator::Create(p).ok());

  EconomicsAccumulator acc = MakeAccumulator();
  EconomicsStep s;
  s.config = 6;
  absl::StatusOr<StepCosts> c = acc.AddStep(s);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("step.config"), std::string::npos);
  s = EconomicsStep{};
  s.resilience = std::nan("");
  c = acc.AddStep(s);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("step.resilience"), std::string::npos);
  s = EconomicsStep{};
  s.operational_multiplier = -1;
  EXPECT_FALSE(acc.AddStep(s).ok());
  s = EconomicsStep{};
  s.new_failed_lines = -2;
  EXPECT_FALSE(acc.AddStep(s).ok());
  // Rejected steps are not recorded.
  EXPECT_EQ(acc.Summarize().steps, 0);
}

}  // namespace
}  // namespace gridrl::metrics
