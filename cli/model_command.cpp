#include <unistd.h>

#include <CLI/App.hpp>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/model_registry.h"
#include "agent/registry_json.h"
#include "cli/command.h"
#include "transport/codec.h"
#include "transport/messages.h"
#include "transport/zmq_context.h"

namespace understudy::cli {
namespace {

struct ModelOptions {
  std::string registry;
  bool json = false;
  bool history = false;
  std::string to;
  std::string note;
  std::string server;           // rollback: a running server's ingest endpoint
  std::string project = "ops";  // rollback: the envelope's project (any valid name)
  double timeout_s = 30.0;      // rollback --server: how long to wait for the ack and the swap
};

std::string UtcTime(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y-%m-%d %H:%M:%SZ");
  return os.str();
}

std::string Id(const std::optional<std::uint64_t>& id) {
  return id ? ModelRegistry::DirName(*id) : "-";
}

void PrintTable(const ModelRegistry& reg, bool with_history) {
  const std::optional<std::uint64_t> serving = reg.serving();
  const std::vector<ModelMeta> models = reg.List();
  std::cout << "registry " << reg.root().string() << ": " << models.size() << " version"
            << (models.size() == 1 ? "" : "s") << ", serving " << Id(serving) << "\n";
  if (!models.empty()) {
    std::cout << "  " << std::left << std::setw(10) << "ID" << std::setw(10) << "PARENT"
              << std::setw(22) << "CREATED (UTC)" << std::right << std::setw(9) << "HELD-OUT"
              << std::setw(7) << "N" << std::setw(11) << "EXAMPLES" << std::setw(9) << "UPDATES"
              << "  NOTE\n";
  }
  for (const ModelMeta& m : models) {
    std::ostringstream held;
    if (m.held_out) held << std::fixed << std::setprecision(4) << m.held_out->mean;
    std::cout << (serving == m.id ? "* " : "  ") << std::left << std::setw(10)
              << ModelRegistry::DirName(m.id) << std::setw(10) << Id(m.parent) << std::setw(22)
              << UtcTime(m.created_unix_ms) << std::right << std::setw(9)
              << (m.held_out ? held.str() : "-") << std::setw(7)
              << (m.held_out ? std::to_string(m.held_out->n) : "-") << std::setw(11)
              << m.examples_seen << std::setw(9) << m.updates << "  " << m.note << "\n";
  }
  if (!with_history) return;
  std::cout << "\nhistory:\n";
  for (const RegistryEvent& e : reg.History()) {
    std::cout << "  " << std::setw(4) << e.seq << "  " << UtcTime(e.at_unix_ms) << "  " << std::left
              << std::setw(9) << ToString(e.action) << std::setw(10) << ModelRegistry::DirName(e.id)
              << std::right;
    if (e.action != RegistryAction::kRegister)
      std::cout << "(was " << Id(e.previous_serving) << ")";
    if (!e.note.empty()) std::cout << "  " << e.note;
    std::cout << "\n";
  }
}

int RunList(const ModelOptions& o) {
  const ModelRegistry reg(o.registry, RegistryOpen::kMustExist);
  if (!o.json) {
    PrintTable(reg, o.history);
    return kOk;
  }
  const std::optional<std::uint64_t> serving = reg.serving();
  nlohmann::json out{{"registry", reg.root().string()},
                     {"serving", serving ? nlohmann::json(*serving) : nlohmann::json(nullptr)},
                     {"next_id", reg.next_id()},
                     {"models", reg.List()},
                     {"history", reg.History()}};
  std::cout << out.dump(2) << "\n";
  return kOk;
}

// One request over a fresh DEALER; the reply's bytes, or nothing by the deadline.
std::optional<std::string> Ask(zmq::socket_t& s, const std::string& bytes,
                               std::chrono::steady_clock::time_point deadline) {
  s.send(zmq::buffer(bytes), zmq::send_flags::none);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  std::vector<zmq::pollitem_t> items = {{s.handle(), 0, ZMQ_POLLIN, 0}};
  if (left.count() <= 0 || zmq::poll(items, left) == 0) return std::nullopt;
  zmq::message_t m;
  if (!s.recv(m, zmq::recv_flags::none)) return std::nullopt;
  return m.to_string();
}

// The serving tag and the failed-control count from a `summary` reply.
std::pair<std::string, double> EngineState(const std::string& bytes) {
  const msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
  wire::Envelope<wire::StatusSummary> summary;
  oh.get().convert(summary);
  const auto& learner = summary.payload.engine.learner;
  const auto failed = learner.find("controls_failed");
  return {summary.payload.engine.model, failed == learner.end() ? -1.0 : failed->second};
}

// Sends the rollback as a control message to a running server, waits for its ack (durable),
// then for the engine to serve the version (or to count the control as failed).
int RollbackLive(const ModelOptions& o, std::uint64_t id) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
  zmq::socket_t s(ProcessContext(), zmq::socket_type::dealer);
  s.set(zmq::sockopt::routing_id, "understudy-model-" + std::to_string(::getpid()));
  s.set(zmq::sockopt::linger, 0);
  s.connect(o.server);
  auto query = [&](const std::string& id_text) {
    Message q;
    q.header.id = id_text;
    q.header.project = o.project;
    q.header.ts = WallSeconds();
    q.body = StatusQuery{"summary", 0};
    return Ask(s, Encode(q), deadline);
  };
  const std::optional<std::string> before = query("rollback-before");
  if (!before) {
    std::cerr << "understudy model rollback: no reply from " << o.server << "\n";
    return kFailure;
  }
  const double failed_before = EngineState(*before).second;
  ControlEvent c;
  c.meta.id = "rollback-" + std::to_string(::getpid()) + "-" +
              std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  c.meta.project = o.project;
  c.meta.ts = WallSeconds();
  c.action = "rollback";
  c.version = id;
  c.note = o.note.empty() ? "rollback by understudy model rollback --server" : o.note;
  const std::optional<std::string> reply = Ask(s, EncodeEvent(c), deadline);
  if (!reply) {
    std::cerr << "understudy model rollback: no ack from " << o.server << "\n";
    return kFailure;
  }
  const Message m = Decode(*reply, DecodeLimits{});
  if (const auto* e = std::get_if<ErrorReply>(&m.body)) {
    std::cerr << "understudy model rollback: " << e->code << ": " << e->message << "\n";
    return kFailure;
  }
  const std::string suffix = ":" + ModelRegistry::DirName(id);
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    const std::optional<std::string> now = query("rollback-check-" + std::to_string(i));
    if (!now) break;
    const auto [model, failed] = EngineState(*now);
    if (model.size() >= suffix.size() &&
        model.compare(model.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::cout << "the server at " << o.server << " serves " << model
                << " (its gates restarted in shadow mode)\n";
      return kOk;
    }
    if (failed > failed_before) {
      std::cerr << "understudy model rollback: the server refused the rollback to "
                << ModelRegistry::DirName(id) << " (see its output or /status "
                << "engine.detail.controls); it still serves " << model << "\n";
      return kFailure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "understudy model rollback: the rollback was acked but not applied within "
            << o.timeout_s << " s\n";
  return kFailure;
}

int RunRollback(const ModelOptions& o) {
  std::uint64_t id = 0;
  try {
    id = ModelRegistry::ParseId(o.to);
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy model rollback: --to: " << e.what() << "\n";
    return kUsage;
  }
  if (!o.server.empty()) return RollbackLive(o, id);
  if (o.registry.empty()) {
    std::cerr << "understudy model rollback: give --registry DIR (on disk) or --server ENDPOINT "
                 "(a running server)\n";
    return kUsage;
  }
  ModelRegistry reg(o.registry, RegistryOpen::kMustExist);
  std::optional<std::uint64_t> previous;
  try {
    previous = reg.Rollback(id, o.note);
  } catch (const RegistryError& e) {  // unknown id (the message lists the known ones), corrupt
    std::cerr << "understudy model rollback: " << e.what() << "\n";
    return kFailure;
  }
  std::cout << "serving " << ModelRegistry::DirName(id) << " (was " << Id(previous)
            << "); recorded as history entry " << reg.History().back().seq << "\n"
            << "a running server keeps its current model until it is restarted or sent a "
               "rollback control message\n";
  return kOk;
}

}  // namespace

void RegisterModelCommand(CLI::App& app) {
  CLI::App* model = app.add_subcommand(
      "model", "Inspect the model registry and choose the serving version (docs/registry.md)");
  model->require_subcommand(1, 1);
  auto options = std::make_shared<ModelOptions>();

  CLI::App* list =
      model->add_subcommand("list", "List every registered version; * marks the serving one");
  list->add_option("--registry", options->registry, "Registry folder")->required();
  list->add_flag("--json", options->json, "Print JSON (models and history) instead of a table");
  list->add_flag("--history", options->history, "Also print the history of changes");
  SetRunner(list, [options] { return RunList(*options); });

  CLI::App* rollback = model->add_subcommand(
      "rollback",
      "Serve an earlier (or any registered) version again; history is kept and the rollback "
      "itself is recorded");
  rollback->add_option("--registry", options->registry,
                       "Registry folder, changed on disk (a running server is not told)");
  rollback->add_option("--server", options->server,
                       "Instead: a running server's ingest endpoint; sends it a rollback control "
                       "message and waits until it serves the version");
  rollback
      ->add_option("--project", options->project,
                   "--server: the project named in the control message's envelope")
      ->capture_default_str();
  rollback->add_option("--timeout", options->timeout_s, "--server: seconds to wait")
      ->capture_default_str();
  rollback->add_option("--to", options->to, "Version to serve: 7 or v000007")->required();
  rollback->add_option("--note", options->note, "Why, recorded in the history");
  SetRunner(rollback, [options] { return RunRollback(*options); });
}

}  // namespace understudy::cli
