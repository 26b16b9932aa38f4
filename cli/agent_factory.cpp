#include "cli/agent_factory.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "agent/agent_engine.h"
#include "agent/proposer_policy.h"
#include "env/proposer_factory.h"

namespace understudy::cli {
namespace {

/** The torch agent's parts: the initial policy, its learner, and the checkpoint reader. */
struct RlParts {
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Learner> learner;
  PolicyLoader loader;
};

// The one place the torch agent is wired in (agent/torch_agent.h: MakeTorchPolicy,
// MakeTorchLearner, TorchPolicyLoader, TorchAgentConfig). It is being written on the
// agent-torch branch; until it lands on main this build has no `rl` agent.
RlParts MakeRlParts(const AgentConfig& config, const std::filesystem::path& init_model) {
  (void)config;
  (void)init_model;
  throw std::invalid_argument(
      "agent 'rl' needs the torch agent (agent/torch_agent.h), which this build does not "
      "include yet; use a baseline agent: box, ellipse, grabcut or watershed");
}

}  // namespace

bool HasTorchAgent() { return false; }

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

EngineFactory MakeEngineFactory(const std::string& agent, const AgentOptions& options) {
  const AgentConfig config = ResolveAgentConfig(options);
  if (agent == "rl") {
    if (!HasTorchAgent()) MakeRlParts(config, options.init_model);  // throws, naming why
    const std::filesystem::path init = options.init_model;
    return [config, init]() -> std::unique_ptr<Engine> {
      RlParts parts = MakeRlParts(config, init);
      return std::make_unique<AgentEngine>(config, std::move(parts.policy),
                                           std::move(parts.learner), std::move(parts.loader), "rl");
    };
  }
  const std::vector<std::string> baselines = ProposerNames();
  if (std::find(baselines.begin(), baselines.end(), agent) == baselines.end()) {
    std::string known;
    for (const std::string& n : AgentNames()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown agent '" + agent + "' (known: " + known + ")");
  }
  if (!options.init_model.empty()) {
    throw std::invalid_argument("agent '" + agent +
                                "' is a baseline: it has no model to initialise (--init-model is "
                                "for rl)");
  }
  return [config, agent]() -> std::unique_ptr<Engine> {
    const ProposerMaker make = [](const std::string& name) { return MakeProposer(name); };
    return std::make_unique<AgentEngine>(config, std::make_unique<ProposerPolicy>(agent, make),
                                         nullptr, ProposerPolicyLoader(make), agent);
  };
}

}  // namespace understudy::cli
