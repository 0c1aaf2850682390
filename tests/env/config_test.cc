#include "env/config.h"

#include <gtest/gtest.h>

namespace gridrl::env {
namespace {

ConfigSchema Schema() {
  ConfigSchema s;
  s.Int("n", 3, "count", 1, 10)
      .Double("p", 0.5, "probability", 0.0, 1.0)
      .Bool("flag", false, "a flag")
      .String("mode", "a", "mode", {"a", "b"})
      .IntList("taps", {1, 2}, "taps", -16, 16)
      .DoubleList("w", {0.1}, "weights");
  return s;
}

TEST(Config, DefaultsAndOverrides) {
  auto c = Schema().Resolve({{"n", int64_t{7}}, {"p", int64_t{1}}, {"mode", std::string("b")}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->GetInt("n"), 7);
  EXPECT_DOUBLE_EQ(c->GetDouble("p"), 1.0);  // an integer is accepted for a float
  EXPECT_EQ(c->GetString("mode"), "b");
  EXPECT_FALSE(c->GetBool("flag"));
  EXPECT_EQ(c->GetIntList("taps"), (std::vector<int64_t>{1, 2}));
}

TEST(Config, StringsAreParsedForTheCommandLine) {
  ConfigOverrides o;
  ASSERT_TRUE(ParseOverride("n=4", o).ok());
  ASSERT_TRUE(ParseOverride("flag=true", o).ok());
  ASSERT_TRUE(ParseOverride("taps=[3, -2,5]", o).ok());
  ASSERT_TRUE(ParseOverride("w=0.25,0.75", o).ok());
  auto c = Schema().Resolve(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->GetInt("n"), 4);
  EXPECT_TRUE(c->GetBool("flag"));
  EXPECT_EQ(c->GetIntList("taps"), (std::vector<int64_t>{3, -2, 5}));
  EXPECT_EQ(c->GetDoubleList("w"), (std::vector<double>{0.25, 0.75}));
  EXPECT_FALSE(ParseOverride("novalue", o).ok());
}

TEST(Config, ErrorsNameTheKey) {
  struct Case {
    ConfigOverrides overrides;
    std::string expect;
  };
  std::vector<Case> cases = {
      {{{"m", int64_t{1}}}, "unknown config key 'm'"},
      {{{"n", int64_t{11}}}, "'n': 11 is outside [1, 10]"},
      {{{"n", 2.5}}, "'n': expected an integer"},
      {{{"p", std::nan("")}}, "'p'"},
      {{{"mode", std::string("c")}}, "'mode': 'c' is not one of {a, b}"},
      {{{"flag", std::string("maybe")}}, "'flag': expected bool"},
      {{{"taps", std::vector<int64_t>{1, 17}}}, "'taps': 17 is outside"},
      {{{"n", std::string("x")}}, "'n': 'x' is not a number"},
  };
  for (const auto& c : cases) {
    auto r = Schema().Resolve(c.overrides);
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << r.status() << " / expected: " << c.expect;
  }
}

}  // namespace
}  // namespace gridrl::env
