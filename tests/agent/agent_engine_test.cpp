#include "agent/agent_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/model_registry.h"
#include "agent/proposer_policy.h"
#include "env/proposer_factory.h"
#include "tests/agent/agent_fakes.h"
#include "tests/transport/temp_dir.h"

namespace understudy {
namespace {

using testing::AnnotationAt;
using testing::AssetAt;
using testing::BoxFor;
using testing::FakeLearner;
using testing::FakePolicy;
using testing::FakePolicyLoader;
using testing::LearnerLog;
using testing::MarkOf;
using testing::PromptAt;
using testing::TempDir;

// A liveness bound for waiting on the learner thread, not a speed check.
constexpr auto kPatience = std::chrono::seconds(60);

AgentConfig SmallConfig() {
  AgentConfig c;
  c.gate.window = 10;
  c.gate.min_samples = 5;
  c.gate.threshold = 0.75;
  c.gate.hysteresis = 0.05;
  c.gate.suggestion_floor = 0.5;
  c.held_out.pool = HeldOutConfig{0.2, 7, 1000};
  c.champion.every_updates = 1;
  c.champion.tolerance = 0.0;
  c.champion.min_items = 1;
  c.learning.mode = LearningMode::kPerAnnotation;
  c.learning.updates_per_annotation = 1;
  c.learning.batch_updates = 1;
  return c;
}

std::unique_ptr<AgentEngine> FixedEngine(const AgentConfig& config, double scale,
                                         std::shared_ptr<double> confidence = nullptr) {
  return std::make_unique<AgentEngine>(config, std::make_unique<FakePolicy>(0, scale, confidence),
                                       nullptr, FakePolicyLoader(), "fake");
}

/** One prompt and its annotation on a fresh asset; returns both results. */
struct Round {
  EngineResult prompt;
  EngineResult annotation;
};

Round PromptAndAnswer(AgentEngine& engine, int i, double human_scale = 1.0, double t = -1,
                      const std::string& project = "proj") {
  const double ts = t >= 0 ? t : 1000.0 + i;
  const std::string asset = "img-" + std::to_string(i);
  engine.OnAsset(AssetAt(asset, ts, project));
  Round r;
  r.prompt = engine.OnPrompt(PromptAt(asset, "p", BoxFor(i), ts, project));
  r.annotation =
      engine.OnAnnotation(AnnotationAt(asset, "p", BoxFor(i), ts + 0.5, human_scale, project));
  return r;
}

// ---- blind means blind -------------------------------------------------------------------------

TEST(AgentEngine, APredictionAfterItsAnnotationIsNeverScored) {
  auto engine = FixedEngine(SmallConfig(), 1.0);
  engine->OnAsset(AssetAt("img", 1));
  // The annotation comes first (the agent was slow, or the prompt was re-sent afterwards).
  const EngineResult early = engine->OnAnnotation(AnnotationAt("img", "late", BoxFor(0), 2));
  EXPECT_TRUE(early.scores.empty());
  const EngineResult late = engine->OnPrompt(PromptAt("img", "late", BoxFor(0), 3));
  EXPECT_TRUE(late.withheld);
  EXPECT_EQ(late.withheld_reason, "already_annotated");
  EXPECT_FALSE(late.suggestion.has_value());
  // Annotating it again scores nothing: no blind prediction ever existed.
  EXPECT_TRUE(engine->OnAnnotation(AnnotationAt("img", "late", BoxFor(0), 4)).scores.empty());

  // In order, the same prompt id on another asset is scored once, blind.
  engine->OnAsset(AssetAt("img2", 5));
  const EngineResult p = engine->OnPrompt(PromptAt("img2", "late", BoxFor(0), 6));
  ASSERT_TRUE(p.suggestion);
  const EngineResult a = engine->OnAnnotation(AnnotationAt("img2", "late", BoxFor(0), 7));
  ASSERT_EQ(a.scores.size(), 1u);
  EXPECT_DOUBLE_EQ(a.scores[0].reward, 1.0);
  EXPECT_EQ(a.scores[0].model_version, "fake:v000001");
  EXPECT_TRUE(engine->OnAnnotation(AnnotationAt("img2", "late", BoxFor(0), 8)).scores.empty());
  const EngineStatus st = engine->Status();
  ASSERT_EQ(st.projects.size(), 1u);
  EXPECT_EQ(st.projects[0].counters.at("withheld_already_annotated"), 1);
  EXPECT_EQ(st.projects[0].counters.at("scored"), 1);
}

TEST(AgentEngine, AScoreBelongsToTheModelThatPredictedNotToTheOneServingAtTheAnnotation) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.5;
  auto log = std::make_shared<LearnerLog>();
  // Challenger 1 is better than the initial 0.7 model and wins; the later ones are worse.
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.7),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.95, 0.5}),
                     FakePolicyLoader(), "fake");
  engine.OnAsset(AssetAt("early", 1));
  const EngineResult early = engine.OnPrompt(PromptAt("early", "p", BoxFor(0), 1));
  ASSERT_TRUE(early.suggestion);
  EXPECT_EQ(early.suggestion->model_version, "fake:v000001");
  // Other prompts are answered until a challenger replaces the serving model.
  int i = 1;
  while (engine.serving_version() == 1 && i < 200) PromptAndAnswer(engine, i++);
  ASSERT_EQ(engine.serving_version(), 2u);
  const EngineResult late = engine.OnAnnotation(AnnotationAt("early", "p", BoxFor(0), 500));
  ASSERT_EQ(late.scores.size(), 1u);
  EXPECT_EQ(late.scores[0].model_version, "fake:v000001");
  EXPECT_NEAR(late.scores[0].reward, 0.49, 1e-12);  // 0.7^2: the old model's outline
  // A prompt now is predicted and tagged by the new model.
  const Round now = PromptAndAnswer(engine, 1000);
  ASSERT_TRUE(now.prompt.suggestion);
  EXPECT_EQ(now.prompt.suggestion->model_version, "fake:v000002");
  EXPECT_EQ(MarkOf(now.prompt.suggestion->shape), 1);  // challenger 1 made it
  ASSERT_EQ(now.annotation.scores.size(), 1u);
  EXPECT_EQ(now.annotation.scores[0].model_version, "fake:v000002");
}

// ---- the gate ------------------------------------------------------------------------------

TEST(AgentEngine, TheGateGoesLiveOnGoodBlindRewardsAndSaysWhyThenDemotes) {
  auto engine = FixedEngine(SmallConfig(), 1.0);
  std::vector<GateEvent> gates;
  for (int i = 0; i < 5; ++i) {
    const Round r = PromptAndAnswer(*engine, i);
    EXPECT_TRUE(r.prompt.withheld);
    EXPECT_EQ(r.prompt.withheld_reason, "shadow_mode");
    ASSERT_EQ(r.annotation.scores.size(), 1u);
    EXPECT_TRUE(r.annotation.scores[0].evidence);
    EXPECT_EQ(r.annotation.scores[0].decision, "shadow_mode");
    EXPECT_FALSE(r.annotation.scores[0].published);
    for (const GateEvent& g : r.annotation.gate_events) gates.push_back(g);
    EXPECT_EQ(r.annotation.gate_events.size(), i == 4 ? 1u : 0u);
  }
  ASSERT_EQ(gates.size(), 1u);
  const GateEvent& up = gates[0];
  EXPECT_EQ(up.project, "proj");
  EXPECT_EQ(up.from, "shadow");
  EXPECT_EQ(up.to, "live");
  EXPECT_EQ(up.trigger, "promote");
  EXPECT_EQ(up.n, 5u);
  EXPECT_DOUBLE_EQ(up.mean, 1.0);
  EXPECT_DOUBLE_EQ(up.lower_bound, 1.0);
  EXPECT_DOUBLE_EQ(up.threshold, 0.75);
  EXPECT_EQ(up.model_version, "fake:v000001");
  EXPECT_EQ(up.details.at("min_samples"), 5);
  EXPECT_EQ(up.details.at("annotation_index"), 5);
  EXPECT_NE(up.reason.find("lcb 1.0000 >= threshold 0.7500"), std::string::npos) << up.reason;

  // Live: the value head predicts 0.9 >= floor 0.5, so the suggestion is published.
  const Round live = PromptAndAnswer(*engine, 5, 0.5);  // the human drew a quarter of the box
  EXPECT_FALSE(live.prompt.withheld);
  ASSERT_TRUE(live.prompt.suggestion);
  EXPECT_DOUBLE_EQ(live.prompt.suggestion->confidence, 0.9);
  ASSERT_EQ(live.annotation.scores.size(), 1u);
  EXPECT_TRUE(live.annotation.scores[0].published);
  EXPECT_EQ(live.annotation.scores[0].decision, "published");
  EXPECT_NEAR(live.annotation.scores[0].reward, 0.25, 1e-12);

  // Poor rewards pull the mean below threshold - hysteresis = 0.70: demoted, with the evidence.
  std::vector<GateEvent> downs;
  for (int i = 6; i < 20 && downs.empty(); ++i) {
    for (const GateEvent& g : PromptAndAnswer(*engine, i, 0.5).annotation.gate_events)
      downs.push_back(g);
  }
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_EQ(downs[0].trigger, "demote");
  EXPECT_EQ(downs[0].to, "shadow");
  EXPECT_LT(downs[0].mean, 0.70);
  EXPECT_TRUE(PromptAndAnswer(*engine, 100).prompt.withheld);
  const EngineStatus st = engine->Status();
  EXPECT_EQ(st.projects[0].mode, "shadow");
  EXPECT_EQ(st.projects[0].counters.at("promotions"), 1);
  EXPECT_EQ(st.projects[0].counters.at("demotions"), 1);
}

TEST(AgentEngine, TheGateStaysShutWhenTheAgentNeverClearsTheBar) {
  auto engine = FixedEngine(SmallConfig(), 0.8);  // IoU 0.64 < 0.75, prompt after prompt
  for (int i = 0; i < 200; ++i) {
    const Round r = PromptAndAnswer(*engine, i);
    EXPECT_TRUE(r.prompt.withheld);
    EXPECT_TRUE(r.annotation.gate_events.empty());
  }
  EXPECT_EQ(engine->Status().projects[0].mode, "shadow");
}

TEST(AgentEngine, WhileLiveTheFloorWithholdsSuggestionsPredictedToBeBad) {
  auto confidence = std::make_shared<double>(0.9);
  auto engine = FixedEngine(SmallConfig(), 1.0, confidence);
  for (int i = 0; i < 5; ++i) PromptAndAnswer(*engine, i);
  ASSERT_EQ(engine->Status().projects[0].mode, "live");
  *confidence = 0.3;  // below the floor of 0.5
  engine->OnAsset(AssetAt("low", 10));
  const EngineResult low = engine->OnPrompt(PromptAt("low", "p", BoxFor(1), 10));
  EXPECT_TRUE(low.withheld);
  EXPECT_EQ(low.withheld_reason, "below_floor");
  ASSERT_TRUE(low.suggestion);  // kept for the log
  *confidence = std::numeric_limits<double>::quiet_NaN();
  const EngineResult none = engine->OnPrompt(PromptAt("low", "q", BoxFor(2), 11));
  EXPECT_EQ(none.withheld_reason, "no_prediction");
  *confidence = 0.5;
  EXPECT_FALSE(engine->OnPrompt(PromptAt("low", "r", BoxFor(3), 12)).withheld);
  const EngineResult scored = engine->OnAnnotation(AnnotationAt("low", "p", BoxFor(1), 13));
  ASSERT_EQ(scored.scores.size(), 1u);
  EXPECT_EQ(scored.scores[0].decision, "below_floor");
  EXPECT_DOUBLE_EQ(scored.scores[0].predicted_reward, 0.3);
  const std::map<std::string, double> counters = engine->Status().projects[0].counters;
  EXPECT_EQ(counters.at("withheld_below_floor"), 1);
  EXPECT_EQ(counters.at("withheld_no_prediction"), 1);
  EXPECT_EQ(counters.at("published"), 1);
}

TEST(AgentEngine, BaselinesWithoutAValueHeadUseTheConfiguredFallback) {
  AgentConfig c = SmallConfig();
  auto make = [](const std::string& name) { return MakeProposer(name); };
  auto run = [&](PredictedRewardFallback fallback, double value) {
    c.predicted_reward.fallback = fallback;
    c.predicted_reward.value = value;
    AgentEngine engine(c, std::make_unique<ProposerPolicy>("box", make), nullptr,
                       ProposerPolicyLoader(make), "box");
    for (int i = 0; i < 5; ++i) PromptAndAnswer(engine, i);  // box on box: IoU 1, goes live
    EXPECT_EQ(engine.Status().projects[0].mode, "live");
    return PromptAndAnswer(engine, 5);
  };
  const Round mean = run(PredictedRewardFallback::kWindowMean, 0);
  EXPECT_FALSE(mean.prompt.withheld);
  ASSERT_TRUE(mean.prompt.suggestion);
  EXPECT_TRUE(std::isnan(mean.prompt.suggestion->confidence));  // no value head: no confidence
  EXPECT_EQ(mean.prompt.suggestion->model_version, "box:v000001");
  EXPECT_EQ(mean.prompt.suggestion->source, "box");
  EXPECT_DOUBLE_EQ(mean.annotation.scores[0].predicted_reward, 1.0);  // the window's mean
  EXPECT_EQ(run(PredictedRewardFallback::kConstant, 0.2).prompt.withheld_reason, "below_floor");
  EXPECT_EQ(run(PredictedRewardFallback::kNone, 0).prompt.withheld_reason, "no_prediction");
}

// The simulator's active order ranks assets it has not sent yet by the value head.
TEST(AgentEngine, PredictRewardAsksTheValueHeadAndRecordsNothing) {
  auto confidence = std::make_shared<double>(0.37);
  const std::unique_ptr<AgentEngine> engine = FixedEngine(SmallConfig(), 1.0, confidence);
  const AssetEvent asset = AssetAt("unseen", 5.0, "proj");
  const PromptEvent prompt = PromptAt("unseen", "p", BoxFor(0), 5.0, "proj");
  const std::optional<double> v = engine->PredictReward(asset, prompt);
  ASSERT_TRUE(v.has_value());
  EXPECT_DOUBLE_EQ(*v, 0.37);
  *confidence = 0.81;
  EXPECT_DOUBLE_EQ(*engine->PredictReward(asset, prompt), 0.81);
  // Nothing recorded: the prompt was never seen, so its annotation scores nothing.
  EXPECT_TRUE(engine->Status().projects.empty());
  engine->OnAsset(asset);
  const EngineResult r =
      engine->OnAnnotation(AnnotationAt("unseen", "p", BoxFor(0), 6.0, 1.0, "proj"));
  EXPECT_TRUE(r.scores.empty());

  auto make = [](const std::string& name) { return MakeProposer(name); };
  AgentEngine baseline(SmallConfig(), std::make_unique<ProposerPolicy>("box", make), nullptr,
                       ProposerPolicyLoader(make), "box");
  EXPECT_FALSE(baseline.PredictReward(asset, prompt).has_value()) << "no value head";
}

TEST(AgentEngine, AnAssetLevelAnnotationMatchesPredictionsToInstances) {
  auto engine = FixedEngine(SmallConfig(), 1.0);
  engine->OnAsset(AssetAt("img", 1));
  const Box a{10, 10, 110, 90}, b{300, 200, 380, 300};
  engine->OnPrompt(PromptAt("img", "a", a, 2));
  engine->OnPrompt(PromptAt("img", "b", b, 3));
  AnnotationEvent n;
  n.meta = testing::Meta("n", 4);
  n.asset = "img";  // no prompt: the whole asset, instances in another order, and one extra
  n.instances.push_back({MakeInstance({{500, 10}, {600, 10}, {600, 50}, {500, 50}}), "", false});
  n.instances.push_back({testing::ShrunkBox(b, 1.0), "", false});
  n.instances.push_back({testing::ShrunkBox(a, 1.0), "", false});
  n.annotator = "ann";
  const EngineResult r = engine->OnAnnotation(n);
  ASSERT_EQ(r.scores.size(), 2u);
  for (const BlindScore& s : r.scores) {
    EXPECT_DOUBLE_EQ(s.reward, 1.0) << s.prompt_id;
    EXPECT_EQ(s.instance, s.prompt_id == "a" ? 2 : 1);
  }
  // Both prompts are answered: a later prediction for either is not blind.
  EXPECT_EQ(engine->OnPrompt(PromptAt("img", "a", a, 5)).withheld_reason, "already_annotated");
}

TEST(AgentEngine, ScoresCarryClicksAndTheMatchedInstance) {
  auto engine = FixedEngine(SmallConfig(), 1.0);
  const Round r = PromptAndAnswer(*engine, 0, 0.5);
  ASSERT_EQ(r.annotation.scores.size(), 1u);
  const BlindScore& s = r.annotation.scores[0];
  EXPECT_NEAR(s.components.at("iou"), 0.25, 1e-12);
  EXPECT_EQ(s.components.at("clicks_to_draw"), 4);
  EXPECT_GT(s.components.at("clicks_to_fix"), 0);
  EXPECT_EQ(s.instance, 0);
  EXPECT_EQ(s.annotation_index, 1u);
  EXPECT_EQ(s.asset, "img-0");
  EXPECT_EQ(s.prompt_id, "p");
}

// ---- held-out pool -----------------------------------------------------------------------------

TEST(AgentEngine, HeldOutAnnotationsNeverReachTheLearner) {
  AgentConfig c = SmallConfig();
  c.held_out.pool = HeldOutConfig{0.2, 11, 40};  // fewer stored than held out
  auto log = std::make_shared<LearnerLog>();
  const HeldOutSplit split(c.held_out.pool.fraction, c.held_out.pool.seed);
  // The fake learner refuses held-out keys as the torch learner's TrainingBuffer does, so a
  // routing bug would throw out of OnAnnotation as well as show in the log below.
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.9),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.8}, split),
                     FakePolicyLoader(), "fake");
  int held = 0, scored_held = 0;
  constexpr int kAnnotations = 600;
  for (int i = 0; i < kAnnotations; ++i) {
    const Round r = PromptAndAnswer(engine, i);
    ASSERT_EQ(r.annotation.scores.size(), 1u);
    const AnnotationKey key{"proj", "img-" + std::to_string(i), "p"};
    const bool h = split.IsHeldOut(key);
    held += h ? 1 : 0;
    EXPECT_EQ(r.annotation.scores[0].held_out, h);
    scored_held += r.annotation.scores[0].held_out ? 1 : 0;
  }
  std::lock_guard<std::mutex> lock(log->mu);
  EXPECT_EQ(static_cast<int>(log->added.size()), kAnnotations - held);
  for (const AnnotationKey& k : log->added) ASSERT_FALSE(split.IsHeldOut(k)) << ToString(k);
  EXPECT_EQ(scored_held, held);
  EXPECT_GT(held, kAnnotations / 10);  // about 20%
  EXPECT_LT(held, kAnnotations * 3 / 10);
  const EngineStatus st = engine.Status();
  EXPECT_EQ(st.projects[0].counters.at("held_out"), held);
  EXPECT_EQ(st.projects[0].counters.at("trained"), kAnnotations - held);
  EXPECT_EQ(st.learner.at("held_out_stored"), 40);
}

// ---- champion and challenger -------------------------------------------------------------

TEST(AgentEngine, AWorseChallengerIsRejectedAnEqualOrBetterOneServesAndVersionsIncrement) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.5;
  c.champion.every_updates = 10;
  c.champion.min_items = 5;
  auto log = std::make_shared<LearnerLog>();
  // Challengers: worse (0.6), equal (0.8), better (0.9), worse than that (0.85).
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.8),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.6, 0.8, 0.9, 0.85}),
                     FakePolicyLoader(), "fake");
  std::vector<std::uint64_t> versions;
  std::vector<std::uint64_t> fingerprints;
  int i = 0;
  while (log->policies_made < 4 && i < 2000) {
    const int before = log->policies_made;
    PromptAndAnswer(engine, i++);
    if (log->policies_made > before) {
      const LearningProgress p = engine.learning_progress();
      ASSERT_TRUE(p.last_challenge);
      versions.push_back(engine.serving_version());
      fingerprints.push_back(p.last_challenge->pool_fingerprint);
      EXPECT_GE(p.last_challenge->n, 5u);
      EXPECT_EQ(p.champion_held_out_n, p.last_challenge->n);
    }
  }
  ASSERT_EQ(versions.size(), 4u);
  EXPECT_EQ(versions, (std::vector<std::uint64_t>{1, 2, 3, 3}));
  const LearningProgress p = engine.learning_progress();
  EXPECT_EQ(p.challenges, 4u);
  EXPECT_EQ(p.promotions, 2u);
  EXPECT_EQ(p.rejections, 2u);
  EXPECT_NEAR(p.champion_held_out, 0.81, 1e-9);  // 0.9^2 on box-shaped humans
  EXPECT_EQ(engine.serving_tag(), "fake:v000003");
  EXPECT_EQ(MarkOf(PromptAndAnswer(engine, 5000).prompt.suggestion->shape), 3);
}

TEST(AgentEngine, ChallengersAreScoredOnTheSamePoolAsTheChampionEveryTime) {
  AgentConfig c = SmallConfig();
  c.held_out.pool = HeldOutConfig{0.5, 3, 1000};
  c.champion.every_updates = 3;
  c.champion.min_items = 4;
  auto log = std::make_shared<LearnerLog>();
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.8),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.7}),
                     FakePolicyLoader(), "fake");
  for (int i = 0; i < 40; ++i) PromptAndAnswer(engine, i);
  // From here on only annotations that are not held out: the pool no longer changes, and every
  // challenge must report the same pool and the same champion score over it.
  const HeldOutSplit split(c.held_out.pool.fraction, c.held_out.pool.seed);
  std::set<std::uint64_t> fingerprints;
  std::set<double> champion_means;
  const std::uint64_t challenges_before = engine.learning_progress().challenges;
  for (int i = 1000, fed = 0; fed < 60; ++i) {
    if (split.IsHeldOut({"proj", "img-" + std::to_string(i), "p"})) continue;
    PromptAndAnswer(engine, i);
    ++fed;
    const LearningProgress p = engine.learning_progress();
    if (p.challenges == challenges_before) continue;  // only challenges of this phase
    fingerprints.insert(p.last_challenge->pool_fingerprint);
    champion_means.insert(p.last_challenge->champion_mean);
    EXPECT_EQ(p.last_challenge->n, engine.Status().learner.at("held_out_stored"));
  }
  const LearningProgress p = engine.learning_progress();
  EXPECT_GE(p.challenges - challenges_before, 15u);
  EXPECT_EQ(p.promotions, 0u);
  EXPECT_EQ(fingerprints.size(), 1u);
  EXPECT_EQ(champion_means.size(), 1u);
  EXPECT_NEAR(p.last_challenge->champion_mean, 0.64, 1e-9);
  EXPECT_NEAR(p.last_challenge->challenger_mean, 0.49, 1e-9);
}

// ---- non-finite learning ---------------------------------------------------------------------

TEST(AgentEngine, ANonFiniteLossNeverReplacesTheServingModel) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.5;
  c.champion.every_updates = 2;
  c.champion.min_items = 2;
  auto log = std::make_shared<LearnerLog>();
  auto learner = std::make_unique<FakeLearner>(log, std::vector<double>{1.0});
  learner->nan_loss_from = 1;  // every update reports a NaN loss; its challengers would be better
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.6), std::move(learner),
                     FakePolicyLoader(), "fake");
  for (int i = 0; i < 100; ++i) PromptAndAnswer(engine, i);
  const LearningProgress p = engine.learning_progress();
  EXPECT_GT(p.non_finite_reports, 0u);
  EXPECT_GT(p.challenges_non_finite_loss, 0u);
  EXPECT_EQ(p.promotions, 0u);
  EXPECT_EQ(log->policies_made, 0);  // no challenger was even made
  EXPECT_EQ(engine.serving_version(), 1u);
}

TEST(AgentEngine, AChallengerProposingNonFiniteGeometryNeverServes) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.5;
  c.champion.every_updates = 2;
  c.champion.min_items = 2;
  c.champion.tolerance = 1.0;  // even a far worse challenger would pass the mean test
  auto log = std::make_shared<LearnerLog>();
  auto learner = std::make_unique<FakeLearner>(log, std::vector<double>{1.0});
  learner->poison_from = 1;
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.6), std::move(learner),
                     FakePolicyLoader(), "fake");
  for (int i = 0; i < 100; ++i) PromptAndAnswer(engine, i);
  const LearningProgress p = engine.learning_progress();
  EXPECT_GT(p.challenges, 0u);
  EXPECT_EQ(p.promotions, 0u);
  ASSERT_TRUE(p.last_challenge);
  EXPECT_NE(p.last_challenge->reason.find("challenger score of held-out item"), std::string::npos)
      << p.last_challenge->reason;
  EXPECT_EQ(engine.serving_version(), 1u);
}

// ---- rollback --------------------------------------------------------------------------------

TEST(AgentEngine, RollbackByControlMessageServesTheOldVersionAndRestartsTheGates) {
  TempDir tmp;
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.5;
  c.registry_dir = tmp.path() / "registry";
  auto log = std::make_shared<LearnerLog>();
  // Challengers 1 and 2 win (v2, v3); 3 to 6 lose to anything; 7 beats v1.
  AgentEngine engine(
      c, std::make_unique<FakePolicy>(0, 0.6),
      std::make_unique<FakeLearner>(log, std::vector<double>{0.8, 0.9, 0.5, 0.5, 0.5, 0.5, 0.95}),
      FakePolicyLoader(), "fake");
  int i = 0;
  while (engine.serving_version() < 3 && i < 500) PromptAndAnswer(engine, i++, 1.0, -1, "a");
  ASSERT_EQ(engine.serving_version(), 3u);
  PromptAndAnswer(engine, i++, 1.0, -1, "b");  // a second project with a gate of its own
  // A prediction of v3 is pending when the operator rolls back.
  engine.OnAsset(AssetAt("pending", 1, "a"));
  engine.OnPrompt(PromptAt("pending", "p", BoxFor(0), 1, "a"));

  ControlEvent rollback;
  rollback.meta = testing::Meta("c1", 2);
  rollback.action = "rollback";
  rollback.version = 1;
  rollback.note = "v3 misbehaves";
  const EngineResult r = engine.OnControl(rollback);
  EXPECT_EQ(engine.serving_version(), 1u);
  EXPECT_EQ(engine.serving_tag(), "fake:v000001");
  ASSERT_EQ(r.gate_events.size(), 2u);  // every project's gate
  for (const GateEvent& g : r.gate_events) {
    EXPECT_EQ(g.trigger, "restart");
    EXPECT_EQ(g.to, "shadow");
    EXPECT_EQ(g.model_version, "fake:v000001");
  }
  {
    ModelRegistry registry(c.registry_dir, RegistryOpen::kMustExist);
    EXPECT_EQ(registry.serving(), 1u);
    EXPECT_EQ(registry.History().back().action, RegistryAction::kRollback);
    EXPECT_EQ(registry.History().back().note, "v3 misbehaves");
  }
  // The prediction v3 made before the rollback is scored but is not evidence any more.
  const EngineResult stale =
      engine.OnAnnotation(AnnotationAt("pending", "p", BoxFor(0), 3, 1.0, "a"));
  ASSERT_EQ(stale.scores.size(), 1u);
  EXPECT_EQ(stale.scores[0].model_version, "fake:v000003");
  EXPECT_FALSE(stale.scores[0].evidence);
  // New prompts are predicted by v1 (generation 0) and count as evidence again.
  const Round after = PromptAndAnswer(engine, 900, 1.0, -1, "a");
  EXPECT_EQ(after.prompt.suggestion->model_version, "fake:v000001");
  EXPECT_EQ(MarkOf(after.prompt.suggestion->shape), 0);
  EXPECT_TRUE(after.annotation.scores[0].evidence);

  // An unknown version changes nothing.
  rollback.version = 42;
  EXPECT_THROW(engine.OnControl(rollback), RegistryError);
  EXPECT_EQ(engine.serving_version(), 1u);
  // Learning goes on: the next winning challenger gets a fresh id, after every registered one.
  while (engine.serving_version() == 1 && i < 2000) PromptAndAnswer(engine, i++, 1.0, -1, "a");
  EXPECT_GT(engine.serving_version(), 3u);
}

TEST(AgentEngine, RollbackWithoutARegistryIsRefused) {
  auto engine = FixedEngine(SmallConfig(), 1.0);
  ControlEvent rollback;
  rollback.action = "rollback";
  rollback.version = 1;
  EXPECT_THROW(engine->OnControl(rollback), std::invalid_argument);
  EXPECT_EQ(engine->serving_version(), 1u);
}

TEST(AgentEngine, ARestartedEngineResumesTheRegistrysServingVersion) {
  TempDir tmp;
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.5;
  c.registry_dir = tmp.path() / "registry";
  {
    auto log = std::make_shared<LearnerLog>();
    AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.6),
                       std::make_unique<FakeLearner>(log, std::vector<double>{0.9}),
                       FakePolicyLoader(), "fake");
    for (int i = 0; engine.serving_version() < 2 && i < 500; ++i) PromptAndAnswer(engine, i);
    ASSERT_EQ(engine.serving_version(), 2u);
  }
  AgentEngine again(c, std::make_unique<FakePolicy>(0, 0.6), nullptr, FakePolicyLoader(), "fake");
  EXPECT_EQ(again.serving_version(), 2u);
  EXPECT_EQ(MarkOf(PromptAndAnswer(again, 0).prompt.suggestion->shape), 1);
}

// ---- schedules ---------------------------------------------------------------------------------

std::vector<BlindScore> Replay(const AgentConfig& c, int annotations, LearningProgress* progress) {
  auto log = std::make_shared<LearnerLog>();
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.7),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.8, 0.75, 0.9, 0.6}),
                     FakePolicyLoader(), "fake");
  std::vector<BlindScore> scores;
  for (int i = 0; i < annotations; ++i) {
    // Two prompts in flight at a time, so predictions and swaps interleave.
    const double t = 100.0 + 2.5 * i;
    const std::string asset = "img-" + std::to_string(i);
    engine.OnAsset(AssetAt(asset, t));
    engine.OnPrompt(PromptAt(asset, "p", BoxFor(i), t));
    if (i > 0) {
      const std::string prev = "img-" + std::to_string(i - 1);
      const EngineResult r =
          engine.OnAnnotation(AnnotationAt(prev, "p", BoxFor(i - 1), t + 1.0, 0.95));
      scores.insert(scores.end(), r.scores.begin(), r.scores.end());
    }
  }
  *progress = engine.learning_progress();
  return scores;
}

void ExpectBitIdentical(const std::vector<BlindScore>& a, const std::vector<BlindScore>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::memcmp(&a[i].reward, &b[i].reward, sizeof(double)), 0) << i;
    EXPECT_EQ(a[i].model_version, b[i].model_version) << i;
    EXPECT_EQ(a[i].decision, b[i].decision) << i;
    EXPECT_EQ(a[i].components, b[i].components) << i;
    EXPECT_EQ(a[i].held_out, b[i].held_out) << i;
  }
}

TEST(AgentEngine, PerAnnotationScheduleIsDeterministic) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.3;
  c.champion.every_updates = 6;
  c.champion.min_items = 3;
  c.learning.updates_per_annotation = 2;
  c.learning.batch_updates = 1;
  LearningProgress p1, p2;
  const std::vector<BlindScore> a = Replay(c, 150, &p1);
  const std::vector<BlindScore> b = Replay(c, 150, &p2);
  ExpectBitIdentical(a, b);
  EXPECT_EQ(p1.updates, 2u * 149);  // two after each of the 149 annotations
  EXPECT_EQ(p1.updates, p2.updates);
  EXPECT_EQ(p1.promotions, p2.promotions);
  EXPECT_GT(p1.promotions, 0u);
  std::set<std::string> versions;
  for (const BlindScore& s : a) versions.insert(s.model_version);
  EXPECT_GT(versions.size(), 1u);  // the scores span model swaps
}

TEST(AgentEngine, PerSimSecondScheduleRunsTheUpdatesTheSimulatedClockBuys) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.3;
  c.champion.every_updates = 6;
  c.champion.min_items = 3;
  c.learning.mode = LearningMode::kPerSimSecond;
  c.learning.updates_per_second = 0.8;
  c.learning.batch_updates = 3;
  LearningProgress p1, p2;
  const std::vector<BlindScore> a = Replay(c, 150, &p1);
  const std::vector<BlindScore> b = Replay(c, 150, &p2);
  ExpectBitIdentical(a, b);
  // Events span 100 s .. 100 + 2.5 * 149 + 1 s; 0.8 updates per simulated second, less what
  // fell due before the learner had its first example (the first annotation at t = 103.5).
  const double span = 2.5 * 149 + 1.0;
  EXPECT_EQ(p1.updates + p1.updates_forgone_empty, static_cast<std::uint64_t>(0.8 * span));
  EXPECT_GT(p1.updates, 0u);
  EXPECT_EQ(p1.updates, p2.updates);
  EXPECT_GT(p1.promotions, 0u);
  EXPECT_EQ(p1.promotions, p2.promotions);
}

TEST(AgentEngine, TheReplayRatioCapsUpdatesPerExample) {
  AgentConfig c = SmallConfig();
  c.learning.mode = LearningMode::kPerSimSecond;
  c.learning.updates_per_second = 100;
  c.learning.max_replay_ratio = 2;
  LearningProgress p;
  Replay(c, 50, &p);
  EXPECT_LE(p.updates_requested, 2u * p.examples_added);
  EXPECT_GT(p.updates_forgone_ratio, 0u);
}

// ---- background learning and the atomic swap -------------------------------------------------

TEST(AgentEngine, BackgroundLearningImprovesTheModelWhileItServes) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.3;
  c.learning.mode = LearningMode::kBackground;
  c.learning.batch_updates = 2;
  c.champion.every_updates = 20;
  c.champion.min_items = 3;
  auto log = std::make_shared<LearnerLog>();
  // The first challenger is better; every later one is worse, so exactly one swap happens.
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.7),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.9, 0.5}),
                     FakePolicyLoader(), "fake");
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  int i = 0;
  int served = 0;
  while (engine.serving_version() < 2 && std::chrono::steady_clock::now() < deadline) {
    const Round r = PromptAndAnswer(engine, i++);
    served += r.prompt.suggestion ? 1 : 0;
  }
  ASSERT_EQ(engine.serving_version(), 2u) << "the learner thread never promoted a challenger";
  EXPECT_EQ(served, i);  // every prompt was answered while the learner ran
  const EngineStatus st = engine.Status();
  EXPECT_GT(st.learner.at("updates"), 0);
  EXPECT_GE(st.learner.at("promotions"), 1);
  EXPECT_GE(st.learner.at("annotation_to_serving_count"), 1);
  EXPECT_GE(st.learner.at("annotation_to_serving_p50_seconds"), 0);
  EXPECT_EQ(st.model_version, "fake:v000002");
}

TEST(AgentEngine, TheVersionTagAlwaysMatchesTheModelUnderConcurrentSwaps) {
  AgentConfig c = SmallConfig();
  c.held_out.pool.fraction = 0.3;
  c.learning.mode = LearningMode::kBackground;
  c.learning.batch_updates = 1;
  c.champion.every_updates = 1;
  c.champion.min_items = 1;
  c.champion.tolerance = 1.0;  // every challenger wins: as many swaps as possible
  auto log = std::make_shared<LearnerLog>();
  AgentEngine engine(c, std::make_unique<FakePolicy>(0, 0.8),
                     std::make_unique<FakeLearner>(log, std::vector<double>{0.8}),
                     FakePolicyLoader(), "fake");
  // Feed annotations so the learner has examples and a pool, then hammer predictions while it
  // swaps. Challenger k is generation k and becomes version k + 1.
  for (int i = 0; i < 20; ++i) PromptAndAnswer(engine, i);
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  std::set<std::uint64_t> seen;
  int checked = 0;
  engine.OnAsset(AssetAt("hammer", 1));
  for (int k = 0;
       (seen.size() < 10 || checked < 2000) && std::chrono::steady_clock::now() < deadline; ++k) {
    const EngineResult r = engine.OnPrompt(PromptAt("hammer", std::to_string(k), BoxFor(k), 1));
    ASSERT_TRUE(r.suggestion);
    const std::string& tag = r.suggestion->model_version;
    ASSERT_EQ(tag.rfind("fake:v", 0), 0u) << tag;
    const std::uint64_t version = ModelRegistry::ParseId(tag.substr(5));
    ASSERT_EQ(static_cast<std::uint64_t>(MarkOf(r.suggestion->shape)) + 1, version)
        << "a suggestion tagged " << tag << " came from generation " << MarkOf(r.suggestion->shape);
    seen.insert(version);
    ++checked;
    if (k % 50 == 0) PromptAndAnswer(engine, 100 + k);  // keep the learner fed
  }
  EXPECT_GE(seen.size(), 10u) << "too few swaps happened during the reads";
}

// ---- config -------------------------------------------------------------------------------------

TEST(AgentConfig, JsonRoundTripAndErrorsNameTheField) {
  AgentConfig c = SmallConfig();
  c.learning.mode = LearningMode::kPerSimSecond;
  c.learning.updates_per_second = 2.5;
  c.predicted_reward.fallback = PredictedRewardFallback::kConstant;
  c.predicted_reward.value = 0.6;
  c.registry_dir = "/tmp/reg";
  c.seed = 99;
  const nlohmann::json j = ToJson(c);
  const AgentConfig back = AgentConfigFromJson(j);
  EXPECT_EQ(ToJson(back), j);
  EXPECT_EQ(back.learning.mode, LearningMode::kPerSimSecond);
  EXPECT_EQ(back.registry_dir, "/tmp/reg");
  // Every key is optional.
  EXPECT_EQ(ToJson(AgentConfigFromJson(nlohmann::json::object())), ToJson(AgentConfig{}));

  auto error = [](const std::string& text) {
    try {
      AgentConfigFromJson(nlohmann::json::parse(text));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error(R"({"gate": {"threshold": "high"}})").find("gate.threshold"), std::string::npos);
  EXPECT_NE(error(R"({"gate": {"threshold": 1.5}})").find("threshold = 1.5"), std::string::npos);
  EXPECT_NE(error(R"({"learning": {"mode": "sometimes"}})").find("sometimes"), std::string::npos);
  EXPECT_NE(error(R"({"learnign": {}})").find("unknown key learnign"), std::string::npos);
  EXPECT_NE(error(R"({"champion": {"min_items": 0}})").find("min_items = 0"), std::string::npos);
  EXPECT_NE(error(R"({"held_out": {"fraction": 2}})").find("fraction = 2"), std::string::npos);
  EXPECT_NE(error(R"({"reward": {"weights": {"iou": -1}}})").find("iou"), std::string::npos);
  EXPECT_NE(DescribeSchedule(c.learning).find("2.5 updates per simulated second"),
            std::string::npos);
}

}  // namespace
}  // namespace understudy
