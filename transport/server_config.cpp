#include "transport/server_config.h"

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace understudy {
namespace {

using nlohmann::json;

// One table drives parsing, printing and the list of known keys, so they cannot drift apart.
struct Field {
  std::function<void(const json&, ServerConfig&)> read;
  std::function<json(const ServerConfig&)> write;
};

template <typename T>
Field Bind(T ServerConfig::*member) {
  return Field{[member](const json& j, ServerConfig& c) {
                 // nlohmann would turn -1 or 1.5 into an unsigned silently.
                 if constexpr (std::is_integral_v<T>) {
                   if (!j.is_number_unsigned()) {
                     throw std::invalid_argument("expected a non-negative integer");
                   }
                 } else {
                   if (!j.is_string()) throw std::invalid_argument("expected a string");
                 }
                 c.*member = j.get<T>();
               },
               [member](const ServerConfig& c) { return json(c.*member); }};
}

Field BindBool(bool ServerConfig::*member) {
  return Field{[member](const json& j, ServerConfig& c) {
                 if (!j.is_boolean()) throw std::invalid_argument("expected true or false");
                 c.*member = j.get<bool>();
               },
               [member](const ServerConfig& c) { return json(c.*member); }};
}

Field BindPath(std::filesystem::path ServerConfig::*member) {
  return Field{[member](const json& j, ServerConfig& c) {
                 if (!j.is_string()) throw std::invalid_argument("expected a string");
                 c.*member = j.get<std::string>();
               },
               [member](const ServerConfig& c) { return json((c.*member).string()); }};
}

const std::vector<std::pair<const char*, Field>>& Fields() {
  static const std::vector<std::pair<const char*, Field>> fields = {
      {"ingest_endpoint", Bind(&ServerConfig::ingest_endpoint)},
      {"publish_endpoint", Bind(&ServerConfig::publish_endpoint)},
      {"http_enabled", BindBool(&ServerConfig::http_enabled)},
      {"http_address", Bind(&ServerConfig::http_address)},
      {"http_port", Bind(&ServerConfig::http_port)},
      {"log_dir", BindPath(&ServerConfig::log_dir)},
      {"segment_bytes", Bind(&ServerConfig::segment_bytes)},
      {"commit_interval_us", Bind(&ServerConfig::commit_interval_us)},
      {"commit_bytes", Bind(&ServerConfig::commit_bytes)},
      {"max_message_bytes", Bind(&ServerConfig::max_message_bytes)},
      {"zmq_max_message_bytes", Bind(&ServerConfig::zmq_max_message_bytes)},
      {"max_vertices", Bind(&ServerConfig::max_vertices)},
      {"max_instances", Bind(&ServerConfig::max_instances)},
      {"dedup_window", Bind(&ServerConfig::dedup_window)},
      {"dedup_clients", Bind(&ServerConfig::dedup_clients)},
      {"max_open_assets", Bind(&ServerConfig::max_open_assets)},
      {"worker_queue", Bind(&ServerConfig::worker_queue)},
      {"shutdown_timeout_ms", Bind(&ServerConfig::shutdown_timeout_ms)},
      {"status_interval_ms", Bind(&ServerConfig::status_interval_ms)},
      {"proposer", Bind(&ServerConfig::proposer)},
      {"image_root", BindPath(&ServerConfig::image_root)},
      {"ready_file", BindPath(&ServerConfig::ready_file)},
  };
  return fields;
}

[[noreturn]] void Bad(const char* field, const std::string& value, const std::string& why) {
  throw std::invalid_argument("config field '" + std::string(field) + "' = " + value + ": " + why);
}

void Range(const char* field, std::uint64_t v, std::uint64_t lo, std::uint64_t hi) {
  if (v < lo || v > hi) {
    Bad(field, std::to_string(v), "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  }
}

void Endpoint(const char* field, const std::string& v) {
  const auto sep = v.find("://");
  if (sep == std::string::npos || sep == 0 || sep + 3 >= v.size()) {
    Bad(field, "'" + v + "'", "expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555");
  }
}

}  // namespace

void ServerConfig::Validate() const {
  Endpoint("ingest_endpoint", ingest_endpoint);
  Endpoint("publish_endpoint", publish_endpoint);
  if (ingest_endpoint == publish_endpoint && ingest_endpoint.find('*') == std::string::npos) {
    Bad("publish_endpoint", "'" + publish_endpoint + "'", "must differ from ingest_endpoint");
  }
  if (http_address.empty()) Bad("http_address", "''", "must not be empty");
  Range("http_port", http_port, 0, 65535);
  if (log_dir.empty()) Bad("log_dir", "''", "must not be empty");
  Range("segment_bytes", segment_bytes, 4096, 1ull << 40);
  Range("commit_interval_us", commit_interval_us, 0, 1000000);
  Range("commit_bytes", commit_bytes, 1, 1ull << 30);
  Range("max_message_bytes", max_message_bytes, 1024, 1ull << 30);
  Range("zmq_max_message_bytes", zmq_max_message_bytes, max_message_bytes, 1ull << 31);
  // A record is the message plus a small header; it must fit in a segment's record limit.
  Range("max_vertices", max_vertices, 3, 1u << 20);
  Range("max_instances", max_instances, 1, 1u << 20);
  Range("dedup_window", dedup_window, 1, 1u << 24);
  Range("dedup_clients", dedup_clients, 1, 1u << 20);
  Range("max_open_assets", max_open_assets, 1, 1ull << 32);
  Range("worker_queue", worker_queue, 16, 1u << 24);
  Range("shutdown_timeout_ms", shutdown_timeout_ms, 0, 3600000);
  Range("status_interval_ms", status_interval_ms, 10, 3600000);
  if (proposer.empty()) Bad("proposer", "''", "must name a proposer");
}

ServerConfig ParseServerConfig(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(origin + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(origin + ": the config must be a JSON object");
  ServerConfig c;
  std::map<std::string, const Field*> known;
  for (const auto& [name, field] : Fields()) known[name] = &field;
  for (const auto& [key, value] : j.items()) {
    const auto it = known.find(key);
    if (it == known.end()) {
      throw std::invalid_argument(origin + ": unknown config field '" + key + "'");
    }
    try {
      it->second->read(value, c);
    } catch (const std::exception& e) {
      throw std::invalid_argument(origin + ": config field '" + key + "' = " + value.dump() + ": " +
                                  e.what());
    }
  }
  return c;
}

ServerConfig LoadServerConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read config file '" + path.string() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseServerConfig(text.str(), path.string());
}

std::string ToJson(const ServerConfig& c) {
  json j = json::object();
  for (const auto& [name, field] : Fields()) j[name] = field.write(c);
  return j.dump(2);
}

}  // namespace understudy
