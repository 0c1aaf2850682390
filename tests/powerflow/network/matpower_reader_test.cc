#include "powerflow/network/matpower_reader.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridrl::powerflow {
namespace {

using ::testing::HasSubstr;

constexpr char kSmallCase[] = R"(function mpc = tiny
%% a comment
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
	1	3	0	0	0	0	1	1.02	0	138	1	1.1	0.9;
	2	1	50	20	0	-10	1	1	0	138	1	1.1	0.9;  %% trailing comment
	3	2	30	10	0	0	1	1	0	138	1	1.1	0.9
];
mpc.gen = [
	1	0	0	100	-100	1.02	100	1	200	0	0	0	0	0	0	0	0	0	0	0	0;
	3	40	0	50	-50	1.01	100	1	100	0	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	1	2	0.01	0.1	0.02	100	100	100	0	0	1	-360	360;
	2	3	0.01	0.1	0.02	100	100	100	1.05	2	1	-360	360;
	1	3	0.02	0.2	0.04	0	0	0	0	0	0	-360	360;
];
mpc.gencost = [
	2	0	0	3	0.01	10	0;
	1	0	0	2	0	0	100	1000;
];
mpc.areas = [
	1	1;
];
)";

TEST(MatpowerReaderTest, ReadsAllTables) {
  MatpowerReadInfo info;
  auto net = ParseMatpower(kSmallCase, "tiny.m", &info);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_DOUBLE_EQ(net->base_mva, 100);
  ASSERT_EQ(net->buses.size(), 3u);
  EXPECT_EQ(net->buses[0].type, BusType::kRef);
  EXPECT_DOUBLE_EQ(net->buses[1].pd_mw, 50);
  EXPECT_DOUBLE_EQ(net->buses[1].bs_mvar, -10);
  EXPECT_EQ(net->buses[2].type, BusType::kPV);  // last row without ';' before ']'
  ASSERT_EQ(net->gens.size(), 2u);
  EXPECT_DOUBLE_EQ(net->gens[1].vg_pu, 1.01);
  ASSERT_EQ(net->branches.size(), 3u);
  EXPECT_DOUBLE_EQ(net->branches[1].tap, 1.05);
  EXPECT_DOUBLE_EQ(net->branches[1].shift_deg, 2);
  EXPECT_FALSE(net->branches[2].in_service);
  ASSERT_EQ(net->gencost.size(), 2u);
  EXPECT_EQ(net->gencost[0].params.size(), 3u);
  EXPECT_EQ(net->gencost[1].params.size(), 4u);
  ASSERT_EQ(net->areas.size(), 1u);
  EXPECT_TRUE(info.conversions.empty());
}

TEST(MatpowerReaderTest, AppliesDistributionConversionBlock) {
  std::string text = kSmallCase;
  text += R"(
[PQ, PV, REF, NONE, BUS_I, BUS_TYPE, PD, QD, GS, BS, BUS_AREA, VM, ...
    VA, BASE_KV, ZONE, VMAX, VMIN, LAM_P, LAM_Q, MU_VMAX, MU_VMIN] = idx_bus;
Vbase = mpc.bus(1, BASE_KV) * 1e3;      %% in Volts
Sbase = mpc.baseMVA * 1e6;              %% in VA
mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);
mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;
)";
  MatpowerReadInfo info;
  auto net = ParseMatpower(text, "tiny.m", &info);
  ASSERT_TRUE(net.ok()) << net.status();
  const double zbase = 138e3 * 138e3 / 100e6;
  EXPECT_NEAR(net->branches[0].r_pu, 0.01 / zbase, 1e-15);
  EXPECT_NEAR(net->branches[0].x_pu, 0.1 / zbase, 1e-15);
  EXPECT_NEAR(net->buses[1].pd_mw, 0.05, 1e-15);
  EXPECT_NEAR(net->buses[1].qd_mvar, 0.02, 1e-15);
  EXPECT_EQ(info.conversions.size(), 2u);
}

TEST(MatpowerReaderTest, ReadsSharedCasesWithExpectedCounts) {
  const std::string dir = std::string(GRIDRL_SOURCE_DIR) + "/../shared/data/";
  auto rts = ReadMatpowerFile(dir + "rts96/pglib_opf_case73_ieee_rts.m");
  if (!rts.ok() && absl::IsNotFound(rts.status())) GTEST_SKIP() << "shared data not present";
  ASSERT_TRUE(rts.ok()) << rts.status();
  EXPECT_EQ(rts->buses.size(), 73u);
  EXPECT_EQ(rts->gens.size(), 99u);
  EXPECT_EQ(rts->branches.size(), 120u);
  auto gmlc = ReadMatpowerFile(dir + "rts96/case_RTS_GMLC.m");
  ASSERT_TRUE(gmlc.ok()) << gmlc.status();
  EXPECT_EQ(gmlc->gens.size(), 158u);
  EXPECT_EQ(gmlc->dclines.size(), 1u);
  auto d70 = ReadMatpowerFile(dir + "case70/case70da.m");
  ASSERT_TRUE(d70.ok()) << d70.status();
  EXPECT_EQ(d70->buses.size(), 70u);
  EXPECT_EQ(d70->branches.size(), 76u);
  double pd = 0;
  for (const auto& b : d70->buses) pd += b.pd_mw;
  EXPECT_NEAR(pd, 5.3854, 1e-9);  // 5385.4 kW converted to MW
}

struct BadCase {
  std::string name;
  std::string from, to;  // textual edit of kSmallCase
  std::string expect1, expect2;
};

class MatpowerBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MatpowerBadInputTest, NamesLineAndField) {
  const BadCase& c = GetParam();
  std::string text = kSmallCase;
  size_t at = text.find(c.from);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, c.from.size(), c.to);
  auto net = ParseMatpower(text, "bad.m");
  ASSERT_FALSE(net.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(net.status())) << net.status();
  EXPECT_THAT(std::string(net.status().message()), HasSubstr(c.expect1));
  EXPECT_THAT(std::string(net.status().message()), HasSubstr(c.expect2));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MatpowerBadInputTest,
    ::testing::Values(
        BadCase{"NotANumber", "2	1	50	20", "2	1	5x0	20", "bad.m:7", "'5x0' is not a number"},
        BadCase{"ShortRow", "	3	2	30	10	0	0	1	1	0	138	1	1.1	0.9\n",
                "	3	2	30	10	0	0	1	1\n", "bad.m:8", "missing field Va"},
        BadCase{"UnknownGenBus", "	3	40	0	50", "	9	40	0	50", "bad.m:12", "field bus refers to bus 9"},
        BadCase{"UnknownBranchBus", "	2	3	0.01	0.1", "	2	7	0.01	0.1", "bad.m:16", "field tbus"},
        BadCase{"BadBusType", "	2	1	50	20", "	2	7	50	20", "bad.m:7", "field type"},
        BadCase{"NonIntegerBus", "	2	1	50	20", "	2.5	1	50	20", "bad.m:7", "field bus_i"},
        BadCase{"DuplicateBus", "	3	2	30	10", "	2	2	30	10", "bad.m:8", "duplicate bus"},
        BadCase{"ZeroImpedance", "	1	2	0.01	0.1", "	1	2	0	0", "bad.m:15", "zero impedance"},
        BadCase{"MissingBranch", "mpc.branch = [", "mpc.branchx = [", "bad.m", "missing mpc.branch"},
        BadCase{"Unterminated", "];\nmpc.gencost", "\nmpc.gencost", "bad.m", "not a number"},
        BadCase{"UnsupportedStatement", "mpc.version = '2';", "mpc.bus(2, 3) = 4;", "bad.m:3",
                "unsupported indexed assignment"},
        BadCase{"BadVersion", "mpc.version = '2';", "mpc.version = '1';", "bad.m:3", "version"},
        BadCase{"BadBase", "mpc.baseMVA = 100;", "mpc.baseMVA = abc;", "bad.m:4", "baseMVA"}),
    [](const auto& info) { return info.param.name; });

TEST(MatpowerReaderTest, MissingFileIsNotFound) {
  auto net = ReadMatpowerFile("/nonexistent/case.m");
  ASSERT_FALSE(net.ok());
  EXPECT_TRUE(absl::IsNotFound(net.status()));
  EXPECT_THAT(std::string(net.status().message()), HasSubstr("/nonexistent/case.m"));
}

}  // namespace
}  // namespace gridrl::powerflow

namespace gridrl::powerflow {
namespace {

// Bad input never crashes: every truncation and a sweep of single-character corruptions of a
// valid file either parse or return InvalidArgument.
TEST(MatpowerReaderTest, TruncatedAndCorruptedFilesFailCleanly) {
  const std::string text = kSmallCase;
  for (size_t cut = 0; cut < text.size(); cut += 3) {
    auto net = ParseMatpower(text.substr(0, cut), "cut.m");
    if (!net.ok()) EXPECT_TRUE(absl::IsInvalidArgument(net.status())) << net.status();
  }
  const char replacements[] = {']', '[', ';', '%', '\'', 'x', '-', '0', '\n', '{'};
  for (size_t at = 0; at < text.size(); at += 5) {
    for (char c : replacements) {
      std::string bad = text;
      bad[at] = c;
      auto net = ParseMatpower(bad, "bad.m");
      if (!net.ok()) EXPECT_TRUE(absl::IsInvalidArgument(net.status())) << net.status();
    }
  }
}

}  // namespace
}  // namespace gridrl::powerflow
