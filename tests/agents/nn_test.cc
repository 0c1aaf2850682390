// Gradients of the MLP, of every action head and of the whole PPO loss against central finite
// differences; Adam and the running statistics against their textbook formulas.
#include "agents/nn.h"

#include <gtest/gtest.h>

#include <cmath>

#include "agents/nn_heads.h"
#include "agents/ppo.h"
#include "env/registry.h"

namespace gridrl::agents {
namespace {

// Relative error that tolerates tiny absolute values.
void ExpectClose(double analytic, double numeric, const std::string& what) {
  const double scale = std::max({1.0, std::abs(analytic), std::abs(numeric)});
  EXPECT_NEAR(analytic, numeric, 1e-6 * scale) << what;
}

TEST(Mlp, GradientMatchesFiniteDifferences) {
  Mlp mlp({5, 7, 6, 3});
  env::Rng rng(11);
  Vector p(mlp.NumParams());
  mlp.Init({p.data(), static_cast<size_t>(p.size())}, 1.0, rng);
  for (int64_t i = 0; i < p.size(); ++i) p[i] += 0.1 * rng.Normal();  // non-zero biases too
  Matrix x(5, 4), w(3, 4);
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = rng.Normal();
  for (int64_t i = 0; i < w.size(); ++i) w.data()[i] = rng.Normal();
  Mlp::Cache cache;
  Matrix out;
  auto loss = [&](const Vector& params) {
    Mlp::Cache c;
    Matrix o;
    mlp.Forward({params.data(), static_cast<size_t>(params.size())}, x, c, o);
    return (o.array() * w.array()).sum();
  };
  mlp.Forward({p.data(), static_cast<size_t>(p.size())}, x, cache, out);
  Vector grad = Vector::Zero(p.size());
  mlp.Backward({p.data(), static_cast<size_t>(p.size())}, cache, w,
               {grad.data(), static_cast<size_t>(grad.size())});
  for (int64_t i = 0; i < p.size(); ++i) {
    Vector a = p, b = p;
    a[i] += 1e-6;
    b[i] -= 1e-6;
    ExpectClose(grad[i], (loss(a) - loss(b)) / 2e-6, "param " + std::to_string(i));
  }
}

// Checks d logp / d logits, d H / d logits and the log-std gradients of `heads` at one point.
void CheckHeadGradients(const ActionHeads& heads, const bool* mask, uint64_t seed) {
  env::Rng rng(seed);
  std::vector<double> z(heads.num_logits()), s(heads.num_log_std()), a(heads.action_size());
  for (double& v : z) v = 1.5 * rng.Normal();
  for (double& v : s) v = 0.3 * rng.Normal();
  const double sampled_logp = heads.Sample(z.data(), s.data(), mask, false, rng, a.data());
  std::vector<double> gl(z.size()), ge(z.size()), gs(s.size()), gse(s.size());
  const auto e = heads.Evaluate(z.data(), s.data(), mask, a.data(), gl.data(), ge.data(),
                                gs.data(), gse.data());
  EXPECT_NEAR(e.logp, sampled_logp, 1e-12) << "Sample and Evaluate disagree on log-probability";
  auto eval = [&](const std::vector<double>& zz, const std::vector<double>& ss) {
    return heads.Evaluate(zz.data(), ss.data(), mask, a.data(), nullptr, nullptr, nullptr,
                          nullptr);
  };
  const double h = 1e-6;
  for (size_t i = 0; i < z.size(); ++i) {
    auto zp = z, zm = z;
    zp[i] += h;
    zm[i] -= h;
    const auto ep = eval(zp, s), em = eval(zm, s);
    ExpectClose(gl[i], (ep.logp - em.logp) / (2 * h), "dlogp/dlogit " + std::to_string(i));
    ExpectClose(ge[i], (ep.entropy - em.entropy) / (2 * h), "dH/dlogit " + std::to_string(i));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    auto sp = s, sm = s;
    sp[i] += h;
    sm[i] -= h;
    const auto ep = eval(z, sp), em = eval(z, sm);
    ExpectClose(gs[i], (ep.logp - em.logp) / (2 * h), "dlogp/dlogstd " + std::to_string(i));
    ExpectClose(gse[i], (ep.entropy - em.entropy) / (2 * h), "dH/dlogstd " + std::to_string(i));
  }
}

TEST(ActionHeads, CategoricalWithMaskGradients) {
  ActionHeads heads;
  heads.AddCategorical("move", {5}, 0);
  const bool mask[5] = {true, false, true, true, false};
  for (uint64_t seed = 1; seed <= 5; ++seed) CheckHeadGradients(heads, mask, seed);
  // A masked choice is never drawn and has zero gradient.
  env::Rng rng(3);
  std::vector<double> z = {0.0, 5.0, 0.0, 0.0, 5.0}, a(1);
  for (int i = 0; i < 200; ++i) {
    heads.Sample(z.data(), nullptr, mask, false, rng, a.data());
    ASSERT_TRUE(mask[static_cast<int>(a[0])]) << "drew masked choice " << a[0];
  }
  heads.Sample(z.data(), nullptr, mask, true, rng, a.data());
  EXPECT_TRUE(mask[static_cast<int>(a[0])]);
}

TEST(ActionHeads, MultiDiscreteGradients) {
  ActionHeads heads;
  heads.AddCategorical("signal", {3, 2, 4}, 0);
  const bool mask[9] = {true, true, false, true, true, false, true, true, true};
  for (uint64_t seed = 1; seed <= 5; ++seed) CheckHeadGradients(heads, mask, seed);
  for (uint64_t seed = 1; seed <= 3; ++seed) CheckHeadGradients(heads, nullptr, seed);
}

TEST(ActionHeads, BernoulliGradients) {
  ActionHeads heads;
  heads.AddBernoulli("switches", 6);
  for (uint64_t seed = 1; seed <= 5; ++seed) CheckHeadGradients(heads, nullptr, seed);
}

TEST(ActionHeads, GaussianGradients) {
  ActionHeads heads;
  heads.AddGaussian("throttle", 3, {0, 0, 0}, {1, 1, 1});
  for (uint64_t seed = 1; seed <= 5; ++seed) CheckHeadGradients(heads, nullptr, seed);
}

TEST(ActionHeads, TutorialDictSpecGetsEveryHead) {
  auto spec = env::Registry::Global().Spec("tutorial", {});
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto heads = ActionHeads::FromSpec(*spec);
  ASSERT_TRUE(heads.ok()) << heads.status();
  ASSERT_EQ(heads->heads().size(), 4u);  // move, signal, sprint, throttle
  EXPECT_EQ(heads->heads()[0].kind, ActionHeads::Kind::kCategorical);
  EXPECT_EQ(heads->heads()[1].kind, ActionHeads::Kind::kCategorical);
  EXPECT_EQ(heads->heads()[2].kind, ActionHeads::Kind::kBernoulli);
  EXPECT_EQ(heads->heads()[3].kind, ActionHeads::Kind::kGaussian);
  EXPECT_EQ(heads->num_logits(), 5 + 5 + 1 + 1);
  EXPECT_EQ(heads->action_size(), 1 + 2 + 1 + 1);
  std::vector<bool> m(10, true);
  bool mask[10];
  for (int i = 0; i < 10; ++i) mask[i] = (i != 2 && i != 6);
  for (uint64_t seed = 1; seed <= 4; ++seed) CheckHeadGradients(*heads, mask, seed);
}

TEST(ActionHeads, IntegerBoxActionIsAnErrorNamingTheLeaf) {
  env::EnvSpec spec;
  spec.id = "fake";
  spec.observation_space = env::Space::Box(env::DType::kFloat32, {2}, -1.0, 1.0);
  spec.action_space = env::Space::Dict(
      {{"level", env::Space::Box(env::DType::kInt32, {1}, 0.0, 3.0)},
       {"move", env::Space::Discrete(2)}});
  spec.Finalize();
  auto heads = ActionHeads::FromSpec(spec);
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(std::string(heads.status().message()).find("'level'"), std::string::npos)
      << heads.status();
}

TEST(ActionHeads, GaussianActionIsClippedToTheBoxForTheEnv) {
  auto spec = env::Registry::Global().Spec("tutorial", {});
  ASSERT_TRUE(spec.ok());
  auto heads = *ActionHeads::FromSpec(*spec);
  env::ActionBatch batch;
  batch.Allocate(*spec, 1);
  const double action[5] = {2, 1, 0, 1, 7.5};  // throttle far above its bound 1
  heads.WriteAction(action, batch, 0);
  EXPECT_EQ(batch.leaves[0].data<int64_t>()[0], 2);
  EXPECT_EQ(batch.leaves[1].data<int64_t>()[0], 1);
  EXPECT_EQ(batch.leaves[1].data<int64_t>()[1], 0);
  EXPECT_EQ(batch.leaves[2].data<int8_t>()[0], 1);
  EXPECT_EQ(batch.leaves[3].data<float>()[0], 1.0f);
}

TEST(Adam, FirstStepsMatchTheFormula) {
  Adam adam;
  adam.Resize(2);
  Vector p(2), g(2);
  p << 1.0, -2.0;
  double m0 = 0, v0 = 0, p0 = 1.0;
  for (int t = 1; t <= 3; ++t) {
    g << 0.5 * t, -0.25;
    adam.Step(p, g, 0.1);
    m0 = 0.9 * m0 + 0.1 * 0.5 * t;
    v0 = 0.999 * v0 + 0.001 * (0.5 * t) * (0.5 * t);
    const double mhat = m0 / (1 - std::pow(0.9, t)), vhat = v0 / (1 - std::pow(0.999, t));
    p0 -= 0.1 * mhat / (std::sqrt(vhat) + 1e-5);
    EXPECT_NEAR(p[0], p0, 1e-12) << "step " << t;
  }
}

TEST(RunningStats, MatchesTwoPassMoments) {
  env::Rng rng(5);
  Matrix all(2, 30);
  for (int64_t i = 0; i < all.size(); ++i) all.data()[i] = 3.0 + 2.0 * rng.Normal();
  RunningStats s;
  s.Resize(2);
  s.count = 0.0;
  s.Update(all.leftCols(7));
  s.Update(all.middleCols(7, 13));
  s.Update(all.rightCols(10));
  const Vector mean = all.rowwise().mean();
  const Vector var = (all.colwise() - mean).array().square().rowwise().mean();
  EXPECT_NEAR((s.mean - mean).norm(), 0.0, 1e-12);
  EXPECT_NEAR((s.var - var).norm(), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.count, 30.0);
}

TEST(ClipGradNorm, ScalesDownOnlyAboveTheLimit) {
  Vector g(2);
  g << 3.0, 4.0;
  EXPECT_DOUBLE_EQ(ClipGradNorm(g, 10.0), 5.0);
  EXPECT_DOUBLE_EQ(g.norm(), 5.0);
  EXPECT_DOUBLE_EQ(ClipGradNorm(g, 0.5), 5.0);
  EXPECT_NEAR(g.norm(), 0.5, 1e-9);
}

// The full PPO loss (clipped surrogate over every head, entropy bonus, value loss) against finite
// differences, on a rollout of the tutorial's Dict action (categorical with mask, MultiDiscrete,
// Bernoulli and Gaussian at once), with parameters moved away from the rollout's so that ratios
// differ from 1 and some are clipped.
TEST(PpoLearner, LossGradientMatchesFiniteDifferences) {
  auto spec = env::Registry::Global().Spec("tutorial", {});
  ASSERT_TRUE(spec.ok());
  auto heads = *ActionHeads::FromSpec(*spec);
  PpoConfig config;
  config.hidden = {8, 6};
  config.entropy_coef = 0.05;
  config.clip_range = 0.1;
  const int64_t obs_size = 6;
  PpoLearner learner(obs_size, heads, config);
  learner.set_mask_size(spec->action_mask_size);
  env::Rng rng(21);
  learner.Init(rng);
  learner.BeginRollout(2);
  const int64_t n = 24;
  Matrix obs(obs_size, 1), actions;
  Vector logp, values;
  std::vector<bool> dummy;
  bool mask[10];
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = 0; k < obs_size; ++k) obs(k, 0) = rng.Normal();
    for (int k = 0; k < 10; ++k) mask[k] = k >= 5 || rng.Uniform() < 0.7 || k == 0;
    learner.Act(obs, mask, nullptr, false, rng, actions, logp, values);
    const int64_t s = learner.Add(i % 2, obs.col(0).data(), mask, nullptr, actions.col(0).data(),
                                  logp[0], values[0]);
    learner.SetOutcome(s, rng.Normal(), i % 7 == 6, i % 11 == 10, 0.3);
  }
  Vector last(2);
  last << 0.1, -0.2;
  learner.FinishRollout(last);
  learner.PrepareAdvantages();
  Vector p = learner.params();
  for (int64_t i = 0; i < p.size(); ++i) p[i] += 0.05 * rng.Normal();
  std::vector<int64_t> samples(n);
  for (int64_t i = 0; i < n; ++i) samples[i] = i;
  Vector grad;
  UpdateStats stats;
  learner.LossAndGrad(p, &grad, &stats, samples);
  EXPECT_GT(stats.clip_fraction, 0.0) << "no ratio outside the clip range: the clip path is untested";
  EXPECT_LT(stats.clip_fraction, 1.0);
  int checked = 0;
  for (int64_t i = 0; i < p.size(); ++i) {
    Vector a = p, b = p;
    a[i] += 1e-6;
    b[i] -= 1e-6;
    const double fd = (learner.LossAndGrad(a, nullptr, nullptr, samples) -
                       learner.LossAndGrad(b, nullptr, nullptr, samples)) /
                      2e-6;
    ExpectClose(grad[i], fd, "param " + std::to_string(i));
    ++checked;
  }
  EXPECT_EQ(checked, p.size());
}

}  // namespace
}  // namespace gridrl::agents
