#include "powerflow/network/case_io.h"

#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridrl::powerflow {
namespace {

using ::testing::HasSubstr;

TEST(CaseIoTest, LoadsEveryBuiltinCaseByName) {
  struct Expect {
    const char* name;
    size_t buses, branches;
  };
  for (const Expect& e : {Expect{"rts96", 73, 120}, Expect{"rts_gmlc", 73, 120},
                          Expect{"case70da", 70, 76}, Expect{"case33bw", 33, 37},
                          Expect{"case69", 69, 68}}) {
    auto net = LoadCase(e.name);
    ASSERT_TRUE(net.ok()) << e.name << ": " << net.status();
    EXPECT_EQ(net->name, e.name);
    EXPECT_EQ(net->buses.size(), e.buses) << e.name;
    EXPECT_EQ(net->branches.size(), e.branches) << e.name;
  }
}

TEST(CaseIoTest, RtsGmlcCarriesItsNotice) {
  auto net = LoadCase("rts_gmlc");
  ASSERT_TRUE(net.ok());
  EXPECT_THAT(net->notice, HasSubstr("DATA USE DISCLAIMER AGREEMENT"));
  ASSERT_EQ(net->dclines.size(), 1u);
  EXPECT_TRUE(std::isinf(net->dclines[0].qmaxf_mvar));
}

TEST(CaseIoTest, JsonRoundTripIsExact) {
  auto net = LoadCase("rts_gmlc");
  ASSERT_TRUE(net.ok());
  const std::string text = CaseToJson(*net);
  auto back = CaseFromJson(text, "roundtrip");
  ASSERT_TRUE(back.ok()) << back.status();
  back->source = net->source;
  back->name = net->name;
  EXPECT_TRUE(CaseToJson(*back) == text) << "JSON round trip changed the case";
  ASSERT_EQ(back->branches.size(), net->branches.size());
  for (size_t l = 0; l < net->branches.size(); ++l) {
    EXPECT_EQ(back->branches[l].x_pu, net->branches[l].x_pu);
    EXPECT_EQ(back->branches[l].tap, net->branches[l].tap);
  }
}

TEST(CaseIoTest, UnknownNameListsBuiltins) {
  auto net = LoadCase("case9999");
  ASSERT_FALSE(net.ok());
  EXPECT_TRUE(absl::IsNotFound(net.status()));
  EXPECT_THAT(std::string(net.status().message()), HasSubstr("rts96"));
  EXPECT_THAT(std::string(net.status().message()), HasSubstr("case9999"));
}

TEST(CaseIoTest, BadJsonNamesThePath) {
  auto net = LoadCase("case33bw");
  ASSERT_TRUE(net.ok());
  std::string text = CaseToJson(*net);
  const std::string needle = "\"x_pu\": ";
  size_t at = text.find(needle, text.find("\"branches\""));
  at = text.find(needle, at + 1);  // second branch
  text.insert(at + needle.size(), "\"oops\", \"x_old\": ");
  auto bad = CaseFromJson(text, "edited.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("edited.json: branches[1].x_pu"));

  auto syntax = CaseFromJson("{\"format\": ", "broken.json");
  ASSERT_FALSE(syntax.ok());
  EXPECT_THAT(std::string(syntax.status().message()), HasSubstr("broken.json: invalid JSON"));

  auto wrong = CaseFromJson("{\"format\": \"other\"}", "w.json");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("format"));

  std::string unknown_bus = CaseToJson(*net);
  const std::string from = "\"from\": 1,";
  unknown_bus.replace(unknown_bus.find(from), from.size(), "\"from\": 999,");
  auto ub = CaseFromJson(unknown_bus, "ub.json");
  ASSERT_FALSE(ub.ok());
  EXPECT_THAT(std::string(ub.status().message()), HasSubstr("unknown bus 999"));
}

}  // namespace
}  // namespace gridrl::powerflow

namespace gridrl::powerflow {
namespace {

TEST(CaseIoTest, CorruptedJsonFailsCleanly) {
  auto net = LoadCase("case33bw");
  ASSERT_TRUE(net.ok());
  const std::string text = CaseToJson(*net);
  const char replacements[] = {'}', '"', '1', '-', 'x', ',', '[', 'e'};
  for (size_t at = 0; at < text.size(); at += 97) {
    for (char c : replacements) {
      std::string bad = text;
      bad[at] = c;
      auto parsed = CaseFromJson(bad, "bad.json");
      if (!parsed.ok()) EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << parsed.status();
    }
  }
}

}  // namespace
}  // namespace gridrl::powerflow
