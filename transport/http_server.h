#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

// Public header of the HTTP/WebSocket side: no Boost here. Asio and Beast stay in the .cpp files
// behind the pimpl (see docs/http.md).

namespace understudy {

class MetricsRegistry;

/** Where and how the HTTP/WebSocket server listens, and its limits. Checked by Validate(). */
struct HttpConfig {
  std::string address = "127.0.0.1";  // must be a loopback address: the endpoints have no auth
  std::uint16_t port = 0;             // 0 binds an ephemeral port; read it with HttpServer::port()
  int threads = 1;                    // io threads, 1..64

  std::size_t max_header_bytes = 8 * 1024;           // request line + headers; more gets 431
  std::size_t max_body_bytes = 64 * 1024;            // request body; more gets 413
  std::chrono::milliseconds request_timeout{30000};  // per request read or response write,
                                                     // and how long an idle keep-alive lives

  std::size_t ws_queue_limit = 256;          // frames waiting per WebSocket client (drop oldest)
  std::size_t ws_max_incoming_bytes = 4096;  // largest message a client may send (they are ignored)
  std::chrono::milliseconds ws_handshake_timeout{10000};  // opening and closing handshakes
  std::chrono::milliseconds ws_idle_timeout{60000};  // ping after half of it, drop after all of it
  // Exact Origin values ("http://localhost:5173") whose pages may open /ws and read the HTTP
  // endpoints; empty allows every origin. Requests without an Origin (not from a browser page)
  // are always allowed.
  std::vector<std::string> allowed_origins;

  std::chrono::milliseconds shutdown_timeout{2000};  // Stop() waits this long for close handshakes

  /** Throws std::invalid_argument naming the first bad field and its value. */
  void Validate() const;
};

/**
 * What the endpoints serve, supplied by the owner of the server. Each callback runs on an io
 * thread, possibly on several at once: it must be thread-safe and quick. An exception thrown by an
 * endpoint's callback becomes a 500 response with its message. Empty callbacks get the defaults
 * noted.
 */
struct HttpHandlers {
  std::function<std::string()> metrics_text;  // /metrics body; default: the registry's text
  std::function<std::string()> status_json;   // /status body; default: WebSocket client counts
  std::function<bool()> healthy;              // /healthz 200 or 503; default: always healthy

  // A frame for each new WebSocket client of a project, sent right after the hello: the state it
  // must know before the next event arrives (gate mode, model version). Taken after the client
  // is subscribed, so an event may show up both in it and after it, but never in neither.
  // Default: none. If it throws, the client is closed with 1011 "snapshot failed".
  std::function<std::string(const std::string& project)> ws_snapshot;

  // Unexpected I/O errors, one line each; default: none (they are counted in metrics either way).
  std::function<void(const std::string&)> log;
};

/**
 * The loopback HTTP and WebSocket server: /healthz, /metrics, /status, and /ws?project=NAME, which
 * streams one project's JSON frames to browser frontends. Publish() is thread-safe and never
 * blocks on a client: each client has a bounded queue that drops its oldest frames when full and
 * then tells the client how many it lost. See docs/http.md for the wire protocol.
 */
class HttpServer {
 public:
  /**
   * Validates `config` (std::invalid_argument). `metrics`, when given, receives the server's own
   * series (understudy_http_*, understudy_ws_*) and must outlive the server; when null the server
   * keeps them in a private registry, which the default /metrics renders.
   */
  HttpServer(HttpConfig config, HttpHandlers handlers, MetricsRegistry* metrics = nullptr);
  /** Calls Stop(). */
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /**
   * Binds, listens and starts the io threads. Throws std::runtime_error naming the address and
   * port when it cannot listen (port taken, address not local), and std::logic_error when called
   * twice. A stopped server cannot be started again: make a new one.
   */
  void Start();

  /**
   * Stops accepting, sends every WebSocket client a close frame (1001, "server shutting down"),
   * closes every HTTP connection, waits up to shutdown_timeout for the close handshakes, then
   * drops whatever is left and joins the io threads. No session outlives it. Idempotent.
   */
  void Stop();

  /** The bound port (the ephemeral one when the config said 0); 0 before Start(). */
  std::uint16_t port() const;

  /**
   * Queues `json_text` (one UTF-8 JSON value; it is sent verbatim as a text frame) to every
   * WebSocket client of `project` and returns how many clients it was queued to. Thread-safe and
   * non-blocking; frames from one publishing thread reach each client in publish order. Returns 0
   * before Start() and after Stop(). Throws std::invalid_argument when `project` is not a valid
   * project name (ValidProjectName).
   */
  std::size_t Publish(const std::string& project, std::string json_text);

  /** WebSocket clients currently subscribed to `project` (handshake done, not yet closing). */
  std::size_t ClientCount(const std::string& project) const;

  /** Subscribed WebSocket clients by project, for /status; projects with none are left out. */
  std::map<std::string, std::size_t> ClientCounts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/**
 * A project name a client can subscribe to: 1 to 128 bytes of valid UTF-8 with no control
 * characters. In the URL it is percent-encoded like any query value.
 */
bool ValidProjectName(const std::string& project);

}  // namespace understudy
