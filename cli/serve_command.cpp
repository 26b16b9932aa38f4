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
#include <opencv2/core/utility.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "agent/agent_config.h"
#include "cli/agent_factory.h"
#include "cli/command.h"
#include "cli/proposer_lookup.h"
#include "transport/http_server.h"
#include "transport/metrics.h"
#include "transport/proposer_engine.h"
#include "transport/server.h"
#include "transport/server_config.h"

namespace understudy::cli {
namespace {

// Keys of serve's config file that belong to the agent, not to the transport's ServerConfig.
constexpr const char* kAgentKey = "agent";               // rl | box | ellipse | grabcut | watershed
constexpr const char* kAgentConfigKey = "agent_config";  // an AgentConfig (docs/engine.md)
constexpr const char* kInitModelKey = "init_model";      // rl: the initial checkpoint
constexpr const char* kTorchConfigKey = "torch_config";  // rl: TorchAgentConfig keys

/** What serve runs besides the transport: an agent (gated) or the ungated baseline. */
struct AgentChoice {
  std::string agent;  // empty: the ungated ProposerEngine with ServerConfig::proposer
  nlohmann::json config = nlohmann::json::object();
  std::string init_model;
  nlohmann::json torch = nlohmann::json::object();  // rl: TorchAgentConfig keys (docs/agent.md)
};

// Flags are parsed into `flags`; those given on the command line then override the config file.
struct ServeOptions {
  std::string config_file;
  bool print_config = false;
  ServerConfig flags;
  std::string log_dir, image_root, ready_file;  // paths, parsed as text
  std::vector<std::pair<CLI::Option*, std::function<void(ServerConfig&)>>> overrides;
  // The agent's flags; each overrides the config file's value when given.
  std::string http;
  std::string agent, init_model, registry, data_root, learning, torch_config;
  std::uint64_t seed = 0;
  double gate_threshold = 0, suggestion_floor = 0;
  std::uint64_t gate_min_samples = 0, gate_window = 0;
  std::vector<std::pair<CLI::Option*, std::function<void(AgentChoice&)>>> agent_overrides;
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

/** A JSON object given inline (`{...}`) or as the path of a file holding one. */
nlohmann::json ReadJsonArgument(const std::string& text, const std::string& flag) {
  std::string body = text;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') {
    std::ifstream in(text);
    if (!in) throw std::invalid_argument(flag + " " + text + ": cannot open the file");
    std::ostringstream s;
    s << in.rdbuf();
    body = s.str();
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::invalid_argument(flag + ": '" + text + "' is not a JSON object (inline or a file)");
  }
  return j;
}

/** An agent flag that sets `path` (e.g. {"gate", "threshold"}) in the agent's config JSON. */
template <typename T>
void AgentFlag(CLI::App* sub, ServeOptions& o, const std::string& name, T& value,
               std::vector<std::string> path, const std::string& help) {
  CLI::Option* opt = sub->add_option(name, value, help);
  o.agent_overrides.emplace_back(opt, [&value, path](AgentChoice& a) {
    nlohmann::json* node = &a.config;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      if (!node->contains(path[i])) (*node)[path[i]] = nlohmann::json::object();
      node = &(*node)[path[i]];
    }
    (*node)[path.back()] = value;
  });
}

// `ADDR:PORT` (the address may be [v6]) or `off`.
void ApplyHttpFlag(const std::string& text, ServerConfig& c) {
  if (text == "off") {
    c.http_enabled = false;
    return;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw std::invalid_argument("--http '" + text +
                                "': expected ADDR:PORT (e.g. 127.0.0.1:0) or off");
  }
  std::string address = text.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  std::uint32_t port = 0;
  try {
    std::size_t used = 0;
    const unsigned long v = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || v > 65535) throw std::out_of_range("port");
    port = static_cast<std::uint32_t>(v);
  } catch (const std::exception&) {
    throw std::invalid_argument("--http '" + text + "': the port must be a number in 0..65535");
  }
  c.http_enabled = true;
  c.http_address = address;
  c.http_port = port;
}

// Splits serve's config file into the transport's ServerConfig and the agent's keys.
void LoadConfigFile(const std::string& path, ServerConfig& server, AgentChoice& agent) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(path + ": the config must be a JSON object");
  if (j.contains(kAgentKey)) {
    if (!j[kAgentKey].is_string())
      throw std::invalid_argument(path + ": config field 'agent' must be a string");
    agent.agent = j[kAgentKey].get<std::string>();
    j.erase(kAgentKey);
  }
  if (j.contains(kAgentConfigKey)) {
    if (!j[kAgentConfigKey].is_object())
      throw std::invalid_argument(path + ": config field 'agent_config' must be an object");
    agent.config = j[kAgentConfigKey];
    j.erase(kAgentConfigKey);
  }
  if (j.contains(kTorchConfigKey)) {
    if (!j[kTorchConfigKey].is_object())
      throw std::invalid_argument(path + ": config field 'torch_config' must be an object");
    agent.torch = j[kTorchConfigKey];
    j.erase(kTorchConfigKey);
  }
  if (j.contains(kInitModelKey)) {
    if (!j[kInitModelKey].is_string())
      throw std::invalid_argument(path + ": config field 'init_model' must be a string");
    agent.init_model = j[kInitModelKey].get<std::string>();
    j.erase(kInitModelKey);
  }
  server = ParseServerConfig(j.dump(), path);
}

// Written to a temporary name and renamed, so a reader never sees half a file.
void WriteReadyFile(const std::filesystem::path& path, const Server& server, const ServerConfig& c,
                    const HttpServer* http) {
  nlohmann::json j{{"ingest", server.ingest_endpoint()},
                   {"publish", server.publish_endpoint()},
                   {"http", nullptr},
                   {"log_dir", c.log_dir.string()},
                   {"pid", ::getpid()}};
  if (http != nullptr) {
    const bool v6 = c.http_address.find(':') != std::string::npos;
    j["http"] =
        (v6 ? "[" + c.http_address + "]" : c.http_address) + ":" + std::to_string(http->port());
  }
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump() << "\n";
    if (!out) throw std::runtime_error("cannot write ready file '" + tmp.string() + "'");
  }
  std::filesystem::rename(tmp, path);
}

// /status: the server's JSON (server, engine with its detail, recovery) plus the WebSocket side.
std::string StatusWithHttp(const Server& server, const HttpServer& http) {
  nlohmann::json j = nlohmann::json::parse(server.StatusJson(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) j = nlohmann::json::object();
  j["http"] = {{"ws_clients", http.ClientCounts()}};
  return j.dump();
}

int RunServe(ServeOptions& o) {
  ServerConfig config;
  AgentChoice choice;
  std::unique_ptr<Engine> engine;
  std::string engine_description;
  try {
    if (!o.config_file.empty()) LoadConfigFile(o.config_file, config, choice);
    for (auto& [opt, apply] : o.overrides) {
      if (opt->count() > 0) apply(config);
    }
    if (!o.http.empty()) ApplyHttpFlag(o.http, config);
    for (auto& [opt, apply] : o.agent_overrides) {
      if (opt->count() > 0) apply(choice);
    }
    config.Validate();
    if (o.print_config) {
      nlohmann::json j = nlohmann::json::parse(ToJson(config));
      j[kAgentKey] = choice.agent;
      j[kInitModelKey] = choice.init_model;
      j[kTorchConfigKey] = choice.torch;
      AgentOptions ao;
      ao.config = choice.config;
      if (ao.data_root.empty() && !choice.config.contains("data_root"))
        ao.data_root = config.image_root;
      j[kAgentConfigKey] = ToJson(ResolveAgentConfig(ao));
      std::cout << j.dump(2) << "\n";
      return kOk;
    }
    if (!choice.agent.empty()) {
      AgentOptions ao;
      ao.config = choice.config;
      ao.init_model = choice.init_model;
      ao.torch = choice.torch;
      // One folder for relative asset uris unless the agent's config names its own.
      if (!choice.config.contains("data_root")) ao.data_root = config.image_root;
      engine_description = "agent " + choice.agent;
      engine = MakeEngineFactory(choice.agent, ao)();
    } else {
      if (!choice.init_model.empty())
        throw std::invalid_argument("--init-model needs an agent (--agent rl)");
      ProposerEngineOptions engine_options;
      engine_options.image_root = config.image_root;
      engine_description = "proposer " + config.proposer + " (ungated)";
      engine = std::make_unique<ProposerEngine>(MakeServeProposer(config.proposer), engine_options);
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy serve: " << e.what() << "\n";
    return kUsage;
  }

  // SIGINT and SIGTERM are taken synchronously by this thread (sigtimedwait below); blocking
  // them before any thread starts keeps them from interrupting the server's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (!choice.agent.empty()) {
    // Two busy threads, no more: the worker serving predictions and the learner thread (torch
    // sets its own thread counts to match). OpenCV's pool would otherwise fan the serving
    // thread's image work out over both cores, onto the learner's.
    cv::setNumThreads(1);
  }

  MetricsRegistry metrics;
  // The HTTP side serves `metrics`, the server's status and snapshots, and every frame the
  // server publishes (suggestions, gate events, scores) through ServerHooks::on_publish. Its
  // callbacks only run after http->Start(), when `server` exists.
  const Server* server_ptr = nullptr;
  std::unique_ptr<HttpServer> http;
  ServerHooks hooks;
  if (config.http_enabled) {
    HttpConfig hc;
    hc.address = config.http_address;
    hc.port = static_cast<std::uint16_t>(config.http_port);
    HttpHandlers handlers;
    handlers.metrics_text = [&metrics] { return metrics.RenderText(); };
    handlers.status_json = [&server_ptr, &http] { return StatusWithHttp(*server_ptr, *http); };
    handlers.healthy = [&server_ptr] { return !server_ptr->stopped(); };
    handlers.ws_snapshot = [&server_ptr](const std::string& project) {
      return server_ptr->SnapshotJson(project);
    };
    handlers.log = [](const std::string& line) {
      std::cerr << "understudy serve: http: " << line << "\n";
    };
    try {
      http = std::make_unique<HttpServer>(hc, handlers, &metrics);
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy serve: " << e.what() << "\n";
      return kUsage;
    }
    HttpServer* h = http.get();
    hooks.on_publish = [h](const std::string& project, const std::string& json) {
      h->Publish(project, json);
    };
  }
  Server server(config, std::move(engine), metrics, hooks);
  server_ptr = &server;
  server.Start();
  if (http) {
    try {
      http->Start();
    } catch (const std::exception& e) {
      std::cerr << "understudy serve: " << e.what() << "\n";
      server.RequestStop();
      server.Wait();
      return kFailure;
    }
  }
  std::cout << "understudy serve: ingest " << server.ingest_endpoint() << ", publish "
            << server.publish_endpoint() << ", http "
            << (http ? config.http_address + ":" + std::to_string(http->port()) : "off") << ", "
            << engine_description << "\n"
            << "understudy serve: log " << config.log_dir.string() << ": "
            << server.recovery().Describe() << std::endl;
  if (!config.ready_file.empty()) WriteReadyFile(config.ready_file, server, config, http.get());

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
  int rc = kOk;
  try {
    server.Wait();
  } catch (const std::exception& e) {
    std::cerr << "understudy serve: stopped on an error: " << e.what() << "\n";
    rc = kFailure;
  }
  if (http) http->Stop();
  if (rc == kOk)
    std::cout << "understudy serve: stopped; the log is flushed and synced" << std::endl;
  return rc;
}

}  // namespace

void RegisterServeCommand(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "Run the annotation server. Clients send asset, prompt, annotation, feedback and control "
      "events to the ingest ROUTER and get an ack once each is durably logged; suggestions, gate "
      "events and blind scores are published on the PUB socket (<project>/<asset>, "
      "<project>/_gate, <project>/_score; withheld suggestions on <project>:withheld) and on the "
      "WebSocket stream. With --agent the agent predicts every prompt blind and publishes only "
      "once its gate is live (docs/engine.md); without it the ungated --proposer publishes every "
      "suggestion. Settings come from --config (JSON, keys as printed by --print-config), then "
      "flags. SIGINT or SIGTERM stops it gracefully: the engine's queue drains and the log is "
      "flushed. Protocol: docs/protocol.md; operations: docs/transport.md.");
  sub->add_option("--config", o->config_file, "JSON config file; flags override its values")
      ->check(CLI::ExistingFile);
  sub->add_flag("--print-config", o->print_config, "print the effective config as JSON and exit");
  Flag(sub, *o, "--ingest", &ServerConfig::ingest_endpoint,
       "ZeroMQ endpoint of the ingest ROUTER (tcp://127.0.0.1:* picks a free port)");
  Flag(sub, *o, "--publish", &ServerConfig::publish_endpoint,
       "ZeroMQ endpoint of the suggestions PUB socket");
  sub->add_option("--http", o->http,
                  "ADDR:PORT of the HTTP side (/healthz, /metrics, /status, /ws), loopback only; "
                  "port 0 picks a free one (reported in the ready file); 'off' disables it "
                  "[default: 127.0.0.1:8080]");
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
       "events waiting for the engine; when full, ingest waits (backpressure)");
  Flag(sub, *o, "--shutdown-timeout-ms", &ServerConfig::shutdown_timeout_ms,
       "on stop, how long the engine may drain its queue");
  Flag(sub, *o, "--status-interval-ms", &ServerConfig::status_interval_ms,
       "how often the engine's status is refreshed for /status and /metrics");
  Flag(sub, *o, "--proposer", &ServerConfig::proposer,
       "without --agent: the ungated baseline that publishes every suggestion (box, ellipse, "
       "grabcut, watershed)");
  PathFlag(sub, *o, "--image-root", o->image_root, &ServerConfig::image_root,
           "folder that relative asset uris are read from (empty: images only inline)");
  PathFlag(sub, *o, "--ready-file", o->ready_file, &ServerConfig::ready_file,
           "once serving, write the bound endpoints here as JSON (for scripts and tests)");

  auto agent_flag = [&](const std::string& name, std::string& value, const char* key,
                        const std::string& help) {
    CLI::Option* opt = sub->add_option(name, value, help);
    o->agent_overrides.emplace_back(opt, [&value, key](AgentChoice& a) {
      if (std::string(key) == kAgentKey) {
        a.agent = value;
      } else if (std::string(key) == kInitModelKey) {
        a.init_model = value;
      } else {
        a.config[key] = value;
      }
    });
  };
  agent_flag("--agent", o->agent, kAgentKey,
             "run the gated agent: rl, or a baseline through the same gate (box, ellipse, "
             "grabcut, watershed)");
  agent_flag("--init-model", o->init_model, kInitModelKey,
             "rl: the initial model, a checkpoint from `understudy train --out`");
  CLI::Option* torch_opt = sub->add_option(
      "--torch-config", o->torch_config,
      "rl: TorchAgentConfig keys as inline JSON or a JSON file, over the init model's "
      "(docs/agent.md)");
  o->agent_overrides.emplace_back(torch_opt, [o](AgentChoice& a) {
    a.torch = ReadJsonArgument(o->torch_config, "--torch-config");
  });
  agent_flag("--registry", o->registry, "registry_dir",
             "model registry folder (versions, rollback); resumes its serving version");
  agent_flag("--data-root", o->data_root, "data_root",
             "the agent's folder for relative asset uris [default: --image-root]");
  AgentFlag(sub, *o, "--learning", o->learning, {"learning", "mode"},
            "background (default), per_annotation or per_sim_second");
  AgentFlag(sub, *o, "--seed", o->seed, {"seed"}, "the learner's seed");
  AgentFlag(sub, *o, "--gate-threshold", o->gate_threshold, {"gate", "threshold"},
            "promote when the blind reward's lower bound reaches this");
  AgentFlag(sub, *o, "--gate-min-samples", o->gate_min_samples, {"gate", "min_samples"},
            "blind rewards needed before promotion");
  AgentFlag(sub, *o, "--gate-window", o->gate_window, {"gate", "window"},
            "blind rewards kept as evidence per project");
  AgentFlag(sub, *o, "--suggestion-floor", o->suggestion_floor, {"gate", "suggestion_floor"},
            "while live, withhold suggestions predicted below this");
  SetRunner(sub, [o] { return RunServe(*o); });
}

}  // namespace understudy::cli
