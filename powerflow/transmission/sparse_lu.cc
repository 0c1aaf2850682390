#include "powerflow/transmission/sparse_lu.h"

#include <algorithm>
#include <cmath>

#include "Eigen/OrderingMethods"
#include "Eigen/SparseCore"

namespace gridrl::powerflow {

std::vector<int> SparseLuPattern::AmdOrder(int n, const std::vector<int>& row_ptr,
                                           const std::vector<int>& cols) {
  std::vector<int> order(n);
  if (n == 0) return order;
  // Pattern of A + A^T with the diagonal, as Eigen's AMD expects a symmetric matrix.
  std::vector<Eigen::Triplet<double, int>> trip;
  trip.reserve(cols.size() * 2 + n);
  for (int i = 0; i < n; ++i) {
    trip.emplace_back(i, i, 1.0);
    for (int p = row_ptr[i]; p < row_ptr[i + 1]; ++p) {
      trip.emplace_back(i, cols[p], 1.0);
      trip.emplace_back(cols[p], i, 1.0);
    }
  }
  Eigen::SparseMatrix<double, Eigen::ColMajor, int> a(n, n);
  a.setFromTriplets(trip.begin(), trip.end());
  Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int> perm;
  Eigen::internal::minimum_degree_ordering(a, perm);
  // Eigen's convention (see SimplicialCholesky): the ordering returns P^-1, i.e. entry k is the
  // original index placed at position k.
  for (int k = 0; k < n; ++k) order[k] = perm.indices()[k];
  return order;
}

SparseLuPattern SparseLuPattern::Analyze(int n, const std::vector<std::vector<int>>& rows,
                                         bool use_amd) {
  std::vector<int> row_ptr(n + 1, 0), cols;
  for (int i = 0; i < n; ++i) {
    cols.insert(cols.end(), rows[i].begin(), rows[i].end());
    row_ptr[i + 1] = static_cast<int>(cols.size());
  }
  if (use_amd) {
    std::vector<int> order = AmdOrder(n, row_ptr, cols);
    return AnalyzeCsr(n, row_ptr, cols, &order);
  }
  std::vector<int> natural(n);
  for (int k = 0; k < n; ++k) natural[k] = k;
  return AnalyzeCsr(n, row_ptr, cols, &natural);
}

SparseLuPattern SparseLuPattern::AnalyzeCsr(int n, const std::vector<int>& row_ptr,
                                            const std::vector<int>& cols,
                                            const std::vector<int>* order) {
  SparseLuPattern p;
  p.n_ = n;
  if (order != nullptr) {
    p.perm_ = *order;
  } else {
    p.perm_ = AmdOrder(n, row_ptr, cols);
  }
  p.iperm_.resize(n);
  for (int k = 0; k < n; ++k) p.iperm_[p.perm_[k]] = k;

  // Strict lower triangle of the symmetrised, permuted pattern, in CSR (duplicates allowed).
  std::vector<int> lcount(n + 1, 0);
  for (int i = 0; i < n; ++i) {
    for (int q = row_ptr[i]; q < row_ptr[i + 1]; ++q) {
      const int a = p.iperm_[i], b = p.iperm_[cols[q]];
      if (a != b) ++lcount[std::max(a, b) + 1];
    }
  }
  for (int i = 0; i < n; ++i) lcount[i + 1] += lcount[i];
  std::vector<int> lcol(lcount[n]);
  std::vector<int> fill(lcount.begin(), lcount.end() - 1);
  for (int i = 0; i < n; ++i) {
    for (int q = row_ptr[i]; q < row_ptr[i + 1]; ++q) {
      const int a = p.iperm_[i], b = p.iperm_[cols[q]];
      if (a != b) lcol[fill[std::max(a, b)]++] = std::min(a, b);
    }
  }
  // Elimination tree (Liu's algorithm with path compression).
  std::vector<int> parent(n, -1), ancestor(n, -1);
  for (int i = 0; i < n; ++i) {
    for (int q = lcount[i]; q < lcount[i + 1]; ++q) {
      int j = lcol[q];
      while (ancestor[j] != -1 && ancestor[j] != i) {
        const int next = ancestor[j];
        ancestor[j] = i;
        j = next;
      }
      if (ancestor[j] == -1) {
        ancestor[j] = i;
        parent[j] = i;
      }
    }
  }
  // Row patterns of L (walk up the tree from each entry until row i), then U = L^T.
  std::vector<int> mark(n, -1), lptr(n + 1, 0), lrows;
  lrows.reserve(lcol.size() * 2);
  for (int i = 0; i < n; ++i) {
    mark[i] = i;
    for (int q = lcount[i]; q < lcount[i + 1]; ++q) {
      for (int j = lcol[q]; j != -1 && mark[j] != i; j = parent[j]) {
        lrows.push_back(j);
        mark[j] = i;
      }
    }
    std::sort(lrows.begin() + lptr[i], lrows.end());
    lptr[i + 1] = static_cast<int>(lrows.size());
  }
  std::vector<int> ucount(n + 1, 0);
  for (int j : lrows) ++ucount[j + 1];
  for (int i = 0; i < n; ++i) ucount[i + 1] += ucount[i];
  p.row_ptr_.assign(n + 1, 0);
  p.diag_.resize(n);
  p.col_.resize(lrows.size() * 2 + n);
  for (int i = 0; i < n; ++i) {
    p.row_ptr_[i + 1] = p.row_ptr_[i] + (lptr[i + 1] - lptr[i]) + 1 + (ucount[i + 1] - ucount[i]);
  }
  std::vector<int> unext(n);
  for (int i = 0; i < n; ++i) {
    int at = p.row_ptr_[i];
    for (int q = lptr[i]; q < lptr[i + 1]; ++q) p.col_[at++] = lrows[q];
    p.diag_[i] = at;
    p.col_[at++] = i;
    unext[i] = at;
  }
  for (int i = 0; i < n; ++i) {  // increasing i keeps every U row sorted
    for (int q = lptr[i]; q < lptr[i + 1]; ++q) p.col_[unext[lrows[q]]++] = i;
  }
  // Update targets: row i's position of every column touched by U(k, k+1:), k in L(i, :).
  size_t updates = 0;
  for (int i = 0; i < n; ++i) {
    for (int q = p.row_ptr_[i]; q < p.diag_[i]; ++q) {
      const int k = p.col_[q];
      updates += p.row_ptr_[k + 1] - p.diag_[k] - 1;
    }
  }
  p.update_target_.reserve(updates);
  std::vector<int> where(n, -1);
  for (int i = 0; i < n; ++i) {
    for (int q = p.row_ptr_[i]; q < p.row_ptr_[i + 1]; ++q) where[p.col_[q]] = q;
    for (int q = p.row_ptr_[i]; q < p.diag_[i]; ++q) {
      const int k = p.col_[q];
      for (int u = p.diag_[k] + 1; u < p.row_ptr_[k + 1]; ++u) {
        p.update_target_.push_back(where[p.col_[u]]);
      }
    }
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

void SparseLuPattern::RowPositions(int row, int* where) const {
  const int pi = iperm_[row];
  for (int q = row_ptr_[pi]; q < row_ptr_[pi + 1]; ++q) where[perm_[col_[q]]] = q;
}

bool SparseLuPattern::Factor(double* values, double* /*work*/) const {
  const int* col = col_.data();
  const int* target = update_target_.data();
  for (int i = 0; i < n_; ++i) {
    const int d = diag_[i];
    for (int p = row_ptr_[i]; p < d; ++p) {
      const int k = col[p];
      const double lik = values[p] / values[diag_[k]];
      values[p] = lik;
      const int kend = row_ptr_[k + 1];
      for (int q = diag_[k] + 1; q < kend; ++q) values[*target++] -= lik * values[q];
    }
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
