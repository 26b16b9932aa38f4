// `understudy baseline`: how well the data-unaware proposers outline a dataset's instances.
#include <unistd.h>

#include <CLI/App.hpp>
#include <cstdint>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/dataset_input.h"
#include "env/baseline.h"
#include "env/importer.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"

namespace understudy::cli {
namespace {

struct BaselineArgs {
  std::string dataset;  // synthetic[:preset], or
  std::string format;   // an importer's format with
  std::string path;     // its file or folder
  std::string images;
  bool skip_bad = false;
  std::string proposer = "all";
  std::size_t limit = 0;
  std::uint64_t seed = 1;
  int count = 0;
  double jitter = 0.0;
  double tolerance = 2.0;
  int threads = 1;
  bool json = false;
};

std::string Fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

int RunBaseline(const BaselineArgs& args) {
  std::vector<std::string> names;
  if (args.proposer == "all") {
    names = ProposerNames();
  } else {
    names = {args.proposer};
  }
  std::vector<std::unique_ptr<Proposer>> owned;
  std::vector<Proposer*> proposers;
  for (const std::string& n : names) {
    try {
      owned.push_back(MakeProposer(n));
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy baseline: --proposer: " << e.what() << " or all\n";
      return kUsage;
    }
    proposers.push_back(owned.back().get());
  }
  if (args.dataset.empty() == args.format.empty()) {
    std::cerr << "understudy baseline: give either --dataset synthetic[:preset] or --format F "
                 "PATH\n";
    return kUsage;
  }
  if (!args.format.empty() && args.path.empty()) {
    std::cerr << "understudy baseline: --format " << args.format << " needs a PATH\n";
    return kUsage;
  }
  DatasetInput input;
  input.dataset = args.dataset;
  input.format = args.format;
  input.path = args.path;
  input.images = args.images;
  input.skip_bad = args.skip_bad;
  input.seed = args.seed;
  input.count = args.count;
  input.threads = args.threads;
  LoadedDataset loaded;
  try {
    loaded = LoadDatasetInput(input, "baseline");  // ImportError: exit 1 with its message
  } catch (const CLI::ValidationError& e) {
    std::cerr << "understudy baseline: " << e.what() << "\n";
    return kUsage;
  }
  const std::string& label = loaded.label;
  Dataset& dataset = loaded.dataset;
  const std::size_t skipped = loaded.skipped;

  BaselineOptions options;
  options.prompts.box_jitter = args.jitter;
  options.prompts.seed = args.seed;
  options.limit = args.limit;
  options.clicks_tolerance = args.tolerance;
  if (isatty(STDERR_FILENO) == 1) {
    options.progress = [](std::size_t done, std::size_t total) {
      if (done % 10 == 0 || done == total) {
        std::cerr << "\rbaseline: " << done << "/" << total << " instances" << std::flush;
        if (done == total) std::cerr << "\n";
      }
    };
  }
  const std::vector<BaselineReport> reports = EvaluateProposers(dataset, proposers, options);

  std::size_t rejected = skipped;
  for (const BaselineReport& r : reports) {
    rejected += r.rejected.size();
    for (const RejectedInput& bad : r.rejected) {
      std::cerr << "understudy baseline: rejected " << bad.where << " (" << r.proposer
                << "): " << bad.why << "\n";
    }
  }
  if (args.json) {
    nlohmann::json out;
    out["dataset"] = label;
    out["skipped_instances"] = skipped;
    out["images"] = dataset.assets.size();
    out["box_jitter"] = args.jitter;
    out["clicks_tolerance"] = args.tolerance;
    out["proposers"] = nlohmann::json::array();
    for (const BaselineReport& r : reports) {
      out["proposers"].push_back({{"name", r.proposer},
                                  {"instances", r.scores.size()},
                                  {"mean_iou", r.MeanIou()},
                                  {"median_iou", r.MedianIou()},
                                  {"mean_clicks_to_fix", r.MeanClicksToFix()},
                                  {"median_clicks_to_fix", r.MedianClicksToFix()},
                                  {"mean_clicks_to_draw", r.MeanClicksToDraw()},
                                  {"median_clicks_to_draw", r.MedianClicksToDraw()},
                                  {"fallbacks", r.Fallbacks()},
                                  {"crowd_skipped", r.crowd_skipped},
                                  {"rejected", r.rejected.size()},
                                  {"seconds", r.TotalSeconds()}});
    }
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "dataset: " << label << ", " << dataset.assets.size() << " images, "
              << (reports.empty() ? 0 : reports[0].scores.size())
              << " instances prompted with their bounding box"
              << (args.jitter > 0 ? " (jitter " + Fixed(args.jitter, 3) + ")" : std::string())
              << "\n";
    std::cout << "clicks to fix at " << Fixed(args.tolerance, 1)
              << " px (simulated annotator), to draw = the human polygon's vertices\n";
    std::cout << std::left << std::setw(11) << "proposer" << std::right << std::setw(10)
              << "instances" << std::setw(10) << "mean IoU" << std::setw(8) << "median"
              << std::setw(10) << "fix mean" << std::setw(7) << "median" << std::setw(11)
              << "draw mean" << std::setw(7) << "median" << std::setw(11) << "fallbacks"
              << std::setw(9) << "ms/inst"
              << "\n";
    for (const BaselineReport& r : reports) {
      const double ms = r.scores.empty() ? 0.0 : 1e3 * r.TotalSeconds() / r.scores.size();
      std::cout << std::left << std::setw(11) << r.proposer << std::right << std::setw(10)
                << r.scores.size() << std::setw(10) << Fixed(r.MeanIou(), 3) << std::setw(8)
                << Fixed(r.MedianIou(), 3) << std::setw(10) << Fixed(r.MeanClicksToFix(), 1)
                << std::setw(7) << Fixed(r.MedianClicksToFix(), 1) << std::setw(11)
                << Fixed(r.MeanClicksToDraw(), 1) << std::setw(7)
                << Fixed(r.MedianClicksToDraw(), 1) << std::setw(11) << r.Fallbacks()
                << std::setw(9) << Fixed(ms, 2) << "\n";
    }
  }
  return rejected > 0 ? kBadInput : kOk;
}

}  // namespace

void RegisterBaselineCommand(CLI::App& app) {
  auto args = std::make_shared<BaselineArgs>();
  CLI::App* sub = app.add_subcommand(
      "baseline",
      "Scores data-unaware proposers (box, ellipse, GrabCut, watershed) on a dataset: each\n"
      "non-crowd instance is prompted with its own bounding box and the proposal is compared\n"
      "with the human polygon: mean and median IoU, and the clicks a simulated annotator needs\n"
      "to fix it against the clicks to draw the human polygon from scratch.");
  CLI::Option* dataset = sub->add_option(
      "--dataset", args->dataset,
      "synthetic[:preset]: the built-in synthetic scenes (presets: easy, default, hard)");
  CLI::Option* format =
      sub->add_option("--format", args->format, "or a real dataset: the annotation format of PATH")
          ->check(CLI::IsMember({"coco", "via", "labelme", "yolo", "masks"}));
  dataset->excludes(format);
  sub->add_option("path", args->path,
                  "with --format: the dataset file or folder, as `understudy dataset` takes it");
  sub->add_option("--images", args->images,
                  "with --format: the folder image paths are relative to");
  sub->add_flag("--skip-bad", args->skip_bad,
                "with --format: skip and count bad polygons instead of failing (exit 3)");
  sub->add_option("--proposer", args->proposer, "a proposer name, or all (default) for a table")
      ->capture_default_str();
  sub->add_option("--limit", args->limit, "score at most N instances (0: all)");
  sub->add_option("--seed", args->seed, "seed of the synthetic scenes and the box jitter")
      ->capture_default_str();
  sub->add_option("--count", args->count, "synthetic images to generate (default: the preset's)");
  sub->add_option("--jitter", args->jitter,
                  "std of each box side's shift, as a fraction of the box size (0: tight boxes)")
      ->check(CLI::Range(0.0, 0.5));
  sub->add_option("--tolerance", args->tolerance,
                  "pixels within which the simulated annotator counts the polygon as fixed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--threads", args->threads, "threads generating the synthetic scenes")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  sub->add_flag("--json", args->json, "print the results as JSON");
  SetRunner(sub, [args] { return RunBaseline(*args); });
}

}  // namespace understudy::cli
