// `understudy replay`: a recorded or imported session through an agent and its baselines.
#include <unistd.h>

#include <CLI/App.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/progress_bar.h"
#include "cli/request_engine.h"
#include "sim/replay_set.h"
#include "sim/zmq_driver.h"

namespace understudy::cli {
namespace {

struct ReplayArgs {
  std::string session;
  std::string out;
  std::string agent = "auto";
  std::string baselines = "box,ellipse,grabcut,watershed";
  std::string init_model;
  std::string agent_config;
  std::string connect;
  std::string publish;
  double speed = 0.0;
  int timeout_ms = 10000;
  int retries = 3;
  std::uint64_t seed = 1;
  std::string order = "session";
  std::size_t active_pool = 64;
  std::string images;
  std::string effort_file;
  std::string schedule = "per_annotation";
  double updates_per_annotation = 1.0;
  double updates_per_sim_second = 0.0;
  std::string budget_note;
  bool quiet = false;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

nlohmann::json ReadJsonFile(const std::string& path, const char* flag) {
  std::ifstream in(path);
  if (!in) throw CLI::ValidationError(flag, "cannot read '" + path + "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw CLI::ValidationError(flag, path + ": " + e.what());
  }
}

// tcp://host:5555 -> tcp://host:5556: serve's default pair of ports.
std::string NextPort(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return "";
  try {
    return endpoint.substr(0, colon + 1) +
           std::to_string(std::stoi(endpoint.substr(colon + 1)) + 1);
  } catch (const std::exception&) {
    return "";
  }
}

// Without the torch agent, `auto` runs the strongest baseline in the agent's seat, behind the
// same gate, so the main job still shows the shadow-mode mechanics; it says so.
constexpr const char* kFallbackAgent = "grabcut";

int RunReplay(ReplayArgs args) {
  if (args.agent == "auto") {
    if (HasTorchAgent()) {
      args.agent = "rl";
    } else {
      args.agent = kFallbackAgent;
      std::cerr << "understudy replay: this build has no torch agent (rl); --agent auto falls "
                   "back to the "
                << kFallbackAgent
                << " baseline in the agent's seat (same engine and gate, no learning)\n";
    }
  }
  ReplayOptions base;
  AgentRequest request;
  std::vector<std::string> baselines;
  try {
    if (!args.effort_file.empty()) {
      base.effort = EffortModelConfigFromJson(ReadJsonFile(args.effort_file, "--effort"));
    }
    base.speed = args.speed;
    base.order = ParseAssetOrder(args.order);
    base.active_pool = args.active_pool;
    base.Validate();
    if (args.schedule != "none" && args.schedule != "per_annotation" &&
        args.schedule != "per_sim_second") {
      throw CLI::ValidationError("--schedule", "'" + args.schedule +
                                                   "' (expected none, per_annotation or "
                                                   "per_sim_second)");
    }
    request.agent = args.agent;
    request.seed = args.seed;
    request.init_model = args.init_model;
    if (!args.agent_config.empty()) {
      request.config = ReadJsonFile(args.agent_config, "--agent-config");
    }
    request.budget.schedule = args.schedule;
    request.budget.updates_per_annotation =
        args.schedule == "per_annotation" ? args.updates_per_annotation : 0.0;
    request.budget.updates_per_sim_second =
        args.schedule == "per_sim_second" ? args.updates_per_sim_second : 0.0;
    request.budget.note = args.budget_note;
    // Only the RL agent learns; a baseline as the agent states no budget.
    if (args.agent != "rl") request.budget = LearningBudget{};
    if (args.baselines != "none") baselines = SplitList(args.baselines);
  } catch (const CLI::ValidationError& e) {
    std::cerr << "understudy replay: " << e.what() << "\n";
    return kUsage;
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy replay: " << e.what() << "\n";
    return kUsage;
  }

  const Session session = LoadSession(args.session);
  if (session.report.rejected > 0) {
    std::cerr << "understudy replay: " << session.report.rejected
              << " records of the session do not decode and are skipped:\n";
    for (const std::string& p : session.report.problems) std::cerr << "  " << p << "\n";
  }
  request.data_root =
      args.images.empty() ? session.manifest.data_root : std::filesystem::path(args.images);
  if (session.manifest.timings != "real") {
    std::cerr << "understudy replay: " << args.session << " has " << session.manifest.timings
              << " timings (imported): savings are the effort model's prediction\n";
  }

  // The agent first, then the baselines that are not the agent itself.
  std::vector<ReplayJob> jobs;
  jobs.push_back({args.agent, request});
  for (const std::string& b : baselines) {
    if (b == args.agent) continue;
    AgentRequest r = request;
    r.agent = b;
    r.init_model.clear();
    r.config = nlohmann::json();
    r.budget = LearningBudget{};
    jobs.push_back({b, r});
  }
  // Fail before any replay on a bad name (with --connect the agent lives in the server).
  for (std::size_t i = args.connect.empty() ? 0 : 1; i < jobs.size(); ++i) {
    const ReplayJob& job = jobs[i];
    try {
      (void)MakeRequestedEngine(job.request);
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy replay: " << e.what() << "\n";
      return kUsage;
    }
  }

  const std::filesystem::path out = args.out;
  ProgressBar bar(!args.quiet && isatty(STDERR_FILENO) == 1);
  ReplayProgress progress = [&bar](const std::string& label, std::size_t done, std::size_t total) {
    bar.Update(label, done, total);
  };
  std::vector<ReplaySummary> summaries;
  if (!args.connect.empty()) {
    // The agent runs in the server; the baselines run here, on the same session.
    ZmqDriverOptions zo;
    if (std::filesystem::is_regular_file(args.connect)) {
      zo = ReadReadyFile(args.connect);
    } else {
      zo.ingest = args.connect;
      zo.publish = args.publish.empty() ? NextPort(args.connect) : args.publish;
    }
    if (!args.publish.empty()) zo.publish = args.publish;
    zo.projects = session.Projects();
    zo.timeout = std::chrono::milliseconds(args.timeout_ms);
    zo.retries = args.retries;
    ZmqDriver driver(zo);
    ReplayOptions options = base;
    options.agent = args.agent;
    options.seed = args.seed;
    options.budget = request.budget;
    options.progress = [&](std::size_t done, std::size_t total) {
      progress(args.agent, done, total);
    };
    ReplayResult result = Replay(session, driver, options);
    bar.Finish();
    if (driver.retries() > 0) {
      std::cerr << "understudy replay: " << driver.retries()
                << " requests to the server timed out and were retried (Lazy Pirate)\n";
    }
    WriteReplayOutputs(out / SafeLabel(args.agent), result);
    summaries.push_back(std::move(result.summary));
    jobs.erase(jobs.begin());
    for (ReplaySummary& s : ReplayJobs(session, jobs, base, MakeRequestedEngine, out, progress)) {
      summaries.push_back(std::move(s));
    }
  } else {
    summaries = ReplayJobs(session, jobs, base, MakeRequestedEngine, out, progress);
  }
  bar.Finish();
  WriteComparison(out, summaries);

  std::size_t errors = 0;
  for (const ReplaySummary& s : summaries) errors += s.engine_errors;
  std::cout << "session " << args.session << " (" << session.manifest.kind << ", "
            << session.manifest.timings << " timings, " << session.events.size()
            << " events), order " << args.order << ", seed " << args.seed << "\n\n"
            << SummaryTable(summaries) << "\n"
            << "learning budget of " << args.agent << ": " << request.budget.schedule;
  if (request.budget.schedule == "per_annotation") {
    std::cout << ", " << request.budget.updates_per_annotation << " updates per annotation";
  } else if (request.budget.schedule == "per_sim_second") {
    std::cout << ", " << request.budget.updates_per_sim_second << " updates per simulated second";
  }
  std::cout << "\nwritten: " << (out / "comparison.md").string() << ", "
            << (out / "<agent>/summary.json").string() << ", "
            << (out / "<agent>/events.csv").string() << "\n";
  if (errors > 0) {
    std::cerr << "understudy replay: " << errors
              << " engine calls failed (counted as engine_errors; see the error column of "
                 "events.csv)\n";
  }
  return kOk;
}

}  // namespace

void RegisterReplayCommand(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  CLI::App* sub = app.add_subcommand(
      "replay",
      "Replay a session (an event log from serve, or one made by `understudy import`) through "
      "the agent in shadow mode and through the baselines, side by side: blind quality, when "
      "the gate would have opened, and the human effort saved. In-process by default; with "
      "--connect, against a running `understudy serve` started with the same agent, seed and "
      "schedule (the same results). docs/sim.md.");
  sub->add_option("session", args->session, "the session folder")->required();
  sub->add_option("-o,--out", args->out, "output folder (<agent>/summary.json, events.csv, ...)")
      ->required();
  sub->add_option("--agent", args->agent,
                  "rl, a baseline (box, ellipse, grabcut, watershed), or auto: rl when this build "
                  "has the torch agent, else grabcut (said on stderr)")
      ->capture_default_str();
  sub->add_option("--baselines", args->baselines, "comma-separated baselines, or none")
      ->capture_default_str();
  sub->add_option("--init-model", args->init_model, "the agent's starting checkpoint");
  sub->add_option("--agent-config", args->agent_config, "the agent's config (JSON file)");
  sub->add_option("--connect", args->connect,
                  "a running server: its ingest endpoint, or its --ready-file");
  sub->add_option("--publish", args->publish,
                  "with --connect ENDPOINT: its PUB endpoint (default: the next port)");
  sub->add_option("--timeout-ms", args->timeout_ms,
                  "with --connect: wait this long for a reply before retrying")
      ->capture_default_str();
  sub->add_option("--retries", args->retries, "with --connect: retries before giving up")
      ->capture_default_str();
  sub->add_option("--speed", args->speed, "pace at X times real time (0: as fast as possible)")
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "the agent's seed (and the random order's)")
      ->capture_default_str();
  sub->add_option("--order", args->order, "session, random or active (least confidence first)")
      ->capture_default_str();
  sub->add_option("--active-pool", args->active_pool, "active: assets ranked per pick")
      ->capture_default_str();
  sub->add_option("--images", args->images, "the data root (default: the session's)");
  sub->add_option("--effort", args->effort_file, "effort model config (JSON, docs/sim.md)");
  sub->add_option("--schedule", args->schedule,
                  "learning budget: none, per_annotation or per_sim_second")
      ->capture_default_str();
  sub->add_option("--updates-per-annotation", args->updates_per_annotation,
                  "per_annotation: learner updates after each annotation")
      ->capture_default_str();
  sub->add_option("--updates-per-sim-second", args->updates_per_sim_second,
                  "per_sim_second: learner updates per simulated second of human time")
      ->capture_default_str();
  sub->add_option("--budget-note", args->budget_note,
                  "where the budget figure comes from (stated in the summary)");
  sub->add_flag("-q,--quiet", args->quiet, "no progress bar");
  SetRunner(sub, [args] { return RunReplay(*args); });
}

}  // namespace understudy::cli
