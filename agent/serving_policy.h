#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "agent/policy.h"

namespace understudy {

/**
 * A policy as it serves: one registered version, its tag ("<name>:v000003") fixed at
 * construction. Policy is not thread-safe, so every call takes the object's mutex; in practice
 * only the engine's worker thread proposes with it (uncontended), while the learner thread takes
 * clones for held-out evaluation. Held in a ServingSlot, which swaps it atomically.
 */
class ServingPolicy {
 public:
  /** Throws std::invalid_argument for a null policy. */
  ServingPolicy(std::unique_ptr<Policy> policy, std::uint64_t version)
      : policy_(std::move(policy)), version_(version) {
    if (!policy_) throw std::invalid_argument("ServingPolicy: null policy");
    name_ = policy_->name();
    value_head_ = policy_->has_value_head();
    tag_ = Tag(name_, version_);
  }

  Proposal Propose(const cv::Mat& image, const Prompt& prompt) const {
    std::lock_guard<std::mutex> lock(mu_);
    return policy_->Propose(image, prompt);
  }
  std::unique_ptr<Policy> Clone() const {
    std::lock_guard<std::mutex> lock(mu_);
    return policy_->Clone();
  }
  void Save(std::ostream& out) const {
    std::lock_guard<std::mutex> lock(mu_);
    policy_->Save(out);
  }

  std::uint64_t version() const { return version_; }
  const std::string& tag() const { return tag_; }
  const std::string& name() const { return name_; }
  bool has_value_head() const { return value_head_; }

  /** "<name>:v000003": the version tag every suggestion and score carries. */
  static std::string Tag(const std::string& name, std::uint64_t version);

 private:
  mutable std::mutex mu_;
  std::unique_ptr<Policy> policy_;
  std::uint64_t version_;
  std::string name_;
  std::string tag_;
  bool value_head_ = true;
};

}  // namespace understudy
