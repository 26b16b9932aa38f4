#pragma once

#include <cstdint>

#include "env/prompt.h"
#include "rewards/polygon.h"

namespace understudy {

/** How prompts are drawn for an annotated instance. */
struct PromptSamplerConfig {
  /** Standard deviation of each box side's shift, as a fraction of the box's width (left and
   *  right sides) or height (top and bottom): 0 gives the tight bounding box. People drawing a
   *  box are off by a few per cent of its size; 0.05 is a realistic setting. */
  double box_jitter = 0.0;
  /** Shifts are truncated to this many standard deviations so a box never turns inside out. */
  double max_sigmas = 2.0;
  /** Positive clicks placed inside the instance (each at a uniform point of its area). */
  int positive_clicks = 0;
  /** Boxes are clipped to the image. */
  bool clip_to_image = true;
  std::uint64_t seed = 0;

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
};

/**
 * Prompts for instances: the tight bounding box, optionally with seeded, human-like jitter and
 * clicks. Sample(instance, key) depends only on the config, the instance and the key (an
 * instance's stable index), not on call order, so datasets can be prompted in any order or in
 * parallel with the same result.
 */
class PromptSampler {
 public:
  explicit PromptSampler(PromptSamplerConfig config);

  /** A prompt for `instance` in an image of `image_width` x `image_height` pixels. Throws
   *  std::invalid_argument when the instance has no area. */
  Prompt Sample(const Instance& instance, int image_width, int image_height,
                std::uint64_t key) const;

  const PromptSamplerConfig& config() const { return config_; }

 private:
  PromptSamplerConfig config_;
};

}  // namespace understudy
