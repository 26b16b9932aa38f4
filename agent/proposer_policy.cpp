#include "agent/proposer_policy.h"

#include <istream>
#include <ostream>
#include <stdexcept>
#include <utility>

namespace understudy {
namespace {

constexpr const char* kMagic = "understudy-proposer-policy 1";

}  // namespace

ProposerPolicy::ProposerPolicy(std::string name, ProposerMaker make)
    : name_(std::move(name)), make_(std::move(make)) {
  if (!make_) throw std::invalid_argument("ProposerPolicy: no proposer maker");
  proposer_ = make_(name_);
  if (!proposer_) throw std::invalid_argument("ProposerPolicy: no proposer named '" + name_ + "'");
}

Proposal ProposerPolicy::Propose(const cv::Mat& image, const Prompt& prompt) {
  Proposal p = proposer_->Propose(image, prompt);
  if (p.source.empty()) p.source = name_;
  return p;
}

std::unique_ptr<Policy> ProposerPolicy::Clone() const {
  return std::make_unique<ProposerPolicy>(name_, make_);
}

void ProposerPolicy::Save(std::ostream& out) const { out << kMagic << "\n" << name_ << "\n"; }

PolicyLoader ProposerPolicyLoader(ProposerMaker make) {
  return [make = std::move(make)](std::istream& in) -> std::unique_ptr<Policy> {
    std::string magic, name;
    if (!std::getline(in, magic) || magic != kMagic) {
      throw std::runtime_error("not a proposer-policy checkpoint (first line '" + magic +
                               "', expected '" + kMagic + "')");
    }
    if (!std::getline(in, name) || name.empty()) {
      throw std::runtime_error("proposer-policy checkpoint without a proposer name");
    }
    try {
      return std::make_unique<ProposerPolicy>(name, make);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("proposer-policy checkpoint: ") + e.what());
    }
  };
}

}  // namespace understudy
