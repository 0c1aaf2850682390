#include "env/space.h"

#include <gtest/gtest.h>

namespace gridrl::env {
namespace {

TEST(Space, DictKeysAreSortedAndLeavesFlatten) {
  Space s = Space::Dict({{"b", Space::Discrete(3)},
                         {"a", Space::Dict({{"y", Space::MultiBinary(2)},
                                            {"x", Space::Box(DType::kFloat64, {2, 3}, -1, 1)}})}});
  auto leaves = Leaves(s);
  ASSERT_EQ(leaves.size(), 3u);
  EXPECT_EQ(leaves[0].name, "a.x");
  EXPECT_EQ(leaves[0].num_bytes, 6u * 8u);
  EXPECT_EQ(leaves[1].name, "a.y");
  EXPECT_EQ(leaves[1].dtype, DType::kInt8);
  EXPECT_EQ(leaves[2].name, "b");
  EXPECT_EQ(leaves[2].dtype, DType::kInt64);
  EXPECT_TRUE(leaves[2].shape.empty());
  EXPECT_EQ(MaskSize(s), 3);
  EXPECT_EQ(MaskSize(Space::MultiDiscrete({2, 4})), 6);
  EXPECT_EQ(s.DebugString().substr(0, 10), "Dict('a': ");
}

TEST(Space, CheckLeafValues) {
  Space d = Space::Discrete(3, 1);
  auto leaf = Leaves(d)[0];
  int64_t ok = 3, bad = 0;
  EXPECT_TRUE(CheckLeafValues(leaf, &ok, "x").ok());
  EXPECT_EQ(CheckLeafValues(leaf, &bad, "x").code(), absl::StatusCode::kOutOfRange);

  Space box = Space::Box(DType::kFloat32, {2}, {0.0, -1.0}, {1.0, 1.0});
  auto bl = Leaves(box)[0];
  float in[2] = {0.5f, -1.0f}, out[2] = {0.5f, 1.5f}, nan[2] = {std::nanf(""), 0.0f};
  EXPECT_TRUE(CheckLeafValues(bl, in, "b").ok());
  auto s = CheckLeafValues(bl, out, "b");
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("b[1]"), std::string::npos) << s;
  EXPECT_EQ(CheckLeafValues(bl, nan, "b").code(), absl::StatusCode::kInvalidArgument);

  Space mb = Space::MultiBinary(3);
  int8_t bits[3] = {0, 1, 2};
  EXPECT_FALSE(CheckLeafValues(Leaves(mb)[0], bits, "m").ok());
  Space md = Space::MultiDiscrete({2, 3});
  int64_t v[2] = {1, 3};
  auto ms = CheckLeafValues(Leaves(md)[0], v, "md");
  EXPECT_NE(ms.message().find("md[1]"), std::string::npos) << ms;
}

}  // namespace
}  // namespace gridrl::env
