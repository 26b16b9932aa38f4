#pragma once

#include <string>
#include <vector>

#include "sim/agent_request.h"

namespace understudy::cli {

/**
 * The engines `replay`, `experiment` and `bench replay` can drive, by name: the baselines box,
 * ellipse, grabcut and watershed (env's proposers inside transport's ProposerEngine, reading
 * images from the request's data root), and the RL agent once cli/agent_factory provides it.
 * Throws std::invalid_argument naming the unknown agent and listing the known ones.
 */
EngineFactory MakeReplayEngine(const AgentRequest& request);

/** The baseline names, in table order. */
std::vector<std::string> ReplayBaselineNames();

}  // namespace understudy::cli
