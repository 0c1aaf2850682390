#include "powerflow/sparse_lu.h"

#include <algorithm>
#include <cmath>

#include "Eigen/OrderingMethods"
#include "Eigen/SparseCore"

namespace gridrl::powerflow {

SparseLuPattern SparseLuPattern::Analyze(int n, const std::vector<std::vector<int>>& rows,
                                         bool use_amd) {
  SparseLuPattern p;
  p.n_ = n;
  p.perm_.resize(n);
  p.iperm_.resize(n);
  if (use_amd && n > 0) {
    std::vector<Eigen::Triplet<double, int>> trip;
    for (int i = 0; i < n; ++i) {
      trip.emplace_back(i, i, 1.0);
      for (int j : rows[i]) trip.emplace_back(i, j, 1.0);
    }
    Eigen::SparseMatrix<double, Eigen::ColMajor, int> a(n, n);
    a.setFromTriplets(trip.begin(), trip.end());
    Eigen::AMDOrdering<int> amd;
    Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> perm;
    amd(a, perm);
    // Eigen's convention (see SimplicialCholesky): the ordering returns P^-1, i.e. entry k is the
    // original index placed at position k.
    for (int k = 0; k < n; ++k) p.perm_[k] = perm.indices()[k];
  } else {
    for (int k = 0; k < n; ++k) p.perm_[k] = k;
  }
  for (int k = 0; k < n; ++k) p.iperm_[p.perm_[k]] = k;

  // Lower pattern of each permuted row (columns < row).
  std::vector<std::vector<int>> lower(n);
  for (int i = 0; i < n; ++i) {
    const int pi = p.iperm_[i];
    for (int j : rows[i]) {
      const int pj = p.iperm_[j];
      if (pj < pi) lower[pi].push_back(pj);
      if (pi < pj) lower[pj].push_back(pi);  // enforce symmetry of the analysed pattern
    }
  }
  // Elimination tree (Liu's algorithm with path compression).
  std::vector<int> parent(n, -1), ancestor(n, -1);
  for (int i = 0; i < n; ++i) {
    for (int k : lower[i]) {
      int j = k;
      while (ancestor[j] != -1 && ancestor[j] != i) {
        int next = ancestor[j];
        ancestor[j] = i;
        j = next;
      }
      if (ancestor[j] == -1) {
        ancestor[j] = i;
        parent[j] = i;
      }
    }
  }
  // Row patterns of L: walk from each entry up the tree until row i.
  std::vector<int> mark(n, -1);
  std::vector<std::vector<int>> lrow(n), urow(n);
  for (int i = 0; i < n; ++i) {
    mark[i] = i;
    for (int k : lower[i]) {
      for (int j = k; j != -1 && mark[j] != i; j = parent[j]) {
        lrow[i].push_back(j);
        mark[j] = i;
      }
    }
    std::sort(lrow[i].begin(), lrow[i].end());
    for (int j : lrow[i]) urow[j].push_back(i);  // increasing i keeps urow sorted
  }
  p.row_ptr_.assign(n + 1, 0);
  p.diag_.resize(n);
  for (int i = 0; i < n; ++i) {
    p.col_.insert(p.col_.end(), lrow[i].begin(), lrow[i].end());
    p.diag_[i] = static_cast<int>(p.col_.size());
    p.col_.push_back(i);
    p.col_.insert(p.col_.end(), urow[i].begin(), urow[i].end());
    p.row_ptr_[i + 1] = static_cast<int>(p.col_.size());
  }
  return p;
}

int SparseLuPattern::Position(int row, int col) const {
  const int pi = iperm_[row], pj = iperm_[col];
  auto begin = col_.begin() + row_ptr_[pi], end = col_.begin() + row_ptr_[pi + 1];
  auto it = std::lower_bound(begin, end, pj);
  if (it == end || *it != pj) return -1;
  return static_cast<int>(it - col_.begin());
}

bool SparseLuPattern::Factor(double* values, double* w) const {
  const int* col = col_.data();
  for (int i = 0; i < n_; ++i) {
    const int begin = row_ptr_[i], end = row_ptr_[i + 1], d = diag_[i];
    for (int p = begin; p < end; ++p) w[col[p]] = values[p];
    for (int p = begin; p < d; ++p) {
      const int k = col[p];
      const double lik = w[k] / values[diag_[k]];
      w[k] = lik;
      const int kend = row_ptr_[k + 1];
      for (int q = diag_[k] + 1; q < kend; ++q) w[col[q]] -= lik * values[q];
    }
    for (int p = begin; p < end; ++p) values[p] = w[col[p]];
    const double piv = values[d];
    if (!(std::fabs(piv) > 1e-300) || !std::isfinite(piv)) return false;
  }
  return true;
}

void SparseLuPattern::Solve(const double* values, double* b, double* x) const {
  const int* col = col_.data();
  for (int k = 0; k < n_; ++k) x[k] = b[perm_[k]];
  for (int i = 0; i < n_; ++i) {
    double s = x[i];
    for (int p = row_ptr_[i]; p < diag_[i]; ++p) s -= values[p] * x[col[p]];
    x[i] = s;
  }
  for (int i = n_ - 1; i >= 0; --i) {
    double s = x[i];
    const int d = diag_[i];
    for (int p = d + 1; p < row_ptr_[i + 1]; ++p) s -= values[p] * x[col[p]];
    x[i] = s / values[d];
  }
  for (int k = 0; k < n_; ++k) b[perm_[k]] = x[k];
}

}  // namespace gridrl::powerflow
