#include "transport/transport_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "transport/codec.h"
#include "transport/metrics.h"
#include "transport/proposer_engine.h"
#include "transport/server.h"
#include "transport/zmq_context.h"

namespace understudy {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A fresh folder for one phase's event log, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& parent) {
    std::filesystem::path base = parent;
    if (base.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    std::string tmpl = (base / "understudy-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed in " + base.string());
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Returns a fixed outline at once: the server's own cost with a proposer that costs nothing.
class TrivialProposer : public Proposer {
 public:
  std::string name() const override { return "trivial"; }
  Proposal Propose(const cv::Mat&, const Prompt&) override {
    return Proposal{shape_, 1.0, "trivial"};
  }

 private:
  Instance shape_ = MakeInstance({{0, 0}, {1, 0}, {1, 1}, {0, 1}});
};

// Times every Propose call, so each latency sample can be paired with its proposer time.
class TimedProposer : public Proposer {
 public:
  explicit TimedProposer(std::unique_ptr<Proposer> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override {
    const Clock::time_point t0 = Clock::now();
    Proposal p = inner_->Propose(image, prompt);
    last_seconds_.store(Since(t0));
    return p;
  }
  double last_seconds() const { return last_seconds_.load(); }

 private:
  std::unique_ptr<Proposer> inner_;
  std::atomic<double> last_seconds_{0.0};
};

// A ROUTER that echoes every message back: the raw ZeroMQ baseline.
class EchoServer {
 public:
  EchoServer() : socket_(ProcessContext(), zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndhwm, 100000);
    socket_.set(zmq::sockopt::rcvhwm, 100000);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Run(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  void Run() {
    std::vector<zmq::message_t> frames;
    while (!stop_) {
      std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, std::chrono::milliseconds(20));
      for (;;) {
        frames.clear();
        if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait))
          break;
        zmq::send_multipart(socket_, frames, zmq::send_flags::dontwait);
      }
    }
  }
  zmq::socket_t socket_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// Client sockets live in their own context (with its own I/O thread), as a client process would.
zmq::socket_t Dealer(zmq::context_t& ctx, const std::string& endpoint, const std::string& id) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::routing_id, id);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, 100000);
  s.set(zmq::sockopt::rcvhwm, 100000);
  s.connect(endpoint);
  return s;
}

bool WaitReadable(zmq::socket_t& s, std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items = {{s.handle(), 0, ZMQ_POLLIN, 0}};
  return zmq::poll(items, timeout) > 0;
}

zmq::message_t MustReceive(zmq::socket_t& s, const char* what) {
  if (!WaitReadable(s, std::chrono::milliseconds(10000))) {
    throw std::runtime_error(std::string("bench: no ") + what + " within 10 s");
  }
  zmq::message_t m;
  (void)s.recv(m, zmq::recv_flags::none);
  return m;
}

AnnotationEvent Annotation(const std::string& id, std::size_t vertices) {
  AnnotationEvent e;
  e.meta.id = id;
  e.meta.project = "bench";
  e.meta.ts = WallSeconds();
  e.asset = "img-1";
  Ring ring;
  for (std::size_t i = 0; i < vertices; ++i) {
    const double t = 2.0 * M_PI * static_cast<double>(i) / static_cast<double>(vertices);
    ring.push_back({320 + 100 * std::cos(t), 240 + 80 * std::sin(t)});
  }
  e.instances = {{MakeInstance(std::move(ring)), "object"}};
  e.annotator = "bench";
  e.draw_seconds = 3.0;
  return e;
}

PromptEvent PromptEv(const std::string& id) {
  PromptEvent e;
  e.meta.id = id;
  e.meta.project = "bench";
  e.meta.ts = WallSeconds();
  e.asset = "img-1";
  e.prompt_id = id;
  e.prompt.box = Box{200, 150, 440, 330};
  return e;
}

AssetEvent AssetEv() {
  AssetEvent e;
  e.meta.id = "asset-1";
  e.meta.project = "bench";
  e.meta.ts = WallSeconds();
  e.asset = "img-1";
  e.width = 640;
  e.height = 480;
  return e;
}

double RawRoundTrip(zmq::socket_t& dealer, const std::string& bytes) {
  const Clock::time_point t0 = Clock::now();
  dealer.send(zmq::buffer(bytes), zmq::send_flags::none);
  MustReceive(dealer, "echo");
  return Since(t0);
}

// Sends `messages` through `dealer` keeping `window` in flight; returns replies per second.
double Pipelined(zmq::socket_t& dealer, const std::vector<std::string>& messages,
                 std::size_t window) {
  const Clock::time_point t0 = Clock::now();
  std::size_t sent = 0, received = 0;
  zmq::message_t m;
  while (received < messages.size()) {
    while (sent < messages.size() && sent - received < window) {
      dealer.send(zmq::buffer(messages[sent++]), zmq::send_flags::none);
    }
    if (!WaitReadable(dealer, std::chrono::milliseconds(10000))) {
      throw std::runtime_error("bench: replies stopped after " + std::to_string(received));
    }
    while (dealer.recv(m, zmq::recv_flags::dontwait)) ++received;
  }
  return static_cast<double>(messages.size()) / Since(t0);
}

ServerConfig BenchConfig(const std::filesystem::path& log_dir, const TransportBenchOptions& o) {
  ServerConfig c;
  c.ingest_endpoint = "tcp://127.0.0.1:*";
  c.publish_endpoint = "tcp://127.0.0.1:*";
  c.log_dir = log_dir;
  c.commit_interval_us = o.commit_interval_us;
  c.status_interval_ms = 1000;
  c.max_vertices = std::max<std::uint64_t>(c.max_vertices, o.vertices);
  return c;
}

void Ack(zmq::socket_t& dealer, const std::string& bytes) {
  dealer.send(zmq::buffer(bytes), zmq::send_flags::none);
  const zmq::message_t m = MustReceive(dealer, "ack");
  const Message reply = Decode(m.to_string(), DecodeLimits{});
  if (reply.header.type != MessageType::kAck) {
    const auto* e = std::get_if<ErrorReply>(&reply.body);
    throw std::runtime_error("bench: expected an ack, got " +
                             std::string(ToString(reply.header.type)) +
                             (e != nullptr ? ": " + e->message : ""));
  }
}

// One server with one proposer, and the client sockets that measure it.
struct Lane {
  Lane(const TransportBenchOptions& o, const std::string& proposer_name,
       const ProposerFactory& make, zmq::context_t& client_ctx, const std::string& raw_endpoint)
      : name(proposer_name), dir(o.log_dir) {
    std::unique_ptr<Proposer> inner =
        name == "trivial" ? std::make_unique<TrivialProposer>() : make(name);
    auto timed = std::make_unique<TimedProposer>(std::move(inner));
    timer = timed.get();
    server = std::make_unique<Server>(BenchConfig(dir.path() / "log", o),
                                      std::make_unique<ProposerEngine>(std::move(timed)), metrics);
    server->Start();
    dealer = Dealer(client_ctx, server->ingest_endpoint(), "bench-" + name);
    raw = Dealer(client_ctx, raw_endpoint, "bench-raw-" + name);
    sub = zmq::socket_t(client_ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, "bench/");
    sub.connect(server->publish_endpoint());
    Ack(dealer, EncodeEvent(AssetEv()));
  }
  ~Lane() {
    server->RequestStop();
    server->Wait();
  }

  // One raw round trip, then one prompt -> suggestion; false when no suggestion came in `wait`
  // (only expected while the subscription is still on its way to the server).
  bool Sample(const std::string& raw_prompt, std::chrono::milliseconds wait, bool keep) {
    const double r = RawRoundTrip(raw, raw_prompt);
    const std::string expected = "p-" + std::to_string(next++);
    const std::string bytes = EncodeEvent(PromptEv(expected));
    const Clock::time_point t0 = Clock::now();
    dealer.send(zmq::buffer(bytes), zmq::send_flags::none);
    if (!WaitReadable(sub, wait)) return false;
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(sub, std::back_inserter(frames));
    const double l = Since(t0);
    zmq::message_t drop;
    while (dealer.recv(drop, zmq::recv_flags::dontwait)) {
    }  // acks arrive after their group commit; they are not part of this path
    const Message m = Decode(frames.at(1).to_string(), DecodeLimits{});
    const auto* got = std::get_if<SuggestionRecord>(&m.body);
    if (got == nullptr || got->suggestion.prompt_id != expected) {
      throw std::runtime_error("bench: a suggestion arrived for another prompt");
    }
    if (keep) {
      const double p = timer->last_seconds();
      latency.push_back(l);
      rtt.push_back(r);
      proposer.push_back(p);
      overhead.push_back(l - r - p);
    }
    return true;
  }

  std::string name;
  ScratchDir dir;
  MetricsRegistry metrics;
  std::unique_ptr<Server> server;
  TimedProposer* timer = nullptr;
  zmq::socket_t dealer, raw, sub;
  std::size_t next = 0;
  std::vector<double> latency, rtt, proposer, overhead;
};

// All proposers' servers run at once and their samples interleave (raw, trivial, raw, box, ...),
// so that whatever else the machine is doing falls on every series alike.
std::vector<SuggestionLatency> MeasureSuggestions(const TransportBenchOptions& o,
                                                  const ProposerFactory& make,
                                                  zmq::context_t& client_ctx, EchoServer& echo,
                                                  const std::string& raw_prompt) {
  std::vector<std::unique_ptr<Lane>> lanes;
  for (const std::string& name : o.proposers) {
    lanes.push_back(std::make_unique<Lane>(o, name, make, client_ctx, echo.endpoint()));
  }
  for (auto& lane : lanes) {  // until the subscription reaches the server
    int tries = 0;
    while (!lane->Sample(raw_prompt, std::chrono::milliseconds(200), false)) {
      if (++tries == 100) throw std::runtime_error("bench: the subscriber never got a suggestion");
    }
  }
  for (int i = 0; i < 100; ++i) {  // warm-up
    for (auto& lane : lanes) lane->Sample(raw_prompt, std::chrono::milliseconds(10000), false);
  }
  for (std::size_t i = 0; i < o.samples; ++i) {
    for (auto& lane : lanes) {
      if (!lane->Sample(raw_prompt, std::chrono::milliseconds(10000), true)) {
        throw std::runtime_error("bench: no suggestion within 10 s");
      }
    }
  }
  std::vector<SuggestionLatency> out;
  for (auto& lane : lanes) {
    SuggestionLatency s;
    s.proposer = lane->name;
    s.latency = SummarizeLatency(lane->latency);
    s.raw_rtt = SummarizeLatency(lane->rtt);
    s.proposer_time = SummarizeLatency(lane->proposer);
    s.overhead = SummarizeLatency(lane->overhead);
    out.push_back(s);
  }
  return out;
}

// The machine's load when a figure was taken: other work on the same cores shows in the p99s.
std::string LoadAverage() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "unknown";
  char buf[64] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string s(buf, n);
  // "1.00 0.50 0.25 2/100 1234": keep the three averages.
  std::size_t cut = 0;
  for (int spaces = 0; cut < s.size() && spaces < 3; ++cut) spaces += s[cut] == ' ' ? 1 : 0;
  return s.substr(0, cut > 0 ? cut - 1 : 0);
}

std::string Us(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v < 100 ? "%.1f" : "%.0f", v);
  return b;
}

std::string Thousands(double v) {
  std::string s = std::to_string(static_cast<long long>(std::llround(v)));
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace

void TransportBenchOptions::Validate() const {
  auto positive = [](const char* field, std::size_t v) {
    if (v == 0)
      throw std::invalid_argument(std::string("bench: ") + field + " = 0 must be positive");
  };
  positive("events", events);
  positive("window", window);
  positive("samples", samples);
  if (vertices < 3)
    throw std::invalid_argument("bench: vertices = " + std::to_string(vertices) + " must be >= 3");
}

LatencySummary SummarizeLatency(std::vector<double> seconds) {
  LatencySummary s;
  s.n = seconds.size();
  if (seconds.empty()) return s;
  std::sort(seconds.begin(), seconds.end());
  auto rank = [&](double q) {  // nearest rank
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(seconds.size())));
    return seconds[std::min(seconds.size(), std::max<std::size_t>(i, 1)) - 1] * 1e6;
  };
  s.p50_us = rank(0.50);
  s.p99_us = rank(0.99);
  s.max_us = seconds.back() * 1e6;
  return s;
}

TransportBenchReport RunTransportBench(const TransportBenchOptions& o,
                                       const ProposerFactory& make) {
  o.Validate();
  TransportBenchReport report;
  report.load_before = LoadAverage();
  zmq::context_t client_ctx(1);
  EchoServer echo;

  std::vector<std::string> annotations;
  annotations.reserve(o.events);
  for (std::size_t i = 0; i < o.events; ++i) {
    annotations.push_back(EncodeEvent(Annotation("n-" + std::to_string(i), o.vertices)));
  }
  const std::string prompt = EncodeEvent(PromptEv("p-raw"));
  report.message_bytes = annotations.front().size();
  report.prompt_bytes = prompt.size();

  {  // raw round trip and raw pipelined throughput
    zmq::socket_t raw = Dealer(client_ctx, echo.endpoint(), "bench-raw");
    for (int i = 0; i < 200; ++i) RawRoundTrip(raw, prompt);
    std::vector<double> rtt;
    for (std::size_t i = 0; i < o.samples; ++i) rtt.push_back(RawRoundTrip(raw, prompt));
    report.raw_rtt = SummarizeLatency(rtt);
  }

  // Latency first: the throughput phase leaves the disk busy with its log for a while.
  report.suggestions = MeasureSuggestions(o, make, client_ctx, echo, prompt);

  {  // raw pipelined throughput
    zmq::socket_t raw = Dealer(client_ctx, echo.endpoint(), "bench-raw-pipelined");
    report.raw_pipelined_per_s = Pipelined(raw, annotations, o.window);
  }

  {  // acked ingest with durable group commit
    ScratchDir dir(o.log_dir);
    MetricsRegistry metrics;
    Server server(BenchConfig(dir.path() / "log", o),
                  std::make_unique<ProposerEngine>(std::make_unique<TrivialProposer>()), metrics);
    server.Start();
    zmq::socket_t dealer = Dealer(client_ctx, server.ingest_endpoint(), "bench-ingest");
    Ack(dealer, EncodeEvent(AssetEv()));
    report.acked_per_s = Pipelined(dealer, annotations, o.window);
    const Histogram& commits = metrics.GetHistogram("understudy_log_commit_seconds", "", {});
    report.commits = commits.Count();
    // The histogram's buckets are coarse; report the bucket bound that holds the median.
    const std::vector<std::uint64_t> counts = commits.BucketCounts();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      if (2 * cumulative >= report.commits) {
        report.commit_p50_us =
            i < commits.upper_bounds().size() ? commits.upper_bounds()[i] * 1e6 : INFINITY;
        break;
      }
    }
    server.RequestStop();
    server.Wait();
  }

  report.load_after = LoadAverage();
  return report;
}

std::string FormatTransportBench(const TransportBenchOptions& o, const TransportBenchReport& r) {
  std::ostringstream os;
  os << "understudy bench transport: " << std::thread::hardware_concurrency()
     << " cores, loopback TCP, "
     << "commit_interval_us " << o.commit_interval_us << ", window " << o.window << ", "
     << o.vertices << "-vertex annotations (" << r.message_bytes << " B), prompts ("
     << r.prompt_bytes << " B)\nload average (1/5/15 min) before: " << r.load_before
     << ", after: " << r.load_after << "\n\n";
  os << "raw ZeroMQ DEALER->ROUTER->DEALER round trip (prompt-sized): p50 " << Us(r.raw_rtt.p50_us)
     << " us, p99 " << Us(r.raw_rtt.p99_us) << " us (n " << r.raw_rtt.n << ")\n";
  os << "raw ZeroMQ pipelined echo (annotation-sized, window " << o.window
     << "): " << Thousands(r.raw_pipelined_per_s) << " msgs/s\n";
  os << "acked annotation ingest, durable group commit: " << Thousands(r.acked_per_s)
     << " events/s = " << Us(100.0 * r.acked_per_s / r.raw_pipelined_per_s)
     << "% of the raw pipelined echo (" << o.events << " events, " << r.commits << " commits, "
     << Us(static_cast<double>(o.events) / std::max<double>(1, static_cast<double>(r.commits)))
     << " events per commit, commit p50 <= " << Us(r.commit_p50_us) << " us)\n\n";
  os << "suggestion latency, prompt sent -> suggestion on SUB (n " << o.samples
     << " per proposer; proposers and raw round trips interleaved sample by sample):\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-9s %17s %17s %17s %18s %14s %12s\n", "proposer",
                "latency p50/p99", "raw rtt p50/p99", "proposer p50/p99", "overhead p50/p99",
                "overhead max", "p99 diff");
  os << line;
  for (const SuggestionLatency& s : r.suggestions) {
    auto pair = [](const LatencySummary& l) { return Us(l.p50_us) + " / " + Us(l.p99_us); };
    const double p99_diff = s.latency.p99_us - s.raw_rtt.p99_us - s.proposer_time.p99_us;
    std::snprintf(line, sizeof line, "  %-9s %17s %17s %17s %18s %14s %12s\n", s.proposer.c_str(),
                  pair(s.latency).c_str(), pair(s.raw_rtt).c_str(), pair(s.proposer_time).c_str(),
                  pair(s.overhead).c_str(), Us(s.overhead.max_us).c_str(), Us(p99_diff).c_str());
    os << line;
  }
  os << "  (microseconds. overhead: latency - raw round trip - proposer time, sample by sample;\n"
        "   p99 diff: p99 latency - p99 raw round trip - p99 proposer time)\n";
  return os.str();
}

}  // namespace understudy
