#include "rewards/matching.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace understudy {
namespace {

// Best total over all ways to give each row of the smaller side a distinct partner.
double BruteForceMinCost(const std::vector<double>& c, std::size_t rows, std::size_t cols) {
  const bool transpose = rows > cols;
  const std::size_t n = transpose ? cols : rows, m = transpose ? rows : cols;
  auto at = [&](std::size_t i, std::size_t j) {
    return transpose ? c[j * cols + i] : c[i * cols + j];
  };
  std::vector<std::size_t> perm(m);
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) total += at(i, perm[i]);
    best = std::min(best, total);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

TEST(Hungarian, MatchesBruteForceOnRandomRectangularMatrices) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-5.0, 10.0);
  std::uniform_int_distribution<int> small(0, 3);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t rows = 1 + trial % 6, cols = 1 + (trial / 6) % 6;
    std::vector<double> c(rows * cols);
    // Half the trials use few distinct values, to exercise ties.
    for (double& v : c) v = trial % 2 == 0 ? u(rng) : small(rng);
    const Assignment a = MinCostAssignment(c, rows, cols);
    EXPECT_NEAR(a.total, BruteForceMinCost(c, rows, cols), 1e-9) << rows << "x" << cols;
    // One-to-one, min(rows, cols) pairs, consistent both ways.
    std::size_t pairs = 0;
    double total = 0.0;
    for (std::size_t i = 0; i < rows; ++i) {
      const int j = a.row_to_col[i];
      if (j == Assignment::kUnassigned) continue;
      ++pairs;
      EXPECT_EQ(a.col_to_row[static_cast<std::size_t>(j)], static_cast<int>(i));
      total += c[i * cols + static_cast<std::size_t>(j)];
    }
    EXPECT_EQ(pairs, std::min(rows, cols));
    EXPECT_NEAR(total, a.total, 1e-9);
  }
}

TEST(Hungarian, MaxWeightPrefersTheGloballyBestPairs) {
  // Greedy would take 0.9 and then be left with 0.0; the optimum is 0.8 + 0.7.
  const std::vector<double> w = {0.9, 0.8,  //
                                 0.7, 0.0};
  const Assignment a = MaxWeightAssignment(w, 2, 2);
  EXPECT_EQ(a.row_to_col[0], 1);
  EXPECT_EQ(a.row_to_col[1], 0);
  EXPECT_NEAR(a.total, 1.5, 1e-12);
}

TEST(Hungarian, EmptyAndInvalidMatrices) {
  const Assignment a = MinCostAssignment({}, 0, 3);
  EXPECT_TRUE(a.row_to_col.empty());
  EXPECT_EQ(a.col_to_row, std::vector<int>(3, Assignment::kUnassigned));
  EXPECT_THROW(MinCostAssignment({1.0, 2.0}, 1, 3), std::invalid_argument);
  try {
    MinCostAssignment({1.0, 2.0, std::nan(""), 4.0}, 2, 2);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 1, column 0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace understudy
