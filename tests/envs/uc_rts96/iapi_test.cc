// IAPI and the day-ahead heuristics of uc_rts96: tie-breaking, policy construction errors, TD(0)
// scoring, the cross-entropy step and exact resumption from a checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "envs/uc_rts96/iapi.h"
#include "envs/uc_rts96/heuristics.h"

namespace gridrl::agents {
namespace {

using env::uc::UcModel;
using env::uc::UcParams;
using env::uc::UcSim;

std::shared_ptr<const UcModel> Model() {
  static std::shared_ptr<const UcModel> m = [] {
    auto made = UcModel::Create(UcParams{});
    EXPECT_TRUE(made.ok()) << made.status();
    return *made;
  }();
  return m;
}

TEST(UcPolicies, ArgmaxLinearHandComputedAndUniformTies) {
  // Three actions with features [1, x]: psi = (0, 1) picks the largest x.
  std::vector<double> phi(3 * 19, 0.0);
  phi[0 * 19 + 1] = 0.5;
  phi[1 * 19 + 1] = 2.0;
  phi[2 * 19 + 1] = -1.0;
  std::vector<double> psi(19, 0.0);
  psi[1] = 1.0;
  env::Rng rng(1);
  EXPECT_EQ(ArgmaxLinear(phi, psi, rng), 1);
  psi[1] = -1.0;
  EXPECT_EQ(ArgmaxLinear(phi, psi, rng), 2);
  // psi = 0: every action ties; each is drawn.
  std::fill(psi.begin(), psi.end(), 0.0);
  std::set<int> seen;
  for (int i = 0; i < 200; ++i) seen.insert(ArgmaxLinear(phi, psi, rng));
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2}));
}

TEST(UcPolicies, HeuristicsMatchTheModelAndErrorsAreClear) {
  auto cost = MakeDaPolicy("cost", Model());
  auto elastic = MakeDaPolicy("elastic", Model());
  ASSERT_TRUE(cost.ok() && elastic.ok());
  std::vector<double> net(24, 2000.0);
  std::vector<double> phi(15 * 19, 0.0);
  env::Rng rng(1);
  EXPECT_EQ((*cost)->Act(net, phi, rng), Model()->CostAction(net));
  EXPECT_EQ((*elastic)->Act(net, phi, rng), Model()->ElasticAction(net));
  auto bad = MakeDaPolicy("greedy", Model());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("greedy"), std::string::npos);
  auto short_psi = MakeDaPolicy("psi", Model(), {1.0});
  ASSERT_FALSE(short_psi.ok());
  EXPECT_NE(short_psi.status().message().find("19"), std::string::npos);
  std::vector<double> nan_psi(19, 0.0);
  nan_psi[3] = std::nan("");
  EXPECT_FALSE(MakeDaPolicy("psi", Model(), nan_psi).ok());
}

TEST(Iapi, ScoreIsMeanValueOfVisitedStates) {
  UcSim sim(Model());
  IapiOptions o;
  o.initial_days = 2;
  std::vector<double> psi(19, 0.0);
  psi[4 + 4] = 1.0;  // always commit every unit (action 4)
  std::vector<VisitedState> visited;
  const CandidateResult r = ScoreCandidate(sim, psi, o, 42, &visited);
  ASSERT_EQ(visited.size(), 48u);
  EXPECT_EQ(r.actions, (std::vector<int>{4, 4}));
  double mean_v = 0, mean_r = 0;
  for (const auto& v : visited) {
    double x = 0;
    for (int i = 0; i < 15; ++i) x += r.theta[i] * v.phi[i];
    mean_v += x / 48;
    mean_r += v.reward / 48;
    EXPECT_GE(v.reward, 0.0);
    EXPECT_LE(v.reward, 1.0);
  }
  EXPECT_NEAR(r.score, mean_v, 1e-12);
  EXPECT_NEAR(r.mean_reward, mean_r, 1e-12);
  // Same seed, same result; another seed changes the realisations.
  const CandidateResult again = ScoreCandidate(sim, psi, o, 42);
  EXPECT_EQ(again.theta, r.theta);
  EXPECT_EQ(again.score, r.score);
}

TEST(Iapi, TdUpdateHandComputedOnOneStep) {
  // Two initial days with gamma = 0: every update is theta += alpha (r - theta.phi) phi, so after
  // the first update (theta = 0 before) theta = alpha_1 r_0 phi_0 with alpha_1 = alpha0.
  UcSim sim(Model());
  IapiOptions o;
  o.initial_days = 2;  // stress day 1 is infeasible for every subset; day 2 is not
  o.gamma = 0.0;
  o.alpha0 = 1e-9;  // small steps: theta stays ~ the first update plus tiny later ones
  std::vector<double> psi(19, 0.0);
  psi[4 + 4] = 1.0;
  std::vector<VisitedState> visited;
  const CandidateResult r = ScoreCandidate(sim, psi, o, 7, &visited);
  // Sum over the 48 updates of alpha_c r_{c-1} phi_{c-1} (theta.phi negligible at this scale).
  std::array<double, 15> expected{};
  double total_reward = 0;
  for (const auto& v : visited) total_reward += v.reward;
  ASSERT_GT(total_reward, 0.0);
  for (int c = 1; c <= 48; ++c) {
    const double alpha = o.alpha0 * std::pow(c, -o.alpha_decay);
    for (int i = 0; i < 15; ++i) expected[i] += alpha * visited[c - 1].reward * visited[c - 1].phi[i];
  }
  for (int i = 0; i < 15; ++i) EXPECT_NEAR(r.theta[i], expected[i], 1e-15 + 1e-6 * std::abs(expected[i]));
}

TEST(Iapi, CrossEntropyKeepsTheEliteAndResumesExactly) {
  IapiOptions o;
  o.iterations = 2;
  o.candidates = 6;
  o.elite_fraction = 1.0 / 3.0;  // 2 elite
  o.initial_days = 1;
  o.threads = 2;
  o.seed = 9;
  Iapi full(Model(), o);
  std::vector<std::vector<CandidateResult>> per_iteration;
  ASSERT_TRUE(full.Run(
                      [&](const IterationLog& log, const std::vector<CandidateResult>& results) {
                        per_iteration.push_back(results);
                        EXPECT_GE(log.best_score, log.top_percentile_score);
                        EXPECT_GE(log.elite_mean_score, log.top_percentile_score);
                        return absl::OkStatus();
                      },
                      nullptr)
                  .ok());
  ASSERT_EQ(per_iteration.size(), 2u);
  // Initial population: half zeros.
  for (int k = 0; k < 3; ++k) {
    for (double v : per_iteration[0][k].psi) EXPECT_EQ(v, 0.0);
  }
  // The second population starts with the first iteration's two best candidates.
  std::vector<CandidateResult> first = per_iteration[0];
  std::sort(first.begin(), first.end(),
            [](const auto& a, const auto& b) { return a.score > b.score; });
  EXPECT_EQ(per_iteration[1][0].psi, first[0].psi);
  EXPECT_EQ(per_iteration[1][1].psi, first[1].psi);

  // Stop after one iteration, checkpoint, resume in a new object: same final state.
  IapiOptions one = o;
  one.iterations = 1;
  Iapi part(Model(), one);
  ASSERT_TRUE(part.Run(nullptr, nullptr).ok());
  Iapi resumed(Model(), o);
  ASSERT_TRUE(resumed.RestoreCheckpoint(part.CheckpointJson()).ok());
  EXPECT_EQ(resumed.completed_iterations(), 1);
  ASSERT_TRUE(resumed.Run(nullptr, nullptr).ok());
  EXPECT_EQ(resumed.population(), full.population());
  EXPECT_EQ(resumed.best().psi, full.best().psi);
  EXPECT_EQ(resumed.best().score, full.best().score);

  // A checkpoint of other options is refused with a clear error.
  IapiOptions other = o;
  other.candidates = 8;
  Iapi mismatched(Model(), other);
  auto s = mismatched.RestoreCheckpoint(part.CheckpointJson());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("candidates"), std::string::npos);
  EXPECT_FALSE(mismatched.RestoreCheckpoint("{not json").ok());
}

TEST(Iapi, BadOptionsAreErrors) {
  IapiOptions o;
  o.candidates = 1;
  EXPECT_FALSE(o.Validate().ok());
  o = IapiOptions();
  o.elite_fraction = 0.001;
  EXPECT_NE(o.Validate().message().find("elite"), std::string::npos);
  o = IapiOptions();
  o.threads = 0;
  EXPECT_NE(o.Validate().message().find("threads"), std::string::npos);
}

}  // namespace
}  // namespace gridrl::agents
