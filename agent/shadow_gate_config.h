#pragma once

#include <cstddef>

namespace understudy {

/** Knobs of the per-project shadow gate (docs/gate.md explains each). */
struct ShadowGateConfig {
  std::size_t window = 100;       // most recent blind rewards kept as evidence
  std::size_t min_samples = 30;   // promotion needs at least this many in the window
  double threshold = 0.75;        // promote when the lower confidence bound reaches this
  double hysteresis = 0.05;       // demote when the mean falls below threshold - hysteresis
  double z = 1.645;               // bound = mean - z * s / sqrt(n); 1.645 is one-sided 95%
  double suggestion_floor = 0.5;  // while live, withhold suggestions predicted below this

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

}  // namespace understudy
