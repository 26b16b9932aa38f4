#pragma once

#include <memory>
#include <string>
#include <vector>

#include "env/proposer.h"

namespace understudy::cli {

/**
 * The one place `serve` and `bench` turn a proposer name into a Proposer. Interim: env's
 * MakeProposer (box, ellipse, grabcut, ...) is not on main yet, so this knows two data-unaware
 * baselines of its own; once it lands, this forwards to it. Throws std::invalid_argument naming
 * the unknown name and the known ones.
 */
std::unique_ptr<Proposer> MakeServeProposer(const std::string& name);
std::vector<std::string> ServeProposerNames();

}  // namespace understudy::cli
