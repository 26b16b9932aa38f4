#include "env/episode_source.h"

#include <stdexcept>
#include <string>
#include <utility>

#include "env/asset_image.h"

namespace understudy {

EpisodeSource::EpisodeSource(Dataset dataset, PromptSamplerConfig prompts)
    : dataset_(std::move(dataset)), sampler_(prompts) {
  images_.reserve(dataset_.assets.size());
  for (std::size_t a = 0; a < dataset_.assets.size(); ++a) {
    const AssetRecord& asset = dataset_.assets[a];
    bool any = false;
    for (std::size_t i = 0; i < asset.instances.size(); ++i) {
      if (asset.instances[i].crowd) continue;
      refs_.push_back({a, i});
      any = true;
    }
    images_.push_back(any ? LoadAssetImage(dataset_, asset) : cv::Mat());
  }
  if (refs_.empty())
    throw std::invalid_argument("EpisodeSource: the dataset has no non-crowd instance");
}

Episode EpisodeSource::Get(std::size_t index) const {
  if (index >= refs_.size()) {
    throw std::out_of_range("EpisodeSource::Get: index " + std::to_string(index) + " >= size " +
                            std::to_string(refs_.size()));
  }
  const Ref& r = refs_[index];
  const cv::Mat& image = images_[r.asset];
  const Instance& human = dataset_.assets[r.asset].instances[r.instance].shape;
  return {&image, sampler_.Sample(human, image.cols, image.rows, index), &human};
}

}  // namespace understudy
