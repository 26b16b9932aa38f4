#include "agent/gate_decision.h"

#include <stdexcept>

namespace understudy {

const char* ToString(GateMode mode) {
  switch (mode) {
    case GateMode::kShadow:
      return "shadow";
    case GateMode::kLive:
      return "live";
  }
  return "unknown";
}

const char* ToString(GateTrigger trigger) {
  switch (trigger) {
    case GateTrigger::kPromote:
      return "promote";
    case GateTrigger::kDemote:
      return "demote";
    case GateTrigger::kRestart:
      return "restart";
  }
  return "unknown";
}

const char* ToString(SuggestionReason reason) {
  switch (reason) {
    case SuggestionReason::kPublished:
      return "published";
    case SuggestionReason::kShadowMode:
      return "shadow_mode";
    case SuggestionReason::kBelowFloor:
      return "below_floor";
    case SuggestionReason::kNoPrediction:
      return "no_prediction";
  }
  return "unknown";
}

GateMode ParseGateMode(const std::string& text) {
  if (text == "shadow") return GateMode::kShadow;
  if (text == "live") return GateMode::kLive;
  throw std::invalid_argument("gate mode \"" + text + "\": expected shadow or live");
}

GateTrigger ParseGateTrigger(const std::string& text) {
  if (text == "promote") return GateTrigger::kPromote;
  if (text == "demote") return GateTrigger::kDemote;
  if (text == "restart") return GateTrigger::kRestart;
  throw std::invalid_argument("gate trigger \"" + text + "\": expected promote, demote or restart");
}

}  // namespace understudy
