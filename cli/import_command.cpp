// `understudy import`: a dataset (or several sessions) turned into a replayable session.
#include <CLI/App.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "env/importer.h"
#include "env/synthetic.h"
#include "sim/session_import.h"

namespace understudy::cli {
namespace {

struct ImportArgs {
  std::string format;
  std::vector<std::string> paths;
  std::string out;
  std::uint64_t seed = 1;
  std::uint64_t scene_seed = 1;
  std::string project;
  std::string images;
  std::size_t limit = 0;
  int count = 0;
  int threads = 2;
  double jitter = 0.05;
  double draw_time_sigma = 0.25;
  std::string effort_file;
  std::string class_attribute;
  bool skip_bad = false;
  bool merge = false;
};

// The project name a path suggests: its last folder, in the protocol's alphabet.
std::string ProjectFromPath(const std::string& path) {
  std::filesystem::path p = std::filesystem::absolute(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (std::filesystem::is_regular_file(p)) p = p.parent_path();
  std::string name = p.filename().string();
  for (char& c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (name.size() > 64) name.resize(64);
  return name.empty() ? std::string("default") : name;
}

std::string Hours(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f h", seconds / 3600.0);
  return buf;
}

int RunImport(const ImportArgs& args) {
  if (args.merge) {
    if (args.paths.size() < 2) {
      std::cerr << "understudy import: --merge needs at least two SESSION folders\n";
      return kUsage;
    }
    std::vector<std::filesystem::path> inputs(args.paths.begin(), args.paths.end());
    const SessionManifest m = MergeSessions(inputs, args.out, args.seed);
    std::cout << "session " << args.out << ": merged " << inputs.size() << " sessions, " << m.assets
              << " assets, " << m.prompts << " prompts, " << m.annotations
              << " annotations (timings " << m.timings << ")\n";
    return kOk;
  }
  if (args.format.empty()) {
    std::cerr << "understudy import: give --format F PATH (or --merge SESSION...)\n";
    return kUsage;
  }
  ImportSessionOptions options;
  options.seed = args.seed;
  options.box_jitter = args.jitter;
  options.draw_time_sigma = args.draw_time_sigma;
  options.limit = args.limit;
  if (!args.effort_file.empty()) {
    std::ifstream in(args.effort_file);
    if (!in) {
      std::cerr << "understudy import: cannot read --effort " << args.effort_file << "\n";
      return kUsage;
    }
    try {
      options.effort = EffortModelConfigFromJson(nlohmann::json::parse(in));
    } catch (const std::exception& e) {
      std::cerr << "understudy import: --effort " << args.effort_file << ": " << e.what() << "\n";
      return kUsage;
    }
  }

  Dataset dataset;
  const std::string synthetic = "synthetic";
  if (args.format.compare(0, synthetic.size(), synthetic) == 0 &&
      (args.format.size() == synthetic.size() || args.format[synthetic.size()] == ':')) {
    if (!args.paths.empty()) {
      std::cerr << "understudy import: --format " << args.format << " takes no PATH\n";
      return kUsage;
    }
    const std::string preset = args.format.size() > synthetic.size()
                                   ? args.format.substr(synthetic.size() + 1)
                                   : std::string("default");
    SyntheticConfig config;
    try {
      config = SyntheticPreset(preset);
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy import: --format " << args.format << ": " << e.what() << "\n";
      return kUsage;
    }
    config.seed = args.scene_seed;
    if (args.count > 0) config.num_assets = args.count;
    dataset = GenerateSynthetic(config, args.threads);
    options.project = args.project.empty() ? std::string("synthetic") : args.project;
    options.source = "synthetic:" + preset + " (scene seed " + std::to_string(config.seed) + ", " +
                     std::to_string(config.num_assets) + " images)";
  } else {
    DatasetFormat format;
    try {
      format = ParseDatasetFormat(args.format);
    } catch (const std::invalid_argument& e) {
      std::cerr << "understudy import: --format: " << e.what()
                << " (or synthetic[:easy|default|hard])\n";
      return kUsage;
    }
    if (args.paths.size() != 1) {
      std::cerr << "understudy import: --format " << args.format << " needs exactly one PATH\n";
      return kUsage;
    }
    ImportOptions io;
    io.images = args.images;
    io.skip_bad_instances = args.skip_bad;
    io.class_attribute = args.class_attribute;
    ImportReport report;
    dataset = LoadDataset(format, args.paths[0], io, report);  // ImportError: exit 1
    for (const std::string& problem : report.problems) {
      std::cerr << "understudy import: skipped " << problem << "\n";
    }
    options.project = args.project.empty() ? ProjectFromPath(args.paths[0]) : args.project;
    options.source = args.format + ":" + std::filesystem::weakly_canonical(args.paths[0]).string();
  }
  try {
    options.Validate();
  } catch (const std::invalid_argument& e) {
    std::cerr << "understudy import: " << e.what() << "\n";
    return kUsage;
  }
  const SessionManifest m = ImportSession(dataset, args.out, options);
  double seconds = 0.0;
  {
    const Session s = LoadSession(args.out);
    seconds = s.DurationSeconds();
  }
  std::cout << "session " << args.out << ": project " << options.project << ", " << m.assets
            << " assets, " << m.prompts << " prompts and annotations, " << Hours(seconds)
            << " of modelled annotation time (crowd skipped " << m.notes.at("crowd_skipped")
            << ", assets without instances " << m.notes.at("assets_without_instances_skipped")
            << ")\n"
            << "timings are modelled (docs/sim.md): a replay of this session says what the "
               "effort model predicts, not what people took\n";
  return kOk;
}

}  // namespace

void RegisterImportCommand(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* sub = app.add_subcommand(
      "import",
      "Turn a dataset into a session (an event log a replay can drive): the assets in a seeded "
      "order, a prompt per instance (its box with human-like jitter), and the human annotation "
      "after a modelled drawing time. Timings are modelled, not measured (docs/sim.md). With "
      "--merge, interleave sessions into one mixed stream.");
  sub->add_option("--format", args->format,
                  "coco, via, labelme, yolo, masks, or synthetic[:easy|default|hard]");
  sub->add_option("path", args->paths, "the dataset's file or folder (with --merge: sessions)");
  sub->add_option("-o,--out", args->out, "the session folder to write (new or empty)")->required();
  sub->add_option("--seed", args->seed, "asset order, box jitter and drawing-time noise")
      ->capture_default_str();
  sub->add_option("--scene-seed", args->scene_seed, "synthetic: the scenes")->capture_default_str();
  sub->add_option("--count", args->count, "synthetic: images (default: the preset's)");
  sub->add_option("--threads", args->threads, "synthetic: rendering threads")
      ->capture_default_str();
  sub->add_option("--project", args->project,
                  "project name (default: synthetic, or the dataset folder's name)");
  sub->add_option("--images", args->images, "where the images are, if not the format's default");
  sub->add_option("--limit", args->limit, "at most N prompts (0: all)")->capture_default_str();
  sub->add_option("--jitter", args->jitter, "box jitter, a fraction of the box size")
      ->capture_default_str();
  sub->add_option("--draw-time-sigma", args->draw_time_sigma,
                  "log-normal spread of the modelled drawing times (0: exact)")
      ->capture_default_str();
  sub->add_option("--effort", args->effort_file, "effort model config (JSON, docs/sim.md)");
  sub->add_option("--class-attribute", args->class_attribute,
                  "VIA: region attribute holding the class");
  sub->add_flag("--skip-bad", args->skip_bad, "skip (and count) instances with bad geometry");
  sub->add_flag("--merge", args->merge,
                "interleave the sessions given as paths into one mixed stream");
  SetRunner(sub, [args] { return RunImport(*args); });
}

}  // namespace understudy::cli
