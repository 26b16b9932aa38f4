#pragma once

#include <memory>
#include <string>
#include <vector>

#include "env/proposer.h"

namespace understudy {

/** The built-in proposers' names, in the order tables list them. */
std::vector<std::string> ProposerNames();

/** A built-in proposer with its default config: "box", "ellipse", "grabcut" or "watershed".
 *  Throws std::invalid_argument naming the unknown name and listing the valid ones. */
std::unique_ptr<Proposer> MakeProposer(const std::string& name);

}  // namespace understudy
