#include "env/asset_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "tests/env/env_test_util.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<std::uint8_t> Png(int w, int h, int value) {
  std::vector<std::uint8_t> out;
  cv::imencode(".png", cv::Mat(h, w, CV_8UC3, cv::Scalar(value, value, value)), out);
  return out;
}

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const AssetError& e) {
    return e.what();
  }
  return "";
}

TEST(AssetStore, DecodesPathAndInlineAssetsAsBgr) {
  TempDir dir;
  fs::create_directories(dir / "data/sub");
  ASSERT_TRUE(
      cv::imwrite((dir / "data/sub/a.png").string(), cv::Mat(6, 8, CV_8U, cv::Scalar(7))));  // grey
  AssetStoreOptions o;
  o.data_root = dir / "data";
  AssetStore store(o);
  store.AddPath("a", "sub/a.png");
  store.Put("b", Png(5, 4, 200));
  const cv::Mat a = store.Get("a");
  EXPECT_EQ(a.type(), CV_8UC3);
  EXPECT_EQ(a.cols, 8);
  EXPECT_EQ(a.at<cv::Vec3b>(0, 0), cv::Vec3b(7, 7, 7));
  EXPECT_EQ(store.Get("b").rows, 4);
  EXPECT_TRUE(store.Contains("b"));
  store.Remove("b");
  EXPECT_FALSE(store.Contains("b"));
  EXPECT_NE(ErrorOf([&] { store.Get("b"); }).find("asset 'b': unknown asset"), std::string::npos);
}

TEST(AssetStore, RejectsPathsThatLeaveTheRoot) {
  TempDir dir;
  fs::create_directories(dir / "data/in");
  fs::create_directories(dir / "data2");
  fs::create_directories(dir / "outside");
  ASSERT_TRUE(
      cv::imwrite((dir / "data/in/ok.png").string(), cv::Mat(2, 2, CV_8UC3, cv::Scalar(1))));
  ASSERT_TRUE(
      cv::imwrite((dir / "outside/secret.png").string(), cv::Mat(2, 2, CV_8UC3, cv::Scalar(1))));
  ASSERT_TRUE(cv::imwrite((dir / "data2/x.png").string(), cv::Mat(2, 2, CV_8UC3, cv::Scalar(1))));
  fs::create_symlink(dir / "outside", dir / "data/escape");  // dir link leaving the root
  fs::create_symlink(dir / "outside/secret.png", dir / "data/secret.png");  // file link leaving it
  fs::create_symlink(dir / "data/in/ok.png", dir / "data/alias.png");       // link staying inside
  AssetStoreOptions o;
  o.data_root = dir / "data";
  AssetStore store(o);
  EXPECT_NE(
      ErrorOf([&] { store.AddPath("x", "../outside/secret.png"); }).find("leaves the data root"),
      std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              store.AddPath("x", "in/../../outside/secret.png");
            }).find("leaves the data root"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { store.AddPath("x", "../data2/x.png"); }).find("leaves the data root"),
            std::string::npos);  // prefix "data" of "data2"
  EXPECT_NE(
      ErrorOf([&] { store.AddPath("x", (dir / "data/in/ok.png").string()); }).find("absolute path"),
      std::string::npos);
  EXPECT_NE(ErrorOf([&] { store.AddPath("x", "escape/secret.png"); }).find("leaves the data root"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { store.AddPath("x", "secret.png"); }).find("leaves the data root"),
            std::string::npos);
  EXPECT_EQ(ErrorOf([&] { store.AddPath("ok", "in/../in/ok.png"); }), "");
  EXPECT_EQ(ErrorOf([&] { store.AddPath("alias", "alias.png"); }), "");
  EXPECT_EQ(store.Get("alias").rows, 2);
  EXPECT_FALSE(store.Contains("x"));
  // A link swapped after registration is caught when the asset is decoded.
  fs::create_directories(dir / "data/swap");
  ASSERT_TRUE(
      cv::imwrite((dir / "data/swap/s.png").string(), cv::Mat(2, 2, CV_8UC3, cv::Scalar(1))));
  fs::create_symlink(dir / "data/swap", dir / "data/link");
  store.AddPath("swapped", "link/s.png");
  fs::remove(dir / "data/link");
  fs::create_symlink(dir / "outside", dir / "data/link");
  fs::copy_file(dir / "outside/secret.png", dir / "outside/s.png");
  EXPECT_NE(ErrorOf([&] { store.Get("swapped"); }).find("leaves the data root"), std::string::npos);
}

TEST(AssetStore, ClearErrorsForCorruptAndOversizedImages) {
  AssetStoreOptions o;
  o.max_width = 100;
  o.max_height = 50;
  o.max_pixels = 2000;
  AssetStore store(o);
  store.Put("garbage", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  EXPECT_NE(ErrorOf([&] { store.Get("garbage"); }).find("asset 'garbage': cannot decode"),
            std::string::npos);
  std::vector<std::uint8_t> cut = Png(20, 20, 5);
  cut.resize(cut.size() / 2);
  store.Put("cut", cut);
  EXPECT_NE(ErrorOf([&] { store.Get("cut"); }).find("asset 'cut': cannot decode"),
            std::string::npos);
  store.Put("wide", Png(101, 10, 1));
  EXPECT_EQ(ErrorOf([&] { store.Get("wide"); }),
            "asset 'wide': 101x10 exceeds the 100-pixel width cap");
  store.Put("tall", Png(10, 51, 1));
  EXPECT_EQ(ErrorOf([&] { store.Get("tall"); }),
            "asset 'tall': 10x51 exceeds the 50-pixel height cap");
  store.Put("big", Png(50, 41, 1));
  EXPECT_EQ(ErrorOf([&] { store.Get("big"); }),
            "asset 'big': 50x41 (2050 pixels) exceeds the 2000-pixel cap");
  // A header claiming 40000x30000 is refused before anything is allocated for it.
  std::vector<std::uint8_t> header = Png(1, 1, 0);
  const std::uint32_t w = 40000, h = 30000;
  for (int i = 0; i < 4; ++i) {
    header[16 + i] = static_cast<std::uint8_t>(w >> (24 - 8 * i));
    header[20 + i] = static_cast<std::uint8_t>(h >> (24 - 8 * i));
  }
  AssetStore defaults(AssetStoreOptions{});
  defaults.Put("x.jpg", header);
  EXPECT_EQ(ErrorOf([&] { defaults.Get("x.jpg"); }),
            "asset 'x.jpg': 40000x30000 exceeds the 16384-pixel width cap");
  EXPECT_EQ(defaults.cache_stats().entries, 0u);
}

TEST(AssetStore, OptionsAreValidated) {
  AssetStoreOptions o;
  o.max_pixels = 0;
  EXPECT_THROW(AssetStore{o}, std::invalid_argument);
  o = {};
  o.data_root = "/nonexistent/understudy/root";
  EXPECT_THROW(AssetStore{o}, std::invalid_argument);
}

TEST(AssetStore, LruCacheStaysWithinItsByteBound) {
  AssetStoreOptions o;
  const std::size_t one = 16 * 16 * 3;  // rows x step of a 16x16 BGR image
  o.cache_bytes = 2 * one + one / 2;    // room for two
  AssetStore store(o);
  for (int i = 0; i < 4; ++i) store.Put("i" + std::to_string(i), Png(16, 16, i));
  const cv::Mat first = store.Get("i0");
  store.Get("i1");
  store.Get("i0");  // i0 becomes most recent
  store.Get("i2");  // evicts i1
  AssetCacheStats s = store.cache_stats();
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.bytes, 2 * one);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(store.Get("i0").data, first.data);  // still cached: same pixels
  store.Get("i1");                              // decoded again
  EXPECT_EQ(store.cache_stats().misses, 4u);
  store.Get("i3");
  store.Get("i2");
  EXPECT_LE(store.cache_stats().bytes, o.cache_bytes);
  // An image held by a caller survives eviction (reference-counted).
  EXPECT_EQ(first.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  // Replacing an asset drops its cached image.
  store.Put("i2", Png(16, 16, 99));
  EXPECT_EQ(store.Get("i2").at<cv::Vec3b>(0, 0), cv::Vec3b(99, 99, 99));
  // An image larger than the whole cache is served but not kept.
  store.Put("huge", Png(64, 64, 1));
  EXPECT_EQ(store.Get("huge").cols, 64);
  EXPECT_LE(store.cache_stats().bytes, o.cache_bytes);
}

TEST(AssetStore, ConcurrentReadersShareDecodesAndSeeConsistentImages) {
  AssetStore store(AssetStoreOptions{});
  constexpr int kAssets = 8;
  for (int i = 0; i < kAssets; ++i) store.Put("a" + std::to_string(i), Png(64 + i, 32, 10 * i));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        const int i = (k * 7 + t) % kAssets;
        const cv::Mat m = store.Get("a" + std::to_string(i));
        if (m.cols != 64 + i || m.at<cv::Vec3b>(5, 5)[0] != 10 * i) ++wrong;
        if (k % 50 == 0 && t == 0) store.Put("extra" + std::to_string(k), Png(8, 8, 1));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  const AssetCacheStats first = store.cache_stats();
  // One decode per asset, however many readers asked for it at once.
  EXPECT_EQ(first.misses, static_cast<std::size_t>(kAssets));
  EXPECT_EQ(first.hits + first.misses, 8u * 200u);
  // A corrupt asset fails the same way for every concurrent reader, and is not cached.
  store.Put("bad", {1, 2, 3, 4});
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      try {
        store.Get("bad");
      } catch (const AssetError& e) {
        if (std::string(e.what()).find("asset 'bad'") != std::string::npos) ++errors;
      }
    });
  }
  for (std::thread& th : readers) th.join();
  EXPECT_EQ(errors.load(), 4);
  // A failed decode is shared by the readers waiting on it, and retried by later ones.
  const AssetCacheStats s = store.cache_stats();
  EXPECT_GE(s.misses, first.misses + 1);
  EXPECT_LE(s.misses, first.misses + 4);
  EXPECT_EQ(s.entries, first.entries);
}

TEST(AssetStore, RegistersADataset) {
  TempDir dir;
  fs::create_directories(dir / "root/set/img");
  ASSERT_TRUE(
      cv::imwrite((dir / "root/set/img/p.png").string(), cv::Mat(3, 4, CV_8UC3, cv::Scalar(1))));
  Dataset d;
  d.image_root = (dir / "root/set").string();
  AssetRecord a;
  a.id = "p";
  a.path = "img/p.png";
  d.assets.push_back(a);
  AssetRecord b;
  b.id = "q";
  b.data = Png(2, 2, 3);
  d.assets.push_back(b);
  AssetStoreOptions o;
  o.data_root = dir / "root";
  AssetStore store(o);
  AddDataset(store, d);
  EXPECT_EQ(store.Get("p").cols, 4);
  EXPECT_EQ(store.Get("q").cols, 2);
  AssetStoreOptions narrow;
  narrow.data_root = dir / "root/set/img";
  AssetStore other(narrow);
  d.image_root = (dir / "root").string();
  d.assets[0].path =
      "set/img/new.png";  // no such file yet, but inside: registration checks the root
  EXPECT_NO_THROW(AddDataset(other, d));
  d.assets[0].path = "x.png";  // root/x.png lies outside root/set/img
  EXPECT_THROW(AddDataset(other, d), AssetError);
}

}  // namespace
}  // namespace understudy
