#include "transport/json_format.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace understudy {
namespace {

using nlohmann::json;

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Shape(const Instance& inst) {
  json parts = json::array();
  for (const Polygon& p : inst.parts) {
    json rings = json::array();
    auto ring = [](const Ring& r) {
      json out = json::array();
      for (const Point& q : r) out.push_back({q.x, q.y});
      return out;
    };
    rings.push_back(ring(p.outer));
    for (const Ring& h : p.holes) rings.push_back(ring(h));
    parts.push_back(std::move(rings));
  }
  return parts;
}

json NumberMap(const std::map<std::string, double>& m) {
  json out = json::object();
  for (const auto& [k, v] : m) out[k] = Number(v);
  return out;
}

json Envelope(const char* type, const std::string& id, const std::string& project, double ts,
              json payload) {
  return json{{"v", 1},   {"type", type},
              {"id", id}, {"project", project},
              {"ts", ts}, {"payload", std::move(payload)}};
}

}  // namespace

std::string SuggestionToJson(const SuggestionRecord& r, double ts) {
  const Suggestion& s = r.suggestion;
  json payload{{"asset", s.asset},         {"prompt", s.prompt_id},
               {"shape", Shape(s.shape)},  {"confidence", Number(s.confidence)},
               {"model", s.model_version}, {"source", s.source},
               {"withheld", r.withheld}};
  if (!r.reason.empty()) payload["reason"] = r.reason;
  return Envelope("suggestion", s.id, s.project, ts, std::move(payload)).dump();
}

std::string GateToJson(const GateEvent& g, const std::string& id, double ts) {
  json details = NumberMap(g.details);
  json payload{{"from", g.from},
               {"to", g.to},
               {"n", g.n},
               {"mean", Number(g.mean)},
               {"lower_bound", Number(g.lower_bound)},
               {"threshold", Number(g.threshold)},
               {"model", g.model_version},
               {"reason", g.reason},
               {"details", std::move(details)}};
  if (!g.trigger.empty()) payload["trigger"] = g.trigger;
  return Envelope("gate", id, g.project, ts, std::move(payload)).dump();
}

std::string ScoreToJson(const BlindScore& s, const std::string& id, double ts) {
  json payload{{"asset", s.asset},
               {"prompt", s.prompt_id},
               {"model", s.model_version},
               {"reward", Number(s.reward)},
               {"components", NumberMap(s.components)},
               {"predicted", Number(s.predicted_reward)},
               {"published", s.published},
               {"decision", s.decision},
               {"held_out", s.held_out},
               {"evidence", s.evidence}};
  if (s.annotation_index > 0) payload["annotation"] = s.annotation_index;
  if (s.instance >= 0) payload["instance"] = s.instance;
  return Envelope("score", id, s.project, ts, std::move(payload)).dump();
}

std::string StatusToJson(const ServerInfo& server, const EngineStatus& engine,
                         const RecoveryReport& recovery) {
  json projects = json::array();
  for (const ProjectStatus& p : engine.projects) {
    projects.push_back(json{{"project", p.project},
                            {"mode", p.mode},
                            {"publishing", p.publishing},
                            {"n", p.n},
                            {"mean", Number(p.mean)},
                            {"lower_bound", Number(p.lower_bound)},
                            {"threshold", Number(p.threshold)},
                            {"counters", NumberMap(p.counters)}});
  }
  json learner = NumberMap(engine.learner);
  json out{{"server",
            {{"version", server.version},
             {"last_lsn", server.last_lsn},
             {"durable_lsn", server.durable_lsn},
             {"uptime_seconds", server.uptime_seconds},
             {"open_assets", server.open_assets},
             {"known_assets", server.known_assets}}},
           {"engine",
            {{"engine", engine.engine},
             {"model", engine.model_version},
             {"reward_window", engine.reward_window},
             {"projects", std::move(projects)},
             {"learner", std::move(learner)}}},
           {"recovery",
            {{"segments", recovery.segments},
             {"records", recovery.records},
             {"last_lsn", recovery.last_lsn},
             {"truncated", recovery.truncated},
             {"truncated_segment", recovery.truncated_segment.string()},
             {"bytes_cut", recovery.bytes_cut},
             {"records_cut", recovery.records_cut},
             {"reason", recovery.reason}}}};
  if (!engine.detail_json.empty()) {
    // An engine's own JSON; one that does not parse is shown as text rather than dropped.
    json detail = json::parse(engine.detail_json, nullptr, /*allow_exceptions=*/false);
    out["engine"]["detail"] = detail.is_discarded() ? json(engine.detail_json) : std::move(detail);
  }
  return out.dump();
}

std::string SnapshotJson(const std::string& project, const std::optional<ProjectStatus>& gate,
                         const std::vector<std::string>& suggestion_envelopes,
                         const std::string& model_version) {
  json suggestions = json::array();
  for (const std::string& bytes : suggestion_envelopes) {
    const Message m = Decode(bytes, DecodeLimits{});
    const auto* r = std::get_if<SuggestionRecord>(&m.body);
    if (r != nullptr) suggestions.push_back(json::parse(SuggestionToJson(*r, m.header.ts)));
  }
  json g = nullptr;
  if (gate) {
    g = json{{"mode", gate->mode},
             {"publishing", gate->publishing},
             {"n", gate->n},
             {"mean", Number(gate->mean)},
             {"lower_bound", Number(gate->lower_bound)},
             {"threshold", Number(gate->threshold)}};
  }
  return json{{"type", "snapshot"},
              {"project", project},
              {"model", model_version},
              {"gate", std::move(g)},
              {"suggestions", std::move(suggestions)}}
      .dump();
}

}  // namespace understudy
