#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/gate_decision.h"
#include "agent/shadow_gate_config.h"

namespace understudy {

/** One recorded input of a project's gate, in arrival order: a blind reward or a restart. */
struct GateInput {
  enum class Kind { kBlindReward, kRestart };
  Kind kind = Kind::kBlindReward;
  double reward = 0.0;                 // kBlindReward
  std::uint64_t model_version = 0;     // kBlindReward: the proposer; kRestart: the serving model
  std::uint64_t newest_version = 0;    // kRestart only
  std::uint64_t annotation_index = 0;  // kBlindReward only

  static GateInput BlindReward(double reward, std::uint64_t model_version,
                               std::uint64_t annotation_index);
  static GateInput Restart(std::uint64_t serving_version, std::uint64_t newest_version);
};

/**
 * Re-derives every decision of one project's gate from its recorded inputs. Pure: a fresh
 * ShadowGate fed the same inputs, so the result is bit-identical to the live gate's decisions.
 * Non-finite rewards are skipped, as the live gate rejected them.
 */
std::vector<GateDecision> ReplayGate(const ShadowGateConfig& config, const std::string& project,
                                     const std::vector<GateInput>& inputs);

/** Where a logged decision sequence and a replayed one first disagree. */
struct ReplayMismatch {
  std::size_t index = 0;  // position in the sequences
  std::string what;       // the field and both values, or which sequence is longer
};

/**
 * Compares logged decisions with replayed ones field by field: modes, trigger, n, version and
 * index exactly, statistics within `tolerance` (absolute; NaN equals NaN). std::nullopt when
 * they agree.
 */
std::optional<ReplayMismatch> FindReplayMismatch(const std::vector<GateDecision>& logged,
                                                 const std::vector<GateDecision>& replayed,
                                                 double tolerance = 1e-12);

}  // namespace understudy
