#include "transport/http_session.h"

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "transport/http_state.h"
#include "transport/http_target.h"
#include "transport/websocket_session.h"

namespace understudy::web {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

// Route labels for metrics: a fixed set, so a client probing random paths cannot grow the
// registry.
constexpr const char* kHealthz = "/healthz";
constexpr const char* kMetrics = "/metrics";
constexpr const char* kStatus = "/status";
constexpr const char* kWs = "/ws";
constexpr const char* kOther = "other";

constexpr const char* kPlainText = "text/plain; charset=utf-8";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJson = "application/json";

// How long and how much a closing connection keeps reading (and discarding) after its last
// response, so that unread request bytes do not turn the close into a reset that could destroy
// the response before the client reads it.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = 256 * 1024;

/** One HTTP/1.1 connection: read a request, write its response, repeat (keep-alive). */
class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(net::ip::tcp::socket&& socket, std::shared_ptr<ServerState> state)
      : stream_(std::move(socket)), executor_(stream_.get_executor()), state_(std::move(state)) {}

  ~HttpSession() override { state_->connections().Remove(this); }

  void Run() {
    net::dispatch(executor_, beast::bind_front_handler(&HttpSession::on_run, shared_from_this()));
  }

  void Close() override {
    net::post(executor_,
              beast::bind_front_handler(&HttpSession::on_close_requested, shared_from_this()));
  }

 private:
  void on_run() {
    if (!state_->connections().Add(this, weak_from_this())) {
      CloseSocket();  // Stop() is under way
      return;
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->config().max_header_bytes));
    parser_->body_limit(state_->config().max_body_bytes);
    stream_.expires_after(state_->config().request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    received_ = Clock::now();
    if (ec == http::error::end_of_stream) {  // the client closed between requests
      CloseSocket();
      return;
    }
    if (ec == beast::error::timeout) {  // Beast already closed the socket
      if (parser_->got_some()) state_->CountError("read", "request timed out half-read");
      return;
    }
    if (ec == http::error::header_limit) {
      return RespondAndClose(kOther, http::status::request_header_fields_too_large,
                             "request header larger than " +
                                 std::to_string(state_->config().max_header_bytes) + " bytes\n");
    }
    if (ec == http::error::body_limit) {
      return RespondAndClose(kOther, http::status::payload_too_large,
                             "request body larger than " +
                                 std::to_string(state_->config().max_body_bytes) + " bytes\n");
    }
    if (ec == http::error::partial_message) {  // the client went away mid-request
      CloseSocket();
      return;
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return RespondAndClose(kOther, http::status::bad_request,
                             "malformed request: " + ec.message() + "\n");
    }
    if (ec) return fail(ec, "read");
    HandleRequest();
  }

  void HandleRequest() {
    const auto& req = parser_->get();
    const std::optional<RequestTarget> target =
        ParseRequestTarget(std::string_view(req.target().data(), req.target().size()));
    if (!target) {
      return Respond(kOther, http::status::bad_request, kPlainText, "malformed request target\n");
    }
    const std::string& path = target->path;
    const bool get_or_head = req.method() == http::verb::get || req.method() == http::verb::head;

    if (path == kHealthz || path == kMetrics || path == kStatus) {
      const char* route = path == kHealthz ? kHealthz : path == kMetrics ? kMetrics : kStatus;
      if (!get_or_head) return MethodNotAllowed(route, "GET, HEAD");
      try {
        if (route == kHealthz) {
          const bool ok = state_->Healthy();
          return Respond(route, ok ? http::status::ok : http::status::service_unavailable,
                         kPlainText, ok ? "ok" : "unhealthy");
        }
        if (route == kMetrics) {
          return Respond(route, http::status::ok, kPrometheusText, state_->MetricsText());
        }
        return Respond(route, http::status::ok, kJson, state_->StatusJson());
      } catch (const std::exception& e) {
        state_->CountError("handler", std::string(route) + ": " + e.what());
        return Respond(route, http::status::internal_server_error, kPlainText,
                       std::string("internal error: ") + e.what() + "\n");
      }
    }
    if (path == kWs) {
      if (req.method() != http::verb::get) return MethodNotAllowed(kWs, "GET");
      return HandleUpgrade(*target);
    }
    return Respond(kOther, http::status::not_found, kPlainText, "not found\n");
  }

  void HandleUpgrade(const RequestTarget& target) {
    const auto& req = parser_->get();
    if (!beast::websocket::is_upgrade(req)) {
      return Respond(kWs, http::status::upgrade_required, kPlainText,
                     "/ws is a WebSocket endpoint: connect with ws://HOST:PORT/ws?project=NAME\n",
                     {http::field::upgrade, "websocket"});
    }
    const std::string* project = nullptr;
    for (const auto& [key, value] : target.query) {
      if (key != "project") continue;
      if (project != nullptr) {
        return RespondAndClose(kWs, http::status::bad_request, "give exactly one project\n");
      }
      project = &value;
    }
    if (project == nullptr) {
      return RespondAndClose(kWs, http::status::bad_request,
                             "missing project: connect to /ws?project=NAME\n");
    }
    if (!ValidProjectName(*project)) {
      return RespondAndClose(kWs, http::status::bad_request,
                             "invalid project name: 1 to 128 bytes of UTF-8, no control "
                             "characters\n");
    }
    if (!OriginAllowed()) {
      return RespondAndClose(kWs, http::status::forbidden, "origin not allowed\n");
    }
    // The WebSocket session owns the socket from here; this one ends when the handler returns.
    // It leaves the connection set first so that Stop() closes the new owner, not this husk.
    upgraded_ = true;
    state_->connections().Remove(this);
    stream_.expires_never();  // the WebSocket stream has its own timeouts
    StartWebSocketSession(std::move(stream_), parser_->release(), *project, state_, received_);
  }

  // Whether a page from the request's Origin may use this server. A request without an Origin
  // is not from a page (browsers send one on every WebSocket handshake and cross-origin fetch),
  // so the allow-list, which exists to stop other sites' pages, does not apply to it.
  bool OriginAllowed() const {
    const auto origin = parser_->get()[http::field::origin];
    const auto& allowed = state_->config().allowed_origins;
    return origin.empty() || allowed.empty() ||
           std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
  }

  void MethodNotAllowed(const char* route, const char* allow) {
    Respond(route, http::status::method_not_allowed, kPlainText,
            std::string("method not allowed; use ") + allow + "\n", {http::field::allow, allow});
  }

  void RespondAndClose(const char* route, http::status status, std::string body) {
    close_after_write_ = true;
    Respond(route, status, kPlainText, std::move(body));
  }

  // `extra` is one more header field, e.g. Allow on a 405; none when its value is null.
  void Respond(const char* route, http::status status, const char* content_type, std::string body,
               std::pair<http::field, const char*> extra = {http::field::unknown, nullptr}) {
    res_ = {};
    const auto& req = parser_->get();
    route_ = route;
    res_.result(status);
    res_.version(req.version() == 10 ? 10 : 11);
    res_.set(http::field::server, "understudy");
    res_.set(http::field::content_type, content_type);
    res_.set(http::field::cache_control, "no-store");
    if (extra.second != nullptr) res_.set(extra.first, extra.second);
    const auto origin = req[http::field::origin];
    if (route != kWs && route != kOther && !origin.empty() && OriginAllowed()) {
      // Lets an allowed frontend page fetch /status (e.g. to resync after a dropped notice).
      res_.set(http::field::access_control_allow_origin, origin);
      res_.set(http::field::vary, "Origin");
    }
    const std::size_t length = body.size();
    if (req.method() != http::verb::head) res_.body() = std::move(body);
    res_.content_length(length);
    // A request that failed to parse may not have a usable keep-alive flag: close after those.
    res_.keep_alive(!close_after_write_ && !close_requested_ && req.keep_alive());
    do_write();
  }

  void do_write() {
    writing_ = true;
    stream_.expires_after(state_->config().request_timeout);
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t /*bytes*/) {
    writing_ = false;
    state_->CountRequest(route_, res_.result_int(),
                         std::chrono::duration<double>(Clock::now() - received_).count());
    if (ec) return fail(ec, "write");
    if (close_requested_) {
      CloseSocket();
      return;
    }
    if (res_.need_eof()) {
      Linger();
      return;
    }
    res_ = {};
    do_read();
  }

  // Ends our side, then reads and discards what the client still sends until it closes too.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    do_linger();
  }

  void do_linger() {
    stream_.async_read_some(net::buffer(linger_buffer_),
                            beast::bind_front_handler(&HttpSession::on_linger, shared_from_this()));
  }

  void on_linger(beast::error_code ec, std::size_t bytes) {
    lingered_ += bytes;
    if (ec || lingered_ > kLingerBytes) {
      CloseSocket();  // EOF, timeout, or a client that keeps sending: done either way
      return;
    }
    do_linger();
  }

  void on_close_requested() {
    if (upgraded_ || close_requested_) return;
    close_requested_ = true;
    if (!writing_) CloseSocket();  // waiting for a request (or lingering): end it now
  }

  void CloseSocket() {
    if (upgraded_) return;
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  void fail(beast::error_code ec, const char* what) {
    if (ec == net::error::operation_aborted) return;
    state_->CountError(what, ec.message());
  }

  beast::tcp_stream stream_;
  const net::any_io_executor executor_;  // the socket's strand, kept for Close() from any thread
  std::shared_ptr<ServerState> state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  const char* route_ = kOther;
  Clock::time_point received_ = Clock::now();
  std::array<char, 4096> linger_buffer_{};
  std::size_t lingered_ = 0;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool close_requested_ = false;
  bool upgraded_ = false;
};

}  // namespace

void StartHttpSession(net::ip::tcp::socket socket, std::shared_ptr<ServerState> state) {
  std::make_shared<HttpSession>(std::move(socket), std::move(state))->Run();
}

}  // namespace understudy::web
