#include "sim/session.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <variant>

#include "transport/event_log.h"

namespace understudy {
namespace {

constexpr std::size_t kMaxProblems = 20;

const nlohmann::json& Field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument(std::string("session manifest: missing ") + key);
  return *it;
}

std::string Text(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = Field(j, key);
  if (!v.is_string()) {
    throw std::invalid_argument(std::string("session manifest: ") + key +
                                " must be a string, got " + v.dump());
  }
  return v.get<std::string>();
}

std::size_t Count(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = Field(j, key);
  if (!v.is_number_unsigned()) {
    throw std::invalid_argument(std::string("session manifest: ") + key +
                                " must be an unsigned integer, got " + v.dump());
  }
  return v.get<std::size_t>();
}

}  // namespace

DecodeLimits SessionDecodeLimits() {
  DecodeLimits limits;
  limits.max_message_bytes = std::size_t{1} << 30;
  limits.max_instances = std::size_t{1} << 20;
  return limits;
}

nlohmann::json SessionManifestToJson(const SessionManifest& m) {
  return nlohmann::json{{"kind", m.kind},       {"timings", m.timings},
                        {"sources", m.sources}, {"data_root", m.data_root.string()},
                        {"seed", m.seed},       {"assets", m.assets},
                        {"prompts", m.prompts}, {"annotations", m.annotations},
                        {"notes", m.notes},     {"written_by", m.written_by}};
}

SessionManifest SessionManifestFromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    throw std::invalid_argument("session manifest: expected a JSON object, got " + j.dump());
  }
  SessionManifest m;
  m.kind = Text(j, "kind");
  if (m.kind != "imported" && m.kind != "merged" && m.kind != "recorded") {
    throw std::invalid_argument("session manifest: kind '" + m.kind +
                                "' (expected imported, merged or recorded)");
  }
  m.timings = Text(j, "timings");
  if (m.timings != "modelled" && m.timings != "real" && m.timings != "mixed") {
    throw std::invalid_argument("session manifest: timings '" + m.timings +
                                "' (expected modelled, real or mixed)");
  }
  const nlohmann::json& sources = Field(j, "sources");
  if (!sources.is_array()) throw std::invalid_argument("session manifest: sources must be a list");
  for (const nlohmann::json& s : sources) {
    if (!s.is_string()) {
      throw std::invalid_argument("session manifest: sources must hold strings, got " + s.dump());
    }
    m.sources.push_back(s.get<std::string>());
  }
  m.data_root = Text(j, "data_root");
  const nlohmann::json& seed = Field(j, "seed");
  if (!seed.is_number_unsigned()) {
    throw std::invalid_argument("session manifest: seed must be an unsigned integer, got " +
                                seed.dump());
  }
  m.seed = seed.get<std::uint64_t>();
  m.assets = Count(j, "assets");
  m.prompts = Count(j, "prompts");
  m.annotations = Count(j, "annotations");
  const nlohmann::json& notes = Field(j, "notes");
  if (!notes.is_object()) throw std::invalid_argument("session manifest: notes must be an object");
  for (const auto& [k, v] : notes.items()) {
    if (!v.is_string()) {
      throw std::invalid_argument("session manifest: notes." + k + " must be a string");
    }
    m.notes[k] = v.get<std::string>();
  }
  m.written_by = Text(j, "written_by");
  return m;
}

void WriteSessionManifest(const std::filesystem::path& dir, const SessionManifest& manifest) {
  const std::filesystem::path path = dir / kSessionManifestFile;
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << SessionManifestToJson(manifest).dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  std::filesystem::rename(tmp, path);
}

double Session::DurationSeconds() const {
  if (events.size() < 2) return 0.0;
  double lo = events.front().ts, hi = events.front().ts;
  for (const SessionEvent& e : events) {
    lo = std::min(lo, e.ts);
    hi = std::max(hi, e.ts);
  }
  return hi - lo;
}

std::vector<std::string> Session::Projects() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const SessionEvent& e : events) {
    if (seen.insert(e.project).second) out.push_back(e.project);
  }
  return out;
}

Session LoadSession(const std::filesystem::path& dir, const DecodeLimits& limits) {
  if (!std::filesystem::is_directory(dir)) {
    throw std::runtime_error("session '" + dir.string() + "' is not a folder");
  }
  Session s;
  s.dir = dir;
  const std::filesystem::path manifest_path = dir / kSessionManifestFile;
  const bool has_manifest = std::filesystem::exists(manifest_path);
  if (has_manifest) {
    std::ifstream in(manifest_path);
    std::stringstream text;
    text << in.rdbuf();
    try {
      s.manifest = SessionManifestFromJson(nlohmann::json::parse(text.str()));
    } catch (const std::exception& e) {
      throw std::runtime_error(manifest_path.string() + ": " + e.what());
    }
  }
  if (EventLogReader::Segments(dir).empty()) {
    throw std::runtime_error("session '" + dir.string() + "' has no event log segments (*.ulog)");
  }
  EventLogReader reader(dir);
  LogRecord r;
  std::size_t assets = 0, prompts = 0, annotations = 0;
  while (reader.Next(r)) {
    if (r.direction == Direction::kOut) {
      ++s.report.out_records;
      continue;
    }
    SessionEvent e;
    try {
      const Message m = Decode(r.message, limits);
      if (!IsEvent(m.header.type)) {
        throw ProtocolError(ErrorCode::kUnknownType,
                            std::string("an inbound record of type ") + ToString(m.header.type));
      }
      e.type = m.header.type;
      e.project = m.header.project;
      e.ts = m.header.ts;
      if (const auto* a = std::get_if<AssetEvent>(&m.body)) {
        e.asset = a->asset;
        ++assets;
      } else if (const auto* p = std::get_if<PromptEvent>(&m.body)) {
        e.asset = p->asset;
        e.prompt = p->prompt_id;
        ++prompts;
      } else if (const auto* n = std::get_if<AnnotationEvent>(&m.body)) {
        e.asset = n->asset;
        e.prompt = n->prompt_id;
        ++annotations;
      } else if (const auto* f = std::get_if<FeedbackEvent>(&m.body)) {
        e.asset = f->asset;
      }
    } catch (const ProtocolError& error) {
      ++s.report.rejected;
      if (s.report.problems.size() < kMaxProblems) {
        s.report.problems.push_back("lsn " + std::to_string(r.lsn) + ": " + error.what());
      }
      continue;
    }
    e.lsn = r.lsn;
    e.time_ns = r.time_ns;
    e.client = std::move(r.client);
    e.bytes = std::move(r.message);
    s.events.push_back(std::move(e));
  }
  s.report.torn_tail = reader.stopped_at_torn_tail();
  if (!has_manifest) {
    s.manifest.kind = "recorded";
    s.manifest.timings = "real";
    s.manifest.sources = {"log:" + std::filesystem::absolute(dir).string()};
    s.manifest.assets = assets;
    s.manifest.prompts = prompts;
    s.manifest.annotations = annotations;
    s.manifest.written_by = "understudy serve";
  }
  return s;
}

}  // namespace understudy
