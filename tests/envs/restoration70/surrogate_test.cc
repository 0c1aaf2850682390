// The surrogate network and its trainers: both methods fit a known function of binary inputs,
// LM's early stopping keeps the best validation weights, JSON round trips, bad input.
#include <gtest/gtest.h>

#include "envs/restoration70/surrogate.h"
#include "env/rng.h"

namespace gridrl::agents {
namespace {

// y = 0.3 + 0.5 * (x0 + x1 + x2) / 3 - 0.2 * x3 * x4: smooth enough for 10 tanh units.
Dataset Make(int n, uint64_t seed, int inputs = 12) {
  env::Rng rng(seed);
  Dataset d;
  d.x.resize(n, inputs);
  d.y.resize(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < inputs; ++j) d.x(i, j) = rng.Bernoulli(0.5) ? 1.0 : 0.0;
    d.y[i] = 0.3 + 0.5 * (d.x(i, 0) + d.x(i, 1) + d.x(i, 2)) / 3.0 - 0.2 * d.x(i, 3) * d.x(i, 4);
  }
  return d;
}

TEST(SurrogateNet, LevenbergMarquardtFits) {
  Dataset train = Make(400, 1), val = Make(100, 2), test = Make(100, 3);
  SurrogateNet net(12, 10, 7);
  const double before = Evaluate(net, test).mse;
  TrainOptions o;
  o.max_epochs = 200;
  auto rep = TrainSurrogate(net, train, val, o);
  ASSERT_TRUE(rep.ok()) << rep.status();
  auto m = Evaluate(net, test);
  EXPECT_LT(m.mse, 1e-4) << rep->stop_reason;
  EXPECT_LT(m.mse, before);
  EXPECT_GT(m.r, 0.99);
  EXPECT_GT(rep->epochs, 0);
}

TEST(SurrogateNet, BayesianRegularisationFitsAndCountsParameters) {
  Dataset train = Make(400, 4), test = Make(100, 5);
  SurrogateNet net(12, 10, 8);
  TrainOptions o;
  o.method = TrainMethod::kBayesianRegularisation;
  o.max_epochs = 200;
  auto rep = TrainSurrogate(net, train, {}, o);
  ASSERT_TRUE(rep.ok()) << rep.status();
  auto m = Evaluate(net, test);
  EXPECT_LT(m.mse, 1e-3) << rep->stop_reason;
  EXPECT_GT(m.r, 0.99);
  // The evidence framework switches off part of the 151 parameters for this 5-input function.
  EXPECT_GT(rep->effective_params, 1.0);
  EXPECT_LT(rep->effective_params, net.num_params());
  EXPECT_GT(rep->alpha, 0.0);
}

TEST(SurrogateNet, EarlyStoppingRestoresTheBestValidationWeights) {
  // Few, noisy samples: validation error rises while training error keeps falling.
  Dataset train = Make(40, 6), val = Make(200, 7);
  env::Rng rng(3);
  for (int i = 0; i < train.size(); ++i) train.y[i] += 0.2 * rng.Normal();
  SurrogateNet net(12, 20, 9);
  TrainOptions o;
  o.max_epochs = 500;
  o.min_grad = 0;
  auto rep = TrainSurrogate(net, train, val, o);
  ASSERT_TRUE(rep.ok());
  const double final_val = Evaluate(net, val).mse;
  double best = 1e300;
  for (double v : rep->val_mse_history) best = std::min(best, v);
  // The history is in normalised units; compare in those.
  const double scale = 2.0 / (net.target_hi() - net.target_lo());
  EXPECT_NEAR(final_val * scale * scale, best, 1e-9 + 1e-9 * best);
  // The best validation epoch was not the last one, so the weights were restored.
  ASSERT_FALSE(rep->val_mse_history.empty());
  EXPECT_GT(rep->val_mse_history.back(), best);
}

TEST(SurrogateNet, JsonRoundTrip) {
  SurrogateNet net(12, 10, 3);
  net.set_target_range(0.2, 0.9);
  auto back = SurrogateNet::FromJson(net.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  std::vector<float> x(12, 1.0f);
  x[2] = 0;
  EXPECT_EQ(back->Predict(x), net.Predict(x));
}

TEST(SurrogateNet, BadInputIsAnError) {
  SurrogateNet net(12, 10, 3);
  Dataset wrong = Make(10, 1, 5);
  auto rep = TrainSurrogate(net, wrong, {}, {});
  ASSERT_FALSE(rep.ok());
  EXPECT_NE(rep.status().message().find("train.x"), std::string::npos) << rep.status();
  EXPECT_FALSE(TrainSurrogate(net, Dataset{}, {}, {}).ok());
  Dataset nan = Make(10, 1);
  nan.y[3] = std::nan("");
  EXPECT_FALSE(TrainSurrogate(net, nan, {}, {}).ok());
  EXPECT_FALSE(SurrogateNet::FromJson("{").ok());
  auto bad = SurrogateNet::FromJson(R"({"format": "gridrl-surrogate-1", "inputs": 2, "hidden": 1,
                                        "target_range": [0, 1], "params": [1, 2]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("params"), std::string::npos);
  EXPECT_FALSE(SurrogateNet::Load("/nonexistent/net.json").ok());
}

}  // namespace
}  // namespace gridrl::agents
