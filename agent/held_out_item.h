#pragma once

#include <opencv2/core/mat.hpp>

#include "agent/annotation_key.h"
#include "env/prompt.h"
#include "rewards/polygon.h"
#include "rewards/reward_spec.h"

namespace understudy {

class Policy;

/**
 * One held-out annotation as the pool keeps it: the image around the prompt (a crop, so that
 * thousands of items do not pin thousands of whole images), and the prompt and human polygon in
 * the crop's pixel coordinates. Never given to a learner.
 */
struct HeldOutItem {
  AnnotationKey key;
  cv::Mat image;   // 8-bit BGR crop, its own pixels (not a view into the asset's image)
  Prompt prompt;   // in crop coordinates
  Instance human;  // validated, in crop coordinates
};

/**
 * The item for (image, prompt, human) keeping the image within `margin` box sides around the
 * prompt box on every side (clipped to the image; integer pixel offsets, so coordinates shift
 * exactly). A policy that looks no further than `margin` box sides beyond the box proposes the
 * same outline, shifted, as it would on the whole image, and its reward is the same. An empty
 * image stays empty and nothing shifts.
 */
HeldOutItem MakeHeldOutItem(const AnnotationKey& key, const cv::Mat& image, const Prompt& prompt,
                            const Instance& human, double margin);

/**
 * The reward of `policy`'s proposal for the item under `spec`. A proposal that is not valid
 * geometry, or a policy that throws, scores NaN: the champion/challenger comparison then refuses
 * to replace anything (a model that cannot score the pool is not vetted).
 */
double HeldOutReward(Policy& policy, const HeldOutItem& item, const RewardSpec& spec);

/** `instance` moved by (dx, dy). */
Instance Translated(const Instance& instance, double dx, double dy);

}  // namespace understudy
