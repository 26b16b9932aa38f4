#pragma once

#include <string>

#include "transport/codec.h"
#include "transport/event_log.h"

// JSON renderings for the HTTP side: the WebSocket feed (the same envelope as on the wire, as
// JSON; a NaN confidence becomes null) and /status.

namespace understudy {

std::string SuggestionToJson(const SuggestionRecord& record, double ts);
std::string GateToJson(const GateEvent& event, const std::string& id, double ts);
/** {"server": {...}, "engine": {...}, "recovery": {...}} */
std::string StatusToJson(const ServerInfo& server, const EngineStatus& engine,
                         const RecoveryReport& recovery);

}  // namespace understudy
