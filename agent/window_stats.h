#pragma once

#include <cstddef>
#include <deque>

namespace understudy {

/**
 * The evidence the shadow gate decides on: the mean of a window of blind rewards, its sample
 * standard deviation, and the one-sided lower confidence bound mean - z * s / sqrt(n).
 * With n == 0 all three are NaN; with n == 1 the mean is the sample and stddev and lcb are NaN
 * (one sample says nothing about spread, so it bounds nothing). NaN compares false, so an
 * undefined bound can never promote.
 */
struct WindowStats {
  std::size_t n = 0;
  double mean = 0.0;
  double stddev = 0.0;  // sample (n - 1) standard deviation
  double lcb = 0.0;
};

/** Two-pass mean and sample standard deviation of `samples`, and the bound for `z`. */
WindowStats Summarize(const std::deque<double>& samples, double z);

}  // namespace understudy
