// WebSocket fan-out of HttpServer: wall time from the first Publish() of a batch of 1000 frames
// until every one of N loopback clients has read all of them, for N = 1, 8, 64. Frames are a
// suggestion-sized JSON text (870 bytes: a 32-vertex polygon). Clients are asynchronous Beast
// WebSocket readers on one thread of their own; the server runs its default single io thread.
// The baseline is N = 1 in the same run: after the usual table, the cost per delivered frame
// (one frame to one client) is printed as a multiple of the baseline's.

#include <benchmark/benchmark.h>

// GCC 12 at -O3 reports -Wnull-dereference in Asio's scheduler::compensating_work_started once it
// is inlined into this file; a false positive in Boost's code (see transport/http_server.cpp).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/http_server.h"

namespace understudy {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr int kFramesPerBatch = 1000;

std::string SuggestionJson() {
  std::string s = "{\"type\":\"suggestion\",\"asset\":\"000000000139.jpg\",\"instance\":3,";
  s += "\"model\":\"v12\",\"score\":0.8731,\"polygon\":[";
  for (int i = 0; i < 32; ++i) {
    if (i > 0) s += ',';
    s += "[" + std::to_string(412.25 + i * 1.5) + "," + std::to_string(157.75 + i * 0.5) + "]";
  }
  return s + "]}";
}

/** N WebSocket clients of one project, reading asynchronously on their own thread. */
class Readers {
 public:
  Readers(std::uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
      auto c = std::make_unique<Client>(ioc_);
      c->ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
      c->ws.handshake("127.0.0.1", "/ws?project=bench");
      c->ws.read(c->buffer);  // the hello: subscribed from here on
      c->buffer.clear();
      clients_.push_back(std::move(c));
    }
    for (auto& c : clients_) Read(*c);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~Readers() {
    ioc_.stop();
    thread_.join();
  }

  /** Blocks until `frames` more frames have been read, summed over all clients. */
  void WaitFor(std::uint64_t frames) {
    std::unique_lock<std::mutex> lock(mu_);
    target_ += frames;
    cv_.wait(lock, [&] { return read_ >= target_; });
  }

 private:
  struct Client {
    explicit Client(net::io_context& ioc) : ws(ioc) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
  };

  void Read(Client& c) {
    c.ws.async_read(c.buffer, [this, &c](beast::error_code ec, std::size_t) {
      if (ec) return;
      c.buffer.clear();
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++read_;
      }
      cv_.notify_one();
      Read(c);
    });
  }

  net::io_context ioc_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t read_ = 0;
  std::uint64_t target_ = 0;
};

void BM_Fanout(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  HttpConfig config;
  config.ws_queue_limit = kFramesPerBatch;  // nothing may be dropped: this measures delivery
  HttpServer server(config, {});
  server.Start();
  Readers readers(server.port(), clients);
  const std::string frame = SuggestionJson();
  for (auto _ : state) {
    for (int i = 0; i < kFramesPerBatch; ++i) server.Publish("bench", frame);
    readers.WaitFor(static_cast<std::uint64_t>(kFramesPerBatch) * clients);
  }
  state.SetItemsProcessed(state.iterations() * kFramesPerBatch * clients);
  state.SetBytesProcessed(state.iterations() * kFramesPerBatch * clients *
                          static_cast<std::int64_t>(frame.size()));
  state.counters["frame_bytes"] = static_cast<double>(frame.size());
  server.Stop();  // closes the clients; the readers' thread then stops with nothing to do
}

BENCHMARK(BM_Fanout)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

// Prints the usual table, then the wall time per delivered frame as a multiple of N = 1's.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const std::string name = r.benchmark_name();
      const int clients = std::stoi(name.substr(name.find('/') + 1));
      per_delivery_[clients] = r.GetAdjustedRealTime() / (kFramesPerBatch * clients);
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto base = per_delivery_.find(1);
    if (base == per_delivery_.end()) return;
    std::printf("\nWall time per delivered frame relative to 1 client (same run):\n");
    for (const auto& [clients, t] : per_delivery_) {
      std::printf("  %3d clients  %8.3fx\n", clients, t / base->second);
    }
  }

 private:
  std::map<int, double> per_delivery_;
};

}  // namespace
}  // namespace understudy

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  understudy::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
