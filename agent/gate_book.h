#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/gate_decision.h"
#include "agent/shadow_gate.h"
#include "agent/shadow_gate_config.h"

namespace understudy {

/**
 * The shadow gates of every project (project -> ShadowGate, created in shadow on first use),
 * all with the same config. Every decision goes to the sink, in the order it was taken, so the
 * engine can log it and publish it as a `gate` event. Thread-safe: one mutex, and the sink
 * runs under it (so it must not call back into the book).
 */
class GateBook {
 public:
  using DecisionSink = std::function<void(const GateDecision&)>;

  /** Validates `config` (std::invalid_argument). */
  explicit GateBook(ShadowGateConfig config, DecisionSink sink = {});

  /** ShadowGate::Record on `project`'s gate; a non-finite reward throws as there. */
  std::optional<GateDecision> Record(const std::string& project, double blind_reward,
                                     std::uint64_t model_version, std::uint64_t annotation_index);

  /** ShadowGate::Decide on `project`'s gate. */
  SuggestionVerdict Decide(const std::string& project, double predicted_reward);

  /** ShadowGate::Restart on every known project's gate (a rollback changes every project's
   *  serving model); returns the decisions in project order. */
  std::vector<GateDecision> RestartAll(std::uint64_t serving_version, std::uint64_t newest_version);

  /** shadow for a project the book has not seen. */
  GateMode mode(const std::string& project) const;

  /** The project's window statistics (n = 0, NaN statistics for a project not seen). */
  WindowStats stats(const std::string& project) const;

  /** ShadowGate::Accepts on `project`'s gate; true for a project not seen. */
  bool Accepts(const std::string& project, std::uint64_t model_version) const;

  /** Every project's status, in project order. */
  std::vector<GateStatus> Snapshot() const;

  const ShadowGateConfig& config() const { return config_; }

 private:
  ShadowGate& GateFor(const std::string& project);  // requires mu_

  ShadowGateConfig config_;
  DecisionSink sink_;
  mutable std::mutex mu_;
  std::map<std::string, ShadowGate> gates_;
};

}  // namespace understudy
