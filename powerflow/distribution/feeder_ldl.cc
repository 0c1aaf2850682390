#include "powerflow/distribution/feeder_ldl.h"

#include <algorithm>

#include "Eigen/OrderingMethods"
#include "Eigen/SparseCore"
#include "absl/strings/str_cat.h"

namespace gridrl::powerflow {
namespace {

// Plain complex multiply: std::complex's operator* carries NaN/inf recovery branches that
// cost more than the arithmetic in these inner loops.
inline std::complex<double> Mul(std::complex<double> a, std::complex<double> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

}  // namespace

void FeederLdl::Analyze(int n, const std::vector<std::pair<int, int>>& entries) {
  n_ = n;
  // Fill-reducing ordering on the symmetric pattern.
  {
    Eigen::SparseMatrix<double, Eigen::ColMajor, int> pat(n, n);
    std::vector<Eigen::Triplet<double, int>> t;
    t.reserve(entries.size() * 2 + n);
    for (auto [i, j] : entries) {
      t.emplace_back(i, j, 1.0);
      t.emplace_back(j, i, 1.0);
    }
    for (int i = 0; i < n; ++i) t.emplace_back(i, i, 1.0);
    pat.setFromTriplets(t.begin(), t.end());
    Eigen::AMDOrdering<int> amd;
    Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> p;
    amd(pat, p);
    // Eigen's orderings return P^-1: indices()[new] = old.
    perm_.assign(p.indices().data(), p.indices().data() + n);
  }
  inv_perm_.assign(n, 0);
  for (int k = 0; k < n; ++k) inv_perm_[perm_[k]] = k;
  // Upper-triangular CSC of the permuted pattern.
  std::vector<std::vector<int>> cols(n);
  for (int k = 0; k < n; ++k) cols[k].push_back(k);
  for (auto [i, j] : entries) {
    int a = inv_perm_[i], b = inv_perm_[j];
    if (a > b) std::swap(a, b);
    cols[b].push_back(a);
  }
  ap_.assign(n + 1, 0);
  ai_.clear();
  for (int k = 0; k < n; ++k) {
    auto& c = cols[k];
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    ai_.insert(ai_.end(), c.begin(), c.end());
    ap_[k + 1] = static_cast<int>(ai_.size());
  }
  ax_.assign(ai_.size(), Complex(0, 0));
  // Elimination tree and column counts of L.
  parent_.assign(n, -1);
  lnz_.assign(n, 0);
  flag_.assign(n, 0);
  for (int k = 0; k < n; ++k) {
    parent_[k] = -1;
    flag_[k] = k;
    for (int p = ap_[k]; p < ap_[k + 1]; ++p) {
      int i = ai_[p];
      if (i >= k) continue;
      for (; flag_[i] != k; i = parent_[i]) {
        if (parent_[i] == -1) parent_[i] = k;
        ++lnz_[i];
        flag_[i] = k;
      }
    }
  }
  lp_.assign(n + 1, 0);
  for (int k = 0; k < n; ++k) lp_[k + 1] = lp_[k] + lnz_[k];
  li_.assign(lp_[n], 0);
  lx_.assign(lp_[n], Complex(0, 0));
  d_.assign(n, Complex(0, 0));
  dinv_.assign(n, Complex(0, 0));
  y_.assign(n, Complex(0, 0));
  work_.assign(n, Complex(0, 0));
  xr_.assign(n, 0.0);
  xi_.assign(n, 0.0);
  lr_.assign(lp_[n], 0.0);
  li_im_.assign(lp_[n], 0.0);
  pattern_.assign(n, 0);
  // The non-zero pattern of each row of L, in the order the up-looking factorization needs it
  // (topological in the elimination tree); fixed by the pattern, so computed once here.
  rowpat_ptr_.assign(n + 1, 0);
  rowpat_.clear();
  rowpat_.reserve(lp_[n]);
  std::fill(flag_.begin(), flag_.end(), -1);
  for (int k = 0; k < n; ++k) {
    int top = n;
    flag_[k] = k;
    for (int p = ap_[k]; p < ap_[k + 1]; ++p) {
      int i = ai_[p];
      int len = 0;
      for (; flag_[i] != k; i = parent_[i]) {
        pattern_[len++] = i;
        flag_[i] = k;
      }
      while (len > 0) pattern_[--top] = pattern_[--len];
    }
    rowpat_.insert(rowpat_.end(), pattern_.begin() + top, pattern_.begin() + n);
    rowpat_ptr_[k + 1] = static_cast<int>(rowpat_.size());
  }
}

int FeederLdl::Position(int row, int col) const {
  int a = inv_perm_[row], b = inv_perm_[col];
  if (a > b) std::swap(a, b);
  auto begin = ai_.begin() + ap_[b], end = ai_.begin() + ap_[b + 1];
  auto it = std::lower_bound(begin, end, a);
  if (it == end || *it != a) return -1;
  return static_cast<int>(it - ai_.begin());
}

absl::Status FeederLdl::Factorize() {
  // Up-looking LDL^T, one row of L at a time (no conjugation: A is complex symmetric).
  for (int k = 0; k < n_; ++k) {
    y_[k] = 0;
    lnz_[k] = 0;
    for (int p = ap_[k]; p < ap_[k + 1]; ++p) y_[ai_[p]] += ax_[p];
    Complex dk = y_[k];
    y_[k] = 0;
    for (int q = rowpat_ptr_[k]; q < rowpat_ptr_[k + 1]; ++q) {
      const int i = rowpat_[q];
      const Complex yi = y_[i];
      y_[i] = 0;
      const int p2 = lp_[i] + lnz_[i];
      for (int p = lp_[i]; p < p2; ++p) y_[li_[p]] -= Mul(lx_[p], yi);
      const Complex l_ki = Mul(yi, dinv_[i]);
      dk -= Mul(l_ki, yi);
      li_[p2] = k;
      lx_[p2] = l_ki;
      ++lnz_[i];
    }
    if (std::norm(dk) == 0 || !std::isfinite(dk.real()) || !std::isfinite(dk.imag()))
      return absl::FailedPreconditionError(
          absl::StrCat("zero pivot at node ", perm_[k], ": a node with no path to a source"));
    d_[k] = dk;
    dinv_[k] = std::conj(dk) / std::norm(dk);
  }
  for (size_t p = 0; p < lx_.size(); ++p) {
    lr_[p] = lx_[p].real();
    li_im_[p] = lx_[p].imag();
  }
  return absl::OkStatus();
}

void FeederLdl::Solve(const Complex* b, Complex* out) const {
  // Split real/imaginary arrays: the triangular sweeps are gather/scatter bound, and plain
  // doubles let the compiler keep both parts in registers without std::complex's NaN checks.
  double* xr = xr_.data();
  double* xi = xi_.data();
  for (int k = 0; k < n_; ++k) {
    const Complex v = b[perm_[k]];
    xr[k] = v.real();
    xi[k] = v.imag();
  }
  const int* lp = lp_.data();
  const int* li = li_.data();
  const double* lr = lr_.data();
  const double* lim = li_im_.data();
  for (int j = 0; j < n_; ++j) {
    const double ar = xr[j], ai = xi[j];
    for (int p = lp[j]; p < lp[j + 1]; ++p) {
      const int r = li[p];
      xr[r] -= lr[p] * ar - lim[p] * ai;
      xi[r] -= lr[p] * ai + lim[p] * ar;
    }
  }
  for (int j = 0; j < n_; ++j) {
    const double dr = dinv_[j].real(), di = dinv_[j].imag();
    const double ar = xr[j], ai = xi[j];
    xr[j] = ar * dr - ai * di;
    xi[j] = ar * di + ai * dr;
  }
  for (int j = n_ - 1; j >= 0; --j) {
    double sr = xr[j], si = xi[j];
    for (int p = lp[j]; p < lp[j + 1]; ++p) {
      const int c = li[p];
      sr -= lr[p] * xr[c] - lim[p] * xi[c];
      si -= lr[p] * xi[c] + lim[p] * xr[c];
    }
    xr[j] = sr;
    xi[j] = si;
  }
  for (int k = 0; k < n_; ++k) out[perm_[k]] = Complex(xr[k], xi[k]);
}

}  // namespace gridrl::powerflow
