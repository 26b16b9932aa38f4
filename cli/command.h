#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace understudy::cli {

/** Exit codes shared by every subcommand (documented in docs/cli.md). */
enum ExitCode : int {
  kOk = 0,
  kFailure = 1,   // the command ran and failed (I/O, a bad file, a server error)
  kUsage = 2,     // bad flags or arguments; nothing was done
  kBadInput = 3,  // finished, but some input records were rejected (counted on stderr)
  kInterrupted = 130,
};

/** Runs `run` after the command line parsed to this subcommand; its result is the exit code. */
void SetRunner(CLI::App* sub, std::function<int()> run);

// One Register function per subcommand, each in its own <name>_command.cpp.
// (added as each subcommand lands)
void RegisterMetricsCommand(CLI::App& app);  // metrics_command.cpp: score polygon pairs

/** `understudy baseline`: proposers' IoU against a dataset's human polygons
 *  (cli/baseline_command.cpp). */
void RegisterBaselineCommand(CLI::App& app);

/** `understudy model list|rollback`: the model registry (cli/model_command.cpp). */
void RegisterModelCommand(CLI::App& app);

/** `understudy serve`: the ZeroMQ annotation server (cli/serve_command.cpp). */
void RegisterServeCommand(CLI::App& app);

/** `understudy bench transport`: ingest throughput and suggestion latency (cli/bench_command.cpp).
 */
void RegisterBenchCommand(CLI::App& app);

/** `understudy dataset stats|convert`: importers and exporters (cli/dataset_command.cpp). */
void RegisterDatasetCommand(CLI::App& app);

/** `understudy import`: a dataset turned into a replayable session (cli/import_command.cpp). */
void RegisterImportCommand(CLI::App& app);

/** `understudy experiment`: a grid of replays with confidence intervals and plots
 *  (cli/experiment_command.cpp). */
void RegisterExperimentCommand(CLI::App& app);

/** `understudy bench replay` under `bench` (cli/bench_replay_command.cpp). */
void RegisterBenchReplayCommand(CLI::App& bench);

/** `understudy replay`: a session through the agent and its baselines
 *  (cli/replay_command.cpp). */
void RegisterReplayCommand(CLI::App& app);

/** `understudy train`: pretrains the libtorch agent on a dataset, or measures its online
 *  learning curve (cli/train_command.cpp). */
void RegisterTrainCommand(CLI::App& app);

}  // namespace understudy::cli
