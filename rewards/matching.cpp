#include "rewards/matching.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

// Hungarian algorithm for n <= m on a row-major n x m matrix: potentials u (rows) and v
// (columns) keep every reduced cost c(i, j) - u(i) - v(j) >= 0, and each row is added by growing
// an alternating tree along zero reduced costs (Dijkstra-like) until a free column is reached.
// Indices are 1-based inside; column 0 is a virtual root.
std::vector<int> SolveRowsAtMostCols(const double* c, std::size_t n, std::size_t m,
                                     bool transposed) {
  auto at = [&](std::size_t i, std::size_t j) {  // 1-based
    return transposed ? c[(j - 1) * n + (i - 1)] : c[(i - 1) * m + (j - 1)];
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), min_slack(m + 1);
  std::vector<std::size_t> row_of(m + 1, 0), previous(m + 1, 0);
  std::vector<char> in_tree(m + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    std::size_t j0 = 0;
    std::fill(min_slack.begin(), min_slack.end(), kInf);
    std::fill(in_tree.begin(), in_tree.end(), 0);
    do {
      in_tree[j0] = 1;
      const std::size_t i0 = row_of[j0];
      double delta = kInf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (in_tree[j]) continue;
        const double reduced = at(i0, j) - u[i0] - v[j];
        if (reduced < min_slack[j]) {
          min_slack[j] = reduced;
          previous[j] = j0;
        }
        if (min_slack[j] < delta) {
          delta = min_slack[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (in_tree[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          min_slack[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    // Flip the augmenting path back to the root.
    do {
      const std::size_t j1 = previous[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, Assignment::kUnassigned);
  for (std::size_t j = 1; j <= m; ++j) {
    if (row_of[j] != 0) row_to_col[row_of[j] - 1] = static_cast<int>(j - 1);
  }
  return row_to_col;
}

}  // namespace

Assignment MinCostAssignment(const std::vector<double>& cost, std::size_t rows, std::size_t cols) {
  if (cost.size() != rows * cols) {
    throw std::invalid_argument("MinCostAssignment: " + std::to_string(cost.size()) +
                                " entries for a " + std::to_string(rows) + "x" +
                                std::to_string(cols) + " matrix");
  }
  if (rows > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
      cols > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::invalid_argument("MinCostAssignment: matrix too large");
  }
  for (std::size_t k = 0; k < cost.size(); ++k) {
    if (!std::isfinite(cost[k])) {
      throw std::invalid_argument("MinCostAssignment: entry at row " + std::to_string(k / cols) +
                                  ", column " + std::to_string(k % cols) + " is not finite");
    }
  }
  Assignment out;
  out.row_to_col.assign(rows, Assignment::kUnassigned);
  out.col_to_row.assign(cols, Assignment::kUnassigned);
  if (rows == 0 || cols == 0) return out;
  if (rows <= cols) {
    out.row_to_col = SolveRowsAtMostCols(cost.data(), rows, cols, false);
    for (std::size_t i = 0; i < rows; ++i) {
      if (out.row_to_col[i] != Assignment::kUnassigned) {
        out.col_to_row[static_cast<std::size_t>(out.row_to_col[i])] = static_cast<int>(i);
      }
    }
  } else {
    out.col_to_row = SolveRowsAtMostCols(cost.data(), cols, rows, true);
    for (std::size_t j = 0; j < cols; ++j) {
      if (out.col_to_row[j] != Assignment::kUnassigned) {
        out.row_to_col[static_cast<std::size_t>(out.col_to_row[j])] = static_cast<int>(j);
      }
    }
  }
  for (std::size_t i = 0; i < rows; ++i) {
    if (out.row_to_col[i] != Assignment::kUnassigned) {
      out.total += cost[i * cols + static_cast<std::size_t>(out.row_to_col[i])];
    }
  }
  return out;
}

Assignment MaxWeightAssignment(const std::vector<double>& weight, std::size_t rows,
                               std::size_t cols) {
  std::vector<double> negated(weight.size());
  for (std::size_t k = 0; k < weight.size(); ++k) negated[k] = -weight[k];
  Assignment out = MinCostAssignment(negated, rows, cols);
  out.total = -out.total;
  return out;
}

}  // namespace understudy
