#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/session.h"
#include "transport/engine.h"

namespace understudy {

/** Makes a fresh engine: the agent or a baseline, as `serve` would run it (cli/agent_factory). */
using EngineFactory = std::function<std::unique_ptr<Engine>()>;

/** The engine's own blind score of a prompt's proposal, when it reports one. */
struct ReportedScore {
  double reward = std::numeric_limits<double>::quiet_NaN();
  double iou = std::numeric_limits<double>::quiet_NaN();  // NaN: the engine did not say
  std::map<std::string, double> components;
  std::string model_version;
  double predicted = std::numeric_limits<double>::quiet_NaN();  // the value head's prediction
  bool published = false;
  std::string decision;  // "published", or why the gate withheld it ("shadow_mode", ...)
};

/** The engine's BlindScore for `prompt_id` on `asset` among `scores`, as a ReportedScore (its
 *  IoU from the "iou" component); nullopt when the engine scored no such prompt. */
std::optional<ReportedScore> FindScore(const std::vector<BlindScore>& scores,
                                       const std::string& asset, const std::string& prompt_id);

/** What the engine did with one event, as the replay sees it, whichever way it was driven. */
struct EventOutcome {
  /** A prompt's suggestion when its shape is known: always in-process; over ZeroMQ only when it
   *  was published (a withheld one stays in the server's log). */
  std::optional<Suggestion> suggestion;
  bool published = false;       // shown to the annotator
  std::string withheld_reason;  // why not, when the engine said
  std::vector<GateEvent> gate_events;
  /** An annotation's blind score, when the engine reports one (AgentEngine does: its
   *  EngineResult::scores in-process, `<project>/_score` over ZeroMQ). */
  std::optional<ReportedScore> score;
  /** The call failed (in-process: it threw; over ZeroMQ: the server rejected the event). The
   *  replay goes on, as the server does. */
  std::string error;
};

/**
 * Drives an engine through a session's events, in-process or over ZeroMQ. The replay core
 * (sim/replay.h) does all scoring and effort accounting from these outcomes, so the two paths
 * give the same results when they see the same outcomes.
 */
class EngineDriver {
 public:
  virtual ~EngineDriver() = default;
  /** "in-process" or "zmq". */
  virtual std::string path() const = 0;
  /** Feeds one event (its envelope `bytes` as logged, `message` decoded from them). */
  virtual EventOutcome Process(const SessionEvent& event, const Message& message) = 0;
  /** The engine's status now (learner progress, gates). */
  virtual EngineStatus Status() = 0;
  /** The value head's predicted reward for `prompt` on `asset` without recording anything, for
   *  active learning; nullopt when the engine has no value head. */
  virtual std::optional<double> PredictReward(const AssetEvent& asset, const PromptEvent& prompt) {
    (void)asset;
    (void)prompt;
    return std::nullopt;
  }
};

/**
 * An engine that can rank prompts by its value head without acting on them (active learning).
 * Engines implement it optionally; the in-process driver finds it by dynamic_cast.
 */
class ValueProbe {
 public:
  virtual ~ValueProbe() = default;
  /** Predicted reward in [0, 1] of the engine's proposal for `prompt`; records nothing. */
  virtual double PredictReward(const AssetEvent& asset, const PromptEvent& prompt) = 0;
};

/** Drives an engine made by a factory in this process: the fast path. */
class InProcessDriver : public EngineDriver {
 public:
  explicit InProcessDriver(const EngineFactory& factory);
  std::string path() const override { return "in-process"; }
  EventOutcome Process(const SessionEvent& event, const Message& message) override;
  EngineStatus Status() override { return engine_->Status(); }
  std::optional<double> PredictReward(const AssetEvent& asset, const PromptEvent& prompt) override;
  Engine& engine() { return *engine_; }

 private:
  std::unique_ptr<Engine> engine_;
};

}  // namespace understudy
