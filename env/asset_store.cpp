#include "env/asset_store.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <utility>

#include "env/image_header.h"

namespace understudy {
namespace fs = std::filesystem;

void AssetStoreOptions::Validate() const {
  if (max_width <= 0)
    throw std::invalid_argument("AssetStoreOptions::max_width must be > 0, got " +
                                std::to_string(max_width));
  if (max_height <= 0)
    throw std::invalid_argument("AssetStoreOptions::max_height must be > 0, got " +
                                std::to_string(max_height));
  if (max_pixels <= 0)
    throw std::invalid_argument("AssetStoreOptions::max_pixels must be > 0, got " +
                                std::to_string(max_pixels));
  std::error_code ec;
  if (!data_root.empty() && !fs::is_directory(data_root, ec)) {
    throw std::invalid_argument("AssetStoreOptions::data_root '" + data_root.string() +
                                "' is not a folder");
  }
}

AssetStore::AssetStore(AssetStoreOptions options) : options_(std::move(options)) {
  options_.Validate();
  if (!options_.data_root.empty()) root_ = fs::canonical(options_.data_root);
}

fs::path AssetStore::Resolve(const std::string& id, const fs::path& relative) const {
  const std::string where = "asset '" + id + "'";
  if (root_.empty()) throw AssetError(where + ": no data root configured for path assets");
  if (relative.empty()) throw AssetError(where + ": empty path");
  if (relative.is_absolute() || relative.has_root_name() || relative.has_root_directory()) {
    throw AssetError(where + ": absolute path '" + relative.string() +
                     "' (paths are relative to the data root)");
  }
  std::error_code ec;
  // Resolves `..` and every symlink of the existing prefix.
  const fs::path resolved = fs::weakly_canonical(root_ / relative, ec);
  if (ec) throw AssetError(where + ": cannot resolve '" + relative.string() + "': " + ec.message());
  auto r = root_.begin();
  auto p = resolved.begin();
  for (; r != root_.end(); ++r, ++p) {
    if (p == resolved.end() || *p != *r) {
      throw AssetError(where + ": path '" + relative.string() + "' leaves the data root '" +
                       root_.string() + "'");
    }
  }
  return resolved;
}

void AssetStore::AddPath(const std::string& id, const fs::path& relative) {
  Resolve(id, relative);
  std::lock_guard<std::mutex> lock(mutex_);
  EraseCachedLocked(id);
  sources_[id] = Source{relative, nullptr, next_generation_++};
}

void AssetStore::Put(const std::string& id, std::vector<std::uint8_t> encoded) {
  auto bytes = std::make_shared<const std::vector<std::uint8_t>>(std::move(encoded));
  std::lock_guard<std::mutex> lock(mutex_);
  EraseCachedLocked(id);
  sources_[id] = Source{{}, std::move(bytes), next_generation_++};
}

void AssetStore::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  EraseCachedLocked(id);
  sources_.erase(id);
}

bool AssetStore::Contains(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sources_.count(id) != 0;
}

void AssetStore::CheckSize(const std::string& id, int width, int height) const {
  const std::string dims = std::to_string(width) + "x" + std::to_string(height);
  if (width > options_.max_width) {
    throw AssetError("asset '" + id + "': " + dims + " exceeds the " +
                     std::to_string(options_.max_width) + "-pixel width cap");
  }
  if (height > options_.max_height) {
    throw AssetError("asset '" + id + "': " + dims + " exceeds the " +
                     std::to_string(options_.max_height) + "-pixel height cap");
  }
  const std::int64_t pixels = std::int64_t{width} * height;
  if (pixels > options_.max_pixels) {
    throw AssetError("asset '" + id + "': " + dims + " (" + std::to_string(pixels) +
                     " pixels) exceeds the " + std::to_string(options_.max_pixels) + "-pixel cap");
  }
}

cv::Mat AssetStore::Decode(const std::string& id, const Source& source) const {
  std::shared_ptr<const std::vector<std::uint8_t>> bytes = source.bytes;
  if (!bytes) {
    const fs::path file = Resolve(id, source.relative);  // again: a symlink may have changed
    try {
      bytes = std::make_shared<const std::vector<std::uint8_t>>(ReadFileBytes(file));
    } catch (const std::runtime_error& e) {
      throw AssetError("asset '" + id + "': " + e.what());
    }
  }
  if (bytes->empty()) throw AssetError("asset '" + id + "': empty image data");
  std::optional<ImageInfo> info;
  try {
    info = ReadImageInfo(*bytes);
  } catch (const std::invalid_argument& e) {
    throw AssetError("asset '" + id + "': " + e.what());
  }
  if (info) CheckSize(id, info->width, info->height);  // refuse before allocating
  cv::Mat image;
  try {
    image = cv::imdecode(cv::Mat(1, static_cast<int>(bytes->size()), CV_8U,
                                 const_cast<std::uint8_t*>(bytes->data())),
                         cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw AssetError("asset '" + id + "': cannot decode: " + e.what());
  }
  if (image.empty())
    throw AssetError("asset '" + id + "': cannot decode (corrupt or not an image)");
  CheckSize(id, image.cols, image.rows);
  return image;
}

void AssetStore::EraseCachedLocked(const std::string& id) {
  const auto it = cache_.find(id);
  if (it == cache_.end()) return;
  stats_.bytes -= it->second.bytes;
  lru_.erase(it->second.lru);
  cache_.erase(it);
}

void AssetStore::InsertLocked(const std::string& id, const cv::Mat& image) {
  const std::size_t bytes = static_cast<std::size_t>(image.rows) * image.step[0];
  if (bytes > options_.cache_bytes) return;  // served, never cached
  EraseCachedLocked(id);
  while (stats_.bytes + bytes > options_.cache_bytes && !lru_.empty()) {
    EraseCachedLocked(lru_.back());
    ++stats_.evictions;
  }
  lru_.push_front(id);
  cache_.emplace(id, Cached{image, bytes, lru_.begin()});
  stats_.bytes += bytes;
}

cv::Mat AssetStore::Get(const std::string& id) {
  std::promise<cv::Mat> promise;
  Source source;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto cached = cache_.find(id);
    if (cached != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, cached->second.lru);
      ++stats_.hits;
      return cached->second.image;
    }
    const auto src = sources_.find(id);
    if (src == sources_.end()) throw AssetError("asset '" + id + "': unknown asset");
    const auto pending = in_flight_.find(id);
    if (pending != in_flight_.end() && pending->second.first == src->second.generation) {
      std::shared_future<cv::Mat> wait = pending->second.second;
      ++stats_.hits;
      lock.unlock();
      return wait.get();
    }
    source = src->second;
    in_flight_[id] = {source.generation, promise.get_future().share()};
    ++stats_.misses;
  }
  cv::Mat image;
  try {
    image = Decode(id, source);
  } catch (const std::exception&) {
    promise.set_exception(std::current_exception());  // waiters see the same error
    std::lock_guard<std::mutex> lock(mutex_);
    const auto pending = in_flight_.find(id);
    if (pending != in_flight_.end() && pending->second.first == source.generation)
      in_flight_.erase(pending);
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto pending = in_flight_.find(id);
    if (pending != in_flight_.end() && pending->second.first == source.generation)
      in_flight_.erase(pending);
    const auto src = sources_.find(id);
    // Cache only if the asset was not replaced or removed while decoding.
    if (src != sources_.end() && src->second.generation == source.generation)
      InsertLocked(id, image);
  }
  promise.set_value(image);
  return image;
}

AssetCacheStats AssetStore::cache_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  AssetCacheStats s = stats_;
  s.entries = cache_.size();
  return s;
}

void AddDataset(AssetStore& store, const Dataset& dataset) {
  const fs::path root =
      store.options().data_root.empty() ? fs::path() : fs::canonical(store.options().data_root);
  for (const AssetRecord& a : dataset.assets) {
    if (a.path.empty()) {
      store.Put(a.id, a.data);
      continue;
    }
    // Canonical, like the root, so a symlinked image_root still yields a path under it.
    const fs::path file = fs::weakly_canonical(fs::absolute(dataset.image_root) / a.path);
    store.AddPath(a.id, file.lexically_relative(root));
  }
}

}  // namespace understudy
