#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/agent_request.h"
#include "sim/effort_model.h"
#include "sim/replay.h"

// `understudy experiment CONFIG`: a grid of agents x gate settings x seeds x asset orders over
// sessions, replayed in-process, with a comparison table (mean and 95% confidence interval across
// seeds). docs/sim.md, "Experiments", is the config reference.

namespace understudy {

/** Where a session of the experiment comes from: exactly one of import, merge, path. */
struct ExperimentSession {
  std::string name;
  nlohmann::json import;           // {"format", "path", "project", ...}: imported afresh
  std::vector<std::string> merge;  // names of earlier sessions, interleaved
  std::filesystem::path path;      // an existing session (e.g. a server's log)
};

/** One engine of the grid. */
struct ExperimentAgent {
  std::string name;       // the label in tables and folders
  std::string agent;      // what the factory makes: rl, box, ellipse, grabcut, watershed
  nlohmann::json config;  // passed to the factory; each gate setting is merged in as "gate"
  std::string init_model;
  std::vector<std::string> sessions;  // only these sessions; empty: all
  bool gated = false;   // run once per gate setting (the agent); false: once (a baseline)
  bool active = false;  // has a value head: also run in the active order
};

/** One gate setting (the agent's ShadowGateConfig fields, docs/gate.md). */
struct ExperimentGate {
  std::string name;
  nlohmann::json config;
};

/** A command run once before the grid (e.g. `understudy train` for a transfer run). */
struct ExperimentStep {
  std::string name;
  std::vector<std::string> args;  // arguments to the understudy binary
  std::filesystem::path creates;  // skipped when this exists
};

/** The whole config. */
struct ExperimentConfig {
  std::string name;
  std::string description;
  std::filesystem::path output = "experiments/results";  // results go to <output>/<name>/
  std::filesystem::path work_dir;  // sessions; default build/experiments/<name>
  std::vector<ExperimentSession> sessions;
  std::vector<ExperimentAgent> agents;
  std::vector<ExperimentGate> gates;
  std::vector<std::uint64_t> seeds;
  std::vector<AssetOrder> orders;  // random is always among them
  LearningBudget learning;
  EffortModelConfig effort;
  std::size_t active_pool = 64;
  std::vector<ExperimentStep> steps;
  nlohmann::json source;  // the config as read, written beside the results
};

/**
 * Reads and validates a config. Unknown keys, wrong types, duplicate names, references to
 * unknown sessions and an empty grid throw std::invalid_argument naming the field
 * ("agents[2].agent: ..."). "random" is added to the orders when missing: active learning is
 * always reported beside the random order.
 */
ExperimentConfig ParseExperimentConfig(const nlohmann::json& json);

/** One cell of the grid, run with one seed. */
struct ExperimentRun {
  std::string session;
  std::string order;
  std::string gate;  // "-" for engines without a gate
  std::string agent;
  std::uint64_t seed = 0;
  std::filesystem::path dir;  // where its summary.json and events.csv are
  ReplaySummary summary;
};

/** How the runner reports progress and runs steps. */
struct ExperimentHooks {
  std::function<void(const std::string& label, std::size_t done, std::size_t total)> progress;
  /** Runs a step (the CLI runs the understudy binary); required when the config has steps. */
  std::function<void(const ExperimentStep&)> run_step;
  /** One line per finished run, e.g. for the console. */
  std::function<void(const std::string&)> log;
};

/**
 * Runs the experiment: the steps, the sessions (imported into work_dir, reused when their spec
 * is unchanged), then every run of the grid in-process; writes <output>/<name>/config.json,
 * runs/<session>/<order>/<gate>/<agent>/seed-<s>/{summary.json,events.csv}, runs.csv (one row
 * per run) and comparison.{md,csv} (mean and 95% CI across seeds). Returns every run.
 */
std::vector<ExperimentRun> RunExperiment(const ExperimentConfig& config,
                                         const EngineFactoryMaker& make,
                                         const ExperimentHooks& hooks = {});

/** Mean and the half-width of its 95% confidence interval (Student's t, n - 1 degrees of
 *  freedom); the half-width is NaN for fewer than two values. */
struct MeanCi {
  double mean = 0.0;
  double half_width = 0.0;
  std::size_t n = 0;
};
MeanCi MeanWithCi(const std::vector<double>& values);

/** The comparison table (markdown) of a set of runs: one row per (session, order, gate, agent). */
std::string ExperimentTable(const std::vector<ExperimentRun>& runs);

}  // namespace understudy
