#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/champion_challenger.h"
#include "agent/held_out_item.h"
#include "agent/held_out_pool.h"
#include "agent/learner.h"
#include "agent/model_keeper.h"

namespace understudy {

/** Latency from a human annotation arriving to a model that learned from it serving. */
struct AnnotationToServing {
  std::uint64_t count = 0;  // training examples that reached a serving model
  double last_s = std::numeric_limits<double>::quiet_NaN();
  double p50_s = std::numeric_limits<double>::quiet_NaN();  // over the latest 1024
  double p99_s = std::numeric_limits<double>::quiet_NaN();
  double max_s = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> recent_s;  // the latest 1024, oldest first
};

/** What the learning loop has done, for /status and /metrics. */
struct LearningProgress {
  std::uint64_t examples_added = 0;              // training examples given to the learner
  std::uint64_t updates = 0;                     // updates the learner applied
  std::uint64_t updates_requested = 0;           // updates asked of it (applied + refused by it)
  std::uint64_t update_calls = 0;                // Learner::Update calls (batches)
  std::uint64_t skipped_non_finite = 0;          // updates the learner refused: loss not finite
  std::uint64_t non_finite_reports = 0;          // batches whose reported loss was not finite
  std::uint64_t updates_forgone_empty = 0;       // scheduled while the learner had nothing yet
  std::uint64_t updates_forgone_ratio = 0;       // refused by max_replay_ratio
  std::uint64_t challenges = 0;                  // champion/challenger comparisons run
  std::uint64_t promotions = 0;                  // challengers that replaced the champion
  std::uint64_t rejections = 0;                  // challengers that lost (or scored non-finite)
  std::uint64_t challenges_pool_too_small = 0;   // due, but the pool had < min_items
  std::uint64_t challenges_non_finite_loss = 0;  // due, but the last loss was not finite
  std::uint64_t challenges_superseded = 0;       // won, but a rollback changed the champion
  std::uint64_t champion_failed_items = 0;  // held-out items the champion could not propose for
  std::uint64_t learner_errors = 0;         // exceptions from the learner (background mode)
  std::string last_error;
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  double last_sampled_reward = std::numeric_limits<double>::quiet_NaN();
  double last_greedy_reward = std::numeric_limits<double>::quiet_NaN();
  double last_value_error = std::numeric_limits<double>::quiet_NaN();
  /** The serving champion's held-out mean, n and pool fingerprint, as of the last challenge. */
  double champion_held_out = std::numeric_limits<double>::quiet_NaN();
  std::size_t champion_held_out_n = 0;
  std::uint64_t champion_pool_fingerprint = 0;
  std::optional<ChallengeResult> last_challenge;
  std::map<std::string, double> learner;  // Learner::Progress()
  AnnotationToServing annotation_to_serving;
};

/**
 * The learner with its champion/challenger check (docs/engine.md): takes training examples, runs
 * updates in batches, and every `champion.every_updates` applied updates scores a challenger
 * (Learner::MakePolicy) and the serving champion on one snapshot of the held-out pool; a
 * challenger that is not worse is registered and swapped in through the ModelKeeper. Used
 * synchronously by the engine's worker (per_annotation, per_sim_second) or by BackgroundLearner's
 * thread; either way one thread owns it (not thread-safe). The held-out guard is checked again on
 * every Add: a held-out example throws HeldOutViolation.
 */
class LearningLoop {
 public:
  using Clock = std::chrono::steady_clock;

  LearningLoop(const AgentConfig& config, std::unique_ptr<Learner> learner, ModelKeeper& keeper,
               HeldOutPool<HeldOutItem>& pool);

  /** Gives one example to the learner; `arrived` is when its annotation arrived. */
  void Add(TrainingExample example, Clock::time_point arrived);

  /**
   * Runs up to `steps` updates in batches of the schedule's batch_updates, each followed by the
   * champion/challenger check when due. Stops early when the learner has no examples yet or the
   * replay-ratio cap is reached (the rest is counted as forgone, not deferred). Returns the
   * updates requested of the learner.
   */
  int Run(int steps);

  /** Whether Run would do anything now (examples to learn from, replay budget left). */
  bool CanLearn() const;

  /** Refreshes the learner's own counters (call on the owning thread) and returns everything. */
  LearningProgress Progress();

 private:
  void MaybeChallenge();
  void ScoreChampion(const HeldOutSnapshot<HeldOutItem>& snapshot, std::uint64_t pool_stamp);
  void RecordServed(std::uint64_t covered_seq);
  std::int64_t RatioBudget() const;

  AgentConfig config_;
  std::unique_ptr<Learner> learner_;
  ModelKeeper& keeper_;
  HeldOutPool<HeldOutItem>& pool_;
  LearningProgress progress_;
  std::uint64_t since_challenge_ = 0;
  bool last_loss_non_finite_ = false;

  // The champion's copy for held-out scoring (this thread's own; the serving one stays with the
  // worker), and its per-item scores on the last snapshot, reused while the pool is unchanged.
  std::unique_ptr<Policy> champion_;
  std::uint64_t champion_version_ = 0;
  std::vector<double> champion_scores_;
  std::optional<std::uint64_t> champion_pool_stamp_;

  // Examples not yet in a serving model: (sequence number, arrival), oldest first.
  std::deque<std::pair<std::uint64_t, Clock::time_point>> unserved_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t trained_through_ = 0;  // last example added before the latest Update began
  std::deque<double> recent_latencies_;
};

}  // namespace understudy
