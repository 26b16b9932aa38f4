#include "agent/gate_replay.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "agent/shadow_gate.h"

namespace understudy {

GateInput GateInput::BlindReward(double reward, std::uint64_t model_version,
                                 std::uint64_t annotation_index) {
  GateInput in;
  in.kind = Kind::kBlindReward;
  in.reward = reward;
  in.model_version = model_version;
  in.annotation_index = annotation_index;
  return in;
}

GateInput GateInput::Restart(std::uint64_t serving_version, std::uint64_t newest_version) {
  GateInput in;
  in.kind = Kind::kRestart;
  in.model_version = serving_version;
  in.newest_version = newest_version;
  return in;
}

std::vector<GateDecision> ReplayGate(const ShadowGateConfig& config, const std::string& project,
                                     const std::vector<GateInput>& inputs) {
  ShadowGate gate(project, config);
  std::vector<GateDecision> out;
  for (const GateInput& in : inputs) {
    if (in.kind == GateInput::Kind::kRestart) {
      out.push_back(gate.Restart(in.model_version, in.newest_version));
    } else if (std::isfinite(in.reward)) {
      if (auto d = gate.Record(in.reward, in.model_version, in.annotation_index)) {
        out.push_back(std::move(*d));
      }
    }
  }
  return out;
}

namespace {

bool Close(double a, double b, double tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= tolerance;
}

template <typename T>
std::string Both(const char* field, const T& logged, const T& replayed) {
  std::ostringstream os;
  os.precision(17);
  os << field << ": logged " << logged << ", replayed " << replayed;
  return os.str();
}

std::optional<std::string> Compare(const GateDecision& a, const GateDecision& b, double tol) {
  if (a.project != b.project) return Both("project", a.project, b.project);
  if (a.from != b.from) return Both("from", ToString(a.from), ToString(b.from));
  if (a.to != b.to) return Both("to", ToString(a.to), ToString(b.to));
  if (a.trigger != b.trigger) return Both("trigger", ToString(a.trigger), ToString(b.trigger));
  if (a.n != b.n) return Both("n", a.n, b.n);
  if (a.model_version != b.model_version) {
    return Both("model_version", a.model_version, b.model_version);
  }
  if (a.annotation_index != b.annotation_index) {
    return Both("annotation_index", a.annotation_index, b.annotation_index);
  }
  if (a.min_samples != b.min_samples) return Both("min_samples", a.min_samples, b.min_samples);
  const std::pair<const char*, std::pair<double, double>> stats[] = {
      {"mean", {a.mean, b.mean}},
      {"stddev", {a.stddev, b.stddev}},
      {"lcb", {a.lcb, b.lcb}},
      {"threshold", {a.threshold, b.threshold}},
      {"hysteresis", {a.hysteresis, b.hysteresis}},
      {"z", {a.z, b.z}},
  };
  for (const auto& [field, values] : stats) {
    if (!Close(values.first, values.second, tol)) {
      return Both(field, values.first, values.second);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ReplayMismatch> FindReplayMismatch(const std::vector<GateDecision>& logged,
                                                 const std::vector<GateDecision>& replayed,
                                                 double tolerance) {
  const std::size_t common = std::min(logged.size(), replayed.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (auto what = Compare(logged[i], replayed[i], tolerance)) return ReplayMismatch{i, *what};
  }
  if (logged.size() != replayed.size()) {
    return ReplayMismatch{common, Both("decision count", logged.size(), replayed.size())};
  }
  return std::nullopt;
}

}  // namespace understudy
