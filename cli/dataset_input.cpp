#include "cli/dataset_input.h"

#include <CLI/Error.hpp>
#include <iostream>
#include <stdexcept>

#include "env/importer.h"
#include "env/synthetic.h"

namespace understudy::cli {

LoadedDataset LoadDatasetInput(const DatasetInput& in, const std::string& command) {
  LoadedDataset out;
  if (!in.dataset.empty()) {
    const std::string prefix = "synthetic";
    if (in.dataset.compare(0, prefix.size(), prefix) != 0 ||
        (in.dataset.size() > prefix.size() && in.dataset[prefix.size()] != ':')) {
      throw CLI::ValidationError("--dataset", "'" + in.dataset +
                                                  "' is not synthetic[:preset] (presets: easy, "
                                                  "default, hard)");
    }
    const std::string preset =
        in.dataset.size() > prefix.size() ? in.dataset.substr(prefix.size() + 1) : "default";
    SyntheticConfig config;
    try {
      config = SyntheticPreset(preset);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("--dataset", e.what());
    }
    config.seed = in.seed;
    if (in.count > 0) config.num_assets = in.count;
    out.label = "synthetic:" + preset + " (seed " + std::to_string(config.seed) + ", " +
                std::to_string(config.num_assets) + " images)";
    out.dataset = GenerateSynthetic(config, in.threads);
    return out;
  }
  ImportOptions options;
  options.images = in.images;
  options.skip_bad_instances = in.skip_bad;
  ImportReport report;
  out.dataset = LoadDataset(ParseDatasetFormat(in.format), in.path, options, report);
  out.skipped = report.skipped_instances;
  for (const std::string& problem : report.problems) {
    std::cerr << "understudy " << command << ": skipped " << problem << "\n";
  }
  out.label = in.format + " " + in.path;
  return out;
}

}  // namespace understudy::cli
