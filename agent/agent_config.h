#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "agent/blind_ledger.h"
#include "agent/held_out_pool.h"
#include "agent/shadow_gate_config.h"
#include "rewards/reward_spec.h"

namespace understudy {

/** How the learner's updates are paced (docs/engine.md, "Learning schedules"). */
enum class LearningMode {
  kBackground,     // serve: a learner thread updates continuously in wall-clock time
  kPerAnnotation,  // replay: updates_per_annotation updates synchronously after each annotation
  kPerSimSecond,   // replay: updates_per_second x simulated seconds, run at the events
};
const char* ToString(LearningMode mode);
/** Inverse of ToString; throws std::invalid_argument naming the text and the valid names. */
LearningMode ParseLearningMode(const std::string& text);

/** When and how much the learner learns. */
struct LearningSchedule {
  LearningMode mode = LearningMode::kBackground;
  int updates_per_annotation = 1;     // kPerAnnotation: >= 1
  double updates_per_second = 1.0;    // kPerSimSecond: finite, > 0 (simulated seconds of the
                                      // events' `ts`, the human's time)
  int batch_updates = 4;              // updates per Learner::Update call, every mode: >= 1
  std::size_t queue_capacity = 4096;  // kBackground: examples waiting for the learner thread
  /** At most this many updates per training example added so far (0: no cap). Keeps a learner
   *  from spinning on a static buffer when no annotations arrive, and bounds what a long gap in
   *  simulated time can buy. The updates it refuses are counted, not deferred. */
  double max_replay_ratio = 0.0;

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** "per_sim_second: 2.5 updates per simulated second, batches of 4, replay ratio <= 8": the
 *  budget statement every replay summary carries. */
std::string DescribeSchedule(const LearningSchedule& schedule);

/** When a challenger may replace the serving champion (docs/registry.md). */
struct ChampionConfig {
  std::uint64_t every_updates = 50;  // a challenge after this many updates (>= 1)
  double tolerance = 0.0;            // replace if challenger >= champion - tolerance
  std::size_t min_items = 20;        // no challenge on a held-out pool smaller than this (>= 1)

  void Validate() const;
};

/** Where a prediction's expected reward comes from when the policy has no value head. */
enum class PredictedRewardFallback {
  kWindowMean,  // the project's current blind window mean (the gate's own evidence)
  kConstant,    // `value`
  kNone,        // nothing: the gate withholds the suggestion as `no_prediction`
};
const char* ToString(PredictedRewardFallback fallback);
PredictedRewardFallback ParsePredictedRewardFallback(const std::string& text);

/** The fallback for policies without a value head (the baselines). */
struct PredictedRewardConfig {
  PredictedRewardFallback fallback = PredictedRewardFallback::kWindowMean;
  double value = 0.0;  // kConstant: in [0, 1]

  void Validate() const;
};

/** The engine's held-out pool: HeldOutConfig plus how much image each item keeps. */
struct HeldOutEngineConfig {
  HeldOutConfig pool{0.1, 0, 1000};
  /** Each held-out item keeps the image around its prompt box, this many box sides beyond it on
   *  every side (clipped to the image), instead of the whole image. Policies that look no
   *  further than this around the box score exactly as on the whole image. >= 0, finite. */
  double crop_margin = 1.0;

  void Validate() const;
};

/** Images the engine keeps for prompts, annotations and training examples. */
struct AssetConfig {
  std::size_t max_assets = 10000;                       // assets remembered (oldest go)
  std::size_t max_inline_bytes = std::size_t{1} << 30;  // encoded inline images kept
  std::size_t cache_bytes = std::size_t{256} << 20;     // decoded images cached (LRU)

  void Validate() const;
};

/**
 * Everything the agent engine is configured with (docs/engine.md, "Configuration"). Plain data;
 * Validate() throws std::invalid_argument whose message names the field and value. JSON in and
 * out (AgentConfigFromJson, ToJson) so serve's config file and experiment configs carry it.
 */
struct AgentConfig {
  ShadowGateConfig gate;
  RewardSpec reward;  // IoU only by default
  HeldOutEngineConfig held_out;
  ChampionConfig champion;
  LearningSchedule learning;
  BlindLedgerConfig ledger;
  PredictedRewardConfig predicted_reward;
  AssetConfig assets;
  bool score_clicks = true;            // scores carry clicks to fix and to draw
  std::filesystem::path registry_dir;  // empty: versions live in memory only
  std::filesystem::path data_root;     // relative asset uris are read under it; empty: none
  std::uint64_t seed = 1;              // the learner's seed (the split has its own)

  void Validate() const;
};

/**
 * Reads a config; every key is optional (defaults above), unknown keys and wrong types are
 * rejected naming the key, e.g. `agent config: gate.threshold = "high": not a number`. The result
 * is validated.
 */
AgentConfig AgentConfigFromJson(const nlohmann::json& j);
/** Every field, in the form AgentConfigFromJson reads back to the same config. */
nlohmann::json ToJson(const AgentConfig& config);

}  // namespace understudy
