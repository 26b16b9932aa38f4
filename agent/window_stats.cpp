#include "agent/window_stats.h"

#include <cmath>
#include <limits>

namespace understudy {

WindowStats Summarize(const std::deque<double>& samples, double z) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  WindowStats s;
  s.n = samples.size();
  if (s.n == 0) {
    s.mean = s.stddev = s.lcb = kNaN;
    return s;
  }
  double sum = 0.0;
  for (const double x : samples) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) {
    s.stddev = s.lcb = kNaN;
    return s;
  }
  // Two passes: the window is small and this stays exact where running sums would drift.
  double squares = 0.0;
  for (const double x : samples) squares += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(squares / static_cast<double>(s.n - 1));
  s.lcb = s.mean - z * s.stddev / std::sqrt(static_cast<double>(s.n));
  return s;
}

}  // namespace understudy
