#include "transport/websocket_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "transport/http_state.h"
#include "transport/http_target.h"

namespace understudy::web {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

// Version of the frames this server adds around the published ones (hello, dropped); see
// docs/http.md.
constexpr int kProtocolVersion = 1;

const websocket::close_reason kGoingAway(websocket::close_code::going_away, "server shutting down");

/**
 * One WebSocket client of one project. Published frames wait in a bounded queue shared with the
 * publishing threads (guarded by mu_); everything else, including every operation on the stream,
 * runs on the connection's strand. At most one write is in flight: a publisher that finds the
 * writer idle posts one kick onto the strand, so a burst of Publish() calls costs one handler,
 * not one per frame, and memory stays bounded however fast frames arrive.
 */
class WebSocketSession : public Connection,
                         public WsSubscriber,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(beast::tcp_stream&& stream, std::string project,
                   std::shared_ptr<ServerState> state, Clock::time_point received)
      : ws_(std::move(stream)),
        executor_(ws_.get_executor()),
        state_(std::move(state)),
        project_(std::move(project)),
        metrics_(state_->ProjectMetrics(project_)),
        received_(received) {}

  ~WebSocketSession() override {
    // Normally done by Finish() on the strand; this covers sessions abandoned by a Stop() that
    // ran out of time (their handlers are destroyed with the io_context).
    ClearQueue();
    Unsubscribe();
    state_->connections().Remove(this);
  }

  void Run(const http::request<http::string_body>& upgrade) {
    if (!state_->connections().Add(this, weak_from_this())) {
      beast::get_lowest_layer(ws_).close();  // Stop() is under way
      return;
    }
    const HttpConfig& config = state_->config();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = config.ws_handshake_timeout;
    timeouts.idle_timeout = config.ws_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "understudy"); }));
    ws_.read_message_max(config.ws_max_incoming_bytes);
    ws_.text(true);
    ws_.async_accept(upgrade,
                     beast::bind_front_handler(&WebSocketSession::on_accept, shared_from_this()));
  }

  void Deliver(const std::shared_ptr<const std::string>& frame) override {
    bool kick = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!open_) return;
      if (waiting_.size() >= state_->config().ws_queue_limit) {
        waiting_.pop_front();  // the oldest waiting frame; the one being written is not in here
        ++dropped_since_notice_;
        metrics_.dropped->Inc();
      } else {
        metrics_.queued->Add(1);
      }
      waiting_.push_back(frame);
      if (!write_scheduled_) {
        write_scheduled_ = true;
        kick = true;
      }
    }
    if (kick) {
      net::post(executor_,
                beast::bind_front_handler(&WebSocketSession::do_write, shared_from_this()));
    }
  }

  void Close() override {
    net::post(executor_,
              beast::bind_front_handler(&WebSocketSession::on_close_requested, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec) {
    const double seconds = std::chrono::duration<double>(Clock::now() - received_).count();
    if (ec) {
      // A malformed upgrade (no key, wrong version) has been answered with a 400 by Beast; other
      // errors (timeout, reset, Stop()) left no response to count.
      if (ec.category() == websocket::make_error_code(websocket::error::no_sec_key).category()) {
        state_->CountRequest("/ws", 400, seconds);
      }
      fail(ec, "ws_handshake");
      return Finish();
    }
    state_->CountRequest("/ws", 101, seconds);
    accepted_ = true;
    if (close_requested_) return StartClose(kGoingAway);
    {
      // The hello goes out first: frames published from now on queue up behind it.
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
      write_scheduled_ = true;
    }
    if (!state_->hub().Subscribe(project_, this, weak_from_this())) {
      return StartClose(kGoingAway);
    }
    subscribed_ = true;
    metrics_.clients->Add(1);
    // Taken after subscribing, so nothing published meanwhile is missing from snapshot + stream
    // (an event can show up in both; the snapshot goes first).
    try {
      if (std::optional<std::string> snapshot = state_->Snapshot(project_)) {
        snapshot_ = std::make_shared<const std::string>(std::move(*snapshot));
      }
    } catch (const std::exception& e) {
      state_->CountError("handler", "ws_snapshot: " + std::string(e.what()));
      return StartClose(
          websocket::close_reason(websocket::close_code::internal_error, "snapshot failed"));
    }
    write(std::make_shared<const std::string>(
              "{\"type\":\"hello\",\"protocol\":" + std::to_string(kProtocolVersion) +
              ",\"project\":" + JsonQuote(project_) +
              ",\"queue_limit\":" + std::to_string(state_->config().ws_queue_limit) + "}"),
          /*published=*/false);
    do_read();
  }

  // Clients have nothing to say yet; reading keeps control frames (ping, pong, close) flowing
  // and notices a client that goes away.
  void do_read() {
    ws_.async_read(read_buffer_,
                   beast::bind_front_handler(&WebSocketSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) {
      fail(ec, ec == beast::error::timeout ? "ws_timeout" : "ws_read");
      return Finish();
    }
    read_buffer_.consume(read_buffer_.size());
    do_read();
  }

  void do_write() {
    std::shared_ptr<const std::string> next;
    bool published = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!open_) {
        write_scheduled_ = false;
        return;
      }
      if (snapshot_) {
        next = std::move(snapshot_);
      } else if (dropped_since_notice_ > 0) {
        // Everything dropped since the last notice sat between the frame just written and the
        // head of the queue, so the notice goes exactly where the gap is.
        next = std::make_shared<const std::string>(
            "{\"type\":\"dropped\",\"count\":" + std::to_string(dropped_since_notice_) + "}");
        dropped_since_notice_ = 0;
      } else if (!waiting_.empty()) {
        next = std::move(waiting_.front());
        waiting_.pop_front();
        metrics_.queued->Add(-1);
        published = true;
      } else {
        write_scheduled_ = false;
        return;
      }
    }
    write(std::move(next), published);
  }

  void write(std::shared_ptr<const std::string> frame, bool published) {
    in_flight_ = std::move(frame);  // keeps the bytes alive until on_write
    ws_.async_write(
        net::buffer(*in_flight_),
        beast::bind_front_handler(&WebSocketSession::on_write, shared_from_this(), published));
  }

  void on_write(bool published, beast::error_code ec, std::size_t /*bytes*/) {
    in_flight_.reset();
    if (ec) {
      fail(ec, "ws_write");
      return Finish();
    }
    if (published) metrics_.sent->Inc();
    do_write();
  }

  void on_close_requested() {
    if (close_requested_) return;
    close_requested_ = true;
    if (!accepted_) {
      // Mid-handshake: there is no WebSocket to close politely yet.
      beast::get_lowest_layer(ws_).close();
      return;
    }
    StartClose(kGoingAway);
  }

  // The close frame waits behind a write in flight (Beast orders them); the handshake timeout,
  // and at worst Stop()'s own deadline, bound how long a client that never reads can hold it.
  void StartClose(const websocket::close_reason& reason) {
    if (closing_) return;
    closing_ = true;
    ClearQueue();
    Unsubscribe();
    ws_.async_close(reason,
                    beast::bind_front_handler(&WebSocketSession::on_close, shared_from_this()));
  }

  void on_close(beast::error_code ec) {
    if (ec) fail(ec, "ws_close");
    Finish();
  }

  // The connection is over (either side closed it, or it failed): release what it holds.
  void Finish() {
    ClearQueue();
    Unsubscribe();
    state_->connections().Remove(this);
  }

  void ClearQueue() {
    std::size_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = false;
      dropped = waiting_.size();
      waiting_.clear();
      dropped_since_notice_ = 0;
      snapshot_.reset();
    }
    metrics_.queued->Add(-static_cast<double>(dropped));
  }

  void Unsubscribe() {
    if (!subscribed_) return;
    subscribed_ = false;
    if (state_->hub().Unsubscribe(project_, this)) metrics_.clients->Add(-1);
  }

  void fail(beast::error_code ec, const char* what) {
    if (ec == net::error::operation_aborted || ec == websocket::error::closed) return;
    state_->CountError(what, ec.message());
  }

  websocket::stream<beast::tcp_stream> ws_;
  const net::any_io_executor executor_;  // the socket's strand, for posts from other threads
  std::shared_ptr<ServerState> state_;
  const std::string project_;
  const WsProjectMetrics metrics_;
  const Clock::time_point received_;
  beast::flat_buffer read_buffer_;

  // Strand only.
  std::shared_ptr<const std::string> in_flight_;
  bool accepted_ = false;
  bool subscribed_ = false;
  bool close_requested_ = false;
  bool closing_ = false;

  // Shared with Deliver() on publishing threads.
  std::mutex mu_;
  std::shared_ptr<const std::string> snapshot_;  // goes right after the hello
  std::deque<std::shared_ptr<const std::string>> waiting_;
  std::uint64_t dropped_since_notice_ = 0;
  bool write_scheduled_ = false;  // a write is in flight or a kick is posted
  bool open_ = false;             // accepting published frames
};

}  // namespace

void StartWebSocketSession(beast::tcp_stream stream, http::request<http::string_body> upgrade,
                           std::string project, std::shared_ptr<ServerState> state,
                           Clock::time_point received) {
  std::make_shared<WebSocketSession>(std::move(stream), std::move(project), std::move(state),
                                     received)
      ->Run(upgrade);
}

}  // namespace understudy::web
