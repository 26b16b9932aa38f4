#include "cli/agent_factory.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "agent/agent_engine.h"
#include "agent/proposer_policy.h"
#include "agent/torch_agent.h"
#include "env/proposer_factory.h"

namespace understudy::cli {
namespace {

// Whether torch config keys were given (null and {} are none).
bool Given(const nlohmann::json& torch) {
  return !torch.is_null() && !(torch.is_object() && torch.empty());
}

// The one place the torch agent is wired in. The network's shape and its learning knobs come
// from the checkpoint (`understudy train --config` chose them; TorchPolicy::Save records them)
// or, without one, from TorchAgentConfig's defaults, with `overrides` (serve's torch_config)
// on top, [arch] keys only where they agree with the checkpoint; the engine's config owns
// the seed, the reward the learner optimises (the one the gate scores with) and the
// held-out split the learner's buffer enforces.
AgentParts MakeRlParts(const AgentConfig& config, const std::filesystem::path& init_model,
                       const nlohmann::json& overrides) {
  std::unique_ptr<TorchPolicy> start;
  TorchAgentConfig torch;
  if (!init_model.empty()) {
    std::ifstream in(init_model, std::ios::binary);
    if (!in) {
      throw std::invalid_argument("--init-model " + init_model.string() + ": cannot open the file");
    }
    try {
      start = LoadTorchPolicy(in);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument("--init-model " + init_model.string() + ": " + e.what());
    }
    torch = start->config();
  }
  if (Given(overrides)) {
    if (!overrides.is_object()) {
      throw std::invalid_argument("torch config: expected a JSON object, got " + overrides.dump());
    }
    nlohmann::json merged = TorchAgentConfigToJson(torch);
    merged.merge_patch(overrides);
    for (const char* owned : {"seed", "reward"}) {
      if (overrides.contains(owned)) {
        throw std::invalid_argument(std::string("torch config: '") + owned +
                                    "' is the engine's (agent_config." + owned + ")");
      }
    }
    // Unknown keys and bad values are reported here, naming the key.
    const TorchAgentConfig changed = TorchAgentConfigFromJson(merged);
    const std::string field = start ? changed.ArchitectureMismatch(torch) : "";
    if (!field.empty()) {
      throw std::invalid_argument("torch config: '" + field + "' differs from the init model's " +
                                  init_model.string() +
                                  " (a checkpoint fixes the network's shape and inputs)");
    }
    torch = changed;
  }
  torch.seed = config.seed;
  torch.reward = config.reward;
  torch.Validate();
  if (!start) start = MakeTorchPolicy(torch);
  const HeldOutSplit split(config.held_out.pool.fraction, config.held_out.pool.seed);
  AgentParts parts;
  parts.learner = MakeTorchLearner(torch, split, start.get());
  // The serving policy carries the same weights as the learner's start, and the same config.
  parts.policy = parts.learner->MakePolicy();
  parts.loader = TorchPolicyLoader();
  return parts;
}

void CheckAgent(const std::string& agent, const std::filesystem::path& init_model,
                const nlohmann::json& torch = nlohmann::json()) {
  const std::vector<std::string> names = AgentNames();
  if (std::find(names.begin(), names.end(), agent) == names.end()) {
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown agent '" + agent + "' (known: " + known + ")");
  }
  if (agent != "rl" && !init_model.empty()) {
    throw std::invalid_argument("agent '" + agent +
                                "' is a baseline: it has no model to initialise (--init-model is "
                                "for rl)");
  }
  if (agent != "rl" && Given(torch)) {
    throw std::invalid_argument("agent '" + agent +
                                "' is a baseline: torch config keys are for rl only");
  }
}

}  // namespace

bool HasTorchAgent() { return true; }

std::vector<std::string> AgentNames() {
  std::vector<std::string> names = {"rl"};
  for (const std::string& n : ProposerNames()) names.push_back(n);
  return names;
}

AgentConfig ResolveAgentConfig(const AgentOptions& options) {
  AgentConfig c = options.config.is_null() ? AgentConfig{} : AgentConfigFromJson(options.config);
  if (!options.registry_dir.empty()) c.registry_dir = options.registry_dir;
  if (options.seed) c.seed = *options.seed;
  if (options.schedule) c.learning = *options.schedule;
  if (!options.data_root.empty()) c.data_root = options.data_root;
  c.Validate();
  return c;
}

AgentParts MakeAgentParts(const std::string& agent, const AgentConfig& config,
                          const std::filesystem::path& init_model, const nlohmann::json& torch) {
  CheckAgent(agent, init_model, torch);
  if (agent == "rl") return MakeRlParts(config, init_model, torch);
  const ProposerMaker make = [](const std::string& name) { return MakeProposer(name); };
  AgentParts parts;
  parts.policy = std::make_unique<ProposerPolicy>(agent, make);
  parts.loader = ProposerPolicyLoader(make);
  return parts;
}

EngineFactory MakeEngineFactory(const std::string& agent, const AgentOptions& options) {
  const AgentConfig config = ResolveAgentConfig(options);
  CheckAgent(agent, options.init_model, options.torch);
  // Made once here, so that every problem (a bad model, a bad torch field) shows now.
  MakeAgentParts(agent, config, options.init_model, options.torch);
  const std::filesystem::path init = options.init_model;
  const nlohmann::json torch = options.torch;
  return [config, agent, init, torch]() -> std::unique_ptr<Engine> {
    AgentParts parts = MakeAgentParts(agent, config, init, torch);
    return std::make_unique<AgentEngine>(config, std::move(parts.policy), std::move(parts.learner),
                                         std::move(parts.loader), agent);
  };
}

}  // namespace understudy::cli
