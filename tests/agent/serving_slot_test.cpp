#include "agent/serving_slot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/model_registry.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;

// A stand-in model: its "weights" encode the version it was built for, so a reader can tell
// whether the tag it got belongs to the model it got.
struct FakeModel {
  std::uint64_t built_for = 0;
  std::vector<std::uint64_t> weights;
  std::atomic<int>* destroyed = nullptr;

  FakeModel(std::uint64_t version, std::atomic<int>* destroyed_count)
      : built_for(version), weights(64, version * 1000), destroyed(destroyed_count) {}
  ~FakeModel() {
    if (destroyed) destroyed->fetch_add(1);
  }
  FakeModel(const FakeModel&) = delete;
  FakeModel& operator=(const FakeModel&) = delete;

  // "Inference": reads every weight, so a freed or torn model would be noticed (and flagged
  // by sanitizers).
  bool Consistent() const {
    for (const std::uint64_t w : weights) {
      if (w != built_for * 1000) return false;
    }
    return true;
  }
};

TEST(ServingSlot, EmptyUntilTheFirstSwap) {
  ServingSlot<FakeModel> slot;
  EXPECT_EQ(slot.Get(), nullptr);
  EXPECT_THROW(slot.Swap(nullptr, 1), std::invalid_argument);
  EXPECT_EQ(slot.Swap(std::make_shared<const FakeModel>(1, nullptr), 1), nullptr);
  ASSERT_NE(slot.Get(), nullptr);
  EXPECT_EQ(slot.Get()->version, 1u);
}

TEST(ServingSlot, InFlightInferenceKeepsTheOldModelAlive) {
  std::atomic<int> destroyed{0};
  ServingSlot<FakeModel> slot;
  slot.Swap(std::make_shared<const FakeModel>(1, &destroyed), 1);
  const auto in_flight = slot.Get();  // an inference that started on v1
  const auto previous = slot.Swap(std::make_shared<const FakeModel>(2, &destroyed), 2);
  EXPECT_EQ(previous, in_flight);
  EXPECT_EQ(slot.Get()->version, 2u);
  EXPECT_EQ(destroyed.load(), 0);
  EXPECT_TRUE(in_flight->model->Consistent());
  EXPECT_EQ(in_flight->version, 1u);  // its suggestion is tagged v1, the model that made it
}

// Readers keep checking that the version tag matches the model they got while a writer swaps
// forward and rolls back. Run under ThreadSanitizer as well (docs/registry.md).
TEST(ServingSlot, VersionAlwaysMatchesTheModelUnderConcurrentSwaps) {
  std::atomic<int> destroyed{0};
  ServingSlot<FakeModel> slot;
  slot.Swap(std::make_shared<const FakeModel>(1, &destroyed), 1);
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<long> mismatches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const auto served = slot.Get();
        if (served->model->built_for != served->version || !served->model->Consistent()) {
          mismatches.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  std::vector<std::shared_ptr<const FakeModel>> kept;  // what a registry could roll back to
  int built = 1;
  int rollbacks = 0;
  for (std::uint64_t v = 2; v < 2002; ++v) {
    if (v % 10 == 0 && !kept.empty()) {
      const auto& back = kept[kept.size() / 2];  // a rollback to an older version
      slot.Swap(back, back->built_for);
      ++rollbacks;
    } else {
      auto model = std::make_shared<const FakeModel>(v, &destroyed);
      ++built;
      if (v % 7 == 0) kept.push_back(model);
      slot.Swap(std::move(model), v);
    }
  }
  // Let the readers run a little past the last swap so the check sees swaps, not only startup.
  while (reads.load() < 10000) std::this_thread::yield();
  stop.store(true);
  for (std::thread& th : readers) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(rollbacks, 100);
  // Every replaced model that nothing holds any more has been freed: the slot leaks nothing.
  // Alive: the kept ones, plus the serving one (v2001 is not a multiple of 7, so not kept).
  EXPECT_EQ(slot.Get()->version, 2001u);
  EXPECT_EQ(destroyed.load(), built - static_cast<int>(kept.size()) - 1);
}

// The registry and the slot together: rolling back loads the old checkpoint and swaps it in
// while inference keeps running; the registry's serving pointer and the slot's tag agree.
TEST(ServingSlot, RegistryRollbackSwapsUnderConcurrentInference) {
  const fs::path root =
      fs::temp_directory_path() / ("understudy-slot-" + std::to_string(::getpid()));
  fs::remove_all(root);
  ModelRegistry registry(root);
  for (std::uint64_t v = 1; v <= 5; ++v) {
    registry.Register({}, [v](const fs::path& file) {
      std::ofstream(file, std::ios::binary) << v;  // the "weights" name their version
    });
  }
  auto load = [&](std::uint64_t id) {
    std::ifstream in(registry.CheckpointPath(id), std::ios::binary);
    std::uint64_t built_for = 0;
    in >> built_for;
    return std::make_shared<const FakeModel>(built_for, nullptr);
  };
  ServingSlot<FakeModel> slot;
  registry.Promote(5);
  slot.Swap(load(5), 5);

  std::atomic<bool> stop{false};
  std::atomic<long> mismatches{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const auto served = slot.Get();
        if (served->model->built_for != served->version || !served->model->Consistent()) {
          mismatches.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  for (int round = 0; round < 20; ++round) {
    const std::uint64_t to = 1 + static_cast<std::uint64_t>(round % 5);
    registry.Rollback(to, "round " + std::to_string(round));  // persist first, then swap
    slot.Swap(load(to), to);
    EXPECT_EQ(registry.serving(), std::optional<std::uint64_t>(slot.Get()->version));
  }
  while (reads.load() < 1000) std::this_thread::yield();
  stop.store(true);
  for (std::thread& th : readers) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(registry.History().size(), 5u + 1u + 20u);
  fs::remove_all(root);
}

}  // namespace
}  // namespace understudy
