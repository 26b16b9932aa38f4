#include "agent/shadow_gate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace understudy {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A small gate whose decisions can be checked by hand.
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

std::vector<std::pair<std::size_t, GateTrigger>> Transitions(const ShadowGateConfig& config,
                                                             const std::vector<double>& rewards) {
  ShadowGate gate("p", config);
  std::vector<std::pair<std::size_t, GateTrigger>> out;
  for (std::size_t i = 0; i < rewards.size(); ++i) {
    if (auto d = gate.Record(rewards[i], 1, i)) out.emplace_back(i, d->trigger);
  }
  return out;
}

TEST(ShadowGateConfig, DefaultsAreValid) { EXPECT_NO_THROW(ShadowGateConfig{}.Validate()); }

TEST(ShadowGateConfig, ErrorsNameTheFieldAndValue) {
  struct Case {
    const char* field;
    void (*mutate)(ShadowGateConfig&);
    const char* message_part;
  };
  const Case cases[] = {
      {"window", [](ShadowGateConfig& c) { c.window = 1; }, "window = 1"},
      {"min_samples<2", [](ShadowGateConfig& c) { c.min_samples = 1; }, "min_samples = 1"},
      {"min_samples>window", [](ShadowGateConfig& c) { c.min_samples = 101; }, "min_samples = 101"},
      {"threshold", [](ShadowGateConfig& c) { c.threshold = 1.5; }, "threshold = 1.5"},
      {"threshold NaN", [](ShadowGateConfig& c) { c.threshold = kNaN; }, "threshold = nan"},
      {"hysteresis<0", [](ShadowGateConfig& c) { c.hysteresis = -0.01; }, "hysteresis = -0.01"},
      {"hysteresis>threshold", [](ShadowGateConfig& c) { c.hysteresis = 0.8; }, "hysteresis = 0.8"},
      {"z<0", [](ShadowGateConfig& c) { c.z = -1; }, "z = -1"},
      {"z inf", [](ShadowGateConfig& c) { c.z = kInf; }, "z = inf"},
      {"floor", [](ShadowGateConfig& c) { c.suggestion_floor = -0.1; }, "suggestion_floor = -0.1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    ShadowGateConfig config;
    c.mutate(config);
    try {
      config.Validate();
      ADD_FAILURE() << "accepted an invalid config";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    }
    EXPECT_THROW(ShadowGate("p", config), std::invalid_argument);
  }
}

TEST(WindowStats, DefinesSmallWindows) {
  const WindowStats empty = Summarize({}, 1.645);
  EXPECT_EQ(empty.n, 0u);
  EXPECT_TRUE(std::isnan(empty.mean));
  EXPECT_TRUE(std::isnan(empty.lcb));

  const WindowStats one = Summarize({0.8}, 1.645);
  EXPECT_EQ(one.n, 1u);
  EXPECT_DOUBLE_EQ(one.mean, 0.8);
  EXPECT_TRUE(std::isnan(one.stddev));
  EXPECT_TRUE(std::isnan(one.lcb));

  // Sample (n - 1) standard deviation: {0.8, 0.9, 1.0} has s = 0.1.
  const WindowStats three = Summarize({0.8, 0.9, 1.0}, 2.0);
  EXPECT_EQ(three.n, 3u);
  EXPECT_NEAR(three.mean, 0.9, 1e-15);
  EXPECT_NEAR(three.stddev, 0.1, 1e-15);
  EXPECT_NEAR(three.lcb, 0.9 - 2.0 * 0.1 / std::sqrt(3.0), 1e-15);
}

// The state machine as a table: config, blind rewards, and the (index, trigger) transitions.
TEST(ShadowGate, StateMachineTable) {
  ShadowGateConfig no_hysteresis = SmallConfig();
  no_hysteresis.hysteresis = 0.0;
  struct Case {
    const char* name;
    ShadowGateConfig config;
    std::vector<double> rewards;
    std::vector<std::pair<std::size_t, GateTrigger>> expected;
  };
  const std::vector<Case> cases = {
      {"no promotion before min_samples, even with perfect rewards", SmallConfig(), {1.0, 1.0}, {}},
      {"promotes on the min_samples-th perfect reward",
       SmallConfig(),
       {1.0, 1.0, 1.0},
       {{2, GateTrigger::kPromote}}},
      {"a mean above threshold is not enough while the bound is below it",
       SmallConfig(),
       // n=3: mean 0.7, s 0.346, lcb 0.5; n=4: mean 0.775, s 0.320, lcb 0.615.
       {0.9, 0.3, 0.9, 1.0},
       {{3, GateTrigger::kPromote}}},
      {"stays shut on a noisy stream whose bound never clears",
       SmallConfig(),
       {0.3, 0.94, 0.3, 0.94, 0.3, 0.94, 0.3, 0.94, 0.3, 0.94, 0.3, 0.94},
       {}},
      {"stays shut when the agent never beats the bar",
       SmallConfig(),
       std::vector<double>(50, 0.55),
       {}},
      {"demotes once the window mean drops below threshold - hysteresis",
       SmallConfig(),
       // means after the drop: 0.825, 0.72, 0.58 (>= 0.5, still live), 0.44 (< 0.5).
       {1.0, 1.0, 1.0, 0.3, 0.3, 0.3, 0.3},
       {{2, GateTrigger::kPromote}, {6, GateTrigger::kDemote}}},
      {"the hysteresis band keeps a live gate live",
       SmallConfig(),
       {1.0, 1.0, 1.0, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55},
       {{2, GateTrigger::kPromote}}},
      {"without hysteresis the same stream demotes",
       no_hysteresis,
       {1.0, 1.0, 1.0, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55, 0.55},
       {{2, GateTrigger::kPromote}, {7, GateTrigger::kDemote}}},
      {"re-promotes only on fresh evidence after a demotion",
       SmallConfig(),
       {1.0, 1.0, 1.0, 0.3, 0.3, 0.3, 0.3, 1.0, 1.0, 1.0, 1.0, 1.0},
       // After the demotion at 6 the window [0.3 0.3 0.3 0.3 1] and so on must recover;
       // [0.3 1 1 1 1] at 10: mean 0.86, s 0.313, lcb 0.72 >= 0.6.
       {{2, GateTrigger::kPromote}, {6, GateTrigger::kDemote}, {10, GateTrigger::kPromote}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Transitions(c.config, c.rewards), c.expected);
  }
}

TEST(ShadowGate, DecisionCarriesItsEvidence) {
  ShadowGate gate("balloon", SmallConfig());
  EXPECT_FALSE(gate.Record(0.9, 4, 10));
  EXPECT_FALSE(gate.Record(0.3, 4, 11));
  EXPECT_FALSE(gate.Record(0.9, 5, 12));
  const std::optional<GateDecision> d = gate.Record(1.0, 5, 13);
  ASSERT_TRUE(d);
  // Independent arithmetic: deviations from 0.775 are 0.125, -0.475, 0.125, 0.225.
  const double s = std::sqrt((0.015625 + 0.225625 + 0.015625 + 0.050625) / 3.0);
  EXPECT_EQ(d->project, "balloon");
  EXPECT_EQ(d->from, GateMode::kShadow);
  EXPECT_EQ(d->to, GateMode::kLive);
  EXPECT_EQ(d->trigger, GateTrigger::kPromote);
  EXPECT_EQ(d->n, 4u);
  EXPECT_NEAR(d->mean, 0.775, 1e-12);
  EXPECT_NEAR(d->stddev, s, 1e-12);
  EXPECT_NEAR(d->lcb, 0.775 - 1.0 * s / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(d->threshold, 0.6);
  EXPECT_DOUBLE_EQ(d->hysteresis, 0.1);
  EXPECT_DOUBLE_EQ(d->z, 1.0);
  EXPECT_EQ(d->min_samples, 3u);
  EXPECT_EQ(d->model_version, 5u);
  EXPECT_EQ(d->annotation_index, 13u);
  EXPECT_NE(d->reason.find("lcb 0.6149 >= threshold 0.6000"), std::string::npos) << d->reason;
  EXPECT_EQ(gate.mode(), GateMode::kLive);
  EXPECT_EQ(gate.counters().promotions, 1u);
}

// A noisy stream whose true mean sits right at the threshold: without hysteresis and bound the
// gate flips with the noise; the configured gate decides at most once.
TEST(ShadowGate, HysteresisPreventsFlappingOnANoisyStream) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.76, 0.08);
  std::vector<double> rewards(3000);
  for (double& r : rewards) r = std::clamp(noise(rng), 0.0, 1.0);

  ShadowGateConfig naive;  // the defaults' window, but no bound and no band
  naive.z = 0.0;
  naive.hysteresis = 0.0;
  const auto naive_flips = Transitions(naive, rewards);
  EXPECT_GT(naive_flips.size(), 10u) << "the stream must be noisy enough to make naive flap";

  const auto flips = Transitions(ShadowGateConfig{}, rewards);
  EXPECT_LE(flips.size(), 1u);
  for (std::size_t i = 1; i < flips.size(); ++i) {
    EXPECT_NE(flips[i].second, flips[i - 1].second);
  }
}

TEST(ShadowGate, FloorWithholdsLiveSuggestions) {
  ShadowGate gate("p", SmallConfig());
  // Shadow: nothing is published, whatever the prediction.
  SuggestionVerdict v = gate.Decide(0.99);
  EXPECT_FALSE(v.publish);
  EXPECT_EQ(v.reason, SuggestionReason::kShadowMode);

  for (int i = 0; i < 3; ++i) gate.Record(1.0, 1, i);
  ASSERT_EQ(gate.mode(), GateMode::kLive);

  struct Case {
    double predicted;
    bool publish;
    SuggestionReason reason;
  };
  const Case cases[] = {
      {0.49, false, SuggestionReason::kBelowFloor},
      {0.5, true, SuggestionReason::kPublished},
      {0.9, true, SuggestionReason::kPublished},
      {0.0, false, SuggestionReason::kBelowFloor},
      {kNaN, false, SuggestionReason::kNoPrediction},
      {-kInf, false, SuggestionReason::kNoPrediction},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.predicted);
    v = gate.Decide(c.predicted);
    EXPECT_EQ(v.publish, c.publish);
    EXPECT_EQ(v.reason, c.reason);
    EXPECT_DOUBLE_EQ(v.floor, 0.5);
  }
  const GateCounters& n = gate.counters();
  EXPECT_EQ(n.withheld_shadow, 1u);
  EXPECT_EQ(n.published, 2u);
  EXPECT_EQ(n.withheld_below_floor, 2u);
  EXPECT_EQ(n.withheld_no_prediction, 2u);
}

TEST(ShadowGate, NonFiniteRewardsNeverEnterTheWindow) {
  ShadowGate gate("p", SmallConfig());
  gate.Record(1.0, 1, 0);
  gate.Record(1.0, 1, 1);
  for (const double bad : {kNaN, kInf, -kInf}) {
    try {
      gate.Record(bad, 3, 2);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("model v3"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(gate.counters().rewards_rejected, 3u);
  EXPECT_EQ(gate.stats().n, 2u);
  EXPECT_DOUBLE_EQ(gate.stats().mean, 1.0);
  // The next finite reward is the third sample, as if the bad ones never came.
  EXPECT_TRUE(gate.Record(1.0, 1, 3));
}

TEST(ShadowGate, WindowSlidesAndStatusReportsIt) {
  ShadowGate gate("p", SmallConfig());
  for (int i = 0; i < 8; ++i) gate.Record(i < 3 ? 0.0 : 1.0, 9, i);
  const GateStatus st = gate.status();
  EXPECT_EQ(st.stats.n, 5u);             // the window, not all 8
  EXPECT_DOUBLE_EQ(st.stats.mean, 1.0);  // the three zeros slid out
  EXPECT_EQ(st.last_model_version, 9u);
  EXPECT_EQ(st.counters.rewards_recorded, 8u);
  EXPECT_EQ(st.mode, GateMode::kLive);
}

// A vetted model swap (held-out score not worse) keeps the evidence: the window spans versions.
TEST(ShadowGate, VettedVersionChangeKeepsTheWindow) {
  ShadowGate gate("p", SmallConfig());
  for (int i = 0; i < 3; ++i) gate.Record(1.0, 1, i);
  ASSERT_EQ(gate.mode(), GateMode::kLive);
  EXPECT_FALSE(gate.Record(0.9, 2, 3));  // v2 serves now; no reset, no decision
  EXPECT_EQ(gate.mode(), GateMode::kLive);
  EXPECT_EQ(gate.stats().n, 4u);
}

// A rollback is not vetted: the evidence is cleared, the gate returns to shadow, and late
// rewards of retired versions do not count for the rolled-back model.
TEST(ShadowGate, RestartClearsEvidenceAndIgnoresRetiredVersions) {
  ShadowGate gate("p", SmallConfig());
  for (int i = 0; i < 3; ++i) gate.Record(1.0, 5, i);
  gate.Record(0.9, 7, 3);
  ASSERT_EQ(gate.mode(), GateMode::kLive);

  // Roll back to v5 while v7 was newest.
  const GateDecision d = gate.Restart(5, 7);
  EXPECT_EQ(d.trigger, GateTrigger::kRestart);
  EXPECT_EQ(d.from, GateMode::kLive);
  EXPECT_EQ(d.to, GateMode::kShadow);
  EXPECT_EQ(d.n, 4u);  // the discarded evidence
  EXPECT_EQ(d.model_version, 5u);
  EXPECT_EQ(d.annotation_index, 3u);
  EXPECT_EQ(gate.mode(), GateMode::kShadow);
  EXPECT_EQ(gate.stats().n, 0u);

  EXPECT_FALSE(gate.Record(1.0, 7, 4));  // an in-flight v7 proposal: stale
  EXPECT_FALSE(gate.Record(1.0, 6, 5));  // v6 <= 7 and not serving: stale
  EXPECT_EQ(gate.counters().rewards_stale, 2u);
  EXPECT_EQ(gate.stats().n, 0u);

  EXPECT_FALSE(gate.Record(1.0, 5, 6));  // the rolled-back model itself counts
  EXPECT_FALSE(gate.Record(1.0, 8, 7));  // a model trained after the rollback counts
  const auto promoted = gate.Record(1.0, 5, 8);
  ASSERT_TRUE(promoted);
  EXPECT_EQ(promoted->n, 3u);
  EXPECT_EQ(gate.counters().restarts, 1u);

  EXPECT_THROW(gate.Restart(9, 8), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
