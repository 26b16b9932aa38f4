#include "env/proposer_factory.h"

#include <stdexcept>

#include "env/box_proposer.h"
#include "env/ellipse_proposer.h"
#include "env/grabcut_proposer.h"
#include "env/watershed_proposer.h"

namespace understudy {

std::vector<std::string> ProposerNames() { return {"box", "ellipse", "grabcut", "watershed"}; }

std::unique_ptr<Proposer> MakeProposer(const std::string& name) {
  if (name == "box") return std::make_unique<BoxProposer>();
  if (name == "ellipse") return std::make_unique<EllipseProposer>();
  if (name == "grabcut") return std::make_unique<GrabCutProposer>();
  if (name == "watershed") return std::make_unique<WatershedProposer>();
  std::string valid;
  for (const std::string& n : ProposerNames()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown proposer '" + name + "' (valid: " + valid + ")");
}

}  // namespace understudy
