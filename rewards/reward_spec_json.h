#pragma once

#include <nlohmann/json_fwd.hpp>

#include "rewards/reward_spec.h"

namespace understudy {

/**
 * Reads a reward specification from an experiment config:
 *   {"weights": {"iou": 1, "boundary_f": 0, "clicks": 0, "hausdorff": 0},
 *    "boundary_tolerance": 2, "clicks_tolerance": 2}
 * Every key is optional. Without "weights" the default (IoU only) applies; with it, weights it
 * does not name are 0. Unknown keys and non-numbers are rejected with std::invalid_argument naming
 * the key; the values are then validated as by the RewardSpec constructor.
 */
RewardSpec RewardSpecFromJson(const nlohmann::json& config);

/** The specification as JSON that RewardSpecFromJson reads back to the same values. */
nlohmann::json RewardSpecToJson(const RewardSpec& spec);

}  // namespace understudy
