#pragma once

#include <stdexcept>

#include "transport/events.h"

namespace understudy {

/**
 * What the server drives: the baseline ProposerEngine today, the RL agent with its shadow gate
 * later (implemented in agent/, with no change to transport). The server calls every method on
 * one worker thread, in the order the events were accepted, so implementations need no locking.
 * Events reach the engine as soon as they are validated, in parallel with (not after) their
 * durable write. An exception from a call is counted and logged, and the server carries on.
 */
class Engine {
 public:
  virtual ~Engine() = default;
  virtual EngineResult OnAsset(const AssetEvent& event) = 0;
  /** The only call whose result normally carries a suggestion. */
  virtual EngineResult OnPrompt(const PromptEvent& event) = 0;
  virtual EngineResult OnAnnotation(const AnnotationEvent& event) = 0;
  virtual EngineResult OnFeedback(const FeedbackEvent& event) = 0;
  /**
   * An operator's command (e.g. a rollback), acked and logged like any event. Engines without a
   * model to control keep this default, which refuses it; the server counts the refusal as an
   * engine error and prints it.
   */
  virtual EngineResult OnControl(const ControlEvent& event) {
    throw std::invalid_argument("this engine does not accept control actions ('" + event.action +
                                "')");
  }
  /** Called on the worker thread between events; should be cheap (a few microseconds). */
  virtual EngineStatus Status() const = 0;
};

}  // namespace understudy
