// Image sizing and serving: the header reader against a full decode, and the asset store's cache
// against decoding every time. Each pair runs on the same bytes in the same run; compare within it.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "env/asset_store.h"
#include "env/image_header.h"

namespace understudy {
namespace {

// A 640x480 photo-like JPEG (noise compresses like texture), the size of a coco128 image.
const std::vector<std::uint8_t>& Jpeg() {
  static const std::vector<std::uint8_t> bytes = [] {
    cv::Mat m(480, 640, CV_8UC3);
    cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
    cv::GaussianBlur(m, m, cv::Size(9, 9), 3);
    std::vector<std::uint8_t> out;
    cv::imencode(".jpg", m, out);
    return out;
  }();
  return bytes;
}

void BM_SizeByDecode(benchmark::State& state) {  // baseline
  for (auto _ : state) {
    const cv::Mat m = cv::imdecode(Jpeg(), cv::IMREAD_COLOR);
    benchmark::DoNotOptimize(m.cols);
  }
}
BENCHMARK(BM_SizeByDecode);

void BM_SizeFromHeader(benchmark::State& state) {
  for (auto _ : state) {
    const auto info = ReadImageInfo(Jpeg());
    benchmark::DoNotOptimize(info->width);
  }
}
BENCHMARK(BM_SizeFromHeader);

void BM_AssetStoreDecodeEveryTime(
    benchmark::State& state) {  // baseline: a cache too small to hold one image
  AssetStoreOptions o;
  o.cache_bytes = 1;
  AssetStore store(o);
  store.Put("a", Jpeg());
  for (auto _ : state) benchmark::DoNotOptimize(store.Get("a").data);
}
BENCHMARK(BM_AssetStoreDecodeEveryTime);

void BM_AssetStoreCached(benchmark::State& state) {
  AssetStore store(AssetStoreOptions{});
  store.Put("a", Jpeg());
  store.Get("a");
  for (auto _ : state) benchmark::DoNotOptimize(store.Get("a").data);
}
BENCHMARK(BM_AssetStoreCached);

void BM_AssetStoreCachedContended(benchmark::State& state) {
  static AssetStore* store = nullptr;
  if (state.thread_index() == 0) {
    store = new AssetStore(AssetStoreOptions{});
    for (int i = 0; i < 16; ++i) store->Put("a" + std::to_string(i), Jpeg());
  }
  int i = state.thread_index();
  for (auto _ : state) benchmark::DoNotOptimize(store->Get("a" + std::to_string(i++ % 16)).data);
  if (state.thread_index() == 0) {
    delete store;
    store = nullptr;
  }
}
BENCHMARK(BM_AssetStoreCachedContended)->Threads(1)->Threads(2);

}  // namespace
}  // namespace understudy

BENCHMARK_MAIN();
