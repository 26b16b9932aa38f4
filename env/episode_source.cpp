#include "env/episode_source.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace understudy {
namespace {

AssetStoreOptions StoreOptions(const Dataset& dataset, std::size_t cache_bytes) {
  AssetStoreOptions options;
  options.data_root = dataset.image_root;  // empty for inline-only sets such as synthetic ones
  options.cache_bytes = cache_bytes;
  return options;
}

}  // namespace

EpisodeSource::EpisodeSource(Dataset dataset, PromptSamplerConfig prompts, std::size_t cache_bytes)
    : dataset_(std::move(dataset)), sampler_(prompts), store_(StoreOptions(dataset_, cache_bytes)) {
  for (std::size_t a = 0; a < dataset_.assets.size(); ++a) {
    AssetRecord& asset = dataset_.assets[a];
    bool any = false;
    for (std::size_t i = 0; i < asset.instances.size(); ++i) {
      if (asset.instances[i].crowd) continue;
      refs_.push_back({a, i});
      any = true;
    }
    if (!any) continue;
    if (!asset.data.empty()) {
      store_.Put(asset.id, std::move(asset.data));
      asset.data.clear();
    } else {
      store_.AddPath(asset.id, asset.path);
    }
  }
  if (refs_.empty()) {
    throw std::invalid_argument("EpisodeSource: the dataset has no non-crowd instance");
  }
}

Episode EpisodeSource::Get(std::size_t index) const {
  if (index >= refs_.size()) {
    throw std::out_of_range("EpisodeSource::Get: index " + std::to_string(index) + " >= size " +
                            std::to_string(refs_.size()));
  }
  const Ref& r = refs_[index];
  const AssetRecord& asset = dataset_.assets[r.asset];
  Episode e;
  e.image = store_.Get(asset.id);
  e.human = &asset.instances[r.instance].shape;
  e.prompt = sampler_.Sample(*e.human, e.image.cols, e.image.rows, index);
  return e;
}

}  // namespace understudy
