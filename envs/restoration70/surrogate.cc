#include "envs/restoration70/surrogate.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"
#include "env/rng.h"
#include "nlohmann/json.hpp"

namespace gridrl::agents {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Eigen::MatrixXd NormaliseInputs(const Eigen::MatrixXd& x) {
  return (2.0 * x.array() - 1.0).matrix();
}

// Residuals e = f(x) - y and, if wanted, the Jacobian de/dtheta (rows: samples).
void ResidualsAndJacobian(const SurrogateNet& net, const Eigen::MatrixXd& xn,
                          const Eigen::VectorXd& yn, const Eigen::VectorXd& theta,
                          Eigen::VectorXd& e, Eigen::MatrixXd* jac) {
  const int in = net.inputs(), h = net.hidden();
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
      w1(theta.data(), h, in);
  const auto b1 = theta.segment(h * in, h);
  const auto w2 = theta.segment(h * in + h, h);
  const double b2 = theta[h * in + 2 * h];
  Eigen::MatrixXd a = xn * w1.transpose();
  a.rowwise() += b1.transpose();
  a = a.array().tanh().matrix();
  e = (a * w2).array() + b2 - yn.array();
  if (jac == nullptr) return;
  const int64_t n = xn.rows();
  jac->resize(n, net.num_params());
  for (int k = 0; k < h; ++k) {
    const Eigen::ArrayXd d = (1.0 - a.col(k).array().square()) * w2[k];
    jac->middleCols(k * in, in) = (xn.array().colwise() * d).matrix();
    jac->col(h * in + k) = d.matrix();
    jac->col(h * in + h + k) = a.col(k);
  }
  jac->col(h * in + 2 * h).setOnes();
}

}  // namespace

SurrogateNet::SurrogateNet(int inputs, int hidden, uint64_t seed)
    : inputs_(inputs), hidden_(hidden), w1_(hidden, inputs), b1_(hidden), w2_(hidden) {
  env::Rng rng(seed);
  const double a1 = 1.0 / std::sqrt(static_cast<double>(std::max(1, inputs)));
  const double a2 = 1.0 / std::sqrt(static_cast<double>(std::max(1, hidden)));
  for (int h = 0; h < hidden; ++h) {
    for (int i = 0; i < inputs; ++i) w1_(h, i) = rng.Uniform(-a1, a1);
    b1_[h] = rng.Uniform(-a1, a1);
    w2_[h] = rng.Uniform(-a2, a2);
  }
  b2_ = 0.0;
}

double SurrogateNet::Predict(std::span<const float> x) const {
  double out = b2_;
  for (int h = 0; h < hidden_; ++h) {
    double z = b1_[h];
    for (int i = 0; i < inputs_; ++i) z += w1_(h, i) * (2.0 * x[i] - 1.0);
    out += w2_[h] * std::tanh(z);
  }
  return DenormaliseTarget(out);
}

Eigen::VectorXd SurrogateNet::ForwardNormalised(const Eigen::MatrixXd& xn) const {
  Eigen::MatrixXd a = xn * w1_.transpose();
  a.rowwise() += b1_.transpose();
  return (a.array().tanh().matrix() * w2_).array() + b2_;
}

Eigen::VectorXd SurrogateNet::params() const {
  Eigen::VectorXd t(num_params());
  int p = 0;
  for (int h = 0; h < hidden_; ++h) {
    for (int i = 0; i < inputs_; ++i) t[p++] = w1_(h, i);
  }
  t.segment(p, hidden_) = b1_;
  p += hidden_;
  t.segment(p, hidden_) = w2_;
  p += hidden_;
  t[p] = b2_;
  return t;
}

void SurrogateNet::set_params(const Eigen::VectorXd& t) {
  int p = 0;
  for (int h = 0; h < hidden_; ++h) {
    for (int i = 0; i < inputs_; ++i) w1_(h, i) = t[p++];
  }
  b1_ = t.segment(p, hidden_);
  p += hidden_;
  w2_ = t.segment(p, hidden_);
  p += hidden_;
  b2_ = t[p];
}

void SurrogateNet::set_target_range(double lo, double hi) {
  y_lo_ = lo;
  y_hi_ = hi > lo ? hi : lo + 1.0;  // a constant target maps to -1
}
double SurrogateNet::NormaliseTarget(double y) const {
  return 2.0 * (y - y_lo_) / (y_hi_ - y_lo_) - 1.0;
}
double SurrogateNet::DenormaliseTarget(double yn) const {
  return y_lo_ + (yn + 1.0) * 0.5 * (y_hi_ - y_lo_);
}

std::string SurrogateNet::ToJson() const {
  nlohmann::json j;
  j["format"] = "gridrl-surrogate-1";
  j["inputs"] = inputs_;
  j["hidden"] = hidden_;
  j["target_range"] = {y_lo_, y_hi_};
  Eigen::VectorXd t = params();
  j["params"] = std::vector<double>(t.data(), t.data() + t.size());
  return j.dump();
}

absl::StatusOr<SurrogateNet> SurrogateNet::FromJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("surrogate: not a JSON object");
  }
  if (j.value("format", "") != "gridrl-surrogate-1") {
    return absl::InvalidArgumentError("surrogate.format: expected \"gridrl-surrogate-1\"");
  }
  for (const char* key : {"inputs", "hidden", "target_range", "params"}) {
    if (!j.contains(key)) {
      return absl::InvalidArgumentError(absl::StrFormat("surrogate.%s: missing", key));
    }
  }
  if (!j["inputs"].is_number_integer() || !j["hidden"].is_number_integer() ||
      j["inputs"].get<int>() < 1 || j["hidden"].get<int>() < 1) {
    return absl::InvalidArgumentError("surrogate.inputs/hidden: expected positive integers");
  }
  SurrogateNet net(j["inputs"].get<int>(), j["hidden"].get<int>(), 0);
  if (!j["params"].is_array() || static_cast<int>(j["params"].size()) != net.num_params()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("surrogate.params: expected %d numbers", net.num_params()));
  }
  Eigen::VectorXd t(net.num_params());
  for (int p = 0; p < net.num_params(); ++p) {
    if (!j["params"][p].is_number()) {
      return absl::InvalidArgumentError(absl::StrFormat("surrogate.params[%d]: not a number", p));
    }
    t[p] = j["params"][p].get<double>();
  }
  net.set_params(t);
  const auto& r = j["target_range"];
  if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number()) {
    return absl::InvalidArgumentError("surrogate.target_range: expected [lo, hi]");
  }
  net.set_target_range(r[0].get<double>(), r[1].get<double>());
  return net;
}

absl::Status SurrogateNet::Save(const std::string& path) const {
  std::ofstream out(path);
  if (!out) return absl::InvalidArgumentError(absl::StrFormat("%s: cannot write", path));
  out << ToJson() << "\n";
  return out ? absl::OkStatus() : absl::InternalError(absl::StrFormat("%s: write failed", path));
}

absl::StatusOr<SurrogateNet> SurrogateNet::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrFormat("%s: cannot read", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto net = FromJson(ss.str());
  if (!net.ok()) {
    return absl::Status(net.status().code(), absl::StrFormat("%s: %s", path, net.status().message()));
  }
  return net;
}

SplitMetrics Evaluate(const SurrogateNet& net, const Dataset& data) {
  SplitMetrics m;
  m.n = data.size();
  if (m.n == 0) return m;
  Eigen::VectorXd yn = net.ForwardNormalised(NormaliseInputs(data.x));
  Eigen::VectorXd pred(m.n);
  for (int64_t i = 0; i < m.n; ++i) pred[i] = net.DenormaliseTarget(yn[i]);
  m.mse = (pred - data.y).squaredNorm() / m.n;
  const double mp = pred.mean(), my = data.y.mean();
  const double cov = ((pred.array() - mp) * (data.y.array() - my)).sum();
  const double vp = (pred.array() - mp).square().sum(), vy = (data.y.array() - my).square().sum();
  m.r = (vp > 0 && vy > 0) ? cov / std::sqrt(vp * vy) : 0.0;
  return m;
}

absl::StatusOr<TrainReport> TrainSurrogate(SurrogateNet& net, const Dataset& train,
                                           const Dataset& val, const TrainOptions& o,
                                           const std::function<void(int, double)>& on_epoch) {
  if (train.size() == 0) return absl::InvalidArgumentError("train: no samples");
  for (const Dataset* d : {&train, &val}) {
    if (d->size() > 0 && (d->x.cols() != net.inputs() || d->x.rows() != d->size())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s.x: expected %d rows of %d inputs, got %dx%d", d == &train ? "train" : "val",
          d->size(), net.inputs(), d->x.rows(), d->x.cols()));
    }
    if (d->size() > 0 && (!d->x.allFinite() || !d->y.allFinite())) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: non-finite inputs or targets", d == &train ? "train" : "val"));
    }
  }
  if (o.max_epochs < 1 || !(o.mu > 0) || !(o.mu_inc > 1) || !(o.mu_dec > 0 && o.mu_dec < 1)) {
    return absl::InvalidArgumentError(
        "options: need max_epochs >= 1, mu > 0, mu_inc > 1, 0 < mu_dec < 1");
  }
  const double t_start = Now();
  net.set_target_range(train.y.minCoeff(), train.y.maxCoeff());
  const Eigen::MatrixXd xn = NormaliseInputs(train.x);
  Eigen::VectorXd yn(train.size());
  for (int64_t i = 0; i < train.size(); ++i) yn[i] = net.NormaliseTarget(train.y[i]);
  const bool use_val = o.method == TrainMethod::kLevenbergMarquardt && val.size() > 0;
  Eigen::MatrixXd xv;
  Eigen::VectorXd yv;
  if (val.size() > 0) {
    xv = NormaliseInputs(val.x);
    yv.resize(val.size());
    for (int64_t i = 0; i < val.size(); ++i) yv[i] = net.NormaliseTarget(val.y[i]);
  }
  const bool br = o.method == TrainMethod::kBayesianRegularisation;
  const int np = net.num_params();
  const double n = static_cast<double>(train.size());
  TrainReport rep;
  Eigen::VectorXd theta = net.params();
  Eigen::VectorXd e, e2, best_val_theta = theta;
  Eigen::MatrixXd jac, jj(np, np), a(np, np);
  double mu = o.mu;
  ResidualsAndJacobian(net, xn, yn, theta, e, nullptr);
  double sse = e.squaredNorm(), ssx = theta.squaredNorm();
  // MacKay's initial hyperparameters with every parameter counted as well determined.
  double gamma = np;
  double alpha = br ? (ssx > 0 ? gamma / (2 * ssx) : 1.0) : 0.0;
  double beta = br ? std::max(1e-6, (n - gamma) / (2 * std::max(sse, 1e-300))) : 1.0;
  if (br && !(beta > 0 && std::isfinite(beta))) beta = 1.0;
  if (br && n <= gamma) beta = 1.0;
  double perf = beta * sse + alpha * ssx;
  double best_val = 1e300;
  int fails = 0;
  rep.stop_reason = "max_epochs";
  for (int epoch = 1; epoch <= o.max_epochs; ++epoch) {
    ResidualsAndJacobian(net, xn, yn, theta, e, &jac);
    jj.setZero();
    jj.selfadjointView<Eigen::Lower>().rankUpdate(jac.transpose());
    jj = jj.selfadjointView<Eigen::Lower>();
    const Eigen::VectorXd je = jac.transpose() * e;
    const Eigen::VectorXd grad = beta * je + alpha * theta;
    if (grad.norm() < o.min_grad) {
      rep.stop_reason = "min_grad";
      break;
    }
    bool accepted = false;
    while (mu <= o.mu_max) {
      a = beta * jj;
      a.diagonal().array() += mu + alpha;
      Eigen::LLT<Eigen::MatrixXd> llt(a);
      if (llt.info() == Eigen::Success) {
        const Eigen::VectorXd trial = theta - llt.solve(grad);
        ResidualsAndJacobian(net, xn, yn, trial, e2, nullptr);
        const double sse2 = e2.squaredNorm(), ssx2 = trial.squaredNorm();
        const double perf2 = beta * sse2 + alpha * ssx2;
        if (std::isfinite(perf2) && perf2 < perf) {
          theta = trial;
          sse = sse2;
          ssx = ssx2;
          perf = perf2;
          mu *= o.mu_dec;
          accepted = true;
          break;
        }
      }
      mu *= o.mu_inc;
    }
    rep.epochs = epoch;
    net.set_params(theta);
    rep.train_mse_history.push_back(sse / n);
    if (br && accepted) {
      // Effective number of parameters and the new hyperparameters (evidence maximisation),
      // with the Gauss-Newton Hessian at the accepted point.
      ResidualsAndJacobian(net, xn, yn, theta, e, &jac);
      jj.setZero();
      jj.selfadjointView<Eigen::Lower>().rankUpdate(jac.transpose());
      a = beta * jj.selfadjointView<Eigen::Lower>();
      a.diagonal().array() += alpha;
      Eigen::LLT<Eigen::MatrixXd> llt(a);
      if (llt.info() == Eigen::Success) {
        const Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(np, np));
        gamma = std::clamp(np - alpha * inv.trace(), 0.0, static_cast<double>(np));
        alpha = ssx > 0 ? gamma / (2 * ssx) : alpha;
        beta = (n - gamma) > 0 && sse > 0 ? (n - gamma) / (2 * sse) : beta;
        perf = beta * sse + alpha * ssx;
      }
    }
    double val_mse = 0;
    if (val.size() > 0) {
      val_mse = (net.ForwardNormalised(xv) - yv).squaredNorm() / val.size();
      rep.val_mse_history.push_back(val_mse);
    }
    if (on_epoch) on_epoch(epoch, sse / n);
    if (!accepted) {
      rep.stop_reason = "mu_max";
      break;
    }
    if (use_val) {
      if (val_mse < best_val) {
        best_val = val_mse;
        best_val_theta = theta;
        fails = 0;
      } else if (++fails >= o.max_fail) {
        rep.stop_reason = "validation_stop";
        break;
      }
    }
    if (sse / n <= o.goal) {
      rep.stop_reason = "goal";
      break;
    }
  }
  if (use_val) net.set_params(best_val_theta);
  rep.effective_params = br ? gamma : np;
  rep.alpha = alpha;
  rep.beta = beta;
  rep.seconds = Now() - t_start;
  return rep;
}

}  // namespace gridrl::agents
