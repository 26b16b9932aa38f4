#include "cli/proposer_lookup.h"

#include "env/proposer_factory.h"

namespace understudy::cli {

std::vector<std::string> ServeProposerNames() { return ProposerNames(); }

std::unique_ptr<Proposer> MakeServeProposer(const std::string& name) { return MakeProposer(name); }

}  // namespace understudy::cli
