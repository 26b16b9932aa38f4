#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/agent_config.h"
#include "agent/background_learner.h"
#include "agent/blind_ledger.h"
#include "agent/gate_book.h"
#include "agent/held_out_item.h"
#include "agent/held_out_pool.h"
#include "agent/learner.h"
#include "agent/learning_loop.h"
#include "agent/model_keeper.h"
#include "agent/policy.h"
#include "env/asset_store.h"
#include "transport/engine.h"

namespace understudy {

/**
 * The agent as the server (and the simulator) drives it (docs/engine.md). For every prompt the
 * serving policy predicts blind; the prediction goes into the BlindLedger with the model version
 * that made it, and the project's shadow gate decides whether it is published. For every
 * annotation the pending predictions are scored against the human polygons (blind rewards,
 * returned as BlindScores), recorded by the gate (gate events with their evidence), and the
 * annotation is routed: held-out items to the pool, never to the learner; the rest to the
 * learner, which learns on the configured schedule and replaces the serving model only through
 * champion/challenger on the held-out pool. A control message rolls back to any registered
 * version and restarts the gates.
 *
 * All Engine calls come from one thread (the server's worker, or the replay loop). In
 * `background` mode a learner thread runs beside it; the only state they share is the
 * ModelKeeper's slot, the held-out pool and the hand-off queue, each thread-safe. With a null
 * learner the engine serves its initial policy for good (the baselines).
 */
class AgentEngine : public Engine {
 public:
  /**
   * `config` is validated (std::invalid_argument). `initial` serves unless the configured
   * registry already has a serving version, which is then loaded with `loader` (needed also for
   * rollbacks). `name` names the agent in /status ("rl", "box", ...).
   */
  AgentEngine(AgentConfig config, std::unique_ptr<Policy> initial, std::unique_ptr<Learner> learner,
              PolicyLoader loader = {}, std::string name = "agent");
  ~AgentEngine() override;
  AgentEngine(const AgentEngine&) = delete;
  AgentEngine& operator=(const AgentEngine&) = delete;

  EngineResult OnAsset(const AssetEvent& event) override;
  EngineResult OnPrompt(const PromptEvent& event) override;
  EngineResult OnAnnotation(const AnnotationEvent& event) override;
  EngineResult OnFeedback(const FeedbackEvent& event) override;
  /** `rollback`: serve registry version `version` again and restart every project's gate. */
  EngineResult OnControl(const ControlEvent& event) override;
  EngineStatus Status() const override;

  /** The version serving now (any thread). */
  std::uint64_t serving_version() const { return keeper_.serving_version(); }
  /** Its tag, e.g. "rl:v000003". */
  std::string serving_tag() const;
  /** The learning loop's progress (zeroes without a learner). In background mode, as of the
   *  learner thread's last batch. Call on the engine's thread. */
  LearningProgress learning_progress() const;
  const AgentConfig& config() const { return config_; }
  /** The budget statement of this engine's learning schedule (DescribeSchedule). */
  std::string schedule() const;

  /**
   * The serving policy's predicted reward for `prompt` on `asset` (an asset the engine need not
   * have seen), recording nothing: no ledger entry, no gate decision, no cached image. The
   * simulator's active order ranks assets by it. nullopt for a policy without a value head (the
   * baselines). Call on the engine's thread.
   */
  std::optional<double> PredictReward(const AssetEvent& asset, const PromptEvent& prompt) const;

 private:
  struct AssetInfo {
    int width = 0;
    int height = 0;
    std::size_t inline_bytes = 0;
  };
  struct PromptInfo {
    Prompt prompt;
    std::list<AnnotationKey>::iterator order;
  };
  /** Per-project counts beyond the gate's own. */
  struct ProjectCounts {
    std::uint64_t prompts = 0;
    std::uint64_t duplicate_prompts = 0;
    std::uint64_t withheld_already_annotated = 0;
    std::uint64_t predict_errors = 0;
    std::uint64_t invalid_proposals = 0;
    std::uint64_t annotations = 0;
    std::uint64_t annotations_empty = 0;
    std::uint64_t scored = 0;
    std::uint64_t stale_scores = 0;
    std::uint64_t missing_predictions = 0;  // annotated prompts without a pending prediction
    std::uint64_t not_blind = 0;
    std::uint64_t prompts_unknown = 0;   // annotations naming a prompt the engine never saw
    std::uint64_t instances_unused = 0;  // extra instances of a prompt-level annotation
    std::uint64_t held_out = 0;          // annotated prompts routed to the held-out pool
    std::uint64_t trained = 0;           // ... and to the learner
    std::uint64_t feedback_accepted = 0;
    std::uint64_t feedback_edited = 0;
    std::uint64_t feedback_rejected = 0;
    double edit_seconds_sum = 0.0;
    std::uint64_t edit_seconds_n = 0;
  };

  static std::int64_t EventMs(const EventMeta& meta);
  static std::string AssetId(const std::string& project, const std::string& asset);
  cv::Mat ImageFor(const std::string& project, const std::string& asset);
  void RememberAsset(const std::string& id, const AssetInfo& info);
  void ForgetAsset(const std::string& id);
  void RememberPrompt(const AnnotationKey& key, const Prompt& prompt);
  void ForgetPrompt(const AnnotationKey& key);
  double FallbackPrediction(const std::string& project) const;
  /** per_sim_second: the updates the simulated time since the last event bought. */
  void AdvanceSimClock(const EventMeta& meta);
  /** Routes one human-annotated prompt: held-out pool, or the learner. Returns held out. */
  bool Route(const AnnotationKey& key, const cv::Mat& image, const Prompt& prompt,
             const Instance& human, std::chrono::steady_clock::time_point arrived);
  void TakeDecisions(EngineResult& result);
  std::string DetailJson(const LearningProgress& progress) const;

  AgentConfig config_;
  std::string name_;
  ModelKeeper keeper_;
  std::vector<GateDecision> decisions_;  // GateBook's sink appends; drained into each result
  GateBook gates_;
  BlindLedger ledger_;
  HeldOutPool<HeldOutItem> pool_;
  AssetStore assets_;
  bool has_learner_ = false;

  std::deque<std::string> asset_order_;  // oldest first
  std::unordered_map<std::string, AssetInfo> asset_info_;
  std::size_t inline_bytes_ = 0;
  std::uint64_t assets_evicted_ = 0;
  std::uint64_t assets_rejected_ = 0;  // bad uri or an image that does not decode

  std::unordered_map<AnnotationKey, PromptInfo, AnnotationKeyHash> prompts_;
  std::list<AnnotationKey> prompt_order_;  // oldest first; bounded by the ledger's capacity
  std::unordered_map<std::string, std::vector<std::string>> asset_prompts_;  // pending, in order
  std::uint64_t prompts_evicted_ = 0;

  std::map<std::string, ProjectCounts> counts_;
  std::uint64_t annotations_ = 0;
  std::uint64_t examples_without_learner_ = 0;
  std::optional<double> sim_last_ts_;
  double sim_credit_ = 0.0;
  std::uint64_t controls_applied_ = 0;
  std::uint64_t controls_failed_ = 0;
  std::string last_control_;
  std::string last_error_;

  // Declared last: destroyed first, so the learner thread stops before what it uses goes.
  std::unique_ptr<LearningLoop> sync_loop_;        // per_annotation, per_sim_second
  std::unique_ptr<BackgroundLearner> background_;  // background
};

}  // namespace understudy
