#include <CLI/App.hpp>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/model_registry.h"
#include "agent/registry_json.h"
#include "cli/command.h"

namespace understudy::cli {
namespace {

struct ModelOptions {
  std::string registry;
  bool json = false;
  bool history = false;
  std::string to;
  std::string note;
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

int RunRollback(const ModelOptions& o) {
  std::uint64_t id = 0;
  try {
    id = ModelRegistry::ParseId(o.to);
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy model rollback: --to: " << e.what() << "\n";
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
  rollback->add_option("--registry", options->registry, "Registry folder")->required();
  rollback->add_option("--to", options->to, "Version to serve: 7 or v000007")->required();
  rollback->add_option("--note", options->note, "Why, recorded in the history");
  SetRunner(rollback, [options] { return RunRollback(*options); });
}

}  // namespace understudy::cli
