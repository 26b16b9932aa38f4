#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "env/dataset.h"

namespace understudy::cli {

/** A dataset named on a command line: `--dataset synthetic[:preset]`, or `--format F PATH`. */
struct DatasetInput {
  std::string dataset;  // synthetic[:easy|default|hard]; empty: a real dataset
  std::string format;   // coco, via, labelme, yolo, masks
  std::string path;
  std::string images;  // the folder image paths are relative to (empty: the format's own rule)
  bool skip_bad = false;
  std::uint64_t seed = 1;  // the synthetic scenes' seed
  int count = 0;           // synthetic images (0: the preset's)
  int threads = 1;         // threads generating the synthetic scenes
};

/** What was loaded, a label for reports, and how many instances --skip-bad skipped. */
struct LoadedDataset {
  Dataset dataset;
  std::string label;
  std::size_t skipped = 0;
};

/**
 * Generates or imports `in`. A bad --dataset throws CLI::ValidationError (a usage error); a real
 * dataset that cannot be read throws the importer's error. Each skipped instance is reported on
 * stderr as "understudy <command>: skipped ...".
 */
LoadedDataset LoadDatasetInput(const DatasetInput& in, const std::string& command);

}  // namespace understudy::cli
