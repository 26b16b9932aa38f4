#include "rewards/pair_metrics.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "rewards/iou.h"
#include "rewards/raster.h"

namespace understudy {

void PairMetricsOptions::Validate() const {
  auto check = [](double v, const char* field) {
    if (!std::isfinite(v) || v <= 0.0) {
      throw std::invalid_argument(std::string("PairMetricsOptions.") + field +
                                  " must be finite and > 0, got " + std::to_string(v));
    }
  };
  check(tolerance, "tolerance");
  check(pixels_per_unit, "pixels_per_unit");
}

PairMetrics ComputePairMetrics(const Instance& proposal, const Instance& human,
                               const PairMetricsOptions& options) {
  options.Validate();
  PairMetrics m;
  m.iou = ExactIou(proposal, human);
  m.raster_iou = RasterIou(proposal, human, options.pixels_per_unit);
  m.raster_iou_error_bound = RasterIouErrorBound(proposal, human, options.pixels_per_unit);
  ContourDistanceOptions contour;
  contour.tolerance = options.tolerance;
  const ContourDistances d = ComputeContourDistances(proposal, human, contour);
  m.boundary = d.boundary;
  m.hausdorff = d.hausdorff;
  m.mean_contour_distance = d.mean_distance;
  m.mean_contour_distance_error = d.mean_distance_error;
  m.clicks_to_fix = ClicksToFix(proposal, human, options.tolerance);
  m.clicks_to_draw = ClicksToDraw(human);
  return m;
}

}  // namespace understudy
