#pragma once

#include "cli/agent_factory.h"
#include "sim/agent_request.h"

namespace understudy::cli {

/**
 * The AgentOptions a simulator request stands for: its config, init model, seed and data root,
 * and its learning budget as the engine's schedule ("per_annotation" with a whole number >= 1 of
 * updates, "per_sim_second" with a rate > 0, "background"; "none" sets no schedule). The registry
 * stays in memory, so runs never resume each other. Throws std::invalid_argument naming the
 * budget field and value it cannot express.
 */
AgentOptions ToAgentOptions(const AgentRequest& request);

/**
 * The engine `replay`, `experiment` and `bench replay` run for a request: exactly the one
 * `serve --agent` runs (MakeEngineFactory: AgentEngine with its gate, ledger, scores and
 * withholding), for rl and the baselines alike. The one difference a request can ask for is
 * budget "none" for an agent that learns: the same engine with its learner left out (learning
 * off), since no schedule means zero updates. Everything is checked now (std::invalid_argument).
 */
EngineFactory MakeRequestedEngine(const AgentRequest& request);

}  // namespace understudy::cli
