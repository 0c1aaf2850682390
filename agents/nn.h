// Small dense networks for the native agents: a tanh MLP whose parameters live in one flat vector
// (so an optimiser, gradient clipping and checkpoints see a single array), Adam, and running
// mean/variance statistics for observation and reward normalisation.
//
// Everything is double precision and single-threaded (EIGEN_DONT_PARALLELIZE): the same inputs give
// bit-identical outputs on every run, which the determinism tests of the trainers rely on.
// Batches are column-major: one sample per column.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "env/rng.h"

namespace gridrl::agents {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// A multilayer perceptron: sizes = {in, h1, ..., out}; tanh after every hidden layer, a linear
// output. Parameters are a span of NumParams() doubles laid out layer by layer (W row-major as an
// out x in column-major matrix, then b), owned by the caller.
class Mlp {
 public:
  Mlp() = default;
  explicit Mlp(std::vector<int64_t> sizes);

  int64_t NumParams() const { return num_params_; }
  int64_t input_size() const { return sizes_.front(); }
  int64_t output_size() const { return sizes_.back(); }
  const std::vector<int64_t>& sizes() const { return sizes_; }

  // Weights ~ N(0, (gain_l)^2 / fan_in) with gain sqrt(2) for hidden layers and `output_gain` for
  // the last one; biases zero. A small output gain keeps a fresh policy close to uniform.
  void Init(std::span<double> params, double output_gain, env::Rng& rng) const;

  // Activations kept by Forward for Backward (one matrix per layer output).
  struct Cache {
    std::vector<Matrix> acts;  // acts[0] = input, acts[l+1] = output of layer l (after tanh)
  };
  // out = f(x); x is in x B. Keeps what Backward needs in `cache`.
  void Forward(std::span<const double> params, const Matrix& x, Cache& cache, Matrix& out) const;
  // Adds dLoss/dparams to `grad` given dLoss/dout (out x B) of the last Forward.
  void Backward(std::span<const double> params, const Cache& cache, const Matrix& d_out,
                std::span<double> grad) const;

 private:
  std::vector<int64_t> sizes_;
  std::vector<int64_t> offsets_;  // start of layer l's W; b follows W
  int64_t num_params_ = 0;
};

// Adam (Kingma and Ba) over a flat parameter vector.
struct Adam {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-5;
  Vector m, v;
  int64_t t = 0;

  void Resize(int64_t n) {
    m = Vector::Zero(n);
    v = Vector::Zero(n);
    t = 0;
  }
  void Step(Vector& params, const Vector& grad, double lr);
};

// Scales `grad` so its Euclidean norm is at most max_norm; returns the norm before clipping.
double ClipGradNorm(Vector& grad, double max_norm);

// Running mean and variance (Chan et al.'s parallel update), for normalising observations
// and returns. count starts at a tiny epsilon so the first update is well defined.
struct RunningStats {
  Vector mean, var;
  double count = 1e-4;

  void Resize(int64_t n) {
    mean = Vector::Zero(n);
    var = Vector::Ones(n);
    count = 1e-4;
  }
  // Adds the columns of x (n x B).
  void Update(const Matrix& x);
};

}  // namespace gridrl::agents
