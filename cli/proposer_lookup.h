#pragma once

#include <memory>
#include <string>
#include <vector>

#include "env/proposer.h"

namespace understudy::cli {

/**
 * The one place `serve --proposer` and `bench` turn a proposer name into a Proposer: env's
 * MakeProposer (box, ellipse, grabcut, watershed). Throws std::invalid_argument naming the
 * unknown name and the known ones.
 */
std::unique_ptr<Proposer> MakeServeProposer(const std::string& name);
std::vector<std::string> ServeProposerNames();

}  // namespace understudy::cli
