// Sparse LDL^T factorization for complex *symmetric* (not Hermitian) matrices such as a nodal
// admittance matrix. The sparsity pattern is analysed once (fill-reducing ordering, elimination
// tree, column counts); every numeric refactorization reuses it and allocates nothing, which is
// what lets a feeder re-solve after a switch toggle stay in the microseconds: the pattern is the
// union over all switch states, an open switch only contributes zeros.
#pragma once

#include <complex>
#include <vector>

#include "absl/status/status.h"

namespace gridrl::powerflow {

class FeederLdl {
 public:
  using Complex = std::complex<double>;

  // `entries` lists the structurally non-zero (row, col) pairs (either triangle, duplicates
  // allowed); every diagonal is added. Computes an AMD ordering and the symbolic factor.
  void Analyze(int n, const std::vector<std::pair<int, int>>& entries);

  // Position of (row, col) in values() (symmetric: (i, j) and (j, i) share one slot); -1 if
  // the pair was not in the analysed pattern.
  int Position(int row, int col) const;

  // The matrix values, in the analysed pattern's storage order. Fill them, then Factorize.
  std::vector<Complex>& values() { return ax_; }

  // Numeric factorization; fails on a zero pivot (a floating node or an unsourced island).
  absl::Status Factorize();

  // Solves A x = b (b and x in the original node order; x may alias b).
  void Solve(const Complex* b, Complex* x) const;
  void Solve(Complex* b) const { Solve(b, b); }

  int n() const { return n_; }
  int factor_nonzeros() const { return lp_.empty() ? 0 : lp_[n_]; }

 private:
  int n_ = 0;
  std::vector<int> perm_;      // perm_[new] = old
  std::vector<int> inv_perm_;  // inv_perm_[old] = new
  std::vector<int> ap_, ai_;   // upper-triangular CSC of P A P^T (row <= col)
  std::vector<Complex> ax_;
  std::vector<int> parent_, lnz_, lp_, li_, flag_, pattern_;
  std::vector<Complex> lx_, d_, dinv_;
  mutable std::vector<Complex> y_, work_;
  std::vector<int> rowpat_ptr_, rowpat_;  // pattern of each row of L
  std::vector<double> lr_, li_im_;  // L values split for the solves
  mutable std::vector<double> xr_, xi_;
};

}  // namespace gridrl::powerflow
