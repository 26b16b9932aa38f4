#pragma once

#include <string>

#include "env/click_seeds.h"
#include "env/mask_tracing.h"
#include "env/proposer.h"

namespace understudy {

/** The watershed proposer's knobs. The defaults are the ones docs/env.md measures. */
struct WatershedConfig {
  double context_margin = 0.25;  // context around the box, a fraction of its size per side
  int max_side = 256;            // the crop is shrunk to this longer side, for speed
  /** The object seed: the box's inscribed ellipse scaled by this about the box centre. */
  double object_seed_scale = 0.5;
  /** The background seed: everything farther outside the box than this share of its size. */
  double background_gap = 0.03;
  double blur_sigma = 1.0;          // Gaussian pre-smoothing (crop pixels); 0 turns it off
  ClickSeedOptions clicks;          // how clicks become object and background seeds
  double min_area_fraction = 0.05;  // a result smaller than this share of the box collapsed
  TraceOptions trace{1.0, 128, 4.0};
  int fallback_vertices = 32;

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
};

/**
 * Marker-based watershed (Meyer flooding, cv::watershed) from the prompt: an inner ellipse seeds
 * the object, the context ring outside the box seeds the background, clicks add seeds
 * (PaintClickSeeds). The object
 * basin is traced to a polygon; when it collapses, or there is no context outside the box, the
 * inscribed ellipse is returned with source "watershed:ellipse-fallback(...)". Deterministic.
 */
class WatershedProposer : public Proposer {
 public:
  explicit WatershedProposer(WatershedConfig config = {});
  std::string name() const override { return "watershed"; }
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override;

 private:
  WatershedConfig config_;
};

}  // namespace understudy
