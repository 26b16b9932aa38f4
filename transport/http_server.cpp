#include "transport/http_server.h"

// GCC 12 at -O3 reports -Wnull-dereference in Asio's scheduler::compensating_work_started once it
// is inlined into this file (the system-header exemption does not survive inlining). It is a false
// positive in Boost's code, not ours; no other warning is turned off.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "transport/http_session.h"
#include "transport/http_state.h"
#include "transport/metrics.h"

namespace understudy {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using web::ServerState;

[[noreturn]] void BadField(const char* field, const std::string& shown, const std::string& why) {
  throw std::invalid_argument("HttpConfig." + std::string(field) + " = " + shown + ": " + why);
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }
std::string Ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

/** Accepts connections and starts an HttpSession on its own strand for each. */
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor acceptor, std::shared_ptr<ServerState> state)
      : ioc_(ioc),
        acceptor_(std::move(acceptor)),
        retry_(acceptor_.get_executor()),
        state_(std::move(state)) {}

  void Run() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      self->closed_ = true;
      error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  void do_accept() {
    if (closed_) return;
    acceptor_.async_accept(net::make_strand(ioc_),
                           [self = shared_from_this()](error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || closed_) return;
    if (ec) {
      // Typically out of file descriptors: retry shortly instead of spinning on the error.
      state_->CountError("accept", ec.message());
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    web::StartHttpSession(std::move(socket), state_);
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;  // on its own strand
  net::steady_timer retry_;
  std::shared_ptr<ServerState> state_;
  bool closed_ = false;
};

}  // namespace

void HttpConfig::Validate() const {
  error_code ec;
  const net::ip::address addr = net::ip::make_address(address, ec);
  if (ec) BadField("address", Quoted(address), "not an IP address");
  if (!addr.is_loopback()) {
    BadField("address", Quoted(address),
             "not a loopback address; the HTTP side has no authentication, so it binds to "
             "loopback only (put a proxy in front to expose it)");
  }
  if (threads < 1 || threads > 64) BadField("threads", std::to_string(threads), "must be 1..64");
  if (max_header_bytes < 1024 || max_header_bytes > (1u << 20)) {
    BadField("max_header_bytes", std::to_string(max_header_bytes), "must be 1024..1048576");
  }
  if (max_body_bytes > (64u << 20)) {
    BadField("max_body_bytes", std::to_string(max_body_bytes), "must be at most 64 MiB");
  }
  if (request_timeout.count() <= 0) {
    BadField("request_timeout", Ms(request_timeout), "must be positive");
  }
  if (ws_queue_limit < 1 || ws_queue_limit > 1000000) {
    BadField("ws_queue_limit", std::to_string(ws_queue_limit), "must be 1..1000000");
  }
  if (ws_max_incoming_bytes < 125) {  // a control frame's payload may be 125 bytes
    BadField("ws_max_incoming_bytes", std::to_string(ws_max_incoming_bytes), "must be >= 125");
  }
  if (ws_handshake_timeout.count() <= 0) {
    BadField("ws_handshake_timeout", Ms(ws_handshake_timeout), "must be positive");
  }
  if (ws_idle_timeout.count() <= 0) {
    BadField("ws_idle_timeout", Ms(ws_idle_timeout), "must be positive");
  }
  if (shutdown_timeout.count() < 0) {
    BadField("shutdown_timeout", Ms(shutdown_timeout), "must not be negative");
  }
  for (const std::string& origin : allowed_origins) {
    if (origin.empty()) BadField("allowed_origins", "''", "entries must not be empty");
  }
}

struct HttpServer::Impl {
  enum class Phase { kIdle, kRunning, kStopped };

  Impl(HttpConfig config, HttpHandlers handlers, MetricsRegistry* metrics)
      : own_metrics(metrics == nullptr ? std::make_unique<MetricsRegistry>() : nullptr),
        state(std::make_shared<web::ServerState>(std::move(config), std::move(handlers),
                                                 metrics == nullptr ? *own_metrics : *metrics)) {}

  bool OnIoThread() const {
    return std::any_of(threads.begin(), threads.end(), [](const std::thread& t) {
      return t.get_id() == std::this_thread::get_id();
    });
  }

  std::unique_ptr<MetricsRegistry> own_metrics;
  std::shared_ptr<web::ServerState> state;
  std::atomic<std::uint16_t> port{0};

  std::mutex lifecycle_mu;  // Start() and Stop()
  Phase phase = Phase::kIdle;
  std::unique_ptr<net::io_context> ioc;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;

  std::mutex running_mu;
  std::condition_variable running_cv;
  int running = 0;  // io threads still inside run()
};

HttpServer::HttpServer(HttpConfig config, HttpHandlers handlers, MetricsRegistry* metrics) {
  config.Validate();
  impl_ = std::make_unique<Impl>(std::move(config), std::move(handlers), metrics);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  if (impl_->phase != Impl::Phase::kIdle) {
    throw std::logic_error("HttpServer::Start: already started or stopped");
  }
  const HttpConfig& config = impl_->state->config();
  auto ioc = std::make_unique<net::io_context>(config.threads);
  const tcp::endpoint endpoint(net::ip::make_address(config.address), config.port);
  const std::string where =
      "HttpServer: cannot listen on " + config.address + ":" + std::to_string(config.port);
  tcp::acceptor acceptor(net::make_strand(*ioc));
  error_code ec;
  if (acceptor.open(endpoint.protocol(), ec)) throw std::runtime_error(where + ": " + ec.message());
  // Lets a restarted server rebind while old connections sit in TIME_WAIT; on Linux it does not
  // let two servers listen on one port, so a taken port still fails below.
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec)) {
    throw std::runtime_error(where + ": " + ec.message());
  }
  if (acceptor.bind(endpoint, ec)) throw std::runtime_error(where + ": " + ec.message());
  if (acceptor.listen(net::socket_base::max_listen_connections, ec)) {
    throw std::runtime_error(where + ": " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();

  impl_->ioc = std::move(ioc);
  impl_->listener = std::make_shared<Listener>(*impl_->ioc, std::move(acceptor), impl_->state);
  impl_->listener->Run();
  impl_->running = config.threads;
  for (int i = 0; i < config.threads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] {
      impl->ioc->run();
      {
        std::lock_guard<std::mutex> running_lock(impl->running_mu);
        --impl->running;
      }
      impl->running_cv.notify_all();
    });
  }
  impl_->phase = Impl::Phase::kRunning;
}

void HttpServer::Stop() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
  if (impl_->phase != Impl::Phase::kRunning) {
    impl_->phase = Impl::Phase::kStopped;
    return;
  }
  if (impl_->OnIoThread()) {
    throw std::logic_error("HttpServer::Stop: called from one of its own io threads");
  }
  // Publishers first: once the hub is closed nothing posts to the io_context from outside.
  impl_->state->hub().Close();
  impl_->listener->Close();
  impl_->state->connections().CloseAll();
  {
    std::unique_lock<std::mutex> running_lock(impl_->running_mu);
    impl_->running_cv.wait_for(running_lock, impl_->state->config().shutdown_timeout,
                               [&] { return impl_->running == 0; });
  }
  // Whatever has not finished by now (a client that never reads holds its close frame back) is
  // abandoned: its handlers, and with them its session, are destroyed with the io_context.
  impl_->ioc->stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->listener.reset();
  impl_->ioc.reset();
  impl_->phase = Impl::Phase::kStopped;
}

std::uint16_t HttpServer::port() const { return impl_->port.load(); }

std::size_t HttpServer::Publish(const std::string& project, std::string json_text) {
  if (!ValidProjectName(project)) {
    throw std::invalid_argument("HttpServer::Publish: invalid project name '" + project + "'");
  }
  return impl_->state->hub().Publish(project,
                                     std::make_shared<const std::string>(std::move(json_text)));
}

std::size_t HttpServer::ClientCount(const std::string& project) const {
  return impl_->state->hub().Count(project);
}

std::map<std::string, std::size_t> HttpServer::ClientCounts() const {
  return impl_->state->hub().Counts();
}

}  // namespace understudy
