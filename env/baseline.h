#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "env/dataset.h"
#include "env/prompt_sampler.h"
#include "env/proposer.h"

namespace understudy {

/** What a baseline run covers and how instances are prompted. */
struct BaselineOptions {
  PromptSamplerConfig prompts;  // tight boxes unless box_jitter > 0
  std::size_t limit = 0;        // at most this many instances (0: all), in dataset order
  /** How close (image pixels) the simulated annotator must bring the proposal before it counts
   *  as fixed (rewards/clicks.h); 2 pixels, as the reward spec's default. */
  double clicks_tolerance = 2.0;
  /** Called after each instance with (done, total), e.g. for a progress line. */
  std::function<void(std::size_t, std::size_t)> progress;

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
};

/** One proposer's result on one instance. */
struct InstanceScore {
  std::size_t asset = 0;           // index into Dataset::assets
  std::size_t instance = 0;        // index into AssetRecord::instances
  double iou = 0.0;                // ExactIou(proposal, human polygon)
  std::size_t clicks_to_fix = 0;   // ClicksToFix(proposal, human, clicks_tolerance).Total()
  std::size_t clicks_to_draw = 0;  // ClicksToDraw(human): the human polygon's vertex count
  double seconds = 0.0;            // time in Propose
  std::string source;              // Proposal::source (e.g. a fallback tag)
};

/** An input that could not be evaluated, and why. */
struct RejectedInput {
  std::string where;  // asset id and instance index
  std::string why;
};

/** One proposer over a dataset. */
struct BaselineReport {
  std::string proposer;
  std::vector<InstanceScore> scores;
  std::size_t crowd_skipped = 0;  // COCO crowd regions are not one object: not prompted
  std::vector<RejectedInput> rejected;

  double MeanIou() const;
  double MedianIou() const;
  double MeanClicksToFix() const;
  double MedianClicksToFix() const;
  double MeanClicksToDraw() const;
  double MedianClicksToDraw() const;
  /** Instances whose proposal source differs from the proposer's name (fallbacks). */
  std::size_t Fallbacks() const;
  double TotalSeconds() const;
};

/**
 * Prompts every non-crowd instance of `dataset` with its own bounding box (via the prompt
 * sampler, keyed by the instance's running index so jitter does not depend on the proposers) and
 * scores each proposer's polygon against the human one: IoU, and the clicks a simulated annotator
 * needs to fix it versus to draw the human polygon from scratch. Images are decoded once for all
 * proposers. An image that cannot be read, or a proposer that throws on an instance, is recorded
 * in `rejected` of the reports concerned and the run goes on.
 */
std::vector<BaselineReport> EvaluateProposers(const Dataset& dataset,
                                              const std::vector<Proposer*>& proposers,
                                              const BaselineOptions& options = {});

}  // namespace understudy
