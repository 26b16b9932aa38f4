// The torch-free half of agent/torch_agent.h: the config, its validation and its JSON form.
#include "agent/torch_agent.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "env/proposer_factory.h"
#include "rewards/reward_spec_json.h"

namespace understudy {
namespace {

template <typename T>
[[noreturn]] void Reject(const std::string& field, const T& value, const std::string& rule) {
  std::ostringstream os;
  os << "TorchAgentConfig." << field << " = " << value << ": " << rule;
  throw std::invalid_argument(os.str());
}

void RequireRange(const char* field, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi)) {
    Reject(field, value, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

void RequireInt(const char* field, long long value, long long lo, long long hi) {
  if (value < lo || value > hi) {
    Reject(field, value, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
}

void RequireWeight(const char* field, double value) {
  if (!(value >= 0.0 && std::isfinite(value))) Reject(field, value, "must be finite and >= 0");
}

}  // namespace

void TorchAgentConfig::Validate() const {
  RequireInt("num_vertices", num_vertices, 3, 256);
  RequireInt("crop_size", crop_size, 16, 256);
  if (crop_size % 8 != 0) Reject("crop_size", crop_size, "must be a multiple of 8");
  RequireRange("context_margin", context_margin, 0.0, 2.0);
  if (candidates.empty()) Reject("candidates", "[]", "must name at least one proposer");
  if (candidates.size() > 8) Reject("candidates", candidates.size(), "at most 8 proposers");
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::string field = "candidates[" + std::to_string(i) + "]";
    try {
      MakeProposer(candidates[i]);
    } catch (const std::invalid_argument& e) {
      Reject(field, candidates[i], e.what());
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (candidates[j] == candidates[i]) Reject(field, candidates[i], "is listed twice");
    }
  }
  RequireInt("store_size", store_size, 16, 1024);
  if (!(store_margin >= context_margin && store_margin <= 4.0)) {
    Reject("store_margin", store_margin,
           "must be in [context_margin (" + std::to_string(context_margin) + "), 4]");
  }
  RequireInt("encoder_width", encoder_width, 4, 256);
  RequireInt("head_width", head_width, 4, 512);
  RequireInt("refinement_iterations", refinement_iterations, 1, 8);
  if (!(max_step > 0.0 && max_step <= 0.5)) Reject("max_step", max_step, "must be in (0, 0.5]");
  RequireInt("profile_points", profile_points, 0, 64);
  if (!(profile_reach > 0.0 && profile_reach <= 0.5)) {
    Reject("profile_reach", profile_reach, "must be in (0, 0.5]");
  }
  if (selection != "value" && selection != "policy") {
    Reject("selection", selection, "must be \"value\" or \"policy\"");
  }
  if (!(min_std > 0.0 && min_std <= 0.5)) Reject("min_std", min_std, "must be in (0, 0.5]");
  if (!(max_std >= min_std && max_std <= 0.5)) {
    Reject("max_std", max_std, "must be in [min_std, 0.5]");
  }
  if (!(init_std >= min_std && init_std <= max_std)) {
    Reject("init_std", init_std, "must be in [min_std, max_std]");
  }
  if (!(selection_temperature > 0.0 && std::isfinite(selection_temperature))) {
    Reject("selection_temperature", selection_temperature, "must be finite and > 0");
  }
  RequireInt("replay_capacity", static_cast<long long>(replay_capacity), 1, 10000000);
  RequireInt("batch_size", batch_size, 1, 1024);
  RequireInt("samples_per_item", samples_per_item, 1, 64);
  if (!(learning_rate > 0.0 && learning_rate <= 1.0)) {
    Reject("learning_rate", learning_rate, "must be in (0, 1]");
  }
  if (!(grad_clip > 0.0 && std::isfinite(grad_clip))) {
    Reject("grad_clip", grad_clip, "must be finite and > 0");
  }
  RequireWeight("policy_weight", policy_weight);
  RequireWeight("entropy_weight", entropy_weight);
  RequireWeight("value_weight", value_weight);
  RequireWeight("imitation_weight", imitation_weight);
  if (imitation_loss != "chamfer" && imitation_loss != "points") {
    Reject("imitation_loss", imitation_loss, "must be \"chamfer\" or \"points\"");
  }
  if (baseline != "greedy" && baseline != "samples") {
    Reject("baseline", baseline, "must be \"greedy\" or \"samples\"");
  }
  if (baseline == "samples" && samples_per_item < 2) {
    Reject("samples_per_item", samples_per_item, "must be >= 2 with baseline \"samples\"");
  }
  RequireRange("box_jitter", box_jitter, 0.0, 0.5);
  RequireInt("threads", threads, 1, 64);
  RequireInt("learner_nice", learner_nice, 0, 19);
}

int TorchAgentConfig::PlaneCount() const {
  int planes = 3 + (edge_channel ? 1 : 0);
  if (mask_channels) {
    for (const std::string& c : candidates) planes += (c == "grabcut" || c == "watershed") ? 1 : 0;
  }
  return planes;
}

std::string TorchAgentConfig::ArchitectureMismatch(const TorchAgentConfig& o) const {
  if (num_vertices != o.num_vertices) return "num_vertices";
  if (crop_size != o.crop_size) return "crop_size";
  if (context_margin != o.context_margin) return "context_margin";
  if (candidates != o.candidates) return "candidates";
  if (edge_channel != o.edge_channel) return "edge_channel";
  if (mask_channels != o.mask_channels) return "mask_channels";
  if (store_size != o.store_size) return "store_size";
  if (store_margin != o.store_margin) return "store_margin";
  if (encoder_width != o.encoder_width) return "encoder_width";
  if (head_width != o.head_width) return "head_width";
  if (refinement_iterations != o.refinement_iterations) return "refinement_iterations";
  if (max_step != o.max_step) return "max_step";
  if (profile_points != o.profile_points) return "profile_points";
  if (profile_reach != o.profile_reach) return "profile_reach";
  if (selection != o.selection) return "selection";
  return "";
}

nlohmann::json TorchAgentConfigToJson(const TorchAgentConfig& c) {
  return nlohmann::json{{"num_vertices", c.num_vertices},
                        {"crop_size", c.crop_size},
                        {"context_margin", c.context_margin},
                        {"candidates", c.candidates},
                        {"edge_channel", c.edge_channel},
                        {"mask_channels", c.mask_channels},
                        {"store_size", c.store_size},
                        {"store_margin", c.store_margin},
                        {"encoder_width", c.encoder_width},
                        {"head_width", c.head_width},
                        {"refinement_iterations", c.refinement_iterations},
                        {"max_step", c.max_step},
                        {"profile_points", c.profile_points},
                        {"profile_reach", c.profile_reach},
                        {"selection", c.selection},
                        {"init_std", c.init_std},
                        {"learn_std", c.learn_std},
                        {"min_std", c.min_std},
                        {"max_std", c.max_std},
                        {"selection_temperature", c.selection_temperature},
                        {"replay_capacity", c.replay_capacity},
                        {"batch_size", c.batch_size},
                        {"samples_per_item", c.samples_per_item},
                        {"learning_rate", c.learning_rate},
                        {"grad_clip", c.grad_clip},
                        {"policy_weight", c.policy_weight},
                        {"entropy_weight", c.entropy_weight},
                        {"value_weight", c.value_weight},
                        {"imitation_weight", c.imitation_weight},
                        {"imitation_loss", c.imitation_loss},
                        {"baseline", c.baseline},
                        {"reward", RewardSpecToJson(c.reward)},
                        {"box_jitter", c.box_jitter},
                        {"flip", c.flip},
                        {"threads", c.threads},
                        {"learner_nice", c.learner_nice},
                        {"seed", c.seed}};
}

namespace {

std::string Where(const std::string& key) { return "TorchAgentConfig JSON: " + key; }

double Number(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number())
    throw std::invalid_argument(Where(key) + " must be a number, got " + v.dump());
  return v.get<double>();
}

long long Integer(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number_integer()) {
    throw std::invalid_argument(Where(key) + " must be an integer, got " + v.dump());
  }
  if (v.is_number_unsigned() && v.get<unsigned long long>() > 0x7fffffffffffffffULL) {
    throw std::invalid_argument(Where(key) + " is too large: " + v.dump());
  }
  return v.get<long long>();
}

int Int(const nlohmann::json& v, const std::string& key) {
  const long long x = Integer(v, key);
  if (x < -2147483647LL || x > 2147483647LL) {
    throw std::invalid_argument(Where(key) + " is out of range: " + v.dump());
  }
  return static_cast<int>(x);
}

bool Bool(const nlohmann::json& v, const std::string& key) {
  if (!v.is_boolean())
    throw std::invalid_argument(Where(key) + " must be true or false, got " + v.dump());
  return v.get<bool>();
}

std::string String(const nlohmann::json& v, const std::string& key) {
  if (!v.is_string())
    throw std::invalid_argument(Where(key) + " must be a string, got " + v.dump());
  return v.get<std::string>();
}

}  // namespace

TorchAgentConfig TorchAgentConfigFromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    throw std::invalid_argument("TorchAgentConfig JSON: expected an object, got " + json.dump());
  }
  TorchAgentConfig c;
  for (const auto& [key, v] : json.items()) {
    if (key == "num_vertices") {
      c.num_vertices = Int(v, key);
    } else if (key == "crop_size") {
      c.crop_size = Int(v, key);
    } else if (key == "context_margin") {
      c.context_margin = Number(v, key);
    } else if (key == "candidates") {
      if (!v.is_array()) {
        throw std::invalid_argument(Where(key) + " must be an array of proposer names, got " +
                                    v.dump());
      }
      c.candidates.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        c.candidates.push_back(String(v[i], key + "[" + std::to_string(i) + "]"));
      }
    } else if (key == "edge_channel") {
      c.edge_channel = Bool(v, key);
    } else if (key == "mask_channels") {
      c.mask_channels = Bool(v, key);
    } else if (key == "store_size") {
      c.store_size = Int(v, key);
    } else if (key == "store_margin") {
      c.store_margin = Number(v, key);
    } else if (key == "encoder_width") {
      c.encoder_width = Int(v, key);
    } else if (key == "head_width") {
      c.head_width = Int(v, key);
    } else if (key == "refinement_iterations") {
      c.refinement_iterations = Int(v, key);
    } else if (key == "max_step") {
      c.max_step = Number(v, key);
    } else if (key == "profile_points") {
      c.profile_points = Int(v, key);
    } else if (key == "profile_reach") {
      c.profile_reach = Number(v, key);
    } else if (key == "selection") {
      c.selection = String(v, key);
    } else if (key == "init_std") {
      c.init_std = Number(v, key);
    } else if (key == "learn_std") {
      c.learn_std = Bool(v, key);
    } else if (key == "min_std") {
      c.min_std = Number(v, key);
    } else if (key == "max_std") {
      c.max_std = Number(v, key);
    } else if (key == "selection_temperature") {
      c.selection_temperature = Number(v, key);
    } else if (key == "replay_capacity") {
      const long long n = Integer(v, key);
      if (n < 1) throw std::invalid_argument(Where(key) + " must be >= 1, got " + v.dump());
      c.replay_capacity = static_cast<std::size_t>(n);
    } else if (key == "batch_size") {
      c.batch_size = Int(v, key);
    } else if (key == "samples_per_item") {
      c.samples_per_item = Int(v, key);
    } else if (key == "learning_rate") {
      c.learning_rate = Number(v, key);
    } else if (key == "grad_clip") {
      c.grad_clip = Number(v, key);
    } else if (key == "policy_weight") {
      c.policy_weight = Number(v, key);
    } else if (key == "entropy_weight") {
      c.entropy_weight = Number(v, key);
    } else if (key == "value_weight") {
      c.value_weight = Number(v, key);
    } else if (key == "imitation_weight") {
      c.imitation_weight = Number(v, key);
    } else if (key == "imitation_loss") {
      c.imitation_loss = String(v, key);
    } else if (key == "baseline") {
      c.baseline = String(v, key);
    } else if (key == "reward") {
      c.reward = RewardSpecFromJson(v);
    } else if (key == "box_jitter") {
      c.box_jitter = Number(v, key);
    } else if (key == "flip") {
      c.flip = Bool(v, key);
    } else if (key == "threads") {
      c.threads = Int(v, key);
    } else if (key == "learner_nice") {
      c.learner_nice = Int(v, key);
    } else if (key == "seed") {
      if (!v.is_number_unsigned()) {
        throw std::invalid_argument(Where(key) + " must be a non-negative integer, got " +
                                    v.dump());
      }
      c.seed = v.get<std::uint64_t>();
    } else {
      throw std::invalid_argument(Where(key) + " is not a field (see docs/agent.md)");
    }
  }
  c.Validate();
  return c;
}

}  // namespace understudy
