#include "agents/nn.h"

#include <cmath>

namespace gridrl::agents {

Mlp::Mlp(std::vector<int64_t> sizes) : sizes_(std::move(sizes)) {
  for (size_t l = 0; l + 1 < sizes_.size(); ++l) {
    offsets_.push_back(num_params_);
    num_params_ += sizes_[l + 1] * sizes_[l] + sizes_[l + 1];
  }
}

void Mlp::Init(std::span<double> params, double output_gain, env::Rng& rng) const {
  const size_t layers = offsets_.size();
  for (size_t l = 0; l < layers; ++l) {
    const int64_t in = sizes_[l], out = sizes_[l + 1];
    const double gain = (l + 1 == layers) ? output_gain : std::sqrt(2.0);
    const double scale = gain / std::sqrt(static_cast<double>(in));
    double* w = params.data() + offsets_[l];
    for (int64_t i = 0; i < in * out; ++i) w[i] = scale * rng.Normal();
    for (int64_t i = 0; i < out; ++i) w[in * out + i] = 0.0;
  }
}

void Mlp::Forward(std::span<const double> params, const Matrix& x, Cache& cache,
                  Matrix& out) const {
  const size_t layers = offsets_.size();
  cache.acts.resize(layers + 1);
  cache.acts[0] = x;
  for (size_t l = 0; l < layers; ++l) {
    const int64_t in = sizes_[l], n_out = sizes_[l + 1];
    Eigen::Map<const Matrix> w(params.data() + offsets_[l], n_out, in);
    Eigen::Map<const Vector> b(params.data() + offsets_[l] + in * n_out, n_out);
    Matrix& y = cache.acts[l + 1];
    y.noalias() = w * cache.acts[l];
    y.colwise() += b;
    // tanh(z) = 1 - 2 / (exp(2z) + 1): Eigen vectorises exp for doubles but not tanh, and the
    // scalar tanh was half of a training run's agent time. Exact at +-inf, absolute error
    // ~1e-16 near 0 (irrelevant for an activation; the gradient uses the same y).
    if (l + 1 < layers) y = (1.0 - 2.0 / ((2.0 * y.array()).exp() + 1.0)).matrix();
  }
  out = cache.acts[layers];
}

void Mlp::Backward(std::span<const double> params, const Cache& cache, const Matrix& d_out,
                   std::span<double> grad) const {
  const size_t layers = offsets_.size();
  Matrix delta = d_out;
  for (size_t l = layers; l-- > 0;) {
    const int64_t in = sizes_[l], n_out = sizes_[l + 1];
    if (l + 1 < layers) {  // through tanh: d/dz = (1 - y^2)
      delta.array() *= (1.0 - cache.acts[l + 1].array().square());
    }
    Eigen::Map<Matrix> gw(grad.data() + offsets_[l], n_out, in);
    Eigen::Map<Vector> gb(grad.data() + offsets_[l] + in * n_out, n_out);
    gw.noalias() += delta * cache.acts[l].transpose();
    gb += delta.rowwise().sum();
    if (l > 0) {
      Eigen::Map<const Matrix> w(params.data() + offsets_[l], n_out, in);
      Matrix prev = w.transpose() * delta;
      delta = std::move(prev);
    }
  }
}

void Adam::Step(Vector& params, const Vector& grad, double lr) {
  ++t;
  m = beta1 * m + (1.0 - beta1) * grad;
  v = beta2 * v + (1.0 - beta2) * grad.cwiseProduct(grad);
  const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t));
  const double c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
  const double step = lr * std::sqrt(c2) / c1;
  params.array() -= step * m.array() / (v.array().sqrt() + eps * std::sqrt(c2));
}

double ClipGradNorm(Vector& grad, double max_norm) {
  const double norm = grad.norm();
  if (max_norm > 0.0 && norm > max_norm) grad *= max_norm / (norm + 1e-12);
  return norm;
}

void RunningStats::Update(const Matrix& x) {
  const double b = static_cast<double>(x.cols());
  if (b == 0) return;
  const Vector batch_mean = x.rowwise().mean();
  const Vector batch_var = (x.colwise() - batch_mean).array().square().rowwise().sum() / b;
  const double total = count + b;
  const Vector delta = batch_mean - mean;
  mean += delta * (b / total);
  var = (var * count + batch_var * b + delta.cwiseProduct(delta) * (count * b / total)) / total;
  count = total;
}

}  // namespace gridrl::agents
