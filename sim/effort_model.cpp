#include "sim/effort_model.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace understudy {
namespace {

// Each field once: its JSON name and member, so reading, writing and validation agree.
using Field = std::pair<const char*, double EffortModelConfig::*>;
const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      {"seconds_per_vertex", &EffortModelConfig::seconds_per_vertex},
      {"draw_overhead_seconds", &EffortModelConfig::draw_overhead_seconds},
      {"seconds_per_move", &EffortModelConfig::seconds_per_move},
      {"seconds_per_add", &EffortModelConfig::seconds_per_add},
      {"seconds_per_delete", &EffortModelConfig::seconds_per_delete},
      {"verify_seconds", &EffortModelConfig::verify_seconds},
      {"box_seconds", &EffortModelConfig::box_seconds},
      {"clicks_tolerance", &EffortModelConfig::clicks_tolerance},
      {"accept_iou", &EffortModelConfig::accept_iou},
  };
  return fields;
}

std::string Value(double v) {
  std::string s = std::to_string(v);
  return std::isfinite(v) ? s : (std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
}

}  // namespace

void EffortModelConfig::Validate() const {
  for (const auto& [name, member] : Fields()) {
    const double v = this->*member;
    if (!std::isfinite(v) || v < 0.0) {
      throw std::invalid_argument(std::string("effort model: ") + name + " = " + Value(v) +
                                  " must be a finite number >= 0");
    }
  }
  if (!(seconds_per_vertex > 0.0)) {
    throw std::invalid_argument("effort model: seconds_per_vertex = " + Value(seconds_per_vertex) +
                                " must be > 0 (drawing cannot be free)");
  }
  if (!(clicks_tolerance > 0.0)) {
    throw std::invalid_argument("effort model: clicks_tolerance = " + Value(clicks_tolerance) +
                                " must be > 0 pixels");
  }
  if (accept_iou > 1.0) {
    throw std::invalid_argument("effort model: accept_iou = " + Value(accept_iou) +
                                " must be in [0, 1]");
  }
}

const char* ToString(EffortDecision decision) {
  switch (decision) {
    case EffortDecision::kDrawn:
      return "drawn";
    case EffortDecision::kAcceptedUnchanged:
      return "accepted";
    case EffortDecision::kEdited:
      return "edited";
    case EffortDecision::kRejected:
      return "rejected";
  }
  return "?";
}

EffortModel::EffortModel(EffortModelConfig config) : config_(config) { config_.Validate(); }

double EffortModel::DrawSeconds(std::size_t clicks_to_draw) const {
  return config_.draw_overhead_seconds +
         config_.seconds_per_vertex * static_cast<double>(clicks_to_draw);
}

double EffortModel::FixSeconds(const ClickCount& c) const {
  return config_.seconds_per_move * static_cast<double>(c.moves) +
         config_.seconds_per_add * static_cast<double>(c.adds) +
         config_.seconds_per_delete * static_cast<double>(c.deletes);
}

EffortCost EffortModel::Draw(std::size_t clicks_to_draw) const {
  return EffortCost{EffortDecision::kDrawn, clicks_to_draw, DrawSeconds(clicks_to_draw)};
}

EffortCost EffortModel::Shown(double iou, const ClickCount& clicks_to_fix,
                              std::size_t clicks_to_draw) const {
  if (!std::isfinite(iou) || iou < 0.0 || iou > 1.0) {
    throw std::invalid_argument("effort model: iou = " + Value(iou) + " must be in [0, 1]");
  }
  const std::size_t fix = clicks_to_fix.Total();
  EffortCost cost;
  if (fix < clicks_to_draw) {
    cost.decision = (fix == 0 && iou >= config_.accept_iou) ? EffortDecision::kAcceptedUnchanged
                                                            : EffortDecision::kEdited;
    cost.clicks = fix;
    cost.seconds = config_.verify_seconds + FixSeconds(clicks_to_fix);
  } else {
    cost.decision = EffortDecision::kRejected;
    cost.clicks = clicks_to_draw;
    cost.seconds = config_.verify_seconds + DrawSeconds(clicks_to_draw);
  }
  return cost;
}

nlohmann::json EffortModelConfigToJson(const EffortModelConfig& config) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, member] : Fields()) j[name] = config.*member;
  return j;
}

EffortModelConfig EffortModelConfigFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    throw std::invalid_argument("effort model: expected a JSON object, got " + json.dump());
  }
  EffortModelConfig config;
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (const auto& [name, member] : Fields()) {
      if (key != name) continue;
      if (!value.is_number()) {
        throw std::invalid_argument("effort model: " + key + " must be a number, got " +
                                    value.dump());
      }
      config.*member = value.get<double>();
      known = true;
    }
    if (!known) {
      std::string names;
      for (const auto& f : Fields()) names += (names.empty() ? "" : ", ") + std::string(f.first);
      throw std::invalid_argument("effort model: unknown key " + key + " (expected " + names + ")");
    }
  }
  config.Validate();
  return config;
}

}  // namespace understudy
