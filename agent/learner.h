#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "agent/annotation_key.h"
#include "agent/policy.h"
#include "env/prompt.h"
#include "rewards/polygon.h"

namespace understudy {

/** One human-annotated prompt to learn from. The image is shared, not copied. */
struct TrainingExample {
  AnnotationKey key;
  cv::Mat image;   // 8-bit BGR, the whole asset
  Prompt prompt;   // as the annotator drew it
  Instance human;  // the validated human polygon
};

/** What a batch of updates did. Non-finite losses are skipped and counted, never applied. */
struct UpdateReport {
  int steps = 0;                // updates applied
  int skipped_non_finite = 0;   // updates refused because the loss or a gradient was not finite
  double loss = 0.0;            // mean over applied steps
  double sampled_reward = 0.0;  // mean reward of the sampled proposals
  double greedy_reward = 0.0;   // mean reward of the greedy (serving) proposals: the baseline
  double value_error = 0.0;     // mean |predicted - realised| reward of the value head
};

/**
 * Learns a Policy from human-annotated prompts. Owns a bounded replay buffer; each Update
 * samples batches from it, draws several proposals per item and scores them with the rewards
 * library. Deterministic for a seed and a call sequence. Not thread-safe: one thread owns it.
 * Adding a held-out example throws HeldOutViolation (agent/held_out_split.h).
 */
class Learner {
 public:
  virtual ~Learner() = default;
  virtual void Add(TrainingExample example) = 0;
  /** Examples in the replay buffer. */
  virtual std::size_t size() const = 0;
  /** Runs `steps` updates (none when the buffer is empty). */
  virtual UpdateReport Update(int steps) = 0;
  /** A serving policy with the current weights (the challenger). */
  virtual std::unique_ptr<Policy> MakePolicy() const = 0;
  /** Counters for /status and /metrics: updates, examples, loss, ... */
  virtual std::map<std::string, double> Progress() const = 0;
};

}  // namespace understudy
