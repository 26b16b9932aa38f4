#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/policy.h"
#include "env/proposer.h"

namespace understudy {

/** Makes a fresh proposer by name (env's MakeProposer, or a test's own). */
using ProposerMaker = std::function<std::unique_ptr<Proposer>(const std::string& name)>;

/**
 * A baseline proposer (box, ellipse, GrabCut, watershed, ...) as a Policy, so the baselines run
 * through the same agent engine, gate, ledger and scores as the RL agent. It has no value head:
 * the engine substitutes its configured fallback for the predicted reward. Clone makes a fresh
 * proposer with the same name; the checkpoint is the name, so a registry can hold baseline
 * versions and roll back to them like any model.
 */
class ProposerPolicy : public Policy {
 public:
  /** Throws std::invalid_argument when `make` cannot make `name`. */
  ProposerPolicy(std::string name, ProposerMaker make);

  std::string name() const override { return name_; }
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override;
  std::unique_ptr<Policy> Clone() const override;
  /** Writes "understudy-proposer-policy 1\n<name>\n". */
  void Save(std::ostream& out) const override;
  bool has_value_head() const override { return false; }

 private:
  std::string name_;
  ProposerMaker make_;
  std::unique_ptr<Proposer> proposer_;
};

/** Reads ProposerPolicy checkpoints; throws std::runtime_error naming what is wrong. */
PolicyLoader ProposerPolicyLoader(ProposerMaker make);

}  // namespace understudy
