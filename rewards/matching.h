#pragma once

#include <cstddef>
#include <vector>

namespace understudy {

/** A one-to-one assignment between the rows and columns of a matrix. */
struct Assignment {
  static constexpr int kUnassigned = -1;
  std::vector<int> row_to_col;  // the column of each row, or kUnassigned
  std::vector<int> col_to_row;  // the row of each column, or kUnassigned
  double total = 0.0;           // sum of the assigned entries
};

/**
 * Minimum-cost assignment (Kuhn-Munkres / Hungarian algorithm with potentials, O(k^2 K) for a
 * k x K matrix, k = min(rows, cols)). `cost` is row-major, rows x cols, any shape; exactly
 * min(rows, cols) pairs are assigned. Ties go to the lowest column, so the result is
 * deterministic. Throws std::invalid_argument on a size mismatch or a non-finite entry (naming
 * its row and column).
 */
Assignment MinCostAssignment(const std::vector<double>& cost, std::size_t rows, std::size_t cols);

/**
 * Maximum-weight assignment: MinCostAssignment on the negated weights. With non-negative weights
 * this is also a maximum-weight matching in which pairs may be left out (a zero-weight pair adds
 * nothing), so callers drop pairs below their own threshold afterwards.
 */
Assignment MaxWeightAssignment(const std::vector<double>& weight, std::size_t rows,
                               std::size_t cols);

}  // namespace understudy
