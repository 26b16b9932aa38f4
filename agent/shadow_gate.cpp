#include "agent/shadow_gate.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace understudy {
namespace {

std::string Fixed(double v) {
  std::ostringstream os;
  os.precision(4);
  os << std::fixed << v;
  return os.str();
}

}  // namespace

ShadowGate::ShadowGate(std::string project, ShadowGateConfig config)
    : project_(std::move(project)), config_(config) {
  config_.Validate();
}

std::optional<GateDecision> ShadowGate::Record(double blind_reward, std::uint64_t model_version,
                                               std::uint64_t annotation_index) {
  if (!std::isfinite(blind_reward)) {
    ++counters_.rewards_rejected;
    std::ostringstream os;
    os << "ShadowGate(" << project_ << "): blind reward " << blind_reward << " of model v"
       << model_version << " at annotation " << annotation_index << " is not finite";
    throw std::invalid_argument(os.str());
  }
  if (!Accepts(model_version)) {
    ++counters_.rewards_stale;
    return std::nullopt;
  }
  ++counters_.rewards_recorded;
  last_model_version_ = model_version;
  last_index_ = annotation_index;
  window_.push_back(blind_reward);
  if (window_.size() > config_.window) window_.pop_front();

  const WindowStats s = stats();
  if (mode_ == GateMode::kShadow) {
    // NaN (n < 2) compares false, so an undefined bound never promotes.
    if (s.n >= config_.min_samples && s.lcb >= config_.threshold) {
      ++counters_.promotions;
      return Transition(GateMode::kLive, GateTrigger::kPromote, s, model_version,
                        "lcb " + Fixed(s.lcb) + " >= threshold " + Fixed(config_.threshold) +
                            " with n " + std::to_string(s.n) + " >= min_samples " +
                            std::to_string(config_.min_samples));
    }
  } else {
    const double floor = config_.threshold - config_.hysteresis;
    if (s.mean < floor) {
      ++counters_.demotions;
      return Transition(GateMode::kShadow, GateTrigger::kDemote, s, model_version,
                        "mean " + Fixed(s.mean) + " < threshold - hysteresis " + Fixed(floor) +
                            " with n " + std::to_string(s.n));
    }
  }
  return std::nullopt;
}

GateDecision ShadowGate::Restart(std::uint64_t serving_version, std::uint64_t newest_version) {
  if (newest_version < serving_version) {
    throw std::invalid_argument("ShadowGate(" + project_ + ")::Restart: newest_version " +
                                std::to_string(newest_version) + " < serving_version " +
                                std::to_string(serving_version));
  }
  const WindowStats discarded = stats();
  window_.clear();
  retired_through_ = newest_version;
  restart_serving_ = serving_version;
  ++counters_.restarts;
  return Transition(GateMode::kShadow, GateTrigger::kRestart, discarded, serving_version,
                    "evidence cleared: v" + std::to_string(serving_version) +
                        " serves without held-out vetting; rewards of other versions <= v" +
                        std::to_string(newest_version) + " are stale");
}

bool ShadowGate::Accepts(std::uint64_t model_version) const {
  return !(retired_through_ && model_version != restart_serving_ &&
           model_version <= *retired_through_);
}

SuggestionVerdict ShadowGate::Decide(double predicted_reward) {
  SuggestionVerdict v;
  v.predicted_reward = predicted_reward;
  v.floor = config_.suggestion_floor;
  if (mode_ == GateMode::kShadow) {
    v.reason = SuggestionReason::kShadowMode;
    ++counters_.withheld_shadow;
  } else if (!std::isfinite(predicted_reward)) {
    // Without a prediction the floor cannot vouch for it; a bad suggestion costs more than none.
    v.reason = SuggestionReason::kNoPrediction;
    ++counters_.withheld_no_prediction;
  } else if (predicted_reward < config_.suggestion_floor) {
    v.reason = SuggestionReason::kBelowFloor;
    ++counters_.withheld_below_floor;
  } else {
    v.publish = true;
    v.reason = SuggestionReason::kPublished;
    ++counters_.published;
  }
  return v;
}

GateStatus ShadowGate::status() const {
  GateStatus st;
  st.project = project_;
  st.mode = mode_;
  st.stats = stats();
  st.last_model_version = last_model_version_;
  st.counters = counters_;
  st.config = config_;
  return st;
}

GateDecision ShadowGate::Transition(GateMode to, GateTrigger trigger, const WindowStats& s,
                                    std::uint64_t model_version, std::string reason) {
  GateDecision d;
  d.project = project_;
  d.from = mode_;
  d.to = to;
  d.trigger = trigger;
  d.n = s.n;
  d.mean = s.mean;
  d.stddev = s.stddev;
  d.lcb = s.lcb;
  d.threshold = config_.threshold;
  d.hysteresis = config_.hysteresis;
  d.z = config_.z;
  d.min_samples = config_.min_samples;
  d.model_version = model_version;
  d.annotation_index = last_index_;
  d.reason = std::move(reason);
  mode_ = to;
  return d;
}

}  // namespace understudy
