#include "agent/gate_book.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace understudy {
namespace {

ShadowGateConfig SmallConfig() {
  ShadowGateConfig c;
  c.window = 5;
  c.min_samples = 3;
  c.threshold = 0.6;
  c.hysteresis = 0.1;
  c.z = 1.0;
  c.suggestion_floor = 0.5;
  return c;
}

TEST(GateBook, ProjectsHaveIndependentGates) {
  std::vector<GateDecision> sunk;
  GateBook book(SmallConfig(), [&](const GateDecision& d) { sunk.push_back(d); });
  for (int i = 0; i < 3; ++i) {
    book.Record("good", 1.0, 1, i);
    book.Record("bad", 0.1, 1, i);
  }
  EXPECT_EQ(book.mode("good"), GateMode::kLive);
  EXPECT_EQ(book.mode("bad"), GateMode::kShadow);
  EXPECT_EQ(book.mode("never-seen"), GateMode::kShadow);
  EXPECT_TRUE(book.Decide("good", 0.9).publish);
  EXPECT_FALSE(book.Decide("bad", 0.9).publish);

  ASSERT_EQ(sunk.size(), 1u);
  EXPECT_EQ(sunk[0].project, "good");
  EXPECT_EQ(sunk[0].trigger, GateTrigger::kPromote);

  const std::vector<GateStatus> snap = book.Snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].project, "bad");  // project order
  EXPECT_EQ(snap[0].counters.withheld_shadow, 1u);
  EXPECT_EQ(snap[1].project, "good");
  EXPECT_EQ(snap[1].counters.published, 1u);
  EXPECT_EQ(snap[1].stats.n, 3u);
}

TEST(GateBook, RestartAllSendsEveryProjectBackToShadow) {
  std::vector<GateDecision> sunk;
  GateBook book(SmallConfig(), [&](const GateDecision& d) { sunk.push_back(d); });
  for (int i = 0; i < 3; ++i) {
    book.Record("a", 1.0, 4, i);
    book.Record("b", 1.0, 4, i);
  }
  ASSERT_EQ(sunk.size(), 2u);
  const std::vector<GateDecision> restarts = book.RestartAll(3, 4);
  ASSERT_EQ(restarts.size(), 2u);
  EXPECT_EQ(sunk.size(), 4u);
  for (const GateDecision& d : restarts) {
    EXPECT_EQ(d.trigger, GateTrigger::kRestart);
    EXPECT_EQ(d.from, GateMode::kLive);
    EXPECT_EQ(d.to, GateMode::kShadow);
  }
  EXPECT_EQ(book.mode("a"), GateMode::kShadow);
  EXPECT_EQ(book.mode("b"), GateMode::kShadow);
}

TEST(GateBook, RejectsInvalidConfigAndNonFiniteRewards) {
  ShadowGateConfig bad = SmallConfig();
  bad.min_samples = 6;
  EXPECT_THROW(GateBook{bad}, std::invalid_argument);
  GateBook book(SmallConfig());
  EXPECT_THROW(book.Record("p", std::numeric_limits<double>::quiet_NaN(), 1, 0),
               std::invalid_argument);
  EXPECT_EQ(book.Snapshot().at(0).counters.rewards_rejected, 1u);
}

// Many threads record into their own and shared projects; counts must add up exactly, and the
// sink sees every decision once (run under ThreadSanitizer too).
TEST(GateBook, ConcurrentRecordsAreSerialised) {
  std::size_t sunk = 0;
  GateBook book(SmallConfig(), [&](const GateDecision&) { ++sunk; });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&book, t] {
      for (int i = 0; i < kPerThread; ++i) {
        book.Record("shared", (i / 20) % 2 == 0 ? 1.0 : 0.0, 1, i);
        book.Record("own-" + std::to_string(t), 1.0, 1, i);
        book.Decide("shared", 0.9);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::uint64_t decisions = 0;
  for (const GateStatus& st : book.Snapshot()) {
    decisions += st.counters.promotions + st.counters.demotions;
    if (st.project == "shared") {
      EXPECT_EQ(st.counters.rewards_recorded, std::uint64_t{kThreads * kPerThread});
      EXPECT_EQ(st.counters.published + st.counters.withheld_shadow,
                std::uint64_t{kThreads * kPerThread});
    } else {
      EXPECT_EQ(st.counters.rewards_recorded, std::uint64_t{kPerThread});
      EXPECT_EQ(st.mode, GateMode::kLive);
    }
  }
  EXPECT_EQ(sunk, decisions);
}

}  // namespace
}  // namespace understudy
