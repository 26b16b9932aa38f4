#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_config.h"
#include "agent/learner.h"
#include "agent/policy.h"
#include "transport/engine.h"

namespace understudy::cli {

/**
 * What an agent engine is made from besides the agent's name. Every field is optional; the
 * overrides win over the same keys of `config`. Shared by `understudy serve` and the simulator's
 * `understudy replay` (docs/engine.md, "The engine factory"): keep it stable.
 */
struct AgentOptions {
  /** An AgentConfig as JSON (docs/engine.md, "Configuration"); null or {} for the defaults. */
  nlohmann::json config;
  /** rl only: the initial model, a checkpoint written by `understudy train --out`. Empty: a fresh
   *  policy from the torch agent's defaults. Ignored when the registry already serves a version. */
  std::filesystem::path init_model;
  /** rl only: TorchAgentConfig keys (docs/agent.md) over the init model's config, or over the
   *  defaults without one. [arch] keys must agree with an init model; `seed` and `reward` are
   *  the engine's (`config`). Null or {}: none. */
  nlohmann::json torch;
  std::filesystem::path registry_dir;        // overrides config.registry_dir when not empty
  std::optional<std::uint64_t> seed;         // overrides config.seed
  std::optional<LearningSchedule> schedule;  // overrides config.learning
  std::filesystem::path data_root;           // overrides config.data_root when not empty
};

/** Makes a fresh engine on every call (one per server, one per replay run). */
using EngineFactory = std::function<std::unique_ptr<Engine>()>;

/**
 * The engine factory for `agent`: "rl" (the torch policy and learner) or a baseline, "box",
 * "ellipse", "grabcut", "watershed" (env's proposers as a ProposerPolicy without a learner, behind
 * the same gate, ledger and scores). Everything is checked here, before the first engine is made:
 * std::invalid_argument names a bad config field, an unknown agent, an init model or torch
 * overrides given to a baseline, or a bad torch field. Engines made by one factory share its
 * registry folder, if one is configured: the second resumes what the first serves.
 */
EngineFactory MakeEngineFactory(const std::string& agent, const AgentOptions& options);

/** What an agent engine is built from: its initial policy, its learner (null for a baseline)
 *  and the reader of its checkpoints. */
struct AgentParts {
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Learner> learner;
  PolicyLoader loader;
};

/** The parts of `agent` (as MakeEngineFactory checks them), for callers that assemble an
 *  AgentEngine themselves (`understudy bench engine`). Throws std::invalid_argument. */
AgentParts MakeAgentParts(const std::string& agent, const AgentConfig& config,
                          const std::filesystem::path& init_model,
                          const nlohmann::json& torch = nlohmann::json());

/** The config an engine from these options runs with (validated): the overrides applied. */
AgentConfig ResolveAgentConfig(const AgentOptions& options);

/** The agents MakeEngineFactory knows: "rl" first, then the baselines. */
std::vector<std::string> AgentNames();

/** Whether this build includes the torch agent (`rl`). */
bool HasTorchAgent();

}  // namespace understudy::cli
