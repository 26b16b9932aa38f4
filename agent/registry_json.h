#pragma once

#include <nlohmann/json_fwd.hpp>

#include "agent/model_registry.h"

namespace understudy {

// JSON forms of registry records: meta.json, the history entries of registry.json, and
// `understudy model list --json` (docs/registry.md lists the fields). 64-bit digests and
// fingerprints are 16 lowercase hex digits. from_json throws std::invalid_argument naming
// the bad field.

void to_json(nlohmann::json& j, const ModelMeta& meta);
void from_json(const nlohmann::json& j, ModelMeta& meta);
void to_json(nlohmann::json& j, const RegistryEvent& event);
void from_json(const nlohmann::json& j, RegistryEvent& event);

}  // namespace understudy
