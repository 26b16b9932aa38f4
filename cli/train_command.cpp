// `understudy train`: pretrains the libtorch agent offline on a dataset (the model `serve` and
// the simulator can start from), or measures its online learning curve (--online).
#include <unistd.h>

#include <CLI/App.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "agent/torch/dataset_training.h"
#include "agent/torch_agent.h"
#include "cli/command.h"
#include "cli/dataset_input.h"
#include "env/baseline.h"
#include "env/importer.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"

namespace understudy::cli {
namespace {

struct TrainArgs {
  std::string dataset;  // synthetic[:preset], or
  std::string format;   // an importer's format with
  std::string path;     // its file or folder
  std::string images;
  bool skip_bad = false;
  int count = 0;
  std::uint64_t data_seed = 1;
  std::string out;
  std::string init;
  std::string config;
  int updates = 2000;
  std::uint64_t seed = 0;
  bool seed_given = false;
  double holdout = 0.0;
  double jitter = 0.0;
  std::string project = "train";
  bool json = false;
  bool online = false;
  int updates_per_annotation = 8;
  int refresh_every = 1;
  std::size_t limit = 0;
  int window = 100;
  std::vector<std::string> baselines = {"ellipse", "grabcut"};
};

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// --config: inline JSON (starting with '{') or a file holding it.
TorchAgentConfig ReadConfig(const TrainArgs& args) {
  nlohmann::json j = nlohmann::json::object();
  if (!args.config.empty()) {
    std::string text = args.config;
    if (text.find('{') != 0) {
      std::ifstream in(args.config);
      if (!in) throw CLI::ValidationError("--config", "cannot read '" + args.config + "'");
      std::ostringstream s;
      s << in.rdbuf();
      text = s.str();
    }
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw CLI::ValidationError("--config", std::string("not JSON: ") + e.what());
    }
  }
  if (args.seed_given) j["seed"] = args.seed;
  try {
    return TorchAgentConfigFromJson(j);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError("--config", e.what());
  }
}

std::unique_ptr<TorchPolicy> LoadPolicyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the model '" + path + "'");
  return LoadTorchPolicy(in);
}

void SavePolicyFile(const Policy& policy, const std::string& path) {
  const std::filesystem::path target(path);
  const std::filesystem::path tmp = target.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + tmp.string() + "'");
    policy.Save(out);
    out.flush();
    if (!out) throw std::runtime_error("writing '" + tmp.string() + "' failed");
  }
  std::filesystem::rename(tmp, target);
}

bool Interactive() { return isatty(STDERR_FILENO) == 1; }

int RunOnline(const TrainArgs& args, const TorchAgentConfig& config, Dataset dataset,
              const std::string& label, std::unique_ptr<TorchPolicy> start) {
  const std::vector<DatasetAnnotation> annotations = DatasetAnnotations(dataset, args.project);
  PromptSamplerConfig prompts;
  prompts.box_jitter = args.jitter;
  prompts.seed = config.seed;
  const EpisodeSource episodes(std::move(dataset), prompts);
  auto learner = MakeTorchLearner(config, HeldOutSplit(0.0, config.seed), start.get());
  std::unique_ptr<Policy> initial =
      start ? std::unique_ptr<Policy>(start->Clone()) : learner->MakePolicy();
  PrequentialOptions options;
  options.updates_per_annotation = args.updates_per_annotation;
  options.refresh_every = args.refresh_every;
  options.limit = args.limit;
  options.baselines = args.baselines;
  if (Interactive()) {
    options.progress = [](std::size_t done, std::size_t total) {
      if (done % 10 == 0 || done == total) {
        std::cerr << "\rtrain --online: " << done << "/" << total << " annotations" << std::flush;
        if (done == total) std::cerr << "\n";
      }
    };
  }
  const PrequentialResult r =
      RunPrequential(*learner, std::move(initial), episodes, annotations, options);
  const std::size_t n = r.agent.size();
  const std::size_t w = static_cast<std::size_t>(args.window);
  if (args.json) {
    nlohmann::json out;
    out["dataset"] = label;
    out["config"] = TorchAgentConfigToJson(config);
    out["updates_per_annotation"] = args.updates_per_annotation;
    out["annotations"] = n;
    out["updates"] = r.updates;
    out["skipped_non_finite"] = r.skipped_non_finite;
    out["propose_seconds"] = r.propose_seconds;
    out["learn_seconds"] = r.learn_seconds;
    out["agent_iou"] = r.agent;
    out["agent_confidence"] = r.confidence;
    out["agent_source"] = r.sources;
    for (std::size_t b = 0; b < r.baseline_names.size(); ++b) {
      out["baseline_iou"][r.baseline_names[b]] = r.baselines[b];
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "dataset: " << label << ", " << n << " annotations, "
              << args.updates_per_annotation << " updates per annotation (" << r.updates
              << " applied, " << r.skipped_non_finite << " skipped)\n";
    std::cout << "blind IoU per window of " << w << " annotations (agent = the serving policy, "
              << "scored before it learns from the annotation)\n";
    std::cout << std::left << std::setw(14) << "annotations" << std::right << std::setw(8)
              << "agent";
    for (const std::string& b : r.baseline_names) std::cout << std::setw(10) << b;
    std::cout << "\n";
    for (std::size_t first = 0; first < n; first += w) {
      const std::size_t last = std::min(n, first + w);
      std::cout << std::left << std::setw(14)
                << (std::to_string(first + 1) + "-" + std::to_string(last)) << std::right
                << std::setw(8) << Fixed(PrequentialResult::Mean(r.agent, first, last), 3);
      for (const auto& b : r.baselines) {
        std::cout << std::setw(10) << Fixed(PrequentialResult::Mean(b, first, last), 3);
      }
      std::cout << "\n";
    }
    std::cout << std::left << std::setw(14) << "all" << std::right << std::setw(8)
              << Fixed(PrequentialResult::Mean(r.agent, 0, n), 3);
    for (const auto& b : r.baselines) {
      std::cout << std::setw(10) << Fixed(PrequentialResult::Mean(b, 0, n), 3);
    }
    std::cout << "\nseconds: proposing " << Fixed(r.propose_seconds, 1) << ", learning "
              << Fixed(r.learn_seconds, 1) << "\n";
  }
  if (!args.out.empty()) SavePolicyFile(*learner->MakePolicy(), args.out);
  return kOk;
}

int RunTrain(const TrainArgs& args) {
  if (args.dataset.empty() == args.format.empty()) {
    std::cerr << "understudy train: give either --dataset synthetic[:preset] or --format F PATH\n";
    return kUsage;
  }
  if (!args.format.empty() && args.path.empty()) {
    std::cerr << "understudy train: --format " << args.format << " needs a PATH\n";
    return kUsage;
  }
  if (!args.online && args.out.empty()) {
    std::cerr << "understudy train: --out MODEL is required (or --online for a learning curve)\n";
    return kUsage;
  }
  for (const std::string& b : args.baselines) {
    try {
      MakeProposer(b);
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy train: --baselines: " << e.what() << "\n";
      return kUsage;
    }
  }
  TorchAgentConfig config;
  std::string label;
  std::size_t skipped = 0;
  Dataset dataset;
  try {
    config = ReadConfig(args);
    DatasetInput input;
    input.dataset = args.dataset;
    input.format = args.format;
    input.path = args.path;
    input.images = args.images;
    input.skip_bad = args.skip_bad;
    input.seed = args.data_seed;
    input.count = args.count;
    LoadedDataset loaded = LoadDatasetInput(input, "train");
    dataset = std::move(loaded.dataset);
    label = std::move(loaded.label);
    skipped = loaded.skipped;
  } catch (const CLI::ValidationError& e) {
    std::cerr << "understudy train: " << e.what() << "\n";
    return kUsage;
  }
  std::unique_ptr<TorchPolicy> start;
  if (!args.init.empty()) start = LoadPolicyFile(args.init);
  if (args.online) return RunOnline(args, config, std::move(dataset), label, std::move(start));

  const HeldOutSplit split(args.holdout, config.seed);
  const std::vector<DatasetAnnotation> annotations = DatasetAnnotations(dataset, args.project);
  const Dataset held_out = HeldOutSubset(dataset, annotations, split);
  PromptSamplerConfig prompts;
  prompts.box_jitter = args.jitter;
  prompts.seed = config.seed;
  const EpisodeSource episodes(std::move(dataset), prompts);
  auto learner = MakeTorchLearner(config, split, start.get());
  const auto t0 = std::chrono::steady_clock::now();
  AddReport added = AddDataset(*learner, episodes, annotations, split,
                               Interactive() ? [](std::size_t done, std::size_t total) {
                                 if (done % 20 == 0 || done == total) {
                                   std::cerr << "\rtrain: " << done << "/" << total
                                             << " annotations stored" << std::flush;
                                   if (done == total) std::cerr << "\n";
                                 }
                               }
                                             : std::function<void(std::size_t, std::size_t)>{});
  for (const std::string& r : added.rejected)
    std::cerr << "understudy train: rejected " << r << "\n";
  if (added.added == 0) {
    std::cerr << "understudy train: nothing to train on (" << added.held_out << " held out, "
              << added.rejected.size() << " rejected)\n";
    return kFailure;
  }
  const double add_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto t1 = std::chrono::steady_clock::now();
  int done = 0, skipped_steps = 0;
  UpdateReport last;
  const int chunk = 25;
  while (done < args.updates) {
    const int n = std::min(chunk, args.updates - done);
    const UpdateReport r = learner->Update(n);
    done += n;
    skipped_steps += r.skipped_non_finite;
    if (r.steps > 0) last = r;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::cerr << "train: " << done << "/" << args.updates << " updates, loss "
              << Fixed(last.loss, 4) << ", sampled reward " << Fixed(last.sampled_reward, 3)
              << ", greedy " << Fixed(last.greedy_reward, 3) << ", value error "
              << Fixed(last.value_error, 3) << ", " << Fixed(done / std::max(s, 1e-9), 1)
              << " updates/s" << (Interactive() ? "\r" : "\n") << std::flush;
  }
  if (Interactive()) std::cerr << "\n";
  const double update_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::unique_ptr<Policy> trained = learner->MakePolicy();
  SavePolicyFile(*trained, args.out);

  nlohmann::json out;
  out["dataset"] = label;
  out["model"] = args.out;
  out["examples"] = added.added;
  out["held_out"] = added.held_out;
  out["rejected"] = added.rejected.size() + skipped;
  out["updates"] = args.updates;
  out["skipped_non_finite"] = skipped_steps;
  out["store_seconds"] = add_seconds;
  out["update_seconds"] = update_seconds;
  out["config"] = TorchAgentConfigToJson(config);
  if (!held_out.assets.empty()) {
    std::vector<std::unique_ptr<Proposer>> owned;
    std::vector<Proposer*> proposers = {trained.get()};
    std::unique_ptr<Policy> initial = start ? start->Clone() : MakeTorchPolicy(config);
    proposers.push_back(initial.get());
    for (const std::string& b : args.baselines) {
      owned.push_back(MakeProposer(b));
      proposers.push_back(owned.back().get());
    }
    BaselineOptions options;
    options.prompts = prompts;
    const std::vector<BaselineReport> reports = EvaluateProposers(held_out, proposers, options);
    const char* names[] = {"trained", "start"};
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const std::string name = i < 2 ? names[i] : args.baselines[i - 2];
      out["validation"][name] = {{"instances", reports[i].scores.size()},
                                 {"mean_iou", reports[i].MeanIou()},
                                 {"median_iou", reports[i].MedianIou()},
                                 {"rejected", reports[i].rejected.size()}};
    }
  }
  if (args.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "dataset: " << label << "\n"
              << "trained on " << added.added << " annotations (" << added.held_out
              << " held out) with " << args.updates << " updates in " << Fixed(update_seconds, 1)
              << " s (" << skipped_steps << " skipped as non-finite); model written to " << args.out
              << "\n";
    if (out.contains("validation")) {
      std::cout << "held-out validation (mean IoU, tight boxes unless --jitter):\n";
      for (const auto& [name, v] : out["validation"].items()) {
        std::cout << "  " << std::left << std::setw(10) << name << std::right
                  << Fixed(v["mean_iou"].get<double>(), 3) << "  (median "
                  << Fixed(v["median_iou"].get<double>(), 3) << ", "
                  << v["instances"].get<std::size_t>() << " instances)\n";
      }
    }
  }
  return added.rejected.empty() && skipped == 0 ? kOk : kBadInput;
}

}  // namespace

void RegisterTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* sub = app.add_subcommand(
      "train",
      "Pretrains the libtorch agent offline on a dataset and writes the model that `serve` and\n"
      "the simulator can start from (--out); --holdout-fraction scores it on held-out\n"
      "annotations against the baselines. --online instead replays the dataset as a stream:\n"
      "the agent proposes blind, is scored, then learns from the annotation (a learning curve).");
  CLI::Option* dataset =
      sub->add_option("--dataset", args->dataset,
                      "synthetic[:preset]: built-in synthetic scenes (easy, default, hard)");
  CLI::Option* format =
      sub->add_option("--format", args->format, "or a real dataset: the annotation format of PATH")
          ->check(CLI::IsMember({"coco", "via", "labelme", "yolo", "masks"}));
  dataset->excludes(format);
  sub->add_option("path", args->path, "with --format: the dataset file or folder");
  sub->add_option("--images", args->images,
                  "with --format: the folder image paths are relative to");
  sub->add_flag("--skip-bad", args->skip_bad,
                "with --format: skip and count bad polygons instead of failing (exit 3)");
  sub->add_option("--count", args->count, "synthetic images to generate (default: the preset's)");
  sub->add_option("--data-seed", args->data_seed, "seed of the synthetic scenes")
      ->capture_default_str();
  sub->add_option("--out", args->out,
                  "where to write the trained model (a TorchPolicy checkpoint)");
  sub->add_option("--init", args->init, "start from this model instead of fresh weights");
  sub->add_option("--config", args->config,
                  "TorchAgentConfig as inline JSON or a JSON file (docs/agent.md lists the keys)");
  sub->add_option("--updates", args->updates, "learner updates (offline)")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "overrides the config's seed (weights, sampling, split)")
      ->each([args](const std::string&) { args->seed_given = true; });
  sub->add_option("--holdout-fraction", args->holdout,
                  "share of annotations held out of training and scored after it")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  sub->add_option("--jitter", args->jitter,
                  "std of each prompt box side's shift, as a fraction of the box size")
      ->check(CLI::Range(0.0, 0.5));
  sub->add_option("--project", args->project, "project name in the annotation keys")
      ->capture_default_str();
  sub->add_option("--baselines", args->baselines, "proposers scored beside the agent")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_flag("--json", args->json, "print the results as JSON");
  sub->add_flag("--online", args->online,
                "replay the dataset as a stream: propose blind, score, learn (a learning curve)");
  sub->add_option("--updates-per-annotation", args->updates_per_annotation,
                  "with --online: updates after each annotation")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  sub->add_option("--refresh-every", args->refresh_every,
                  "with --online: annotations between new serving policies")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sub->add_option("--limit", args->limit, "with --online: at most N annotations (0: all)");
  sub->add_option("--window", args->window, "with --online: annotations per reported window")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  SetRunner(sub, [args] { return RunTrain(*args); });
}

}  // namespace understudy::cli
