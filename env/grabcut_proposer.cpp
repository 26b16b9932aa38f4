#include "env/grabcut_proposer.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <stdexcept>

#include "env/click_seeds.h"
#include "env/context_crop.h"
#include "env/contour.h"
#include "rewards/validation.h"

namespace understudy {

void GrabCutConfig::Validate() const {
  auto fail = [](const std::string& field, double value, const std::string& rule) {
    throw std::invalid_argument("GrabCutConfig." + field + " = " + std::to_string(value) + " (" +
                                rule + ")");
  };
  if (!(context_margin >= 0.05 && context_margin <= 4.0)) {
    fail("context_margin", context_margin, "must be in [0.05, 4]");
  }
  if (max_side < 16) fail("max_side", max_side, "must be >= 16");
  if (min_side < 0 || min_side > max_side) fail("min_side", min_side, "must be in [0, max_side]");
  if (iterations < 1 || iterations > 50) fail("iterations", iterations, "must be in [1, 50]");
  if (!(min_area_fraction >= 0.0 && min_area_fraction < 1.0)) {
    fail("min_area_fraction", min_area_fraction, "must be in [0, 1)");
  }
  if (min_background_pixels < 1)
    fail("min_background_pixels", min_background_pixels, "must be >= 1");
  if (clicks.radius < 0) fail("clicks.radius", clicks.radius, "must be >= 0");
  if (!(clicks.tolerance >= 0.0)) fail("clicks.tolerance", clicks.tolerance, "must be >= 0");
  if (!(clicks.reach > 0.0 && clicks.reach <= 1.0))
    fail("clicks.reach", clicks.reach, "must be in (0, 1]");
  if (fallback_vertices < 3) fail("fallback_vertices", fallback_vertices, "must be >= 3");
  trace.Validate();
}

GrabCutProposer::GrabCutProposer(GrabCutConfig config) : config_(config) { config_.Validate(); }

Proposal GrabCutProposer::Propose(const cv::Mat& image, const Prompt& prompt) {
  if (image.type() != CV_8UC3) {
    throw std::invalid_argument("GrabCutProposer: image must be CV_8UC3, got type " +
                                std::to_string(image.type()));
  }
  const Box box = UsableBox(prompt.box, image.cols, image.rows);
  auto fallback = [&](const char* why) {
    Proposal p;
    p.shape = understudy::Validate(MakeInstance(InscribedEllipse(box, config_.fallback_vertices)));
    p.source = std::string("grabcut:ellipse-fallback(") + why + ")";
    return p;
  };

  cv::Mat crop;
  const CropTransform t =
      CutContext(image, box, config_.context_margin, config_.max_side, crop, config_.min_side);
  const Point c0 = t.ToCrop({box.x0, box.y0}), c1 = t.ToCrop({box.x1, box.y1});
  // The box in whole crop pixels: a pixel is "inside" when its centre is.
  const int rx0 = std::clamp(static_cast<int>(std::lround(c0.x)), 0, t.width - 1);
  const int ry0 = std::clamp(static_cast<int>(std::lround(c0.y)), 0, t.height - 1);
  const int rx1 = std::clamp(static_cast<int>(std::lround(c1.x)), rx0 + 1, t.width);
  const int ry1 = std::clamp(static_cast<int>(std::lround(c1.y)), ry0 + 1, t.height);
  cv::Mat mask(crop.size(), CV_8UC1, cv::Scalar(cv::GC_BGD));
  mask(cv::Rect(rx0, ry0, rx1 - rx0, ry1 - ry0)).setTo(cv::GC_PR_FGD);
  PaintClickSeeds(crop, t, prompt.clicks, cv::GC_FGD, cv::GC_BGD, config_.clicks, mask);
  const int background = cv::countNonZero(mask == cv::GC_BGD);
  const int foreground = static_cast<int>(mask.total()) - background;
  if (background < config_.min_background_pixels) return fallback("no context");
  if (foreground < 4) return fallback("box too small");

  // GrabCut initialises its colour models with k-means seeded from cv::theRNG (thread-local):
  // seed it on every call so the result depends only on the image and the prompt.
  cv::theRNG() = cv::RNG(config_.seed);
  cv::Mat bgd_model, fgd_model;
  cv::grabCut(crop, mask, cv::Rect(), bgd_model, fgd_model, config_.iterations,
              cv::GC_INIT_WITH_MASK);
  cv::Mat object = (mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD);

  BoxOutline outline = OutlineInBox(object, t, box, config_.trace, config_.min_area_fraction);
  if (!outline.shape) return fallback(outline.failure);
  Proposal proposal;
  proposal.shape = std::move(*outline.shape);
  proposal.source = name();
  return proposal;
}

}  // namespace understudy
