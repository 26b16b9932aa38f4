#pragma once

#include <cstdint>
#include <string>

#include "env/click_seeds.h"
#include "env/mask_tracing.h"
#include "env/proposer.h"

namespace understudy {

/** GrabCut's knobs. The defaults are the ones docs/env.md measures. */
struct GrabCutConfig {
  /** Context around the box, a fraction of its size per side: GrabCut models the background
   *  from it and collapses on tight crops. */
  double context_margin = 0.5;
  int max_side = 192;  // the crop is shrunk to this longer side, for speed
  /** Smaller crops are enlarged to this longer side: graph cuts trade a region term that grows
   *  with area against a boundary term that grows with length, so small objects collapse
   *  ("shrinking bias") unless they are seen at a larger scale. */
  int min_side = 0;
  int iterations = 5;               // GrabCut EM iterations
  double min_area_fraction = 0.05;  // a result smaller than this share of the box collapsed
  int min_background_pixels = 64;   // too little context to model the background: fall back
  ClickSeedOptions clicks;          // how clicks become object and background seeds
  TraceOptions trace{1.0, 128, 4.0};
  int fallback_vertices = 32;  // the inscribed ellipse used when GrabCut collapses
  std::uint64_t seed = 0;      // cv::theRNG is seeded with this on every call

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
};

/**
 * GrabCut (OpenCV) initialised from the prompt: outside the box is background, inside probably
 * object; clicks fix their colour-uniform neighbourhood as object or background
 * (PaintClickSeeds). The object region
 * under the box centre (else the largest) is traced to a polygon. When the result collapses, or
 * the box leaves no context to model the background, the inscribed ellipse is returned with
 * source "grabcut:ellipse-fallback". Deterministic: the same image and prompt give the same
 * polygon.
 */
class GrabCutProposer : public Proposer {
 public:
  explicit GrabCutProposer(GrabCutConfig config = {});
  std::string name() const override { return "grabcut"; }
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override;

 private:
  GrabCutConfig config_;
};

}  // namespace understudy
