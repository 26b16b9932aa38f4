#include "cli/request_engine.h"

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "agent/agent_engine.h"

namespace understudy::cli {
namespace {

std::string Number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

AgentOptions ToAgentOptions(const AgentRequest& request) {
  AgentOptions o;
  o.config = request.config;
  o.init_model = request.init_model;
  o.seed = request.seed;
  o.data_root = request.data_root;
  const LearningBudget& b = request.budget;
  if (b.schedule == "none") return o;
  // The config's own schedule keeps its other knobs (batch size, replay ratio); the budget sets
  // the mode and the rate.
  LearningSchedule s = ResolveAgentConfig(o).learning;
  if (b.schedule == "per_annotation") {
    const double n = b.updates_per_annotation;
    if (!(n >= 1.0) || n != std::floor(n) || n > 1e6) {
      throw std::invalid_argument("learning budget: updates_per_annotation = " + Number(n) +
                                  ": the engine runs a whole number >= 1 of updates per "
                                  "annotation");
    }
    s.mode = LearningMode::kPerAnnotation;
    s.updates_per_annotation = static_cast<int>(n);
  } else if (b.schedule == "per_sim_second") {
    if (!(b.updates_per_sim_second > 0.0) || !std::isfinite(b.updates_per_sim_second)) {
      throw std::invalid_argument("learning budget: updates_per_sim_second = " +
                                  Number(b.updates_per_sim_second) + ": must be > 0");
    }
    s.mode = LearningMode::kPerSimSecond;
    s.updates_per_second = b.updates_per_sim_second;
  } else if (b.schedule == "background") {
    s.mode = LearningMode::kBackground;
  } else {
    throw std::invalid_argument("learning budget: schedule = '" + b.schedule +
                                "' (expected none, per_annotation, per_sim_second or background)");
  }
  s.Validate();
  o.schedule = s;
  return o;
}

EngineFactory MakeRequestedEngine(const AgentRequest& request) {
  const AgentOptions options = ToAgentOptions(request);
  EngineFactory factory = MakeEngineFactory(request.agent, options);
  if (request.budget.schedule != "none") return factory;
  // Learning off. A baseline has no learner anyway: its factory is the serve one as is.
  const AgentConfig config = ResolveAgentConfig(options);
  if (!MakeAgentParts(request.agent, config, options.init_model, options.torch).learner) {
    return factory;
  }
  const std::string agent = request.agent;
  const std::filesystem::path init = options.init_model;
  const nlohmann::json torch = options.torch;
  return [config, agent, init, torch]() -> std::unique_ptr<Engine> {
    AgentParts parts = MakeAgentParts(agent, config, init, torch);
    return std::make_unique<AgentEngine>(config, std::move(parts.policy), nullptr,
                                         std::move(parts.loader), agent);
  };
}

}  // namespace understudy::cli
