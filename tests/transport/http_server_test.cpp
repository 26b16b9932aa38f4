#include "transport/http_server.h"

// GCC 12 at -O3 reports -Wnull-dereference in Asio's scheduler::compensating_work_started once it
// is inlined into this file (the system-header exemption does not survive inlining). It is a false
// positive in Boost's code, not ours; no other warning is turned off.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/shared_data.h"
#include "transport/metrics.h"

namespace understudy {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Waits for something another thread makes true. The limit only keeps a broken build from hanging
// the suite; nothing here asserts on how long anything took.
bool WaitFor(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

tcp::endpoint Loopback(std::uint16_t port) {
  return tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
}

/** A synchronous HTTP/1.1 client on one keep-alive connection. */
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : socket_(ioc_) { socket_.connect(Loopback(port)); }

  http::response<http::string_body> Send(http::request<http::string_body> req) {
    req.set(http::field::host, "127.0.0.1");
    req.prepare_payload();
    http::write(socket_, req);
    return Read();
  }

  http::response<http::string_body> Request(http::verb method, const std::string& target) {
    return Send(http::request<http::string_body>(method, target, 11));
  }

  /** Writes raw bytes, e.g. a request that the request type cannot express. */
  void WriteRaw(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }

  http::response<http::string_body> Read() {
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return res;
  }

  /** A HEAD response has a Content-Length but no body; the parser must be told. */
  http::response<http::empty_body> Head(const std::string& target) {
    http::request<http::empty_body> req(http::verb::head, target, 11);
    req.set(http::field::host, "127.0.0.1");
    http::write(socket_, req);
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  /** True when the server has closed the connection (the next read sees end of stream). */
  bool ServerClosed() {
    char byte = 0;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

http::response<http::string_body> Get(std::uint16_t port, const std::string& target) {
  return HttpClient(port).Request(http::verb::get, target);
}

// A well-formed WebSocket upgrade request, sent over plain HTTP so that a refusal's status can be
// read (Beast 1.74's client handshake does not return the response when the server declines).
http::response<http::string_body> Upgrade(std::uint16_t port, const std::string& target,
                                          const std::string& origin = "") {
  http::request<http::string_body> req(http::verb::get, target, 11);
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  if (!origin.empty()) req.set(http::field::origin, origin);
  return HttpClient(port).Send(req);
}

/** A synchronous WebSocket client subscribed to one project. */
class WsClient {
 public:
  WsClient(std::uint16_t port, const std::string& target, const std::string& origin = "")
      : ws_(ioc_) {
    ws_.next_layer().connect(Loopback(port));
    if (!origin.empty()) {
      ws_.set_option(websocket::stream_base::decorator(
          [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
    }
    ws_.handshake("127.0.0.1", target, ec_);
  }

  beast::error_code handshake_error() const { return ec_; }

  std::string Read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

  /** Reads until the stream ends and returns why; the server's close reason is in reason(). */
  beast::error_code ReadUntilClosed() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      buffer.clear();
      ws_.read(buffer, ec);
    }
    return ec;
  }

  websocket::stream<tcp::socket>& ws() { return ws_; }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  beast::error_code ec_;
};

std::string Hello(const std::string& project_json, std::size_t queue_limit = 256) {
  return "{\"type\":\"hello\",\"protocol\":1,\"project\":" + project_json +
         ",\"queue_limit\":" + std::to_string(queue_limit) + "}";
}

double CounterValue(MetricsRegistry& reg, const std::string& name, const MetricLabels& labels) {
  return reg.GetCounter(name, "", labels).Value();
}

double GaugeValue(MetricsRegistry& reg, const std::string& name, const MetricLabels& labels) {
  return reg.GetGauge(name, "", labels).Value();
}

std::string Frame(int seq, std::size_t pad = 0) {
  return "{\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + std::string(pad, 'x') + "\"}";
}

// The seq of a Frame(), or -1 for anything else.
int SeqOf(const std::string& frame) {
  const std::string key = "{\"seq\":";
  if (frame.compare(0, key.size(), key) != 0) return -1;
  return std::stoi(frame.substr(key.size()));
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServer& Start(HttpConfig config = {}, HttpHandlers handlers = {}) {
    server_ = std::make_unique<HttpServer>(std::move(config), std::move(handlers), &metrics_);
    server_->Start();
    return *server_;
  }

  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

// --- configuration and lifecycle -------------------------------------------------------------

TEST(HttpConfigTest, ValidationNamesTheFieldAndValue) {
  auto message_for = [](HttpConfig c) -> std::string {
    try {
      c.Validate();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  HttpConfig c;
  EXPECT_EQ(message_for(c), "");
  c.threads = 0;
  EXPECT_NE(message_for(c).find("HttpConfig.threads = 0"), std::string::npos) << message_for(c);
  c = {};
  c.address = "0.0.0.0";
  EXPECT_NE(message_for(c).find("HttpConfig.address = '0.0.0.0'"), std::string::npos);
  EXPECT_NE(message_for(c).find("loopback"), std::string::npos);
  c.address = "localhost";  // a name, not an address: resolving is not the server's business
  EXPECT_NE(message_for(c).find("not an IP address"), std::string::npos);
  c = {};
  c.ws_queue_limit = 0;
  EXPECT_NE(message_for(c).find("HttpConfig.ws_queue_limit = 0"), std::string::npos);
  c = {};
  c.max_header_bytes = 10;
  EXPECT_NE(message_for(c).find("max_header_bytes"), std::string::npos);
  c = {};
  c.request_timeout = std::chrono::milliseconds(0);
  EXPECT_NE(message_for(c).find("HttpConfig.request_timeout = 0 ms"), std::string::npos);
  c = {};
  c.address = "::1";
  EXPECT_EQ(message_for(c), "");
  c.address = "10.0.0.1";
  EXPECT_THROW(HttpServer(c, {}), std::invalid_argument);
}

TEST_F(HttpServerTest, PortZeroBindsAnEphemeralPortAndReportsIt) {
  HttpServer server(HttpConfig{}, {});
  EXPECT_EQ(server.port(), 0);
  server.Start();
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(Get(server.port(), "/healthz").result(), http::status::ok);
}

TEST_F(HttpServerTest, StartingOnATakenPortFailsNamingTheAddress) {
  HttpServer& first = Start();
  HttpConfig config;
  config.port = first.port();
  HttpServer second(config, {});
  try {
    second.Start();
    FAIL() << "second server started on a taken port";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
  EXPECT_EQ(Get(first.port(), "/healthz").result(), http::status::ok);  // first one unharmed
}

TEST_F(HttpServerTest, StartTwiceThrowsAndStopIsIdempotent) {
  HttpServer& server = Start();
  EXPECT_THROW(server.Start(), std::logic_error);
  server.Stop();
  server.Stop();
  EXPECT_THROW(server.Start(), std::logic_error);  // stopped servers are not restarted
  HttpServer never_started(HttpConfig{}, {});
  never_started.Stop();
}

// --- HTTP endpoints -------------------------------------------------------------------------

TEST_F(HttpServerTest, HealthzFollowsTheCallback) {
  std::atomic<bool> healthy{true};
  HttpHandlers handlers;
  handlers.healthy = [&] { return healthy.load(); };
  HttpServer& server = Start({}, handlers);
  auto res = Get(server.port(), "/healthz");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "ok");
  EXPECT_EQ(res[http::field::content_type], "text/plain; charset=utf-8");
  healthy = false;
  res = Get(server.port(), "/healthz");
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(res.body(), "unhealthy");
}

TEST_F(HttpServerTest, MetricsServesTheCallbackAsPrometheusText) {
  HttpHandlers handlers;
  handlers.metrics_text = [] { return "understudy_up 1\n"; };
  HttpServer& server = Start({}, handlers);
  const auto res = Get(server.port(), "/metrics");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), "understudy_up 1\n");
}

TEST_F(HttpServerTest, DefaultMetricsRenderTheServersOwnSeries) {
  HttpServer& server = Start();
  HttpClient client(server.port());
  EXPECT_EQ(client.Request(http::verb::get, "/healthz").result(), http::status::ok);
  EXPECT_EQ(client.Request(http::verb::get, "/nope").result(), http::status::not_found);
  // The same connection, so both earlier responses have been counted before this is served.
  const auto res = client.Request(http::verb::get, "/metrics");
  EXPECT_NE(res.body().find("understudy_http_requests_total{path=\"/healthz\",code=\"200\"} 1"),
            std::string::npos)
      << res.body();
  EXPECT_NE(res.body().find("understudy_http_requests_total{path=\"other\",code=\"404\"} 1"),
            std::string::npos)
      << res.body();
  EXPECT_NE(res.body().find("understudy_http_request_duration_seconds_count{path=\"/healthz\"} 1"),
            std::string::npos)
      << res.body();
}

TEST_F(HttpServerTest, StatusServesTheCallbackAsJson) {
  HttpHandlers handlers;
  handlers.status_json = [] { return "{\"gate\":\"shadow\"}"; };
  HttpServer& server = Start({}, handlers);
  const auto res = Get(server.port(), "/status");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res.body(), "{\"gate\":\"shadow\"}");
}

TEST_F(HttpServerTest, DefaultStatusCountsWebSocketClients) {
  HttpServer& server = Start();
  EXPECT_EQ(Get(server.port(), "/status").body(), "{\"ws_clients\":{}}");
  WsClient client(server.port(), "/ws?project=cats");
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.Read(), Hello("\"cats\""));
  EXPECT_EQ(Get(server.port(), "/status").body(), "{\"ws_clients\":{\"cats\":1}}");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  HttpServer& server = Start();
  EXPECT_EQ(Get(server.port(), "/").result(), http::status::not_found);
  EXPECT_EQ(Get(server.port(), "/healthz/extra").result(), http::status::not_found);
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllow) {
  HttpServer& server = Start();
  HttpClient client(server.port());
  auto res = client.Request(http::verb::post, "/metrics");
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  EXPECT_EQ(res[http::field::allow], "GET, HEAD");
  res = client.Request(http::verb::delete_, "/status");
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  res = client.Request(http::verb::post, "/ws?project=a");
  EXPECT_EQ(res.result(), http::status::method_not_allowed);
  EXPECT_EQ(res[http::field::allow], "GET");
  EXPECT_EQ(CounterValue(metrics_, "understudy_http_requests_total",
                         {{"path", "/metrics"}, {"code", "405"}}),
            1.0);
}

TEST_F(HttpServerTest, HeadAnswersWithLengthButNoBody) {
  HttpServer& server = Start();
  HttpClient client(server.port());
  const auto res = client.Head("/healthz");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res[http::field::content_length], "2");
  // The connection is still in step: a body sent after the HEAD response would break this.
  EXPECT_EQ(client.Request(http::verb::get, "/healthz").body(), "ok");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpServer& server = Start();
  HttpClient client(server.port());
  for (int i = 0; i < 5; ++i) {
    const auto res = client.Request(http::verb::get, "/healthz");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_TRUE(res.keep_alive());
  }
  auto req = http::request<http::string_body>(http::verb::get, "/healthz", 11);
  req.keep_alive(false);
  const auto last = client.Send(req);
  EXPECT_FALSE(last.keep_alive());
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, OversizeBodyIs413AndClosesTheConnection) {
  HttpConfig config;
  config.max_body_bytes = 1024;
  HttpServer& server = Start(config);
  HttpClient client(server.port());
  // Headers only: the declared length alone must be refused, before any body is read.
  client.WriteRaw("POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10485760\r\n\r\n");
  const auto res = client.Read();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, OversizeHeaderIs431) {
  HttpConfig config;
  config.max_header_bytes = 2048;
  HttpServer& server = Start(config);
  HttpClient client(server.port());
  client.WriteRaw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " +
                  std::string(64 * 1024, 'p') + "\r\n\r\n");
  const auto res = client.Read();
  EXPECT_EQ(res.result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  HttpServer& server = Start();
  HttpClient client(server.port());
  client.WriteRaw("GET /healthz NOT-HTTP\r\n\r\n");
  EXPECT_EQ(client.Read().result(), http::status::bad_request);
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, ThrowingCallbackIs500WithItsMessage) {
  HttpHandlers handlers;
  handlers.status_json = []() -> std::string { throw std::runtime_error("gate offline"); };
  HttpServer& server = Start({}, handlers);
  const auto res = Get(server.port(), "/status");
  EXPECT_EQ(res.result(), http::status::internal_server_error);
  EXPECT_NE(res.body().find("gate offline"), std::string::npos);
  EXPECT_EQ(CounterValue(metrics_, "understudy_http_io_errors_total", {{"op", "handler"}}), 1.0);
}

// --- WebSocket -------------------------------------------------------------------------------

TEST_F(HttpServerTest, WebSocketNeedsExactlyOneValidProject) {
  HttpServer& server = Start();
  for (const char* target : {"/ws", "/ws?project=", "/ws?project=a&project=b", "/ws?project=%ZZ",
                             "/ws?project=tab%09"}) {
    EXPECT_EQ(Upgrade(server.port(), target).result(), http::status::bad_request) << target;
    WsClient client(server.port(), target);
    EXPECT_EQ(client.handshake_error(), websocket::error::upgrade_declined) << target;
  }
  EXPECT_EQ(server.ClientCounts().size(), 0u);
}

TEST_F(HttpServerTest, PlainGetOnWebSocketPathIs426) {
  HttpServer& server = Start();
  const auto res = Get(server.port(), "/ws?project=a");
  EXPECT_EQ(res.result(), http::status::upgrade_required);
  EXPECT_EQ(res[http::field::upgrade], "websocket");
}

TEST_F(HttpServerTest, OriginIsCheckedWhenConfigured) {
  HttpConfig config;
  config.allowed_origins = {"http://localhost:5173"};
  HttpServer& server = Start(config);
  EXPECT_EQ(Upgrade(server.port(), "/ws?project=a", "http://evil.example").result(),
            http::status::forbidden);
  WsClient stranger(server.port(), "/ws?project=a", "http://evil.example");
  EXPECT_EQ(stranger.handshake_error(), websocket::error::upgrade_declined);
  WsClient friendly(server.port(), "/ws?project=a", "http://localhost:5173");
  ASSERT_FALSE(friendly.handshake_error()) << friendly.handshake_error().message();
  EXPECT_EQ(friendly.Read(), Hello("\"a\""));
  WsClient tool(server.port(), "/ws?project=a");  // no Origin: not a page, so not checked
  ASSERT_FALSE(tool.handshake_error()) << tool.handshake_error().message();
  EXPECT_EQ(tool.Read(), Hello("\"a\""));
}

TEST_F(HttpServerTest, AllowedOriginsMayReadTheHttpEndpoints) {
  HttpConfig config;
  config.allowed_origins = {"http://localhost:5173"};
  HttpServer& server = Start(config);
  HttpClient client(server.port());
  auto req = http::request<http::string_body>(http::verb::get, "/status", 11);
  req.set(http::field::origin, "http://localhost:5173");
  auto res = client.Send(req);
  EXPECT_EQ(res[http::field::access_control_allow_origin], "http://localhost:5173");
  req.set(http::field::origin, "http://evil.example");
  res = client.Send(req);
  EXPECT_EQ(res.result(), http::status::ok);  // the browser, not the server, withholds it
  EXPECT_EQ(res.count(http::field::access_control_allow_origin), 0u);
}

TEST_F(HttpServerTest, HelloCarriesTheDecodedProjectAndClientIsCounted) {
  HttpServer& server = Start();
  WsClient client(server.port(), "/ws?project=team%20%22A%22");
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.Read(), Hello("\"team \\\"A\\\"\""));
  EXPECT_EQ(server.ClientCount("team \"A\""), 1u);
  EXPECT_EQ(GaugeValue(metrics_, "understudy_ws_clients", {{"project", "team \"A\""}}), 1.0);
  EXPECT_EQ(
      CounterValue(metrics_, "understudy_http_requests_total", {{"path", "/ws"}, {"code", "101"}}),
      1.0);
}

TEST_F(HttpServerTest, SnapshotFollowsTheHelloBeforeAnyPublishedFrame) {
  HttpHandlers handlers;
  handlers.ws_snapshot = [](const std::string& project) {
    return "{\"type\":\"gate\",\"project\":\"" + project + "\",\"mode\":\"shadow\"}";
  };
  HttpServer& server = Start({}, handlers);
  WsClient client(server.port(), "/ws?project=cats");
  ASSERT_EQ(client.Read(), Hello("\"cats\""));
  EXPECT_EQ(client.Read(), "{\"type\":\"gate\",\"project\":\"cats\",\"mode\":\"shadow\"}");
  server.Publish("cats", Frame(1));
  EXPECT_EQ(client.Read(), Frame(1));
}

TEST_F(HttpServerTest, ThrowingSnapshotClosesTheClientWith1011) {
  HttpHandlers handlers;
  handlers.ws_snapshot = [](const std::string&) -> std::string {
    throw std::runtime_error("no gate yet");
  };
  HttpServer& server = Start({}, handlers);
  WsClient client(server.port(), "/ws?project=cats");
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.ReadUntilClosed(), websocket::error::closed);
  EXPECT_EQ(client.ws().reason().code, websocket::close_code::internal_error);
  EXPECT_EQ(client.ws().reason().reason, "snapshot failed");
  EXPECT_TRUE(WaitFor([&] { return server.ClientCount("cats") == 0; }));
  EXPECT_EQ(CounterValue(metrics_, "understudy_http_io_errors_total", {{"op", "handler"}}), 1.0);
}

TEST_F(HttpServerTest, ClientsReceiveOnlyTheirProjectInOrder) {
  HttpServer& server = Start();
  WsClient alpha(server.port(), "/ws?project=alpha");
  WsClient beta(server.port(), "/ws?project=beta");
  // Reading the hello proves the subscription is in place (it is queued after subscribing).
  ASSERT_EQ(alpha.Read(), Hello("\"alpha\""));
  ASSERT_EQ(beta.Read(), Hello("\"beta\""));
  constexpr int kFrames = 200;
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_EQ(server.Publish("alpha", Frame(i)), 1u);
    EXPECT_EQ(server.Publish("beta", Frame(1000 + i)), 1u);
    EXPECT_EQ(server.Publish("gamma", Frame(-1)), 0u);  // nobody listens
  }
  server.Publish("alpha", "{\"end\":true}");
  server.Publish("beta", "{\"end\":true}");
  for (auto [client, base] : {std::pair<WsClient*, int>{&alpha, 0}, {&beta, 1000}}) {
    for (int i = 0; i < kFrames; ++i) EXPECT_EQ(client->Read(), Frame(base + i));
    EXPECT_EQ(client->Read(), "{\"end\":true}");
  }
}

TEST_F(HttpServerTest, EveryClientOfAProjectGetsEveryFrame) {
  HttpConfig config;
  config.threads = 2;
  HttpServer& server = Start(config);
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<WsClient>(server.port(), "/ws?project=p"));
    ASSERT_EQ(clients.back()->Read(), Hello("\"p\""));
  }
  EXPECT_EQ(server.ClientCount("p"), 4u);
  constexpr int kFrames = 100;  // under the queue limit, so nothing may be dropped
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(server.Publish("p", Frame(i)), 4u);
  for (auto& client : clients) {
    for (int i = 0; i < kFrames; ++i) EXPECT_EQ(client->Read(), Frame(i));
  }
  EXPECT_EQ(CounterValue(metrics_, "understudy_ws_dropped_total", {{"project", "p"}}), 0.0);
  EXPECT_TRUE(WaitFor([&] {
    return CounterValue(metrics_, "understudy_ws_sent_total", {{"project", "p"}}) == 4 * kFrames;
  }));
}

TEST_F(HttpServerTest, ConcurrentPublishersKeepEachPublishersOrder) {
  HttpConfig config;
  config.threads = 2;
  config.ws_queue_limit = 100000;  // no drops: this test is about ordering under concurrency
  HttpServer& server = Start(config);
  WsClient a(server.port(), "/ws?project=p");
  WsClient b(server.port(), "/ws?project=p");
  ASSERT_EQ(a.Read(), Hello("\"p\"", 100000));
  ASSERT_EQ(b.Read(), Hello("\"p\"", 100000));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&server, t] {
      for (int i = 0; i < kPerThread; ++i) server.Publish("p", Frame(t * kPerThread + i));
    });
  }
  auto check = [&](WsClient& client) {
    std::vector<int> last(kThreads, -1);
    for (int n = 0; n < kThreads * kPerThread; ++n) {
      const int seq = SeqOf(client.Read());
      ASSERT_GE(seq, 0);
      const int t = seq / kPerThread;
      EXPECT_GT(seq % kPerThread, last[t]) << "publisher " << t << " out of order";
      last[t] = seq % kPerThread;
    }
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(last[t], kPerThread - 1);
  };
  std::thread reader([&] { check(b); });
  check(a);
  reader.join();
  for (auto& p : publishers) p.join();
}

TEST_F(HttpServerTest, ClosingClientIsUnsubscribed) {
  HttpServer& server = Start();
  WsClient client(server.port(), "/ws?project=p");
  ASSERT_EQ(client.Read(), Hello("\"p\""));
  ASSERT_EQ(server.ClientCount("p"), 1u);
  client.ws().close(websocket::close_code::normal);
  EXPECT_TRUE(WaitFor([&] { return server.ClientCount("p") == 0; }));
  EXPECT_TRUE(WaitFor([&] {
    return GaugeValue(metrics_, "understudy_ws_clients", {{"project", "p"}}) == 0;
  }));
  EXPECT_EQ(server.Publish("p", Frame(0)), 0u);
}

TEST_F(HttpServerTest, ClientThatNeverAnswersPingsIsDropped) {
  HttpConfig config;
  config.ws_idle_timeout = std::chrono::milliseconds(200);
  HttpServer& server = Start(config);
  WsClient silent(server.port(), "/ws?project=p");
  ASSERT_EQ(silent.Read(), Hello("\"p\""));
  // It reads no more, so its pong for the server's keep-alive ping never comes.
  EXPECT_TRUE(WaitFor([&] { return server.ClientCount("p") == 0; }));
  EXPECT_EQ(CounterValue(metrics_, "understudy_http_io_errors_total", {{"op", "ws_timeout"}}), 1.0);
}

// A client that stops reading: its queue stays at the limit, the oldest frames are dropped and
// counted, and when it reads again it is told exactly where and how many frames it lost.
TEST_F(HttpServerTest, SlowClientIsBoundedAndToldWhatItLost) {
  HttpConfig config;
  config.ws_queue_limit = 8;
  HttpServer& server = Start(config);
  WsClient slow(server.port(), "/ws?project=slow");
  ASSERT_EQ(slow.Read(), Hello("\"slow\"", 8));

  // 64 MiB: more than the socket buffers on both ends can hold, so the writer stalls.
  constexpr int kFrames = 1000;
  constexpr std::size_t kPad = 64 * 1024;
  for (int i = 0; i < kFrames; ++i) ASSERT_EQ(server.Publish("slow", Frame(i, kPad)), 1u);

  // Publish() queues synchronously, so every drop has happened by now.
  const MetricLabels labels = {{"project", "slow"}};
  const double dropped = CounterValue(metrics_, "understudy_ws_dropped_total", labels);
  EXPECT_GT(dropped, 0.0);
  EXPECT_LE(GaugeValue(metrics_, "understudy_ws_queued_frames", labels), 8.0);

  // Now read everything: frames in order, each gap announced right where it is.
  int data_frames = 0;
  int last_seq = -1;
  double announced = 0;
  std::int64_t pending_gap = 0;
  while (last_seq != kFrames - 1) {
    const std::string frame = slow.Read();
    const std::string notice = "{\"type\":\"dropped\",\"count\":";
    if (frame.compare(0, notice.size(), notice) == 0) {
      // Drops while a notice is being written make a second notice for the same gap.
      const std::int64_t count = std::stoll(frame.substr(notice.size()));
      ASSERT_GT(count, 0);
      pending_gap += count;
      announced += static_cast<double>(count);
      continue;
    }
    const int seq = SeqOf(frame);
    ASSERT_GE(seq, 0) << frame.substr(0, 40);
    ASSERT_EQ(seq, last_seq + 1 + pending_gap) << "unannounced gap or reordering";
    pending_gap = 0;
    last_seq = seq;
    ++data_frames;
  }
  EXPECT_EQ(announced, dropped);
  EXPECT_EQ(data_frames + static_cast<int>(dropped), kFrames);
  EXPECT_TRUE(WaitFor(
      [&] { return CounterValue(metrics_, "understudy_ws_sent_total", labels) == data_frames; }));
  EXPECT_EQ(GaugeValue(metrics_, "understudy_ws_queued_frames", labels), 0.0);
}

TEST_F(HttpServerTest, StopClosesClientsWithAReason) {
  HttpConfig config;
  config.threads = 2;
  HttpServer& server = Start(config);
  WsClient a(server.port(), "/ws?project=a");
  WsClient b(server.port(), "/ws?project=b");
  ASSERT_EQ(a.Read(), Hello("\"a\""));
  ASSERT_EQ(b.Read(), Hello("\"b\""));
  HttpClient idle(server.port());  // a keep-alive connection between requests
  ASSERT_EQ(idle.Request(http::verb::get, "/healthz").result(), http::status::ok);
  server.Publish("a", Frame(7));

  // The close handshake needs the clients to read, so Stop() runs beside them.
  std::thread stopper([&] { server.Stop(); });
  EXPECT_EQ(a.Read(), Frame(7));  // what was queued before Stop() still arrives first
  EXPECT_EQ(a.ReadUntilClosed(), websocket::error::closed);
  EXPECT_EQ(b.ReadUntilClosed(), websocket::error::closed);
  stopper.join();
  for (WsClient* c : {&a, &b}) {
    EXPECT_EQ(c->ws().reason().code, websocket::close_code::going_away);
    EXPECT_EQ(c->ws().reason().reason, "server shutting down");
  }
  EXPECT_TRUE(idle.ServerClosed());
  EXPECT_EQ(server.ClientCount("a"), 0u);
  EXPECT_EQ(server.Publish("a", Frame(8)), 0u);
  EXPECT_THROW(HttpClient{server.port()}, boost::system::system_error);  // nothing listens
}

TEST_F(HttpServerTest, StopReturnsDespiteAClientThatNeverReads) {
  HttpConfig config;
  config.ws_queue_limit = 4;
  config.shutdown_timeout = std::chrono::milliseconds(100);
  HttpServer& server = Start(config);
  WsClient stuck(server.port(), "/ws?project=p");
  ASSERT_EQ(stuck.Read(), Hello("\"p\"", 4));
  for (int i = 0; i < 1000; ++i) server.Publish("p", Frame(i, 64 * 1024));
  server.Stop();  // its close frame is stuck behind the full socket: Stop() must give up on it
  EXPECT_EQ(server.ClientCount("p"), 0u);
  EXPECT_EQ(GaugeValue(metrics_, "understudy_ws_clients", {{"project", "p"}}), 0.0);
  EXPECT_EQ(GaugeValue(metrics_, "understudy_ws_queued_frames", {{"project", "p"}}), 0.0);
  // The socket was dropped without a close frame: the client sees its data, then an error.
  EXPECT_NE(stuck.ReadUntilClosed(), websocket::error::closed);
}

TEST_F(HttpServerTest, DestructorStopsAServerWithClients) {
  auto server = std::make_unique<HttpServer>(HttpConfig{}, HttpHandlers{}, &metrics_);
  server->Start();
  WsClient client(server->port(), "/ws?project=p");
  ASSERT_EQ(client.Read(), Hello("\"p\""));
  std::thread destroyer([&] { server.reset(); });
  EXPECT_EQ(client.ReadUntilClosed(), websocket::error::closed);
  destroyer.join();
  EXPECT_EQ(client.ws().reason().code, websocket::close_code::going_away);
}

// An independent client: examples/ws_tail.py speaks RFC 6455 from raw sockets (no Beast), so
// this checks the handshake, all three frame-length encodings and the close frame on the wire.
TEST_F(HttpServerTest, PythonRawSocketClientReadsTheStream) {
  HttpServer& server = Start();
  const std::string command =
      "/usr/bin/python3 " + (testing::SourceDir() / "examples" / "ws_tail.py").string() +
      " --port " + std::to_string(server.port()) + " --project 'team a' 2>&1";
  FILE* out = popen(command.c_str(), "r");
  ASSERT_NE(out, nullptr);
  char* line = nullptr;
  std::size_t capacity = 0;
  auto next_line = [&]() -> std::string {
    const ssize_t n = getline(&line, &capacity, out);
    if (n <= 0) return "<end of output>";
    return std::string(line, static_cast<std::size_t>(n) - (line[n - 1] == '\n' ? 1 : 0));
  };
  // The hello is printed once the client is subscribed, so publishing after it loses nothing.
  EXPECT_EQ(next_line(), Hello("\"team a\""));
  const std::vector<std::string> frames = {Frame(0), Frame(1, 200), Frame(2, 70000)};
  for (const std::string& f : frames) EXPECT_EQ(server.Publish("team a", f), 1u);
  for (const std::string& f : frames) EXPECT_EQ(next_line(), f);
  std::thread stopper([&] { server.Stop(); });
  EXPECT_EQ(next_line(), "# closed 1001 server shutting down");
  stopper.join();
  free(line);
  EXPECT_EQ(pclose(out), 0);
}

TEST_F(HttpServerTest, PublishChecksTheProjectName) {
  HttpServer server(HttpConfig{}, {});
  EXPECT_EQ(server.Publish("p", "{}"), 0u);  // before Start: nobody to send to
  EXPECT_THROW(server.Publish("", "{}"), std::invalid_argument);
  EXPECT_THROW(server.Publish("bad\n", "{}"), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
