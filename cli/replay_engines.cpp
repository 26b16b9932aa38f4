#include "cli/replay_engines.h"

#include <memory>
#include <stdexcept>

#include "env/proposer_factory.h"
#include "transport/proposer_engine.h"

namespace understudy::cli {

std::vector<std::string> ReplayBaselineNames() { return ProposerNames(); }

EngineFactory MakeReplayEngine(const AgentRequest& request) {
  for (const std::string& name : ReplayBaselineNames()) {
    if (request.agent != name) continue;
    ProposerEngineOptions options;
    options.image_root = request.data_root;
    return
        [name, options] { return std::make_unique<ProposerEngine>(MakeProposer(name), options); };
  }
  std::string known;
  for (const std::string& n : ReplayBaselineNames()) known += ", " + n;
  if (request.agent == "rl") {
    throw std::invalid_argument(
        "agent 'rl' is not available in this build: it comes from cli/agent_factory "
        "(MakeEngineFactory), which is not on this branch yet (known: " +
        known.substr(2) + ")");
  }
  throw std::invalid_argument("unknown agent '" + request.agent + "' (known: rl" + known + ")");
}

}  // namespace understudy::cli
