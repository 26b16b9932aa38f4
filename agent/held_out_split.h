#pragma once

#include <cstdint>
#include <stdexcept>

#include "agent/annotation_key.h"

namespace understudy {

/** Training on a held-out annotation was attempted: a bug in the caller, never data noise. */
class HeldOutViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/**
 * The deterministic held-out membership rule: an annotation is held out when the stable hash
 * of (project, asset id, prompt id) with `seed` falls in the lowest `fraction` of the 64-bit
 * range. Stateless, so the same annotation is in or out whatever the arrival order, process or
 * restart.
 */
class HeldOutSplit {
 public:
  /** `fraction` in [0, 1] (std::invalid_argument naming it otherwise). */
  HeldOutSplit(double fraction, std::uint64_t seed);

  bool IsHeldOut(const AnnotationKey& key) const { return all_ || Rank(key) < cutoff_; }

  /** Throws HeldOutViolation naming the key when it is held out. Every training path calls it. */
  void CheckTrainable(const AnnotationKey& key) const;

  /** The key's position in the seeded hash order; held out iff below the cutoff. */
  std::uint64_t Rank(const AnnotationKey& key) const { return StableHash(key, seed_); }

  double fraction() const { return fraction_; }
  std::uint64_t seed() const { return seed_; }

 private:
  double fraction_;
  std::uint64_t seed_;
  std::uint64_t cutoff_;  // Rank < cutoff_ is held out
  bool all_;              // fraction 1: every rank, including 2^64 - 1
};

}  // namespace understudy
