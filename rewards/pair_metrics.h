#pragma once

#include <cstddef>

#include "rewards/clicks.h"
#include "rewards/contour_distance.h"
#include "rewards/polygon.h"

namespace understudy {

/** Settings for scoring one proposal against one human polygon; Validate() throws. */
struct PairMetricsOptions {
  double tolerance = 2.0;        // boundary F and clicks-to-fix, image units (> 0)
  double pixels_per_unit = 1.0;  // lattice of the raster IoU (> 0)
  void Validate() const;
};

/** Every diff metric of one proposal against one human polygon. */
struct PairMetrics {
  double iou = 0.0;                     // ExactIou
  double raster_iou = 0.0;              // RasterIou at pixels_per_unit
  double raster_iou_error_bound = 0.0;  // RasterIouErrorBound: |raster_iou - iou| <= this
  BoundaryF boundary;
  double hausdorff = 0.0;
  double mean_contour_distance = 0.0;
  double mean_contour_distance_error = 0.0;
  ClickCount clicks_to_fix;
  std::size_t clicks_to_draw = 0;
};

/** All metrics of a validated proposal against a validated human polygon. */
PairMetrics ComputePairMetrics(const Instance& proposal, const Instance& human,
                               const PairMetricsOptions& options = {});

}  // namespace understudy
