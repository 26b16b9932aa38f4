#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>
#include <exception>
#include <functional>
#include <iostream>
#include <utility>

#include "cli/command.h"

namespace understudy::cli {
namespace {
std::function<int()>& Selected() {
  static std::function<int()> selected;
  return selected;
}
}  // namespace

void SetRunner(CLI::App* sub, std::function<int()> run) {
  sub->callback([run = std::move(run)] { Selected() = run; });
}

}  // namespace understudy::cli

int main(int argc, char** argv) {
  namespace cli = understudy::cli;
  CLI::App app{
      "understudy: an RL agent that learns to outline objects by shadowing human annotators,\n"
      "and suggests polygons only once it has proven itself."};
  app.set_version_flag("--version", "understudy " UNDERSTUDY_VERSION);
  app.require_subcommand(1, 1);
  app.fallthrough(false);

  cli::RegisterBaselineCommand(app);
  cli::RegisterMetricsCommand(app);
  cli::RegisterModelCommand(app);
  cli::RegisterServeCommand(app);
  cli::RegisterBenchCommand(app);
  cli::RegisterDatasetCommand(app);
  cli::RegisterImportCommand(app);
  cli::RegisterReplayCommand(app);
  cli::RegisterExperimentCommand(app);
  cli::RegisterTrainCommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kUsage;
  }
  try {
    return cli::Selected() ? cli::Selected()() : cli::kUsage;
  } catch (const std::exception& e) {
    std::cerr << "understudy: error: " << e.what() << "\n";
    return cli::kFailure;
  }
}
