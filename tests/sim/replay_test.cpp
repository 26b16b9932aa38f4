#include "sim/replay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <variant>

#include "env/proposer_factory.h"
#include "sim/replay_set.h"
#include "tests/sim/fake_engine.h"
#include "tests/sim/sim_test_util.h"
#include "tests/transport/temp_dir.h"
#include "transport/proposer_engine.h"

namespace understudy {
namespace {

using testing::FakeLearningEngine;
using testing::ImportTiny;
using testing::TempDir;
using testing::TinySynthetic;

EngineFactory Fake(double threshold, std::size_t min_samples = 5) {
  return [threshold, min_samples] {
    ShadowGateConfig g;
    g.window = 20;
    g.min_samples = min_samples;
    g.threshold = threshold;
    g.hysteresis = std::min(0.05, threshold);
    g.suggestion_floor = 0.0;
    return std::make_unique<FakeLearningEngine>(g);
  };
}

EngineFactory Baseline(const std::string& name) {
  return [name] { return std::make_unique<ProposerEngine>(MakeProposer(name)); };
}

ReplayResult RunReplay(const Session& s, const EngineFactory& f, ReplayOptions o = {}) {
  InProcessDriver driver(f);
  return Replay(s, driver, o);
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ImportTiny(TinySynthetic(24, 11), dir_->path() / "s", 4);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  Session Load() const { return LoadSession(dir_->path() / "s"); }
  static TempDir* dir_;
};
TempDir* ReplayTest::dir_ = nullptr;

TEST_F(ReplayTest, TheSameSeedGivesTheSameSummaryAndCsv) {
  const Session s = Load();
  TempDir out;
  ReplayOptions o;
  o.seed = 3;
  o.agent = "fake";
  const ReplayResult a = RunReplay(s, Fake(0.4), o);
  const ReplayResult b = RunReplay(s, Fake(0.4), o);
  EXPECT_EQ(ComparableSummary(SummaryToJson(a.summary)),
            ComparableSummary(SummaryToJson(b.summary)));
  WriteEventsCsv(out.path() / "a.csv", a.rows);
  WriteEventsCsv(out.path() / "b.csv", b.rows);
  EXPECT_EQ(ReadFile(out.path() / "a.csv"), ReadFile(out.path() / "b.csv"));
  EXPECT_EQ(a.rows.size(), s.events.size());
}

TEST_F(ReplayTest, SummaryHasEveryIssueField) {
  const Session s = Load();
  const nlohmann::json j = SummaryToJson(RunReplay(s, Fake(0.4)).summary);
  for (const char* key : {"events",
                          "annotations",
                          "blind_iou_mean",
                          "blind_iou_last100",
                          "gate_opened_at",
                          "gate_closed_count",
                          "suggestions_shown",
                          "suggestions_withheld",
                          "accepted_unchanged_rate",
                          "used_rate",
                          "clicks_saved_rate",
                          "seconds_saved_rate",
                          "wall_seconds",
                          "speedup_vs_real_time",
                          "learning_budget",
                          "seed",
                          "agent",
                          "model_versions",
                          "projects",
                          "effort_model",
                          "session"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["events"].get<std::size_t>(), s.events.size());
  EXPECT_EQ(j["annotations"].get<std::size_t>(), s.manifest.prompts);
  EXPECT_GT(j["speedup_vs_real_time"].get<double>(), 1.0);
  EXPECT_TRUE(j["projects"].contains("synth"));
}

// A baseline publishes every suggestion: it is "live" from the first annotation, and the summary
// adds up from the rows.
TEST_F(ReplayTest, BaselineEffortAddsUpFromTheRows) {
  const Session s = Load();
  const ReplayResult r = RunReplay(s, Baseline("box"));
  const StreamStats& all = r.summary.all;
  EXPECT_EQ(all.annotations, s.manifest.prompts);
  EXPECT_EQ(all.shown, all.annotations);
  EXPECT_EQ(all.withheld, 0u);
  ASSERT_TRUE(all.gate_opened_at.has_value());
  EXPECT_EQ(*all.gate_opened_at, 0u);
  EXPECT_FALSE(all.gated);
  double spent = 0, hand = 0, iou = 0;
  std::size_t clicks_hand = 0, decided = 0, scored = 0;
  for (const EventRow& row : r.rows) {
    if (row.decision.empty()) continue;
    ++decided;
    EXPECT_TRUE(row.decision == "accepted" || row.decision == "edited" ||
                row.decision == "rejected")
        << row.decision;
    EXPECT_LE(row.clicks_spent, row.clicks_draw);
    spent += row.seconds_spent;
    hand += row.seconds_draw;
    clicks_hand += row.clicks_draw;
    iou += row.blind_iou;
    ++scored;
    EXPECT_GE(row.blind_iou, 0.0);
    EXPECT_LE(row.blind_iou, 1.0);
  }
  EXPECT_EQ(decided, all.annotations);
  EXPECT_NEAR(spent, all.seconds_spent, 1e-6);
  EXPECT_NEAR(hand, all.seconds_hand, 1e-6);
  EXPECT_EQ(clicks_hand, all.clicks_hand);
  const nlohmann::json j = SummaryToJson(r.summary);
  EXPECT_NEAR(j["blind_iou_mean"].get<double>(), iou / scored, 1e-12);
  EXPECT_NEAR(j["seconds_saved_rate"].get<double>(), 1.0 - spent / hand, 1e-12);
  EXPECT_EQ(j["model_versions"], nlohmann::json::array({"baseline:box"}));
}

// Keep the gate honest: an agent that never reaches the bar never shows anything and saves
// nothing.
TEST_F(ReplayTest, AGateThatNeverOpensShowsNothingAndSavesNothing) {
  const Session s = Load();
  const ReplayResult r = RunReplay(s, Fake(0.99));
  const nlohmann::json j = SummaryToJson(r.summary);
  EXPECT_TRUE(j["gate_opened_at"].is_null());
  EXPECT_EQ(j["suggestions_shown"].get<std::size_t>(), 0u);
  EXPECT_EQ(j["suggestions_withheld"].get<std::size_t>(), s.manifest.prompts);
  EXPECT_DOUBLE_EQ(j["clicks_saved_rate"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["seconds_saved_rate"].get<double>(), 0.0);
  EXPECT_TRUE(j["used_rate"].is_null());
  EXPECT_GT(j["blind_iou_mean"].get<double>(), 0.3) << "withheld proposals are still scored";
  EXPECT_EQ(j["withheld_reasons"]["shadow_mode"].get<std::size_t>(), s.manifest.prompts);
}

/** The fake, but its reported scores say `iou` (and a made-up decision), as an engine whose
 *  scoring differs from the replay's own shape IoU would. */
class MisreportingEngine : public FakeLearningEngine {
 public:
  MisreportingEngine(ShadowGateConfig g, double iou) : FakeLearningEngine(g), iou_(iou) {}
  EngineResult OnAnnotation(const AnnotationEvent& e) override {
    EngineResult r = FakeLearningEngine::OnAnnotation(e);
    for (BlindScore& sc : r.scores) {
      sc.components["iou"] = iou_;
      sc.reward = iou_ / 2;
      if (!sc.published) sc.decision = "made_up_reason";
    }
    // A score for another prompt must not be taken for this one.
    BlindScore other = r.scores.empty() ? BlindScore{} : r.scores.front();
    other.prompt_id += "-other";
    other.components["iou"] = 0.999;
    r.scores.insert(r.scores.begin(), other);
    return r;
  }

 private:
  double iou_;
};

// The summary's blind figures come from the engine's own BlindScores (AgentEngine's scoring, the
// `<project>/_score` stream), not from the replay re-scoring the shape it saw.
TEST_F(ReplayTest, BlindScoresComeFromTheEnginesReport) {
  const Session s = Load();
  const EngineFactory f = [] {
    ShadowGateConfig g;
    g.window = 20;
    g.min_samples = 5;
    g.threshold = 0.99;
    g.suggestion_floor = 0.0;
    return std::make_unique<MisreportingEngine>(g, 0.25);
  };
  const ReplayResult r = RunReplay(s, f);
  const nlohmann::json j = SummaryToJson(r.summary);
  EXPECT_DOUBLE_EQ(j["blind_iou_mean"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["blind_reward_mean"].get<double>(), 0.125);
  EXPECT_EQ(j["withheld_reasons"]["made_up_reason"].get<std::size_t>(), s.manifest.prompts);
  std::size_t rows = 0;
  for (const EventRow& row : r.rows) {
    if (row.decision.empty()) continue;
    ++rows;
    EXPECT_DOUBLE_EQ(row.blind_iou, 0.25);
    EXPECT_EQ(row.withheld_reason, "made_up_reason");
  }
  EXPECT_EQ(rows, s.manifest.prompts);
}

TEST_F(ReplayTest, TheGateOpensOnEvidenceAndNothingIsShownBefore) {
  const Session s = Load();
  const ReplayResult r = RunReplay(s, Fake(0.3, 5));
  const StreamStats& all = r.summary.all;
  ASSERT_TRUE(all.gate_opened_at.has_value());
  EXPECT_GE(*all.gate_opened_at, 5u) << "min_samples blind rewards first";
  EXPECT_TRUE(all.gated);
  ASSERT_FALSE(all.gate_history.empty());
  EXPECT_EQ(all.gate_history.front().event.to, "live");
  EXPECT_GE(all.gate_history.front().event.n, 5u);
  EXPECT_EQ(all.gate_history.front().annotation_index, *all.gate_opened_at);
  EXPECT_GT(all.shown, 0u);
  std::size_t annotations = 0;
  bool open = false;
  for (const EventRow& row : r.rows) {
    if (row.annotation_index > 0) annotations = row.annotation_index;
    if (!row.decision.empty() && !open) {
      EXPECT_FALSE(row.shown) << "shown before the gate opened, at " << row.annotation_index;
    }
    if (!row.gate_event.empty()) {
      EXPECT_EQ(row.gate_event, "synth:shadow->live");
      EXPECT_EQ(row.annotation_index, *all.gate_opened_at);
      open = true;
    }
  }
  EXPECT_EQ(annotations, all.annotations);
  // Only shown suggestions can save anything.
  EXPECT_GE(all.clicks_hand, all.clicks_spent);
}

TEST_F(ReplayTest, RandomOrderPermutesAssetsAndKeepsTheClock) {
  const Session s = Load();
  ReplayOptions o;
  o.order = AssetOrder::kRandom;
  o.seed = 5;
  const ReplayResult r = RunReplay(s, Baseline("ellipse"), o);
  std::vector<std::string> replayed, recorded;
  double last = -1;
  for (const EventRow& row : r.rows) {
    EXPECT_GE(row.sim_seconds, last);
    last = row.sim_seconds;
    if (row.type == "asset") replayed.push_back(row.asset);
  }
  for (const SessionEvent& e : s.events) {
    if (e.type == MessageType::kAsset) recorded.push_back(e.asset);
  }
  EXPECT_NE(replayed, recorded);
  EXPECT_TRUE(
      std::is_permutation(replayed.begin(), replayed.end(), recorded.begin(), recorded.end()));
  EXPECT_NEAR(r.rows.back().sim_seconds, s.DurationSeconds(), 1e-6);
  // The per-prompt outcome of a baseline does not depend on the order.
  const ReplayResult inorder = RunReplay(s, Baseline("ellipse"));
  EXPECT_EQ(r.summary.all.clicks_spent, inorder.summary.all.clicks_spent);
}

TEST_F(ReplayTest, ActiveOrderPicksTheLeastConfidentAssetFirst) {
  const Session s = Load();
  // The fake's confidence before it has learned anything: 0.6 * (0.8 + 0.2 * box aspect).
  std::map<std::string, std::pair<double, int>> per_asset;
  std::vector<std::string> order;
  for (const SessionEvent& e : s.events) {
    if (e.type == MessageType::kAsset) order.push_back(e.asset);
    if (e.type != MessageType::kPrompt) continue;
    const PromptEvent p = std::get<PromptEvent>(Decode(e.bytes, SessionDecodeLimits()).body);
    const double w = p.prompt.box.width(), h = p.prompt.box.height();
    auto& acc = per_asset[p.asset];
    acc.first += 0.6 * (0.8 + 0.2 * std::min(w, h) / std::max(w, h));
    acc.second += 1;
  }
  std::string expected;
  double lowest = 2.0;
  for (const std::string& a : order) {
    const double mean = per_asset[a].first / per_asset[a].second;
    if (mean < lowest) lowest = mean, expected = a;
  }
  ReplayOptions o;
  o.order = AssetOrder::kActive;
  o.active_pool = 1000;  // rank every remaining asset
  const ReplayResult r = RunReplay(s, Fake(0.4), o);
  EXPECT_EQ(r.rows.front().type, "asset");
  EXPECT_EQ(r.rows.front().asset, expected);
  EXPECT_EQ(r.summary.order, "active");
  EXPECT_EQ(r.summary.all.annotations, s.manifest.prompts);
  // A baseline has no value head to rank by.
  EXPECT_THROW(RunReplay(s, Baseline("box"), o), std::invalid_argument);
}

TEST_F(ReplayTest, JobsWriteOneFolderPerEngineAndAComparison) {
  const Session s = Load();
  TempDir out;
  EngineFactoryMaker make = [](const AgentRequest& r) -> EngineFactory {
    if (r.agent == "fake") return Fake(0.4);
    return Baseline(r.agent);
  };
  std::vector<ReplayJob> jobs = {{"fake", {}}, {"box", {}}, {"ellipse", {}}};
  jobs[0].request.agent = "fake";
  jobs[1].request.agent = "box";
  jobs[2].request.agent = "ellipse";
  const std::vector<ReplaySummary> sums = ReplayJobs(s, jobs, ReplayOptions{}, make, out.path());
  WriteComparison(out.path(), sums);
  ASSERT_EQ(sums.size(), 3u);
  for (const char* label : {"fake", "box", "ellipse"}) {
    const auto j = nlohmann::json::parse(ReadFile(out.path() / label / "summary.json"));
    EXPECT_EQ(j["agent"], label);
    EXPECT_NE(ReadFile(out.path() / label / "events.csv").find("blind_iou"), std::string::npos);
  }
  const std::string table = ReadFile(out.path() / "comparison.md");
  EXPECT_NE(table.find("| fake |"), std::string::npos);
  EXPECT_NE(table.find("| ellipse |"), std::string::npos);
  EXPECT_NE(ReadFile(out.path() / "comparison.csv").find("seconds_saved_rate"), std::string::npos);
}

}  // namespace
}  // namespace understudy
