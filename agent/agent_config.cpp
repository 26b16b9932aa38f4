#include "agent/agent_config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "agent/gate_json.h"
#include "rewards/reward_spec_json.h"

namespace understudy {
namespace {

using nlohmann::json;

template <typename T>
[[noreturn]] void Reject(const std::string& field, const T& value, const std::string& rule) {
  std::ostringstream os;
  os << field << " = " << value << ": " << rule;
  throw std::invalid_argument(os.str());
}

// ---- JSON readers: every key optional, unknown keys rejected --------------------------------

[[noreturn]] void Bad(const std::string& path, const json& v, const std::string& what) {
  throw std::invalid_argument("agent config: " + path + " = " + v.dump() + ": " + what);
}

void CheckObject(const json& j, const std::string& path) {
  if (!j.is_object()) Bad(path.empty() ? "(root)" : path, j, "not a JSON object");
}

void CheckKeys(const json& j, const std::string& path, std::initializer_list<const char*> known) {
  CheckObject(j, path);
  for (const auto& item : j.items()) {
    bool ok = false;
    std::string list;
    for (const char* k : known) {
      ok = ok || item.key() == k;
      list += (list.empty() ? "" : ", ") + std::string(k);
    }
    if (!ok) {
      throw std::invalid_argument("agent config: unknown key " + (path.empty() ? "" : path + ".") +
                                  item.key() + " (expected " + list + ")");
    }
  }
}

std::string Join(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

void ReadDouble(const json& j, const std::string& path, const char* key, double& out) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_number()) Bad(Join(path, key), *it, "not a number");
  out = it->get<double>();
}

template <typename U>
void ReadUnsigned(const json& j, const std::string& path, const char* key, U& out) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_number_unsigned()) Bad(Join(path, key), *it, "not a non-negative integer");
  out = static_cast<U>(it->get<std::uint64_t>());
}

void ReadInt(const json& j, const std::string& path, const char* key, int& out) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_number_integer()) Bad(Join(path, key), *it, "not an integer");
  const std::int64_t v = it->get<std::int64_t>();
  if (v < -(1LL << 31) || v >= (1LL << 31)) Bad(Join(path, key), *it, "out of range");
  out = static_cast<int>(v);
}

void ReadBool(const json& j, const std::string& path, const char* key, bool& out) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_boolean()) Bad(Join(path, key), *it, "not true or false");
  out = it->get<bool>();
}

void ReadString(const json& j, const std::string& path, const char* key, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  if (!it->is_string()) Bad(Join(path, key), *it, "not a string");
  out = it->get<std::string>();
}

void ReadPath(const json& j, const std::string& path, const char* key, std::filesystem::path& out) {
  std::string text = out.string();
  ReadString(j, path, key, text);
  out = text;
}

const json* Section(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

const char* ToString(LearningMode mode) {
  switch (mode) {
    case LearningMode::kBackground:
      return "background";
    case LearningMode::kPerAnnotation:
      return "per_annotation";
    case LearningMode::kPerSimSecond:
      return "per_sim_second";
  }
  return "background";
}

LearningMode ParseLearningMode(const std::string& text) {
  for (LearningMode m :
       {LearningMode::kBackground, LearningMode::kPerAnnotation, LearningMode::kPerSimSecond}) {
    if (text == ToString(m)) return m;
  }
  throw std::invalid_argument("learning mode '" + text +
                              "' is not one of background, per_annotation, per_sim_second");
}

const char* ToString(PredictedRewardFallback fallback) {
  switch (fallback) {
    case PredictedRewardFallback::kWindowMean:
      return "window_mean";
    case PredictedRewardFallback::kConstant:
      return "constant";
    case PredictedRewardFallback::kNone:
      return "none";
  }
  return "window_mean";
}

PredictedRewardFallback ParsePredictedRewardFallback(const std::string& text) {
  for (PredictedRewardFallback f :
       {PredictedRewardFallback::kWindowMean, PredictedRewardFallback::kConstant,
        PredictedRewardFallback::kNone}) {
    if (text == ToString(f)) return f;
  }
  throw std::invalid_argument("predicted reward fallback '" + text +
                              "' is not one of window_mean, constant, none");
}

void LearningSchedule::Validate() const {
  if (updates_per_annotation < 1)
    Reject("LearningSchedule.updates_per_annotation", updates_per_annotation, "must be >= 1");
  if (!(std::isfinite(updates_per_second) && updates_per_second > 0.0))
    Reject("LearningSchedule.updates_per_second", updates_per_second, "must be finite and > 0");
  if (batch_updates < 1) Reject("LearningSchedule.batch_updates", batch_updates, "must be >= 1");
  if (queue_capacity < 1) Reject("LearningSchedule.queue_capacity", queue_capacity, "must be >= 1");
  if (!(std::isfinite(max_replay_ratio) && max_replay_ratio >= 0.0))
    Reject("LearningSchedule.max_replay_ratio", max_replay_ratio, "must be finite and >= 0");
}

std::string DescribeSchedule(const LearningSchedule& s) {
  std::ostringstream os;
  os << ToString(s.mode) << ": ";
  switch (s.mode) {
    case LearningMode::kBackground:
      os << "a learner thread in wall-clock time";
      break;
    case LearningMode::kPerAnnotation:
      os << s.updates_per_annotation << " update" << (s.updates_per_annotation == 1 ? "" : "s")
         << " after each annotation";
      break;
    case LearningMode::kPerSimSecond:
      os << s.updates_per_second << " updates per simulated second";
      break;
  }
  os << ", batches of " << s.batch_updates;
  if (s.max_replay_ratio > 0.0) {
    os << ", at most " << s.max_replay_ratio << " updates per training example";
  }
  return os.str();
}

void ChampionConfig::Validate() const {
  if (every_updates < 1) Reject("ChampionConfig.every_updates", every_updates, "must be >= 1");
  if (!(std::isfinite(tolerance) && tolerance >= 0.0))
    Reject("ChampionConfig.tolerance", tolerance, "must be finite and >= 0");
  if (min_items < 1) Reject("ChampionConfig.min_items", min_items, "must be >= 1");
}

void PredictedRewardConfig::Validate() const {
  if (fallback == PredictedRewardFallback::kConstant && !(value >= 0.0 && value <= 1.0))
    Reject("PredictedRewardConfig.value", value, "must be in [0, 1]");
}

void HeldOutEngineConfig::Validate() const {
  pool.Validate();
  if (!(std::isfinite(crop_margin) && crop_margin >= 0.0))
    Reject("HeldOutEngineConfig.crop_margin", crop_margin, "must be finite and >= 0");
}

void AssetConfig::Validate() const {
  if (max_assets < 1) Reject("AssetConfig.max_assets", max_assets, "must be >= 1");
  if (max_inline_bytes < 1)
    Reject("AssetConfig.max_inline_bytes", max_inline_bytes, "must be >= 1");
  if (cache_bytes < 1) Reject("AssetConfig.cache_bytes", cache_bytes, "must be >= 1");
}

void AgentConfig::Validate() const {
  gate.Validate();
  held_out.Validate();
  champion.Validate();
  learning.Validate();
  ledger.Validate();
  predicted_reward.Validate();
  assets.Validate();
  // The reward spec validates itself when constructed.
}

AgentConfig AgentConfigFromJson(const json& j) {
  AgentConfig c;
  CheckKeys(j, "",
            {"gate", "reward", "held_out", "champion", "learning", "ledger", "predicted_reward",
             "assets", "score_clicks", "registry_dir", "data_root", "seed"});
  if (const json* g = Section(j, "gate")) {
    CheckKeys(*g, "gate",
              {"window", "min_samples", "threshold", "hysteresis", "z", "suggestion_floor"});
    ReadUnsigned(*g, "gate", "window", c.gate.window);
    ReadUnsigned(*g, "gate", "min_samples", c.gate.min_samples);
    ReadDouble(*g, "gate", "threshold", c.gate.threshold);
    ReadDouble(*g, "gate", "hysteresis", c.gate.hysteresis);
    ReadDouble(*g, "gate", "z", c.gate.z);
    ReadDouble(*g, "gate", "suggestion_floor", c.gate.suggestion_floor);
  }
  if (const json* r = Section(j, "reward")) {
    try {
      c.reward = RewardSpecFromJson(*r);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("agent config: reward: ") + e.what());
    }
  }
  if (const json* h = Section(j, "held_out")) {
    CheckKeys(*h, "held_out", {"fraction", "seed", "capacity", "crop_margin"});
    ReadDouble(*h, "held_out", "fraction", c.held_out.pool.fraction);
    ReadUnsigned(*h, "held_out", "seed", c.held_out.pool.seed);
    ReadUnsigned(*h, "held_out", "capacity", c.held_out.pool.capacity);
    ReadDouble(*h, "held_out", "crop_margin", c.held_out.crop_margin);
  }
  if (const json* ch = Section(j, "champion")) {
    CheckKeys(*ch, "champion", {"every_updates", "tolerance", "min_items"});
    ReadUnsigned(*ch, "champion", "every_updates", c.champion.every_updates);
    ReadDouble(*ch, "champion", "tolerance", c.champion.tolerance);
    ReadUnsigned(*ch, "champion", "min_items", c.champion.min_items);
  }
  if (const json* l = Section(j, "learning")) {
    CheckKeys(*l, "learning",
              {"mode", "updates_per_annotation", "updates_per_second", "batch_updates",
               "queue_capacity", "max_replay_ratio"});
    std::string mode = ToString(c.learning.mode);
    ReadString(*l, "learning", "mode", mode);
    try {
      c.learning.mode = ParseLearningMode(mode);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("agent config: learning.mode: ") + e.what());
    }
    ReadInt(*l, "learning", "updates_per_annotation", c.learning.updates_per_annotation);
    ReadDouble(*l, "learning", "updates_per_second", c.learning.updates_per_second);
    ReadInt(*l, "learning", "batch_updates", c.learning.batch_updates);
    ReadUnsigned(*l, "learning", "queue_capacity", c.learning.queue_capacity);
    ReadDouble(*l, "learning", "max_replay_ratio", c.learning.max_replay_ratio);
  }
  if (const json* l = Section(j, "ledger")) {
    CheckKeys(*l, "ledger", {"capacity", "max_age_ms", "annotated_memory"});
    ReadUnsigned(*l, "ledger", "capacity", c.ledger.capacity);
    if (const auto it = l->find("max_age_ms"); it != l->end()) {
      if (!it->is_number_integer()) Bad("ledger.max_age_ms", *it, "not an integer");
      c.ledger.max_age_ms = it->get<std::int64_t>();
    }
    ReadUnsigned(*l, "ledger", "annotated_memory", c.ledger.annotated_memory);
  }
  if (const json* p = Section(j, "predicted_reward")) {
    CheckKeys(*p, "predicted_reward", {"fallback", "value"});
    std::string fallback = ToString(c.predicted_reward.fallback);
    ReadString(*p, "predicted_reward", "fallback", fallback);
    try {
      c.predicted_reward.fallback = ParsePredictedRewardFallback(fallback);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("agent config: predicted_reward.fallback: ") +
                                  e.what());
    }
    ReadDouble(*p, "predicted_reward", "value", c.predicted_reward.value);
  }
  if (const json* a = Section(j, "assets")) {
    CheckKeys(*a, "assets", {"max_assets", "max_inline_bytes", "cache_bytes"});
    ReadUnsigned(*a, "assets", "max_assets", c.assets.max_assets);
    ReadUnsigned(*a, "assets", "max_inline_bytes", c.assets.max_inline_bytes);
    ReadUnsigned(*a, "assets", "cache_bytes", c.assets.cache_bytes);
  }
  ReadBool(j, "", "score_clicks", c.score_clicks);
  ReadPath(j, "", "registry_dir", c.registry_dir);
  ReadPath(j, "", "data_root", c.data_root);
  ReadUnsigned(j, "", "seed", c.seed);
  c.Validate();
  return c;
}

json ToJson(const AgentConfig& c) {
  json gate;
  to_json(gate, c.gate);
  return json{
      {"gate", std::move(gate)},
      {"reward", RewardSpecToJson(c.reward)},
      {"held_out",
       {{"fraction", c.held_out.pool.fraction},
        {"seed", c.held_out.pool.seed},
        {"capacity", c.held_out.pool.capacity},
        {"crop_margin", c.held_out.crop_margin}}},
      {"champion",
       {{"every_updates", c.champion.every_updates},
        {"tolerance", c.champion.tolerance},
        {"min_items", c.champion.min_items}}},
      {"learning",
       {{"mode", ToString(c.learning.mode)},
        {"updates_per_annotation", c.learning.updates_per_annotation},
        {"updates_per_second", c.learning.updates_per_second},
        {"batch_updates", c.learning.batch_updates},
        {"queue_capacity", c.learning.queue_capacity},
        {"max_replay_ratio", c.learning.max_replay_ratio}}},
      {"ledger",
       {{"capacity", c.ledger.capacity},
        {"max_age_ms", c.ledger.max_age_ms},
        {"annotated_memory", c.ledger.annotated_memory}}},
      {"predicted_reward",
       {{"fallback", ToString(c.predicted_reward.fallback)}, {"value", c.predicted_reward.value}}},
      {"assets",
       {{"max_assets", c.assets.max_assets},
        {"max_inline_bytes", c.assets.max_inline_bytes},
        {"cache_bytes", c.assets.cache_bytes}}},
      {"score_clicks", c.score_clicks},
      {"registry_dir", c.registry_dir.string()},
      {"data_root", c.data_root.string()},
      {"seed", c.seed}};
}

}  // namespace understudy
