#include <unistd.h>

#include <CLI/App.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <opencv2/core/utility.hpp>
#include <sstream>
#include <string>

#include "agent/engine_bench.h"
#include "cli/agent_factory.h"
#include "cli/command.h"
#include "cli/proposer_lookup.h"
#include "transport/transport_bench.h"

namespace understudy::cli {
namespace {

/** `understudy bench engine`'s knobs beyond EngineBenchOptions. */
struct EngineBenchFlags {
  EngineBenchOptions run;
  std::string agent = "ellipse";
  double learner_ms = 5.0;
  int batch_updates = 4;
  std::uint64_t every_updates = 50;
  std::string registry_dir;  // parent of the per-phase registries; empty: $TMPDIR or /tmp
  bool no_registry = false;
};

int RunEngineBenchCommand(const EngineBenchFlags& f) {
  cv::setNumThreads(1);  // as `serve --agent` runs: two busy threads, serving and learning
  AgentConfig config;
  config.learning.mode = LearningMode::kBackground;
  config.learning.batch_updates = f.batch_updates;
  config.champion.every_updates = f.every_updates;
  config.champion.min_items = 5;
  std::filesystem::path root;
  if (!f.no_registry) {
    const char* tmp = std::getenv("TMPDIR");
    const std::filesystem::path parent =
        !f.registry_dir.empty() ? std::filesystem::path(f.registry_dir)
                                : std::filesystem::path(tmp != nullptr && *tmp ? tmp : "/tmp");
    root = parent / ("understudy-engine-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
  }
  const bool torch = f.agent == "rl";
  std::ostringstream what;
  if (torch) {
    what << "the torch learner (agent/torch), batches of " << f.batch_updates
         << ", a challenge every " << f.every_updates << " updates";
  } else {
    what << "fake: CpuLoadLearner, " << f.learner_ms
         << " ms of CPU per update (learns nothing; challengers equal the " << f.agent
         << " baseline, so every challenge swaps), batches of " << f.batch_updates
         << ", a challenge every " << f.every_updates << " updates";
  }
  what << (f.no_registry ? ", versions in memory" : ", each winner written to a registry");
  int phase = 0;
  const BenchEngineMaker make = [&](bool with_learner) {
    AgentConfig c = config;
    if (!root.empty()) c.registry_dir = root / ("phase-" + std::to_string(phase++));
    AgentParts parts = MakeAgentParts(f.agent, c, {});
    std::unique_ptr<Learner> learner;
    if (with_learner) {
      learner = torch ? std::move(parts.learner)
                      : std::make_unique<CpuLoadLearner>(f.learner_ms, parts.policy->Clone());
    }
    return std::make_unique<AgentEngine>(c, std::move(parts.policy), std::move(learner),
                                         std::move(parts.loader), f.agent);
  };
  const EngineBenchReport report = RunEngineBench(f.run, make, what.str());
  std::cout << FormatEngineBench(f.run, report);
  if (!root.empty()) std::filesystem::remove_all(root);
  return kOk;
}

}  // namespace

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

  auto e = std::make_shared<EngineBenchFlags>();
  CLI::App* engine = bench->add_subcommand(
      "engine",
      "The agent engine in this thread on synthetic scenes: suggestion latency (OnPrompt p50/p99) "
      "without a learner and with the background learner thread running, alternating phases, and "
      "the time from an annotation arriving to a model that learned from it serving. Without the "
      "torch agent the learner is a stand-in that burns CPU. docs/engine.md quotes it.");
  engine->add_option("--agent", e->agent, "serving policy: rl or a baseline")
      ->capture_default_str();
  engine
      ->add_option("--learner-ms", e->learner_ms,
                   "baselines: CPU milliseconds the stand-in learner burns per update")
      ->capture_default_str();
  engine->add_option("--batch-updates", e->batch_updates, "updates per Learner::Update call")
      ->capture_default_str();
  engine->add_option("--every-updates", e->every_updates, "a challenge after this many updates")
      ->capture_default_str();
  engine->add_option("--prompts", e->run.prompts, "prompts per phase")->capture_default_str();
  engine->add_option("--rounds", e->run.rounds, "pairs of phases (no learner, learner)")
      ->capture_default_str();
  engine->add_option("--interval-ms", e->run.interval_ms, "pause between prompts")
      ->capture_default_str();
  engine->add_option("--warmup", e->run.warmup, "prompts per phase not counted")
      ->capture_default_str();
  engine->add_option("--preset", e->run.preset, "synthetic preset")->capture_default_str();
  engine->add_option("--seed", e->run.seed, "synthetic scenes' seed")->capture_default_str();
  engine->add_option("--registry-dir", e->registry_dir,
                     "parent folder of the per-phase registries (default: $TMPDIR or /tmp)");
  engine->add_flag("--no-registry", e->no_registry, "keep versions in memory (no disk writes)");
  SetRunner(engine, [e]() -> int {
    try {
      return RunEngineBenchCommand(*e);
    } catch (const std::invalid_argument& ex) {
      std::cerr << "understudy bench engine: " << ex.what() << "\n";
      return kUsage;
    }
  });
  RegisterBenchReplayCommand(*bench);
}

}  // namespace understudy::cli
