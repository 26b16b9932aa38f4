#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/engine_driver.h"

namespace understudy {

/**
 * How much the learner was allowed to learn, stated in every summary. The engine applies it
 * (AgentEngine's schedules); the replay only records it, so a reader can tell what a result
 * assumed about the deployment.
 */
struct LearningBudget {
  std::string schedule = "none";  // "none", "per_annotation", "per_sim_second", "background"
  double updates_per_annotation = 0.0;
  double updates_per_sim_second = 0.0;
  std::string note;  // where the figure comes from (e.g. "measured from serve on ...")
};

/** Which engine a replay needs, with its settings: what an engine factory is made from. */
struct AgentRequest {
  std::string agent;       // "rl", "box", "ellipse", "grabcut", "watershed", ...
  nlohmann::json config;   // the agent's own config (gate settings, ...); null: defaults
  std::string init_model;  // a checkpoint to start from; empty: the agent's default
  std::uint64_t seed = 0;
  LearningBudget budget;
  std::filesystem::path data_root;  // where relative asset uris are read from
};

/**
 * Turns a request into a factory. sim/ cannot make the RL agent itself (it links no torch): the
 * CLI passes cli/agent_factory's resolver, tests pass fakes.
 */
using EngineFactoryMaker = std::function<EngineFactory(const AgentRequest&)>;

}  // namespace understudy
