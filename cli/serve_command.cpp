#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/App.hpp>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/proposer_lookup.h"
#include "transport/metrics.h"
#include "transport/proposer_engine.h"
#include "transport/server.h"
#include "transport/server_config.h"

namespace understudy::cli {
namespace {

// Flags are parsed into `flags`; those given on the command line then override the config file.
struct ServeOptions {
  std::string config_file;
  bool print_config = false;
  ServerConfig flags;
  std::string log_dir, image_root, ready_file;  // paths, parsed as text
  std::vector<std::pair<CLI::Option*, std::function<void(ServerConfig&)>>> overrides;
};

template <typename T>
std::string Text(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v.empty() ? "''" : v;
  } else {
    return std::to_string(v);
  }
}

template <typename T>
void Flag(CLI::App* sub, ServeOptions& o, const std::string& name, T ServerConfig::*member,
          const std::string& help) {
  CLI::Option* opt = sub->add_option(name, o.flags.*member,
                                     help + " [default: " + Text(ServerConfig{}.*member) + "]");
  o.overrides.emplace_back(opt, [&o, member](ServerConfig& c) { c.*member = o.flags.*member; });
}

void PathFlag(CLI::App* sub, ServeOptions& o, const std::string& name, std::string& text,
              std::filesystem::path ServerConfig::*member, const std::string& help) {
  CLI::Option* opt = sub->add_option(
      name, text, help + " [default: " + Text((ServerConfig{}.*member).string()) + "]");
  o.overrides.emplace_back(opt, [&text, member](ServerConfig& c) { c.*member = text; });
}

// Written to a temporary name and renamed, so a reader never sees half a file.
void WriteReadyFile(const std::filesystem::path& path, const Server& server,
                    const ServerConfig& c) {
  const nlohmann::json j{{"ingest", server.ingest_endpoint()},
                         {"publish", server.publish_endpoint()},
                         {"http", nullptr},  // the HTTP side is not wired into serve yet
                         {"log_dir", c.log_dir.string()},
                         {"pid", ::getpid()}};
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump() << "\n";
    if (!out) throw std::runtime_error("cannot write ready file '" + tmp.string() + "'");
  }
  std::filesystem::rename(tmp, path);
}

int RunServe(ServeOptions& o) {
  ServerConfig config;
  try {
    if (!o.config_file.empty()) config = LoadServerConfig(o.config_file);
    for (auto& [opt, apply] : o.overrides) {
      if (opt->count() > 0) apply(config);
    }
    config.Validate();
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy serve: " << e.what() << "\n";
    return kUsage;
  }
  if (o.print_config) {
    std::cout << ToJson(config) << "\n";
    return kOk;
  }
  std::unique_ptr<Proposer> proposer;
  try {
    proposer = MakeServeProposer(config.proposer);
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy serve: config field 'proposer': " << e.what() << "\n";
    return kUsage;
  }
  ProposerEngineOptions engine_options;
  engine_options.image_root = config.image_root;

  // SIGINT and SIGTERM are taken synchronously by this thread (sigtimedwait below); blocking
  // them before any thread starts keeps them from interrupting the server's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  MetricsRegistry metrics;
  // The HTTP side (/healthz, /metrics, /status, WebSocket) attaches here: it serves `metrics`,
  // answers /status with server.StatusJson(), and receives every published suggestion and gate
  // event through ServerHooks::on_publish.
  ServerHooks hooks;
  Server server(config, std::make_unique<ProposerEngine>(std::move(proposer), engine_options),
                metrics, hooks);
  server.Start();
  std::cout << "understudy serve: ingest " << server.ingest_endpoint() << ", publish "
            << server.publish_endpoint() << ", proposer " << config.proposer << "\n"
            << "understudy serve: log " << config.log_dir.string() << ": "
            << server.recovery().Describe() << std::endl;
  if (!config.ready_file.empty()) WriteReadyFile(config.ready_file, server, config);

  int signal_number = 0;
  while (!server.stopped()) {
    const timespec tick{0, 100 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      signal_number = sig;
      break;
    }
  }
  if (signal_number != 0) {
    std::cout << "understudy serve: " << (signal_number == SIGINT ? "SIGINT" : "SIGTERM")
              << ": stopping (draining the engine, flushing the log)" << std::endl;
    server.RequestStop();
  }
  try {
    server.Wait();
  } catch (const std::exception& e) {
    std::cerr << "understudy serve: stopped on an error: " << e.what() << "\n";
    return kFailure;
  }
  std::cout << "understudy serve: stopped; the log is flushed and synced" << std::endl;
  return kOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "Run the annotation server. Clients send asset, prompt, annotation and feedback events to "
      "the ingest ROUTER and get an ack once each is durably logged; suggestions and gate "
      "events are published on the PUB socket under <project>/<asset> and <project>/_gate. "
      "Settings come from --config (JSON, keys as printed by --print-config), then flags. "
      "SIGINT or SIGTERM stops it gracefully: the engine's queue drains and the log is flushed. "
      "Protocol: docs/protocol.md; operations: docs/transport.md.");
  sub->add_option("--config", o->config_file, "JSON config file; flags override its values")
      ->check(CLI::ExistingFile);
  sub->add_flag("--print-config", o->print_config, "print the effective config as JSON and exit");
  Flag(sub, *o, "--ingest", &ServerConfig::ingest_endpoint,
       "ZeroMQ endpoint of the ingest ROUTER (tcp://127.0.0.1:* picks a free port)");
  Flag(sub, *o, "--publish", &ServerConfig::publish_endpoint,
       "ZeroMQ endpoint of the suggestions PUB socket");
  Flag(sub, *o, "--http-address", &ServerConfig::http_address,
       "address of the HTTP side (/healthz, /metrics, /status, WebSocket)");
  Flag(sub, *o, "--http-port", &ServerConfig::http_port, "port of the HTTP side (0: ephemeral)");
  PathFlag(sub, *o, "--log-dir", o->log_dir, &ServerConfig::log_dir,
           "event log folder (created; recovered on start)");
  Flag(sub, *o, "--segment-bytes", &ServerConfig::segment_bytes,
       "start a new log segment past this size");
  Flag(sub, *o, "--commit-interval-us", &ServerConfig::commit_interval_us,
       "longest an event waits for its group commit (0: commit whenever input pauses)");
  Flag(sub, *o, "--commit-bytes", &ServerConfig::commit_bytes,
       "commit early once this many bytes are pending");
  Flag(sub, *o, "--max-message-bytes", &ServerConfig::max_message_bytes,
       "larger messages get error too_large");
  Flag(sub, *o, "--zmq-max-message-bytes", &ServerConfig::zmq_max_message_bytes,
       "ZMQ_MAXMSGSIZE: libzmq drops the connection of a peer sending more (no reply)");
  Flag(sub, *o, "--max-vertices", &ServerConfig::max_vertices,
       "most points per ring (error too_many_vertices)");
  Flag(sub, *o, "--max-instances", &ServerConfig::max_instances, "most instances per annotation");
  Flag(sub, *o, "--dedup-window", &ServerConfig::dedup_window,
       "event ids remembered per client for duplicate suppression");
  Flag(sub, *o, "--dedup-clients", &ServerConfig::dedup_clients,
       "clients remembered for duplicate suppression (least recently active forgotten)");
  Flag(sub, *o, "--max-open-assets", &ServerConfig::max_open_assets,
       "open assets tracked for late joiners");
  Flag(sub, *o, "--worker-queue", &ServerConfig::worker_queue,
       "events waiting for the engine before new ones skip it (counted)");
  Flag(sub, *o, "--shutdown-timeout-ms", &ServerConfig::shutdown_timeout_ms,
       "on stop, how long the engine may drain its queue");
  Flag(sub, *o, "--status-interval-ms", &ServerConfig::status_interval_ms,
       "how often the engine's status is refreshed for /status and /metrics");
  Flag(sub, *o, "--proposer", &ServerConfig::proposer, "baseline proposer (box, ellipse)");
  PathFlag(sub, *o, "--image-root", o->image_root, &ServerConfig::image_root,
           "folder that relative asset uris are read from (empty: images only inline)");
  PathFlag(sub, *o, "--ready-file", o->ready_file, &ServerConfig::ready_file,
           "once serving, write the bound endpoints here as JSON (for scripts and tests)");
  SetRunner(sub, [o] { return RunServe(*o); });
}

}  // namespace understudy::cli
