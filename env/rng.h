#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace understudy {

/**
 * Deterministic random draws built only on std::mt19937_64 (whose output the standard fixes), so
 * the same seed gives the same numbers with every standard library. The std::*_distribution
 * classes are implementation-defined and are avoided on purpose.
 */
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  /** A child seed for stream `key` of `seed` (SplitMix64 finaliser), so that streams keyed by
   *  asset or episode index do not depend on the order they are drawn in. */
  static std::uint64_t Mix(std::uint64_t seed, std::uint64_t key) {
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (key + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::uint64_t Next() { return engine_(); }

  /** Uniform in [0, 1). */
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /** Uniform in [lo, hi). */
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  /** Uniform integer in [lo, hi] (inclusive); the tiny modulo bias is irrelevant here. */
  int UniformInt(int lo, int hi) {
    const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo + 1);
    return lo + static_cast<int>(engine_() % span);
  }

  /** Standard normal by Box-Muller (one value per call; simple and reproducible). */
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]: log is finite
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  double Normal(double mean, double stddev) { return mean + stddev * Normal(); }

  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace understudy
