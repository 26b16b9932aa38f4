#pragma once

#include <optional>
#include <string>
#include <vector>

#include "transport/codec.h"
#include "transport/event_log.h"

// JSON renderings for the HTTP side: the WebSocket feed (the same envelope as on the wire, as
// JSON; a NaN confidence becomes null) and /status.

namespace understudy {

std::string SuggestionToJson(const SuggestionRecord& record, double ts);
std::string GateToJson(const GateEvent& event, const std::string& id, double ts);
std::string ScoreToJson(const BlindScore& score, const std::string& id, double ts);
/** {"server": {...}, "engine": {...}, "recovery": {...}}; the engine's detail_json, when set,
 *  is embedded as engine.detail. */
std::string StatusToJson(const ServerInfo& server, const EngineStatus& engine,
                         const RecoveryReport& recovery);

/**
 * {"type": "snapshot", "project": P, "model": the serving model's tag, "gate": {mode,
 * publishing, n, mean, lower_bound, threshold} or null, "suggestions": [suggestion envelopes as
 * JSON]}; `suggestion_envelopes` are msgpack suggestion envelopes as published.
 */
std::string SnapshotJson(const std::string& project, const std::optional<ProjectStatus>& gate,
                         const std::vector<std::string>& suggestion_envelopes,
                         const std::string& model_version = {});

}  // namespace understudy
