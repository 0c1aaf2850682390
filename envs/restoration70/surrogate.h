// A one-hidden-layer feed-forward regression network (tanh hidden units, linear output) and its
// two second-order trainers, written for the restoration70 surrogate (shared/spec/
// restoration70.md section 4): Levenberg-Marquardt with validation early stopping, and Bayesian
// regularisation (MacKay's evidence framework inside Levenberg-Marquardt), the two methods of
// the paper's Table 2.
//
// Inputs are binary (0/1) and mapped to -1/+1; the target is mapped to [-1, 1] by the training
// set's min and max; Predict undoes both, so callers see raw inputs and target units.
// Parameters are ordered [W1 (hidden x inputs, row-major), b1, w2, b2].
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "Eigen/Dense"

namespace gridrl::agents {

class SurrogateNet {
 public:
  // Weights drawn uniformly in +-1/sqrt(inputs) (hidden) and +-1/sqrt(hidden) (output), seeded.
  SurrogateNet(int inputs, int hidden, uint64_t seed);

  int inputs() const { return inputs_; }
  int hidden() const { return hidden_; }
  int num_params() const { return hidden_ * (inputs_ + 2) + 1; }

  double Predict(std::span<const float> x) const;  // raw 0/1 inputs, target units
  // Network output in normalised units for a batch of normalised inputs (rows).
  Eigen::VectorXd ForwardNormalised(const Eigen::MatrixXd& xn) const;

  Eigen::VectorXd params() const;
  void set_params(const Eigen::VectorXd& theta);
  void set_target_range(double lo, double hi);
  double target_lo() const { return y_lo_; }
  double target_hi() const { return y_hi_; }
  double NormaliseTarget(double y) const;
  double DenormaliseTarget(double yn) const;

  std::string ToJson() const;
  static absl::StatusOr<SurrogateNet> FromJson(const std::string& text);
  absl::Status Save(const std::string& path) const;
  static absl::StatusOr<SurrogateNet> Load(const std::string& path);

 private:
  int inputs_, hidden_;
  Eigen::MatrixXd w1_;  // hidden x inputs
  Eigen::VectorXd b1_, w2_;
  double b2_ = 0;
  double y_lo_ = -1, y_hi_ = 1;
};

struct Dataset {
  Eigen::MatrixXd x;  // rows of raw 0/1 inputs
  Eigen::VectorXd y;  // targets
  int64_t size() const { return y.size(); }
};

enum class TrainMethod { kLevenbergMarquardt, kBayesianRegularisation };

struct TrainOptions {
  TrainMethod method = TrainMethod::kLevenbergMarquardt;
  int max_epochs = 1000;
  double mu = 1e-3, mu_dec = 0.1, mu_inc = 10, mu_max = 1e10;
  int max_fail = 6;          // LM: validation checks before early stopping
  double min_grad = 1e-7;    // norm of the gradient (normalised units)
  double goal = 0.0;         // stop when the training MSE (normalised) reaches it
};

struct SplitMetrics {
  int64_t n = 0;
  double mse = 0;  // in target units
  double r = 0;    // Pearson correlation of outputs and targets
};

struct TrainReport {
  int epochs = 0;
  std::string stop_reason;
  double seconds = 0;
  double effective_params = 0;  // BR: gamma; LM: number of parameters
  double alpha = 0, beta = 0;   // BR hyperparameters at the end
  std::vector<double> train_mse_history, val_mse_history;  // per epoch, normalised units
};

// Sets the target range from `train` and trains in place. `val` may be empty (BR does not use it
// for stopping; LM then runs without early stopping). `on_epoch(epoch, train_mse)` may be empty.
absl::StatusOr<TrainReport> TrainSurrogate(SurrogateNet& net, const Dataset& train,
                                           const Dataset& val, const TrainOptions& options,
                                           const std::function<void(int, double)>& on_epoch = {});

SplitMetrics Evaluate(const SurrogateNet& net, const Dataset& data);

}  // namespace gridrl::agents
