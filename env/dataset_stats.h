#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "env/dataset.h"
#include "env/importer.h"

namespace understudy {

/** Vertices per ring: min, median (the mean of the two middle values for an even count), max. */
struct VertexSummary {
  std::size_t min = 0;
  double median = 0.0;
  std::size_t max = 0;
};
VertexSummary Summarise(std::vector<std::size_t> counts);

/** Counts that describe a dataset, as `understudy dataset stats` prints them. */
struct DatasetStats {
  std::size_t images = 0;
  std::size_t inline_images = 0;  // assets whose bytes are embedded (labelme imageData)
  std::size_t instances = 0;      // annotated objects, crowds included
  std::size_t polygons =
      0;                  // outer rings over all instances (a multi-part object counts each part)
  std::size_t holes = 0;  // hole rings over all instances
  std::size_t multi_part = 0;      // instances with more than one part
  std::size_t crowd = 0;           // instances flagged crowd
  std::size_t ignore_regions = 0;  // labelme __ignore__ / mask void regions, not instances
  std::size_t classes = 0;         // distinct classes that have at least one instance
  std::size_t class_names = 0;     // length of the dataset's class list
  VertexSummary vertices;          // per polygon (outer ring), after validation
  std::vector<std::pair<std::string, std::size_t>>
      instances_per_class;  // in class order, used classes only
};

DatasetStats ComputeStats(const Dataset& dataset);

/** One JSON object: the stats, plus what the import skipped (see ImportReport). */
std::string StatsJson(const DatasetStats& stats, const ImportReport& report);

}  // namespace understudy
