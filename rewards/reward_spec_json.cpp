#include "rewards/reward_spec_json.h"

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

double Number(const nlohmann::json& j, const std::string& key) {
  if (!j.is_number()) {
    throw std::invalid_argument("reward spec: " + key + " must be a number, got " + j.dump());
  }
  return j.get<double>();
}

}  // namespace

RewardSpec RewardSpecFromJson(const nlohmann::json& config) {
  if (!config.is_object()) {
    throw std::invalid_argument("reward spec: expected a JSON object, got " + config.dump());
  }
  RewardWeights weights;
  double boundary_tolerance = 2.0, clicks_tolerance = 2.0;
  for (const auto& [key, value] : config.items()) {
    if (key == "weights") {
      if (!value.is_object()) {
        throw std::invalid_argument("reward spec: weights must be an object, got " + value.dump());
      }
      weights = RewardWeights{0.0, 0.0, 0.0, 0.0};
      for (const auto& [name, w] : value.items()) {
        const std::string field = "weights." + name;
        if (name == "iou") {
          weights.iou = Number(w, field);
        } else if (name == "boundary_f") {
          weights.boundary_f = Number(w, field);
        } else if (name == "clicks") {
          weights.clicks = Number(w, field);
        } else if (name == "hausdorff") {
          weights.hausdorff = Number(w, field);
        } else {
          throw std::invalid_argument("reward spec: unknown weight " + field +
                                      " (expected iou, boundary_f, clicks, hausdorff)");
        }
      }
    } else if (key == "boundary_tolerance") {
      boundary_tolerance = Number(value, key);
    } else if (key == "clicks_tolerance") {
      clicks_tolerance = Number(value, key);
    } else {
      throw std::invalid_argument("reward spec: unknown key " + key +
                                  " (expected weights, boundary_tolerance, clicks_tolerance)");
    }
  }
  return RewardSpec(weights, boundary_tolerance, clicks_tolerance);
}

nlohmann::json RewardSpecToJson(const RewardSpec& spec) {
  const RewardWeights& w = spec.weights();
  return nlohmann::json{{"weights",
                         {{"iou", w.iou},
                          {"boundary_f", w.boundary_f},
                          {"clicks", w.clicks},
                          {"hausdorff", w.hausdorff}}},
                        {"boundary_tolerance", spec.boundary_tolerance()},
                        {"clicks_tolerance", spec.clicks_tolerance()}};
}

}  // namespace understudy
