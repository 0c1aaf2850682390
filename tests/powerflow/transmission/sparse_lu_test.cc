#include "powerflow/transmission/sparse_lu.h"

#include <random>

#include "Eigen/Dense"
#include "gtest/gtest.h"

namespace gridrl::powerflow {
namespace {

// A random structurally symmetric, diagonally dominant matrix (like a power-flow Jacobian).
void RandomSystem(int n, std::mt19937& rng, std::vector<std::vector<int>>* rows,
                  Eigen::MatrixXd* dense) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::bernoulli_distribution edge(3.0 / n);
  rows->assign(n, {});
  *dense = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (!edge(rng) && j != i + 1) continue;
      (*rows)[i].push_back(j);
      (*rows)[j].push_back(i);
      (*dense)(i, j) = u(rng);
      (*dense)(j, i) = u(rng);  // values need not be symmetric
    }
  }
  for (int i = 0; i < n; ++i) (*dense)(i, i) = 2.0 + dense->row(i).cwiseAbs().sum();
}

TEST(SparseLuTest, MatchesDenseSolveWithAndWithoutOrdering) {
  std::mt19937 rng(7);
  for (int n : {1, 2, 5, 40, 150}) {
    for (bool amd : {false, true}) {
      std::vector<std::vector<int>> rows;
      Eigen::MatrixXd a;
      RandomSystem(n, rng, &rows, &a);
      SparseLuPattern lu = SparseLuPattern::Analyze(n, rows, amd);
      std::vector<double> values(lu.nnz(), 0.0), work(n);
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          if (a(i, j) == 0) continue;
          const int p = lu.Position(i, j);
          ASSERT_GE(p, 0) << "entry (" << i << "," << j << ") missing from pattern";
          values[p] = a(i, j);
        }
      }
      ASSERT_TRUE(lu.Factor(values.data(), work.data()));
      Eigen::VectorXd b = Eigen::VectorXd::Random(n);
      std::vector<double> x(b.data(), b.data() + n);
      lu.Solve(values.data(), x.data(), work.data());
      Eigen::VectorXd expected = a.fullPivLu().solve(b);
      for (int i = 0; i < n; ++i) EXPECT_NEAR(x[i], expected[i], 1e-10) << "n=" << n << " i=" << i;
    }
  }
}

TEST(SparseLuTest, ReportsZeroPivot) {
  std::vector<std::vector<int>> rows = {{1}, {0}};
  SparseLuPattern lu = SparseLuPattern::Analyze(2, rows, false);
  std::vector<double> values(lu.nnz(), 0.0), work(2);
  values[lu.Position(0, 1)] = 1;
  values[lu.Position(1, 0)] = 1;  // [[0 1] [1 0]]: needs pivoting, static pivots fail
  EXPECT_FALSE(lu.Factor(values.data(), work.data()));
}

}  // namespace
}  // namespace gridrl::powerflow
