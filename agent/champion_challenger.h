#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/held_out_pool.h"

namespace understudy {

/** When a challenger may replace the serving champion. */
struct ChallengeConfig {
  double tolerance = 0.0;     // replace if challenger_mean >= champion_mean - tolerance
  std::size_t min_items = 1;  // fewer scored items than this: no evidence, keep the champion

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** Both models' held-out scores over the same items, and the verdict. */
struct ChallengeResult {
  std::size_t n = 0;
  double champion_mean = 0.0;
  double challenger_mean = 0.0;
  double tolerance = 0.0;
  std::uint64_t pool_fingerprint = 0;
  bool replace = false;
  std::string reason;
};

/**
 * The verdict from per-item scores (same length, same item order). A non-finite score on
 * either side makes the comparison invalid: no replacement, and the reason names the item.
 * Throws std::invalid_argument when the lengths differ or `config` is invalid.
 */
ChallengeResult DecideChallenge(const std::vector<double>& champion_scores,
                                const std::vector<double>& challenger_scores,
                                std::uint64_t pool_fingerprint, const ChallengeConfig& config);

/**
 * Scores champion and challenger over the same frozen pool (`score(const Item&) -> double`,
 * the reward of that model's proposal for the item) and decides. Take the snapshot once and
 * pass it here so both models see exactly the same items.
 */
template <typename Item, typename ChampionScore, typename ChallengerScore>
ChallengeResult Challenge(const HeldOutSnapshot<Item>& pool, ChampionScore&& champion,
                          ChallengerScore&& challenger, const ChallengeConfig& config = {}) {
  std::vector<double> a;
  std::vector<double> b;
  a.reserve(pool.items.size());
  b.reserve(pool.items.size());
  for (const auto& entry : pool.items) {
    a.push_back(static_cast<double>(champion(*entry.second)));
    b.push_back(static_cast<double>(challenger(*entry.second)));
  }
  return DecideChallenge(a, b, pool.fingerprint, config);
}

}  // namespace understudy
