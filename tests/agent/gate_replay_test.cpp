#include "agent/gate_replay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent/gate_book.h"
#include "agent/gate_json.h"

namespace understudy {
namespace {

using nlohmann::json;

// A live session: blind rewards whose quality drifts up and down, model swaps, a rollback, and
// a few rejected rewards. Everything the gate saw and decided is written as JSON lines, the way
// an event log would hold it.
struct RecordedSession {
  ShadowGateConfig config;
  std::string inputs_log;     // one GateInput per line
  std::string decisions_log;  // one GateDecision per line
  std::size_t decisions = 0;
};

RecordedSession RecordSession(std::uint64_t seed) {
  RecordedSession rec;
  rec.config.window = 40;
  rec.config.min_samples = 15;
  rec.config.threshold = 0.7;
  rec.config.hysteresis = 0.05;
  rec.config.z = 1.645;
  std::ostringstream inputs;
  std::ostringstream decisions;
  GateBook book(rec.config, [&](const GateDecision& d) {
    decisions << json(d).dump() << "\n";
    ++rec.decisions;
  });
  std::mt19937_64 rng(seed);
  std::uint64_t version = 1;
  std::uint64_t newest = 1;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    if (i % 150 == 149) newest = version = newest + 1;  // a vetted swap to a new model
    if (i == 1000) {                                    // a rollback
      version = 2;
      inputs << json(GateInput::Restart(version, newest)).dump() << "\n";
      book.RestartAll(version, newest);
    }
    const double quality = 0.72 + 0.15 * std::sin(static_cast<double>(i) / 130.0);
    double reward = std::clamp(std::normal_distribution<double>(quality, 0.1)(rng), 0.0, 1.0);
    if (i % 397 == 0) reward = std::numeric_limits<double>::quiet_NaN();
    // An in-flight proposal of an older model now and then.
    const std::uint64_t proposer = (i % 23 == 0 && version > 1) ? version - 1 : version;
    inputs << json(GateInput::BlindReward(reward, proposer, i)).dump() << "\n";
    if (std::isfinite(reward)) book.Record("p", reward, proposer, i);
  }
  rec.inputs_log = inputs.str();
  rec.decisions_log = decisions.str();
  return rec;
}

template <typename T>
std::vector<T> ReadLines(const std::string& log) {
  std::vector<T> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).get<T>());
  return out;
}

TEST(GateReplay, ReDerivesEveryLoggedDecisionFromTheLog) {
  const RecordedSession rec = RecordSession(11);
  ASSERT_GE(rec.decisions, 4u) << "the session must exercise promotions and demotions";
  const auto logged = ReadLines<GateDecision>(rec.decisions_log);
  const auto inputs = ReadLines<GateInput>(rec.inputs_log);
  const auto replayed = ReplayGate(rec.config, "p", inputs);
  const auto mismatch = FindReplayMismatch(logged, replayed, 0.0);  // bit-identical
  EXPECT_FALSE(mismatch) << mismatch->index << ": " << mismatch->what;

  bool promoted = false, demoted = false, restarted = false;
  for (const GateDecision& d : logged) {
    promoted |= d.trigger == GateTrigger::kPromote;
    demoted |= d.trigger == GateTrigger::kDemote;
    restarted |= d.trigger == GateTrigger::kRestart;
  }
  EXPECT_TRUE(promoted && demoted && restarted);
}

TEST(GateReplay, FindsATamperedDecision) {
  const RecordedSession rec = RecordSession(5);
  auto logged = ReadLines<GateDecision>(rec.decisions_log);
  const auto replayed = ReplayGate(rec.config, "p", ReadLines<GateInput>(rec.inputs_log));
  ASSERT_GE(logged.size(), 3u);

  auto tampered = logged;
  tampered[2].lcb += 1e-6;
  auto mismatch = FindReplayMismatch(tampered, replayed);
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->index, 2u);
  EXPECT_NE(mismatch->what.find("lcb"), std::string::npos) << mismatch->what;

  tampered = logged;
  tampered[1].annotation_index += 1;
  mismatch = FindReplayMismatch(tampered, replayed);
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->index, 1u);

  tampered = logged;
  tampered.pop_back();
  mismatch = FindReplayMismatch(tampered, replayed);
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->index, tampered.size());
  EXPECT_NE(mismatch->what.find("decision count"), std::string::npos);
}

TEST(GateReplay, AnotherConfigDecidesDifferently) {
  const RecordedSession rec = RecordSession(11);
  const auto inputs = ReadLines<GateInput>(rec.inputs_log);
  ShadowGateConfig stricter = rec.config;
  stricter.threshold = 0.8;
  EXPECT_TRUE(FindReplayMismatch(ReadLines<GateDecision>(rec.decisions_log),
                                 ReplayGate(stricter, "p", inputs)));
}

TEST(GateJson, UndefinedStatisticsRoundTripAsNull) {
  GateDecision d;
  d.project = "p";
  d.from = GateMode::kLive;
  d.trigger = GateTrigger::kRestart;
  d.n = 1;
  d.mean = 0.25;
  d.stddev = std::numeric_limits<double>::quiet_NaN();
  d.lcb = std::numeric_limits<double>::quiet_NaN();
  d.model_version = 3;
  d.reason = "r";
  const json j = d;
  EXPECT_TRUE(j.at("lcb").is_null());
  EXPECT_EQ(j.at("from"), "live");
  EXPECT_EQ(j.at("trigger"), "restart");
  const GateDecision back = json::parse(j.dump()).get<GateDecision>();
  EXPECT_FALSE(FindReplayMismatch({d}, {back}, 0.0));
  EXPECT_TRUE(std::isnan(back.lcb));
}

TEST(GateJson, ConfigRoundTripsAndIsValidated) {
  ShadowGateConfig c;
  c.window = 64;
  c.z = 2.0;
  const ShadowGateConfig back = json(c).get<ShadowGateConfig>();
  EXPECT_EQ(back.window, 64u);
  EXPECT_DOUBLE_EQ(back.z, 2.0);
  json bad = c;
  bad["min_samples"] = 65;
  EXPECT_THROW(bad.get<ShadowGateConfig>(), std::invalid_argument);
  bad = c;
  bad.erase("threshold");
  try {
    bad.get<ShadowGateConfig>();
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("threshold"), std::string::npos) << e.what();
  }
}

TEST(GateJson, StatusCarriesModeStatisticsAndCounters) {
  ShadowGateConfig c;
  c.window = 4;
  c.min_samples = 2;
  GateBook book(c);
  book.Record("p", 1.0, 3, 0);
  book.Record("p", 1.0, 3, 1);
  book.Decide("p", 0.2);
  const json j = book.Snapshot().at(0);
  EXPECT_EQ(j.at("project"), "p");
  EXPECT_EQ(j.at("mode"), "live");
  EXPECT_EQ(j.at("n"), 2);
  EXPECT_EQ(j.at("lcb"), 1.0);
  EXPECT_EQ(j.at("last_model_version"), 3);
  EXPECT_EQ(j.at("config").at("window"), 4);
  EXPECT_EQ(j.at("counters").at("promotions"), 1);
  EXPECT_EQ(j.at("counters").at("withheld_below_floor"), 1);
  const json verdict = book.Decide("p", std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(verdict.at("reason"), "no_prediction");
  EXPECT_TRUE(verdict.at("predicted_reward").is_null());
}

TEST(GateJson, InputsRejectUnknownKinds) {
  EXPECT_THROW((json{{"kind", "oops"}}.get<GateInput>()), std::invalid_argument);
  EXPECT_THROW((json{{"kind", "blind_reward"}, {"reward", 0.5}}.get<GateInput>()),
               std::invalid_argument);
  const GateInput back = json(GateInput::BlindReward(0.125, 4, 99)).get<GateInput>();
  EXPECT_EQ(back.kind, GateInput::Kind::kBlindReward);
  EXPECT_DOUBLE_EQ(back.reward, 0.125);
  EXPECT_EQ(back.model_version, 4u);
  EXPECT_EQ(back.annotation_index, 99u);
}

}  // namespace
}  // namespace understudy
