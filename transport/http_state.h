#pragma once

// Private to the HTTP server (see http_server.h), in namespace web: the state every session shares,
// modelled on Beast's chat-multi shared_state. No Boost here, so the registry and the fan-out
// compile and test without Asio or Beast.

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "transport/http_server.h"
#include "transport/metrics.h"

namespace understudy::web {

/** A live connection that Stop() must close. Close() is thread-safe and idempotent. */
class Connection {
 public:
  virtual ~Connection() = default;
  /** Starts an orderly close: a WebSocket close frame, or ending an HTTP keep-alive. */
  virtual void Close() = 0;
};

/** A WebSocket client of one project. Deliver() is thread-safe and never blocks on the network. */
class WsSubscriber {
 public:
  virtual ~WsSubscriber() = default;
  virtual void Deliver(const std::shared_ptr<const std::string>& frame) = 0;
};

/**
 * Every live connection, so that Stop() can close them. Holds weak references: a connection
 * removes itself when it ends (at the latest in its destructor).
 */
class ConnectionSet {
 public:
  /** Registers `c` under `key`; false once CloseAll() has run, and the caller must then close. */
  bool Add(const Connection* key, std::weak_ptr<Connection> c);
  void Remove(const Connection* key);
  /** Refuses further Add()s and calls Close() on every live connection. */
  void CloseAll();
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  bool closed_ = false;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> live_;
};

/**
 * Which WebSocket clients listen to which project, and the fan-out of published frames. One frame
 * is shared by every client it goes to; nothing is copied per client.
 */
class WsHub {
 public:
  /** False once Close() has run. */
  bool Subscribe(const std::string& project, const WsSubscriber* key,
                 std::weak_ptr<WsSubscriber> s);
  /** Idempotent; true when `key` was subscribed. */
  bool Unsubscribe(const std::string& project, const WsSubscriber* key);
  /** Delivers `frame` to every subscriber of `project`; returns how many. 0 once closed. */
  std::size_t Publish(const std::string& project, const std::shared_ptr<const std::string>& frame);
  std::size_t Count(const std::string& project) const;
  std::map<std::string, std::size_t> Counts() const;
  /**
   * Refuses further Subscribe()s and Publish()es. Once it returns no Deliver() is running or will
   * start, which is what lets Stop() destroy the io_context the sessions post to.
   */
  void Close();

 private:
  using Subscribers = std::unordered_map<const WsSubscriber*, std::weak_ptr<WsSubscriber>>;
  mutable std::mutex mu_;
  bool closed_ = false;
  std::unordered_map<std::string, Subscribers> projects_;
};

/** The metric series of one project's WebSocket clients, looked up once per session. */
struct WsProjectMetrics {
  Gauge* clients = nullptr;    // understudy_ws_clients{project}
  Gauge* queued = nullptr;     // understudy_ws_queued_frames{project}
  Counter* sent = nullptr;     // understudy_ws_sent_total{project}
  Counter* dropped = nullptr;  // understudy_ws_dropped_total{project}
};

/** What every session of one server shares: config, callbacks, metrics, connections, the hub. */
class ServerState {
 public:
  ServerState(HttpConfig config, HttpHandlers handlers, MetricsRegistry& metrics);

  const HttpConfig& config() const { return config_; }
  ConnectionSet& connections() { return connections_; }
  WsHub& hub() { return hub_; }

  /** The /metrics, /status and /healthz bodies, with the defaults of HttpHandlers applied. */
  std::string MetricsText() const;
  std::string StatusJson() const;
  bool Healthy() const;
  /** The frame a new WebSocket client of `project` gets after the hello; none without a hook. */
  std::optional<std::string> Snapshot(const std::string& project) const;

  /** Counts one answered request; `path` is one of the fixed route labels (bounded cardinality). */
  void CountRequest(const char* path, unsigned code, double seconds);
  /** Counts an unexpected I/O error in `op` and hands a line to the log callback. */
  void CountError(const char* op, const std::string& message);
  WsProjectMetrics ProjectMetrics(const std::string& project);

 private:
  const HttpConfig config_;
  const HttpHandlers handlers_;
  MetricsRegistry& metrics_;
  ConnectionSet connections_;
  WsHub hub_;
};

}  // namespace understudy::web
