// `understudy experiment CONFIG`: a grid of agents x gates x seeds x orders over sessions.
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/App.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress_bar.h"
#include "cli/request_engine.h"
#include "sim/experiment.h"

namespace understudy::cli {
namespace {

struct ExperimentArgs {
  std::string config;
  std::string output;
  std::vector<std::string> agents;  // only these agents of the config (their names)
  bool skip_steps = false;
  bool no_plots = false;
  bool quiet = false;
};

// Runs a program to completion with the given arguments; its exit status.
int RunProgram(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The plotting script beside this binary's source tree, or under the current folder.
std::filesystem::path PlotScript() {
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  for (std::filesystem::path dir = self.parent_path(); !dir.empty() && dir != dir.parent_path();
       dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "scripts" / "plot_experiment.py")) {
      return dir / "scripts" / "plot_experiment.py";
    }
  }
  return std::filesystem::path("scripts") / "plot_experiment.py";
}

int RunExperimentCommand(const ExperimentArgs& a) {
  ExperimentConfig config;
  try {
    std::ifstream in(a.config);
    if (!in) throw std::invalid_argument("cannot read '" + a.config + "'");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(a.config + ": " + e.what());
    }
    config = ParseExperimentConfig(j);
    if (!a.output.empty()) config.output = a.output;
    if (!a.agents.empty()) {
      // A part of the grid, e.g. the baselines alone in a build without the torch agent.
      for (const std::string& name : a.agents) {
        const bool known = std::any_of(config.agents.begin(), config.agents.end(),
                                       [&](const ExperimentAgent& x) { return x.name == name; });
        if (!known) throw std::invalid_argument("--agents: '" + name + "' is not in the config");
      }
      std::vector<ExperimentAgent> kept;
      for (const ExperimentAgent& x : config.agents) {
        if (std::find(a.agents.begin(), a.agents.end(), x.name) != a.agents.end()) {
          kept.push_back(x);
        }
      }
      config.agents = std::move(kept);
    }
    if (a.skip_steps) config.steps.clear();
    for (const ExperimentAgent& agent : config.agents) {
      AgentRequest probe;
      probe.agent = agent.agent;
      (void)MakeRequestedEngine(probe);  // an unknown agent fails before anything runs
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy experiment: " << e.what() << "\n";
    return kUsage;
  }
  ProgressBar bar(!a.quiet && isatty(STDERR_FILENO) == 1);
  ExperimentHooks hooks;
  hooks.progress = [&bar](const std::string& label, std::size_t done, std::size_t total) {
    bar.Update(label, done, total);
  };
  hooks.log = [&bar, &a](const std::string& line) {
    bar.Finish();
    if (!a.quiet) std::cerr << "understudy experiment: " << line << "\n";
  };
  hooks.run_step = [](const ExperimentStep& step) {
    std::vector<std::string> argv = {std::filesystem::read_symlink("/proc/self/exe").string()};
    argv.insert(argv.end(), step.args.begin(), step.args.end());
    const int rc = RunProgram(argv);
    if (rc != 0) {
      throw std::runtime_error("step " + step.name + " failed with exit status " +
                               std::to_string(rc));
    }
  };
  const std::vector<ExperimentRun> runs = RunExperiment(config, MakeRequestedEngine, hooks);
  bar.Finish();
  const std::filesystem::path root = config.output / config.name;
  std::cout << ExperimentTable(runs) << "\n";
  if (!a.no_plots) {
    const std::string python = "/usr/bin/python3";
    if (!std::filesystem::exists(python)) {
      std::cerr << "understudy experiment: no " << python << ": plots skipped\n";
    } else {
      const int rc = RunProgram({python, PlotScript().string(), root.string()});
      if (rc != 0) {
        std::cerr << "understudy experiment: the plot script failed (exit " << rc
                  << "); the tables are written\n";
        return kFailure;
      }
    }
  }
  std::cout << "written: " << (root / "comparison.md").string() << ", "
            << (root / "runs.csv").string() << ", " << (root / "runs").string() << "/..."
            << (a.no_plots ? "" : ", " + (root / "plots").string() + "/*.png") << "\n";
  return kOk;
}

}  // namespace

void RegisterExperimentCommand(CLI::App& app) {
  auto a = std::make_shared<ExperimentArgs>();
  CLI::App* sub = app.add_subcommand(
      "experiment",
      "Run a grid of agents x gate settings x seeds x asset orders (random, and active learning "
      "beside it) over sessions, in-process; write the config, every summary, a comparison "
      "table with 95% confidence intervals across seeds, and plots, under "
      "experiments/results/<name>/. docs/sim.md has the config reference.");
  sub->add_option("config", a->config, "the experiment config (JSON)")->required();
  sub->add_option("--output", a->output, "results folder (default: the config's output)");
  sub->add_option("--agents", a->agents,
                  "run only these agents of the config (their names, comma-separated)")
      ->delimiter(',');
  sub->add_flag("--skip-steps", a->skip_steps,
                "do not run the config's steps (e.g. pretraining, when only baselines run)");
  sub->add_flag("--no-plots", a->no_plots, "skip the PNG plots (made with /usr/bin/python3)");
  sub->add_flag("-q,--quiet", a->quiet, "no progress");
  SetRunner(sub, [a] { return RunExperimentCommand(*a); });
}

}  // namespace understudy::cli
