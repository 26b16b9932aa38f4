#include "env/watershed_proposer.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <stdexcept>

#include "env/click_seeds.h"
#include "env/context_crop.h"
#include "env/contour.h"
#include "env/rasterize.h"
#include "rewards/validation.h"

namespace understudy {

void WatershedConfig::Validate() const {
  auto fail = [](const std::string& field, double value, const std::string& rule) {
    throw std::invalid_argument("WatershedConfig." + field + " = " + std::to_string(value) + " (" +
                                rule + ")");
  };
  if (!(context_margin >= 0.05 && context_margin <= 4.0)) {
    fail("context_margin", context_margin, "must be in [0.05, 4]");
  }
  if (max_side < 16) fail("max_side", max_side, "must be >= 16");
  if (!(object_seed_scale > 0.0 && object_seed_scale < 1.0)) {
    fail("object_seed_scale", object_seed_scale, "must be in (0, 1)");
  }
  if (!(background_gap >= 0.0 && background_gap < context_margin)) {
    fail("background_gap", background_gap, "must be in [0, context_margin)");
  }
  if (!(blur_sigma >= 0.0 && blur_sigma <= 10.0))
    fail("blur_sigma", blur_sigma, "must be in [0, 10]");
  if (clicks.radius < 0) fail("clicks.radius", clicks.radius, "must be >= 0");
  if (!(clicks.tolerance >= 0.0)) fail("clicks.tolerance", clicks.tolerance, "must be >= 0");
  if (!(clicks.reach > 0.0 && clicks.reach <= 1.0))
    fail("clicks.reach", clicks.reach, "must be in (0, 1]");
  if (!(min_area_fraction >= 0.0 && min_area_fraction < 1.0)) {
    fail("min_area_fraction", min_area_fraction, "must be in [0, 1)");
  }
  if (fallback_vertices < 3) fail("fallback_vertices", fallback_vertices, "must be >= 3");
  trace.Validate();
}

WatershedProposer::WatershedProposer(WatershedConfig config) : config_(config) {
  config_.Validate();
}

Proposal WatershedProposer::Propose(const cv::Mat& image, const Prompt& prompt) {
  if (image.type() != CV_8UC3) {
    throw std::invalid_argument("WatershedProposer: image must be CV_8UC3, got type " +
                                std::to_string(image.type()));
  }
  const Box box = UsableBox(prompt.box, image.cols, image.rows);
  auto fallback = [&](const char* why) {
    Proposal p;
    p.shape = understudy::Validate(MakeInstance(InscribedEllipse(box, config_.fallback_vertices)));
    p.source = std::string("watershed:ellipse-fallback(") + why + ")";
    return p;
  };

  cv::Mat crop;
  const CropTransform t = CutContext(image, box, config_.context_margin, config_.max_side, crop);
  if (config_.blur_sigma > 0.0) {
    cv::GaussianBlur(crop, crop, cv::Size(), config_.blur_sigma, config_.blur_sigma,
                     cv::BORDER_REPLICATE);
  }
  constexpr int kBackground = 1, kObject = 2;
  // Background seeds: the crop minus the box grown by the gap.
  cv::Mat seeds(crop.size(), CV_8UC1, cv::Scalar(kBackground));
  const double gx = config_.background_gap * box.width(),
               gy = config_.background_gap * box.height();
  const Box grown{box.x0 - gx, box.y0 - gy, box.x1 + gx, box.y1 + gy};
  FillRing(seeds, BoxRing(grown), t, 0);
  const double cx = 0.5 * (box.x0 + box.x1), cy = 0.5 * (box.y0 + box.y1);
  const double s = config_.object_seed_scale;
  const Box core{cx - 0.5 * s * box.width(), cy - 0.5 * s * box.height(),
                 cx + 0.5 * s * box.width(), cy + 0.5 * s * box.height()};
  FillRing(seeds, InscribedEllipse(core, 32), t, kObject);
  PaintClickSeeds(crop, t, prompt.clicks, kObject, kBackground, config_.clicks, seeds);
  if (cv::countNonZero(seeds == kBackground) == 0) return fallback("no context");
  if (cv::countNonZero(seeds == kObject) == 0) return fallback("box too small");

  cv::Mat markers;
  seeds.convertTo(markers, CV_32S);
  cv::watershed(crop, markers);
  // Watershed lines (-1) separate the basins; give them to the object where they touch it so the
  // outline is not biased a pixel inwards.
  cv::Mat object = markers == kObject;
  cv::Mat lines = markers == -1;
  cv::Mat grown_object;
  cv::dilate(object, grown_object, cv::Mat());
  object |= lines & grown_object;

  BoxOutline outline = OutlineInBox(object, t, box, config_.trace, config_.min_area_fraction);
  if (!outline.shape) return fallback(outline.failure);
  Proposal proposal;
  proposal.shape = std::move(*outline.shape);
  proposal.source = name();
  return proposal;
}

}  // namespace understudy
