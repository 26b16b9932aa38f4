#include <CLI/App.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/proposer_lookup.h"
#include "transport/transport_bench.h"

namespace understudy::cli {

void RegisterBenchCommand(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Measure end-to-end figures (see docs/)");
  bench->require_subcommand(1, 1);

  auto o = std::make_shared<TransportBenchOptions>();
  auto log_dir = std::make_shared<std::string>();
  CLI::App* transport = bench->add_subcommand(
      "transport",
      "The ZeroMQ side in this process on loopback TCP, each figure beside the raw ZeroMQ round "
      "trip of the same run: acked annotation ingest with durable group commit (events/s), and "
      "suggestion latency from prompt to SUB (p50/p99) per proposer. docs/transport.md quotes it.");
  transport->add_option("--events", o->events, "acked annotation events to send")
      ->capture_default_str();
  transport->add_option("--window", o->window, "events in flight")->capture_default_str();
  transport->add_option("--vertices", o->vertices, "vertices per annotation polygon")
      ->capture_default_str();
  transport->add_option("--samples", o->samples, "latency samples per proposer")
      ->capture_default_str();
  transport->add_option("--commit-interval-us", o->commit_interval_us, "group commit interval")
      ->capture_default_str();
  transport->add_option("--log-dir", *log_dir, "where the logs go (default: $TMPDIR or /tmp)");
  transport->add_option("--proposer", o->proposers, "proposers to time (trivial, box, ellipse)")
      ->capture_default_str();
  SetRunner(transport, [o, log_dir] {
    o->log_dir = *log_dir;
    const TransportBenchReport report = RunTransportBench(*o, MakeServeProposer);
    std::cout << FormatTransportBench(*o, report);
    return kOk;
  });
  RegisterBenchReplayCommand(*bench);
}

}  // namespace understudy::cli
