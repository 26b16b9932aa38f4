#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "rewards/polygon.h"
#include "rewards/reward_spec.h"

namespace understudy {

/** A proposal scored against one human polygon: the reward and the metrics behind it. */
struct PairScore {
  double reward = 0.0;
  /** "iou" always; the reward's weighted terms ("boundary_f", "clicks_saved",
   *  "hausdorff_score"); with clicks, "clicks_to_fix", "clicks_moves", "clicks_adds",
   *  "clicks_deletes" (at the spec's clicks tolerance) and "clicks_to_draw". */
  std::map<std::string, double> components;
};

/**
 * Scores a validated proposal against a validated human polygon with `spec`. An empty proposal
 * (no parts: the model produced nothing usable) scores 0 on every term, and its clicks to fix
 * are the clicks to draw the human polygon. `clicks` adds the simulated annotator's clicks,
 * which the simulator's human-effort model prices; they cost O(n^2 log n) in the worst case.
 */
PairScore ScorePair(const RewardSpec& spec, const Instance& proposal, const Instance& human,
                    bool clicks);

/** One proposal's share of a matching: the human instance it was paired with (-1: none). */
struct MatchedScore {
  int instance = -1;
  PairScore score;  // reward 0 when unmatched
};

/**
 * Pairs proposals with human instances one to one, maximising the total reward (Hungarian,
 * rewards/matching.h), and scores each proposal against its partner. A proposal left without a
 * partner (more proposals than instances, or only zero-reward pairs) scores 0: it outlines
 * nothing the annotator drew. Deterministic (ties go to the lowest instance index).
 */
std::vector<MatchedScore> MatchAndScore(const RewardSpec& spec,
                                        const std::vector<Instance>& proposals,
                                        const std::vector<Instance>& humans, bool clicks);

}  // namespace understudy
