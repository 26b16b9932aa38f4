#pragma once

#include <functional>
#include <memory>
#include <string>

#include "transport/engine.h"
#include "transport/event_log.h"
#include "transport/metrics.h"
#include "transport/server_config.h"

namespace understudy {

/** Where the server hands what it publishes besides ZeroMQ (the HTTP side's WebSocket feed). */
struct ServerHooks {
  /**
   * Called on the worker thread for every published suggestion and gate event, with the
   * project and the message as JSON (transport/json_format.h). Must be thread-safe with respect
   * to the caller's other threads and must not block.
   */
  std::function<void(const std::string& project, const std::string& json)> on_publish;
};

/**
 * The ZeroMQ side of `understudy serve` (docs/transport.md). Two threads:
 *  - ingest: owns the ROUTER and the event log. Decodes and validates each message, appends
 *    events to the log, group-commits them (write + fdatasync every commit_interval_us or
 *    commit_bytes), and only then acks them. Errors are answered at once. Duplicates by
 *    (routing id, message id) are acked again, not logged again.
 *  - worker: owns the Engine and the PUB socket. Receives every accepted event over inproc in
 *    log order (as soon as it is validated, not after its commit), calls the Engine, publishes
 *    suggestions on `<project>/<asset>` and gate events on `<project>/_gate`, and sends them
 *    back to the ingest thread to be logged as "out" records. Answers status queries.
 * On start the log is recovered and the duplicate index, the known assets and the late
 * joiner's board are rebuilt from it.
 */
class Server {
 public:
  Server(ServerConfig config, std::unique_ptr<Engine> engine, MetricsRegistry& metrics,
         ServerHooks hooks = {});
  /** Requests a stop and waits for it. */
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /** Validates the config, recovers the log, binds the endpoints and starts the threads. */
  void Start();
  /** Stop accepting, let the worker drain (up to shutdown_timeout_ms), commit, close the log.
   *  Thread-safe; returns at once. */
  void RequestStop();
  /** Waits until the server has stopped; rethrows the error that stopped it, if any. */
  void Wait();
  /** True once the server has stopped, by request or because of a fatal error. */
  bool stopped() const;

  /** The bound endpoints (ephemeral ports resolved), valid after Start. */
  const std::string& ingest_endpoint() const;
  const std::string& publish_endpoint() const;
  /** What recovering the event log found, valid after Start. */
  const RecoveryReport& recovery() const;
  /** Server and engine state as JSON, refreshed every status_interval_ms. Thread-safe. */
  std::string StatusJson() const;
  /**
   * What a frontend joining `project` mid-session needs, as one JSON object (the WebSocket
   * side's per-client snapshot): the project's gate state as of the last status refresh, and the
   * latest pending suggestions, as in the `latest` query. Thread-safe.
   */
  std::string SnapshotJson(const std::string& project) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace understudy
