#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace understudy {

/**
 * Everything `understudy serve` is configured with: a JSON file with these keys (all optional),
 * overridden by command-line flags. docs/transport.md lists each with its default. Endpoints
 * are ZeroMQ addresses; "tcp://127.0.0.1:*" binds an ephemeral port (see ready_file).
 */
struct ServerConfig {
  std::string ingest_endpoint = "tcp://127.0.0.1:5555";   // ROUTER: events in, acks out
  std::string publish_endpoint = "tcp://127.0.0.1:5556";  // PUB: suggestions, gate events
  bool http_enabled = true;                               // serve the HTTP side at all
  std::string http_address = "127.0.0.1";                 // /healthz, /metrics, /status, WS
  std::uint32_t http_port = 8080;                         // 0: ephemeral
  std::filesystem::path log_dir = "understudy-log";       // the event log folder
  std::uint64_t segment_bytes = 64ull << 20;              // roll the log past this size
  std::uint64_t commit_interval_us = 2000;       // max wait of an event before its group commit
  std::uint64_t commit_bytes = 1ull << 20;       // commit early once this much is pending
  std::uint64_t max_message_bytes = 8ull << 20;  // larger: error too_large
  std::uint64_t zmq_max_message_bytes = 16ull << 20;  // ZMQ_MAXMSGSIZE: larger drops the link
  std::uint64_t max_vertices = 4096;                  // per ring
  std::uint64_t max_instances = 256;                  // per annotation
  std::uint64_t dedup_window = 10000;                 // remembered ids per client
  std::uint64_t dedup_clients = 256;                  // clients remembered
  std::uint64_t max_open_assets = 100000;             // assets tracked for late joiners
  std::uint64_t worker_queue = 100000;                // events waiting for the engine
  std::uint64_t shutdown_timeout_ms = 5000;           // to drain the engine's queue on stop
  std::uint64_t status_interval_ms = 200;             // engine status refresh for /status
  std::string proposer = "box";      // the ungated baseline, when serve runs no agent
  std::filesystem::path image_root;  // resolves relative asset uris
  std::filesystem::path ready_file;  // once serving, the bound endpoints are written here (JSON)

  /** Throws std::invalid_argument naming the first offending field and its value. */
  void Validate() const;
};

/** Reads a JSON config; unknown keys and wrong types are errors naming the key. Not validated. */
ServerConfig ParseServerConfig(const std::string& json_text, const std::string& origin);
ServerConfig LoadServerConfig(const std::filesystem::path& path);
/** The config as pretty JSON (for --print-config); ParseServerConfig reads it back. */
std::string ToJson(const ServerConfig& config);

}  // namespace understudy
