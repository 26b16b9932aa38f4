#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "env/proposer.h"

// `understudy bench transport`: end-to-end figures of the ZeroMQ side, each beside the raw
// ZeroMQ round trip measured in the same run (docs/transport.md, "Benchmark").

namespace understudy {

/** What to measure and how hard. */
struct TransportBenchOptions {
  std::size_t events = 50000;  // acked annotation events in the throughput phase
  std::size_t window = 512;    // events in flight (a pipelining client)
  std::size_t vertices = 32;   // vertices per annotation polygon
  std::size_t samples = 2000;  // latency samples per proposer
  std::uint64_t commit_interval_us = 2000;
  std::filesystem::path log_dir;  // parent of the benchmark's logs; empty: $TMPDIR or /tmp
  std::vector<std::string> proposers = {"trivial", "box", "ellipse"};
  /** Throws std::invalid_argument naming the field and value. */
  void Validate() const;
};

/** Percentiles of one latency series, in microseconds. */
struct LatencySummary {
  std::size_t n = 0;
  double p50_us = 0.0;
  double p99_us = 0.0;
  double max_us = 0.0;
};
LatencySummary SummarizeLatency(std::vector<double> seconds);

/** Suggestion latency with one proposer, and its paired baselines. */
struct SuggestionLatency {
  std::string proposer;
  LatencySummary latency;        // prompt sent -> suggestion received on SUB
  LatencySummary raw_rtt;        // raw DEALER->ROUTER->DEALER echo, interleaved with the samples
  LatencySummary proposer_time;  // Proposer::Propose alone, for the same prompts
  LatencySummary overhead;       // per sample: latency - raw round trip - proposer time
};

/** Everything one run measured. */
struct TransportBenchReport {
  std::size_t message_bytes = 0;   // encoded annotation event
  std::size_t prompt_bytes = 0;    // encoded prompt event
  LatencySummary raw_rtt;          // raw echo of a prompt-sized message
  double raw_pipelined_per_s = 0;  // raw echo of annotation-sized messages, same window
  double acked_per_s = 0;          // acked annotation events with durable group commit
  std::uint64_t commits = 0;
  double commit_p50_us = 0;  // write + fdatasync, from the server's histogram
  std::vector<SuggestionLatency> suggestions;
  std::string load_before, load_after;  // /proc/loadavg around the run
};

/** Makes the proposer for a name other than "trivial" (which the bench provides itself). */
using ProposerFactory = std::function<std::unique_ptr<Proposer>(const std::string& name)>;

/** Runs every phase in this process: an in-process Server on loopback TCP, real fdatasync. */
TransportBenchReport RunTransportBench(const TransportBenchOptions& options,
                                       const ProposerFactory& make_proposer);

/** The report as the text `understudy bench transport` prints. */
std::string FormatTransportBench(const TransportBenchOptions& options,
                                 const TransportBenchReport& report);

}  // namespace understudy
