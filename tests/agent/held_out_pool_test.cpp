#include "agent/held_out_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "agent/training_buffer.h"

namespace understudy {
namespace {

std::vector<AnnotationKey> Stream(int assets, int prompts) {
  std::vector<AnnotationKey> keys;
  for (int a = 0; a < assets; ++a) {
    for (int p = 0; p < prompts; ++p) {
      keys.push_back({"proj", "asset-" + std::to_string(a), std::to_string(p)});
    }
  }
  return keys;
}

TEST(HeldOutSplit, HoldsOutAboutTheConfiguredFraction) {
  const HeldOutSplit split(0.1, 42);
  const auto keys = Stream(400, 50);
  const auto held = std::count_if(keys.begin(), keys.end(),
                                  [&](const AnnotationKey& k) { return split.IsHeldOut(k); });
  // 20000 draws at p = 0.1: sd 42; +-300 is more than 7 sd.
  EXPECT_NEAR(static_cast<double>(held), 2000.0, 300.0);
}

TEST(HeldOutSplit, SeedSelectsTheSplitAndEdgesAreExact) {
  const auto keys = Stream(50, 20);
  const HeldOutSplit a(0.1, 1), a_again(0.1, 1), b(0.1, 2);
  int same = 0, differ = 0;
  for (const AnnotationKey& k : keys) {
    EXPECT_EQ(a.IsHeldOut(k), a_again.IsHeldOut(k));
    (a.IsHeldOut(k) == b.IsHeldOut(k) ? same : differ) += 1;
  }
  EXPECT_GT(differ, 0);
  const HeldOutSplit none(0.0, 1), all(1.0, 1);
  for (const AnnotationKey& k : keys) {
    EXPECT_FALSE(none.IsHeldOut(k));
    EXPECT_TRUE(all.IsHeldOut(k));
  }
  EXPECT_THROW(HeldOutSplit(1.5, 0), std::invalid_argument);
  EXPECT_THROW(HeldOutSplit(-0.1, 0), std::invalid_argument);
}

TEST(HeldOutPool, SameAnnotationsWhateverTheArrivalOrder) {
  HeldOutConfig config;
  config.fraction = 0.1;
  config.seed = 9;
  config.capacity = 50;  // smaller than the ~100 held out: exercises the bottom-k rule
  auto keys = Stream(100, 10);
  HeldOutPool<std::string> forward(config);
  for (const AnnotationKey& k : keys) forward.Offer(k, k.asset_id + "#" + k.prompt_id);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(123));
  HeldOutPool<std::string> shuffled(config);
  for (const AnnotationKey& k : keys) shuffled.Offer(k, k.asset_id + "#" + k.prompt_id);

  const auto a = forward.Snapshot();
  const auto b = shuffled.Snapshot();
  ASSERT_EQ(a.items.size(), 50u);
  ASSERT_EQ(b.items.size(), 50u);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_EQ(a.items[i].first, b.items[i].first);
    EXPECT_EQ(*a.items[i].second, *b.items[i].second);
  }
  EXPECT_EQ(forward.counters().held_out, shuffled.counters().held_out);
}

TEST(HeldOutPool, StoresTheLowestRanksWithinCapacity) {
  HeldOutConfig config;
  config.fraction = 0.2;
  config.seed = 4;
  config.capacity = 10;
  HeldOutPool<int> pool(config);
  std::vector<std::uint64_t> ranks;
  for (const AnnotationKey& k : Stream(40, 5)) {
    if (pool.Offer(k, 0)) ranks.push_back(pool.split().Rank(k));
  }
  ASSERT_GT(ranks.size(), 10u);
  std::sort(ranks.begin(), ranks.end());
  const auto snap = pool.Snapshot();
  ASSERT_EQ(snap.items.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(pool.split().Rank(snap.items[i].first), ranks[i]);
  EXPECT_EQ(pool.counters().held_out, ranks.size());
  EXPECT_EQ(pool.counters().over_capacity, ranks.size() - 10);
}

TEST(HeldOutPool, ReOfferedAnnotationReplacesItsItem) {
  HeldOutConfig config;
  config.fraction = 1.0;
  HeldOutPool<int> pool(config);
  const AnnotationKey k{"p", "a", "1"};
  EXPECT_TRUE(pool.Offer(k, 1));
  const auto before = pool.Snapshot();
  EXPECT_TRUE(pool.Offer(k, 2));
  const auto after = pool.Snapshot();
  ASSERT_EQ(after.items.size(), 1u);
  EXPECT_EQ(*after.items[0].second, 2);
  EXPECT_EQ(*before.items[0].second, 1);  // a snapshot is frozen
  EXPECT_EQ(before.fingerprint, after.fingerprint);
  EXPECT_EQ(pool.counters().replaced, 1u);
}

TEST(HeldOutPool, ConfigErrorsNameTheField) {
  HeldOutConfig c;
  c.fraction = 2.0;
  EXPECT_THROW(HeldOutPool<int>{c}, std::invalid_argument);
  c = HeldOutConfig{};
  c.capacity = 0;
  try {
    HeldOutPool<int> pool(c);
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("HeldOutConfig.capacity"), std::string::npos);
  }
}

// The guard: a stream of annotations routed the way the engine routes them ends with no
// held-out annotation in the training buffer, and a direct attempt to train on one throws.
TEST(HeldOutPool, IsNeverTrainedOn) {
  HeldOutConfig config;
  config.fraction = 0.1;
  config.seed = 77;
  config.capacity = 100;  // fewer than are held out: the rest must stay out of training too
  HeldOutPool<int> pool(config);
  TrainingBuffer<int> buffer(100000, pool.split());
  const auto keys = Stream(300, 10);
  std::size_t routed_to_training = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!pool.Offer(keys[i], static_cast<int>(i))) {
      buffer.Add(keys[i], static_cast<int>(i));
      ++routed_to_training;
    }
  }
  EXPECT_EQ(buffer.size(), routed_to_training);
  EXPECT_EQ(pool.counters().held_out + routed_to_training, keys.size());
  EXPECT_GT(pool.counters().over_capacity, 0u);
  std::set<std::string> trained;
  buffer.ForEach([&](const AnnotationKey& k, int) {
    EXPECT_FALSE(pool.IsHeldOut(k)) << ToString(k);
    trained.insert(ToString(k));
  });
  for (const auto& [key, item] : pool.Snapshot().items) {
    EXPECT_EQ(trained.count(ToString(key)), 0u) << ToString(key);
  }

  std::size_t attempts = 0;
  for (const AnnotationKey& k : keys) {
    if (!pool.IsHeldOut(k)) continue;
    ++attempts;
    EXPECT_THROW(buffer.Add(k, -1), HeldOutViolation);
    EXPECT_THROW(pool.CheckTrainable(k), HeldOutViolation);
  }
  EXPECT_EQ(attempts, pool.counters().held_out);
  EXPECT_EQ(buffer.size(), routed_to_training);  // the failed Adds changed nothing
}

TEST(TrainingBuffer, EvictsOldestAndSamplesDistinct) {
  TrainingBuffer<int> buffer(4, HeldOutSplit(0.0, 0));
  for (int i = 0; i < 6; ++i) buffer.Add({"p", "a", std::to_string(i)}, i);
  EXPECT_EQ(buffer.size(), 4u);
  EXPECT_EQ(buffer.evicted(), 2u);
  std::mt19937_64 rng(1);
  const std::vector<int> sample = buffer.Sample(3, rng);
  ASSERT_EQ(sample.size(), 3u);
  EXPECT_EQ(std::set<int>(sample.begin(), sample.end()).size(), 3u);
  for (int v : sample) EXPECT_GE(v, 2);
  EXPECT_EQ(buffer.Sample(10, rng).size(), 4u);
  EXPECT_THROW(TrainingBuffer<int>(0, HeldOutSplit(0.1, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
