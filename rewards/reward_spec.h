#pragma once

#include <optional>

#include "rewards/polygon.h"

namespace understudy {

/**
 * Weights of the reward's terms. Every term is a score in [0, 1] where 1 is perfect:
 *  iou         exact IoU;
 *  boundary_f  boundary F-score at boundary_tolerance;
 *  clicks      clicks saved, clamp(1 - clicks_to_fix / clicks_to_draw, 0, 1) at clicks_tolerance;
 *  hausdorff   clamp(1 - hausdorff / diagonal of the human polygon's bounding box, 0, 1).
 */
struct RewardWeights {
  double iou = 1.0;
  double boundary_f = 0.0;
  double clicks = 0.0;
  double hausdorff = 0.0;
};

/** Term scores of one evaluation; terms with weight 0 are not computed and stay empty. */
struct RewardComponents {
  std::optional<double> iou;
  std::optional<double> boundary_f;
  std::optional<double> clicks_saved;
  std::optional<double> hausdorff_score;
};

/** A scalar reward in [0, 1] and the terms it was made of. */
struct Reward {
  double value = 0.0;
  RewardComponents components;
};

/**
 * The one specification of the scalar reward: the weighted mean of the term scores,
 * sum(w_i s_i) / sum(w_i). Validated on construction (every weight finite and >= 0, their sum
 * > 0, tolerances finite and > 0); std::invalid_argument names the field and value. The default
 * is IoU only, the agent's RL reward.
 */
class RewardSpec {
 public:
  RewardSpec();
  explicit RewardSpec(const RewardWeights& weights, double boundary_tolerance = 2.0,
                      double clicks_tolerance = 2.0);

  const RewardWeights& weights() const { return weights_; }
  double boundary_tolerance() const { return boundary_tolerance_; }  // image units
  double clicks_tolerance() const { return clicks_tolerance_; }      // image units

  /** Scores a validated proposal against the validated human polygon; computes only the terms
   * with a non-zero weight. */
  Reward Evaluate(const Instance& proposal, const Instance& human) const;

  /** Combines precomputed term scores; throws std::invalid_argument if a weighted term is
   * missing or outside [0, 1]. */
  double Combine(const RewardComponents& components) const;

 private:
  RewardWeights weights_;
  double boundary_tolerance_ = 2.0;
  double clicks_tolerance_ = 2.0;
};

}  // namespace understudy
