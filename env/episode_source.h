#pragma once

#include <cstddef>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "env/dataset.h"
#include "env/prompt_sampler.h"

namespace understudy {

/** What one episode is about: an image, a prompt and the human polygon it is scored against. */
struct Episode {
  const cv::Mat* image = nullptr;  // owned by the EpisodeSource
  Prompt prompt;
  const Instance* human = nullptr;  // owned by the EpisodeSource
};

/**
 * The episodes a dataset offers: one per non-crowd instance, prompted by the sampler (keyed by
 * the episode's index, so an episode's prompt never depends on draw order). Decodes every image
 * once, up front, and holds them: size it to memory (the synthetic sets are small). Immutable
 * after construction, so any number of threads may read it.
 */
class EpisodeSource {
 public:
  /** Throws std::runtime_error naming the asset when an image cannot be read, and
   *  std::invalid_argument when the dataset has no usable instance. */
  EpisodeSource(Dataset dataset, PromptSamplerConfig prompts);

  std::size_t size() const { return refs_.size(); }
  /** Episode `index` (< size()). */
  Episode Get(std::size_t index) const;
  const Dataset& dataset() const { return dataset_; }

 private:
  struct Ref {
    std::size_t asset;
    std::size_t instance;
  };
  Dataset dataset_;
  PromptSampler sampler_;
  std::vector<cv::Mat> images_;
  std::vector<Ref> refs_;
};

}  // namespace understudy
