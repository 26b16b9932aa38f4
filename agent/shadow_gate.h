#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "agent/gate_decision.h"
#include "agent/shadow_gate_config.h"
#include "agent/window_stats.h"

namespace understudy {

/** Running counts of one gate; exported as metrics and in /status. */
struct GateCounters {
  std::uint64_t rewards_recorded = 0;  // blind rewards that entered the window
  std::uint64_t rewards_rejected = 0;  // non-finite rewards, refused
  std::uint64_t rewards_stale = 0;     // rewards of a model retired by Restart, ignored
  std::uint64_t promotions = 0;
  std::uint64_t demotions = 0;
  std::uint64_t restarts = 0;
  std::uint64_t published = 0;
  std::uint64_t withheld_below_floor = 0;
  std::uint64_t withheld_no_prediction = 0;
  std::uint64_t withheld_shadow = 0;  // Decide() while in shadow mode
};

/** A snapshot of one gate for /status. */
struct GateStatus {
  std::string project;
  GateMode mode = GateMode::kShadow;
  WindowStats stats;
  std::uint64_t last_model_version = 0;  // of the last recorded reward
  GateCounters counters;
  ShadowGateConfig config;
};

/**
 * The shadow gate of one project: a sliding window of blind rewards and the shadow/live state
 * machine over it (docs/gate.md). Promotes when n >= min_samples and the lower confidence bound
 * of the mean is >= threshold; demotes when the mean falls below threshold - hysteresis.
 * Not thread-safe; GateBook serialises access.
 */
class ShadowGate {
 public:
  /** Validates `config` (std::invalid_argument). */
  ShadowGate(std::string project, ShadowGateConfig config);

  /**
   * Adds the blind reward of a proposal that `model_version` made before the annotation with
   * `annotation_index` existed. Returns the decision when the mode changes. A non-finite reward
   * is counted and rejected with std::invalid_argument and never enters the window. A reward
   * from a version retired by Restart is counted as stale and ignored.
   */
  std::optional<GateDecision> Record(double blind_reward, std::uint64_t model_version,
                                     std::uint64_t annotation_index);

  /**
   * Clears the evidence because the serving model changed without held-out vetting (a
   * rollback): the window's rewards describe another model. Ends in shadow. From now on only
   * rewards of `serving_version`, or of versions newer than `newest_version` (models trained
   * after this point), are evidence; older in-flight blind proposals count as stale.
   * Requires newest_version >= serving_version (std::invalid_argument).
   */
  GateDecision Restart(std::uint64_t serving_version, std::uint64_t newest_version);

  /** Publish or withhold one live suggestion given the value head's predicted reward. */
  SuggestionVerdict Decide(double predicted_reward);

  /** Whether Record would take a reward of `model_version` as evidence (false: stale, a model
   *  retired by Restart). */
  bool Accepts(std::uint64_t model_version) const;

  GateMode mode() const { return mode_; }
  WindowStats stats() const { return Summarize(window_, config_.z); }
  const GateCounters& counters() const { return counters_; }
  const ShadowGateConfig& config() const { return config_; }
  const std::string& project() const { return project_; }
  GateStatus status() const;

 private:
  // Builds the decision from the current mode to `to`, then enters `to`.
  GateDecision Transition(GateMode to, GateTrigger trigger, const WindowStats& s,
                          std::uint64_t model_version, std::string reason);

  std::string project_;
  ShadowGateConfig config_;
  GateMode mode_ = GateMode::kShadow;
  std::deque<double> window_;
  GateCounters counters_;
  std::uint64_t last_model_version_ = 0;
  std::uint64_t last_index_ = 0;
  // After a Restart: versions <= retired_through_ other than restart_serving_ are stale.
  std::optional<std::uint64_t> retired_through_;
  std::uint64_t restart_serving_ = 0;
};

}  // namespace understudy
