#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <opencv2/core/mat.hpp>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "env/dataset.h"

namespace understudy {

/** Where images come from and how much of them to keep decoded. */
struct AssetStoreOptions {
  std::filesystem::path data_root;  // path assets live under it; must exist
  int max_width = 16384;            // larger images are refused, before decoding
  int max_height = 16384;           // when the header tells the size
  std::int64_t max_pixels = std::int64_t{1} << 27;
  std::size_t cache_bytes = std::size_t{512} << 20;  // decoded bytes kept (rows x step)
  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** An asset that cannot be served; the message names the asset and why. */
class AssetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Cache counters, for metrics and tests. */
struct AssetCacheStats {
  std::size_t hits = 0;
  std::size_t misses = 0;  // decodes started
  std::size_t evictions = 0;
  std::size_t bytes = 0;  // decoded bytes held now
  std::size_t entries = 0;
};

/**
 * Decoded images by asset id, from files under a data root or from encoded bytes that arrived
 * inline. Thread-safe: the server's worker and the learner may call any method at once. Decoded
 * images are kept in an LRU cache bounded by bytes; concurrent requests for one asset share a
 * single decode. Get() returns a cv::Mat that shares the cached pixels (reference-counted, so it
 * stays valid after eviction); callers must not write into it.
 */
class AssetStore {
 public:
  explicit AssetStore(AssetStoreOptions options);

  /** Registers a file by its path relative to the data root. Rejects absolute paths and paths
   *  that leave the root through `..` or symlinks (checked again on every decode). */
  void AddPath(const std::string& id, const std::filesystem::path& relative);
  /** Registers (or replaces) an asset from its encoded bytes, e.g. as received over the wire. */
  void Put(const std::string& id, std::vector<std::uint8_t> encoded);
  void Remove(const std::string& id);
  bool Contains(const std::string& id) const;

  /** The image as 8-bit BGR (CV_8UC3), EXIF orientation applied. Throws AssetError. */
  cv::Mat Get(const std::string& id);

  /** The file under the data root that `relative` names, canonical; throws AssetError. */
  std::filesystem::path Resolve(const std::string& id, const std::filesystem::path& relative) const;

  AssetCacheStats cache_stats() const;
  const AssetStoreOptions& options() const { return options_; }

 private:
  struct Source {
    std::filesystem::path relative;                          // path asset
    std::shared_ptr<const std::vector<std::uint8_t>> bytes;  // inline asset
    std::uint64_t generation = 0;
  };
  struct Cached {
    cv::Mat image;
    std::size_t bytes = 0;
    std::list<std::string>::iterator lru;
  };

  cv::Mat Decode(const std::string& id, const Source& source) const;
  void CheckSize(const std::string& id, int width, int height) const;
  void EraseCachedLocked(const std::string& id);
  void InsertLocked(const std::string& id, const cv::Mat& image);

  AssetStoreOptions options_;
  std::filesystem::path root_;  // canonical
  mutable std::mutex mutex_;
  std::uint64_t next_generation_ = 1;
  std::unordered_map<std::string, Source> sources_;
  std::unordered_map<std::string, Cached> cache_;
  std::list<std::string> lru_;  // front: most recently used
  std::unordered_map<std::string, std::pair<std::uint64_t, std::shared_future<cv::Mat>>> in_flight_;
  AssetCacheStats stats_;
};

/** Registers every asset of `dataset` with `store`: path assets by their location relative to the
 *  store's data root (image_root/path), inline assets by their bytes. */
void AddDataset(AssetStore& store, const Dataset& dataset);

}  // namespace understudy
