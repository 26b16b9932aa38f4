#pragma once

#include <cstddef>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "env/asset_store.h"
#include "env/dataset.h"
#include "env/prompt_sampler.h"

namespace understudy {

/** What one episode is about: an image, a prompt and the human polygon it is scored against. */
struct Episode {
  cv::Mat image;  // 8-bit BGR, shared with the source's cache: do not write
  Prompt prompt;
  const Instance* human = nullptr;  // owned by the EpisodeSource
};

/**
 * The episodes a dataset offers: one per non-crowd instance, prompted by the sampler (keyed by
 * the episode's index, so an episode's prompt never depends on draw order). Images are decoded on
 * first use and kept in an AssetStore's LRU cache bounded by `cache_bytes` (inline bytes move into
 * the store; path assets are read under Dataset::image_root). Get() is thread-safe, so the
 * workers of a BatchedEnv share one source.
 */
class EpisodeSource {
 public:
  /** Throws std::invalid_argument when the dataset has no non-crowd instance, or an AssetError
   *  for an image path that leaves the image root. */
  EpisodeSource(Dataset dataset, PromptSamplerConfig prompts,
                std::size_t cache_bytes = std::size_t{512} << 20);

  std::size_t size() const { return refs_.size(); }
  /** Episode `index` (< size()); throws std::out_of_range, or AssetError when the image cannot
   *  be read. */
  Episode Get(std::size_t index) const;

 private:
  struct Ref {
    std::size_t asset;
    std::size_t instance;
  };
  Dataset dataset_;  // annotations; inline image bytes have moved into store_
  PromptSampler sampler_;
  mutable AssetStore store_;  // thread-safe
  std::vector<Ref> refs_;
};

}  // namespace understudy
