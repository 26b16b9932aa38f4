#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "env/proposer.h"

namespace understudy {

/**
 * The agent's serving model: a Proposer whose Proposal::confidence is the value head's predicted
 * reward for the proposal it returns, and whose Proposal::source names the model. Serving uses
 * the policy's mean (no sampling), so Propose is deterministic. Not thread-safe: the engine gives
 * each thread its own copy (Clone).
 */
class Policy : public Proposer {
 public:
  /**
   * Proposals for several prompts at once (images[i] with prompts[i]), so an implementation can
   * run its nets on one batch. Each result equals what Propose would return for the pair. The
   * default calls Propose in turn. Throws std::invalid_argument when the sizes differ or an image
   * is null.
   */
  virtual std::vector<Proposal> ProposeBatch(const std::vector<const cv::Mat*>& images,
                                             const std::vector<Prompt>& prompts) {
    if (images.size() != prompts.size()) {
      throw std::invalid_argument("Policy::ProposeBatch: " + std::to_string(images.size()) +
                                  " images for " + std::to_string(prompts.size()) + " prompts");
    }
    std::vector<Proposal> out;
    out.reserve(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
      if (images[i] == nullptr) {
        throw std::invalid_argument("Policy::ProposeBatch: image " + std::to_string(i) +
                                    " is null");
      }
      out.push_back(Propose(*images[i], prompts[i]));
    }
    return out;
  }
  /** An independent copy with the same weights, for another thread. */
  virtual std::unique_ptr<Policy> Clone() const = 0;
  /** Checkpoint bytes; PolicyLoader reads them back. Opaque to everyone but the implementation. */
  virtual void Save(std::ostream& out) const = 0;
  /**
   * Whether Proposal::confidence is a value head's predicted reward. A policy without one (a
   * baseline proposer wrapped by ProposerPolicy) gets the engine's configured fallback instead
   * (docs/engine.md); for a policy with one, a non-finite prediction withholds the suggestion.
   */
  virtual bool has_value_head() const { return true; }
};

/** Reads a checkpoint written by Policy::Save (throws std::runtime_error naming what is wrong). */
using PolicyLoader = std::function<std::unique_ptr<Policy>(std::istream& in)>;

}  // namespace understudy
