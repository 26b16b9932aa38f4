#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace understudy {

/** Shadow: predict blind and be scored, publish nothing. Live: publish suggestions. */
enum class GateMode { kShadow, kLive };

/** What made the gate log a decision. */
enum class GateTrigger {
  kPromote,  // shadow -> live: n >= min_samples and lcb >= threshold
  kDemote,   // live -> shadow: mean < threshold - hysteresis
  kRestart,  // evidence cleared after an unvetted model change (rollback); ends in shadow
};

/**
 * One logged gate decision with the evidence it was taken on; published as a `gate` event.
 * Replaying the same inputs through ReplayGate (gate_replay.h) re-derives it exactly.
 */
struct GateDecision {
  std::string project;
  GateMode from = GateMode::kShadow;
  GateMode to = GateMode::kShadow;
  GateTrigger trigger = GateTrigger::kPromote;
  std::size_t n = 0;  // window statistics at the decision (for kRestart: the discarded window)
  double mean = 0.0;
  double stddev = 0.0;
  double lcb = 0.0;
  double threshold = 0.0;
  double hysteresis = 0.0;
  double z = 0.0;
  std::size_t min_samples = 0;
  std::uint64_t model_version = 0;     // the version whose blind reward (or restart) triggered it
  std::uint64_t annotation_index = 0;  // the caller's index of the annotation that triggered it
  std::string reason;                  // the comparison in words, e.g. "lcb 0.76 >= threshold 0.75"
};

/** Why a suggestion was published or withheld. */
enum class SuggestionReason {
  kPublished,     // live and the predicted reward is at or above the floor
  kShadowMode,    // the gate is shut: predictions stay blind
  kBelowFloor,    // live, but the value head predicts a reward below the floor
  kNoPrediction,  // live, but the predicted reward is not a finite number
};

/** The gate's answer for one suggestion. */
struct SuggestionVerdict {
  bool publish = false;
  SuggestionReason reason = SuggestionReason::kShadowMode;
  double predicted_reward = 0.0;
  double floor = 0.0;
};

const char* ToString(GateMode mode);
const char* ToString(GateTrigger trigger);
const char* ToString(SuggestionReason reason);
/** Inverses of ToString; throw std::invalid_argument naming the text. */
GateMode ParseGateMode(const std::string& text);
GateTrigger ParseGateTrigger(const std::string& text);

}  // namespace understudy
