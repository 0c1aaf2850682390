// Sparse LU with a fixed pattern and static diagonal pivoting, for the structurally symmetric
// power-flow Jacobian (equation P_i pairs with unknown Va_i, Q_i with Vm_i, which keeps the
// pivots dominant). `Analyze` orders the pattern (AMD), computes the fill and freezes the layout
// once per topology; `Factor` and `Solve` then run on a plain value array with no allocation,
// so one symbolic analysis is shared (read-only) by every solver and thread.
#pragma once

#include <vector>

namespace gridrl::powerflow {

class SparseLuPattern {
 public:
  SparseLuPattern() = default;
  // `rows[i]` lists the columns of row i (any order, the diagonal is added if missing); the
  // pattern must be structurally symmetric. With `use_amd` false the natural order is kept.
  static SparseLuPattern Analyze(int n, const std::vector<std::vector<int>>& rows,
                                 bool use_amd = true);
  // Same from a CSR pattern; `order` (order[k] = original index eliminated k-th) replaces AMD
  // when given (e.g. a bus-level ordering expanded to the bus's unknowns).
  static SparseLuPattern AnalyzeCsr(int n, const std::vector<int>& row_ptr,
                                    const std::vector<int>& cols, const std::vector<int>* order);
  // AMD ordering of a CSR pattern (order[k] = original index placed k-th).
  static std::vector<int> AmdOrder(int n, const std::vector<int>& row_ptr,
                                   const std::vector<int>& cols);

  int n() const { return n_; }
  int nnz() const { return static_cast<int>(col_.size()); }
  // Position of entry (row, col) (original numbering) in the value array; -1 if not stored.
  int Position(int row, int col) const;
  // Sets where[col] = position for every stored entry (row, col) of `row` (original numbering);
  // `where` has n() ints. Lets callers map a whole row without searching.
  void RowPositions(int row, int* where) const;
  // Factors in place (values laid out by Position). `work` has n() doubles. Returns false if a
  // pivot is zero or not finite (singular system for this pattern).
  bool Factor(double* values, double* work) const;
  // Solves A x = b in place on `b` (original numbering); `work` has n() doubles.
  void Solve(const double* values, double* b, double* work) const;

 private:
  int n_ = 0;
  std::vector<int> perm_;   // perm_[new] = old
  std::vector<int> iperm_;  // iperm_[old] = new
  std::vector<int> row_ptr_, col_, diag_;  // filled pattern, permuted numbering, rows sorted
  // Precomputed elimination: for row i and each k in L(i, :) (in order), the value positions in
  // row i that U(k, k+1:) updates, so `Factor` works in place without a dense scatter/gather.
  std::vector<int> update_target_;
};

}  // namespace gridrl::powerflow
