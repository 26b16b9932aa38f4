// `understudy bench replay`: replay speed, in events/s and against the session's own clock.
#include <CLI/App.hpp>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/request_engine.h"
#include "sim/replay_bench.h"

namespace understudy::cli {
namespace {

struct BenchReplayArgs {
  std::string session;
  std::string agent = "rl";
  std::string init_model;
  std::string images;
  std::string schedule = "per_annotation";
  double updates_per_annotation = 1.0;
  double updates_per_sim_second = 0.0;
  std::uint64_t seed = 1;
  int repeat = 3;
};

int RunBenchReplay(const BenchReplayArgs& a) {
  const Session session = LoadSession(a.session);
  AgentRequest base;
  base.seed = a.seed;
  base.data_root = a.images.empty() ? session.manifest.data_root : std::filesystem::path(a.images);
  std::vector<ReplayBenchCase> cases;
  cases.push_back({"decode only (floor)", AgentRequest{}});
  AgentRequest box = base;
  box.agent = "box";
  cases.push_back({"box", box});
  AgentRequest agent = base;
  agent.agent = a.agent;
  agent.init_model = a.init_model;
  if (a.agent == "rl") {
    agent.budget.schedule = "none";
    cases.push_back({"rl, learning off", agent});
    agent.budget.schedule = a.schedule;
    agent.budget.updates_per_annotation =
        a.schedule == "per_annotation" ? a.updates_per_annotation : 0;
    agent.budget.updates_per_sim_second =
        a.schedule == "per_sim_second" ? a.updates_per_sim_second : 0;
    cases.push_back({"rl, learning on", agent});
  } else if (a.agent != "box") {
    cases.push_back({a.agent, agent});
  }
  for (const ReplayBenchCase& c : cases) {
    if (c.request.agent.empty()) continue;
    try {
      (void)MakeRequestedEngine(c.request);
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy bench replay: " << e.what() << "\n";
      return kUsage;
    }
  }
  std::cout << "session " << a.session << ": " << session.events.size() << " events, "
            << session.manifest.annotations << " annotations, " << session.DurationSeconds()
            << " s on its own clock (" << session.manifest.timings << " timings); best of "
            << a.repeat << " interleaved runs per case\n\n";
  const std::vector<ReplayBenchRow> rows =
      RunReplayBench(session, cases, MakeRequestedEngine, a.repeat);
  std::cout << FormatReplayBench(rows);
  return kOk;
}

}  // namespace

void RegisterBenchReplayCommand(CLI::App& bench) {
  auto a = std::make_shared<BenchReplayArgs>();
  CLI::App* sub = bench.add_subcommand(
      "replay",
      "Replay speed of a session in-process: events/s, the ratio to decoding the session alone "
      "(measured in the same run), and the speed-up over the session's own clock, for the box "
      "baseline and the agent with learning off and on; and whether 1,000 annotations replay in "
      "under 10 minutes. docs/sim.md quotes it.");
  sub->add_option("session", a->session, "the session folder")->required();
  sub->add_option("--agent", a->agent, "rl, or a baseline")->capture_default_str();
  sub->add_option("--init-model", a->init_model, "the agent's starting checkpoint");
  sub->add_option("--images", a->images, "the data root (default: the session's)");
  sub->add_option("--schedule", a->schedule, "learning on: per_annotation or per_sim_second")
      ->capture_default_str();
  sub->add_option("--updates-per-annotation", a->updates_per_annotation, "")->capture_default_str();
  sub->add_option("--updates-per-sim-second", a->updates_per_sim_second, "")->capture_default_str();
  sub->add_option("--seed", a->seed, "the agent's seed")->capture_default_str();
  sub->add_option("--repeat", a->repeat, "runs per case (the fastest is kept)")
      ->capture_default_str();
  SetRunner(sub, [a] { return RunBenchReplay(*a); });
}

}  // namespace understudy::cli
