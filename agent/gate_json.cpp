#include "agent/gate_json.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

using nlohmann::json;

json Number(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

const json& Field(const json& j, const char* what, const char* field) {
  if (!j.is_object()) throw std::invalid_argument(std::string(what) + ": not a JSON object");
  const auto it = j.find(field);
  if (it == j.end()) {
    throw std::invalid_argument(std::string(what) + ": missing field \"" + field + "\"");
  }
  return *it;
}

double GetNumber(const json& j, const char* what, const char* field) {
  const json& v = Field(j, what, field);
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!v.is_number()) {
    throw std::invalid_argument(std::string(what) + "." + field + " = " + v.dump() +
                                ": not a number");
  }
  return v.get<double>();
}

std::uint64_t GetUnsigned(const json& j, const char* what, const char* field) {
  const json& v = Field(j, what, field);
  if (!v.is_number_unsigned()) {
    throw std::invalid_argument(std::string(what) + "." + field + " = " + v.dump() +
                                ": not an unsigned integer");
  }
  return v.get<std::uint64_t>();
}

std::string GetString(const json& j, const char* what, const char* field) {
  const json& v = Field(j, what, field);
  if (!v.is_string()) {
    throw std::invalid_argument(std::string(what) + "." + field + " = " + v.dump() +
                                ": not a string");
  }
  return v.get<std::string>();
}

}  // namespace

void to_json(json& j, const ShadowGateConfig& c) {
  j = json{{"window", c.window},
           {"min_samples", c.min_samples},
           {"threshold", c.threshold},
           {"hysteresis", c.hysteresis},
           {"z", c.z},
           {"suggestion_floor", c.suggestion_floor}};
}

void from_json(const json& j, ShadowGateConfig& c) {
  constexpr const char* kWhat = "ShadowGateConfig";
  c.window = GetUnsigned(j, kWhat, "window");
  c.min_samples = GetUnsigned(j, kWhat, "min_samples");
  c.threshold = GetNumber(j, kWhat, "threshold");
  c.hysteresis = GetNumber(j, kWhat, "hysteresis");
  c.z = GetNumber(j, kWhat, "z");
  c.suggestion_floor = GetNumber(j, kWhat, "suggestion_floor");
  c.Validate();
}

void to_json(json& j, const GateDecision& d) {
  j = json{{"project", d.project},
           {"from", ToString(d.from)},
           {"to", ToString(d.to)},
           {"trigger", ToString(d.trigger)},
           {"n", d.n},
           {"mean", Number(d.mean)},
           {"stddev", Number(d.stddev)},
           {"lcb", Number(d.lcb)},
           {"threshold", d.threshold},
           {"hysteresis", d.hysteresis},
           {"z", d.z},
           {"min_samples", d.min_samples},
           {"model_version", d.model_version},
           {"annotation_index", d.annotation_index},
           {"reason", d.reason}};
}

void from_json(const json& j, GateDecision& d) {
  constexpr const char* kWhat = "GateDecision";
  d.project = GetString(j, kWhat, "project");
  d.from = ParseGateMode(GetString(j, kWhat, "from"));
  d.to = ParseGateMode(GetString(j, kWhat, "to"));
  d.trigger = ParseGateTrigger(GetString(j, kWhat, "trigger"));
  d.n = GetUnsigned(j, kWhat, "n");
  d.mean = GetNumber(j, kWhat, "mean");
  d.stddev = GetNumber(j, kWhat, "stddev");
  d.lcb = GetNumber(j, kWhat, "lcb");
  d.threshold = GetNumber(j, kWhat, "threshold");
  d.hysteresis = GetNumber(j, kWhat, "hysteresis");
  d.z = GetNumber(j, kWhat, "z");
  d.min_samples = GetUnsigned(j, kWhat, "min_samples");
  d.model_version = GetUnsigned(j, kWhat, "model_version");
  d.annotation_index = GetUnsigned(j, kWhat, "annotation_index");
  d.reason = GetString(j, kWhat, "reason");
}

void to_json(json& j, const GateInput& in) {
  if (in.kind == GateInput::Kind::kRestart) {
    j = json{{"kind", "restart"},
             {"serving_version", in.model_version},
             {"newest_version", in.newest_version}};
  } else {
    j = json{{"kind", "blind_reward"},
             {"reward", Number(in.reward)},
             {"model_version", in.model_version},
             {"annotation_index", in.annotation_index}};
  }
}

void from_json(const json& j, GateInput& in) {
  constexpr const char* kWhat = "GateInput";
  const std::string kind = GetString(j, kWhat, "kind");
  if (kind == "restart") {
    in = GateInput::Restart(GetUnsigned(j, kWhat, "serving_version"),
                            GetUnsigned(j, kWhat, "newest_version"));
  } else if (kind == "blind_reward") {
    in = GateInput::BlindReward(GetNumber(j, kWhat, "reward"),
                                GetUnsigned(j, kWhat, "model_version"),
                                GetUnsigned(j, kWhat, "annotation_index"));
  } else {
    throw std::invalid_argument("GateInput.kind = \"" + kind +
                                "\": expected blind_reward or restart");
  }
}

void to_json(json& j, const GateStatus& s) {
  const GateCounters& c = s.counters;
  j = json{{"project", s.project},
           {"mode", ToString(s.mode)},
           {"n", s.stats.n},
           {"mean", Number(s.stats.mean)},
           {"stddev", Number(s.stats.stddev)},
           {"lcb", Number(s.stats.lcb)},
           {"last_model_version", s.last_model_version},
           {"config", s.config},
           {"counters",
            {{"rewards_recorded", c.rewards_recorded},
             {"rewards_rejected", c.rewards_rejected},
             {"rewards_stale", c.rewards_stale},
             {"promotions", c.promotions},
             {"demotions", c.demotions},
             {"restarts", c.restarts},
             {"published", c.published},
             {"withheld_below_floor", c.withheld_below_floor},
             {"withheld_no_prediction", c.withheld_no_prediction},
             {"withheld_shadow", c.withheld_shadow}}}};
}

void to_json(json& j, const SuggestionVerdict& v) {
  j = json{{"publish", v.publish},
           {"reason", ToString(v.reason)},
           {"predicted_reward", Number(v.predicted_reward)},
           {"floor", v.floor}};
}

}  // namespace understudy
