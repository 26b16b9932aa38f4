#include "agent/gate_book.h"

#include <utility>

namespace understudy {

GateBook::GateBook(ShadowGateConfig config, DecisionSink sink)
    : config_(config), sink_(std::move(sink)) {
  config_.Validate();
}

std::optional<GateDecision> GateBook::Record(const std::string& project, double blind_reward,
                                             std::uint64_t model_version,
                                             std::uint64_t annotation_index) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<GateDecision> d =
      GateFor(project).Record(blind_reward, model_version, annotation_index);
  if (d && sink_) sink_(*d);
  return d;
}

SuggestionVerdict GateBook::Decide(const std::string& project, double predicted_reward) {
  std::lock_guard<std::mutex> lock(mu_);
  return GateFor(project).Decide(predicted_reward);
}

std::vector<GateDecision> GateBook::RestartAll(std::uint64_t serving_version,
                                               std::uint64_t newest_version) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GateDecision> out;
  for (auto& [project, gate] : gates_) {
    out.push_back(gate.Restart(serving_version, newest_version));
    if (sink_) sink_(out.back());
  }
  return out;
}

GateMode GateBook::mode(const std::string& project) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = gates_.find(project);
  return it == gates_.end() ? GateMode::kShadow : it->second.mode();
}

WindowStats GateBook::stats(const std::string& project) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = gates_.find(project);
  return it == gates_.end() ? Summarize({}, config_.z) : it->second.stats();
}

bool GateBook::Accepts(const std::string& project, std::uint64_t model_version) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = gates_.find(project);
  return it == gates_.end() || it->second.Accepts(model_version);
}

std::vector<GateStatus> GateBook::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GateStatus> out;
  out.reserve(gates_.size());
  for (const auto& entry : gates_) out.push_back(entry.second.status());
  return out;
}

ShadowGate& GateBook::GateFor(const std::string& project) {
  auto it = gates_.find(project);
  if (it == gates_.end()) it = gates_.try_emplace(project, project, config_).first;
  return it->second;
}

}  // namespace understudy
