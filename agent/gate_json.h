#pragma once

#include <nlohmann/json_fwd.hpp>

#include "agent/gate_decision.h"
#include "agent/gate_replay.h"
#include "agent/shadow_gate.h"
#include "agent/shadow_gate_config.h"

namespace understudy {

// JSON forms of the gate's config, inputs and decisions, for the event log, `gate` events and
// /status (docs/gate.md lists the fields). Undefined statistics (NaN) are written as null and
// read back as NaN; doubles round-trip exactly, so a replay from the log is bit-identical.
// from_json throws std::invalid_argument naming the missing or bad field.

void to_json(nlohmann::json& j, const ShadowGateConfig& config);
void from_json(const nlohmann::json& j, ShadowGateConfig& config);  // also Validate()s
void to_json(nlohmann::json& j, const GateDecision& decision);
void from_json(const nlohmann::json& j, GateDecision& decision);
void to_json(nlohmann::json& j, const GateInput& input);
void from_json(const nlohmann::json& j, GateInput& input);
void to_json(nlohmann::json& j, const GateStatus& status);
void to_json(nlohmann::json& j, const SuggestionVerdict& verdict);

}  // namespace understudy
