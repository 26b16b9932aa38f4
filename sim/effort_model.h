#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>

#include "rewards/clicks.h"

// The human-effort model: what drawing a polygon by hand, and correcting a suggested one, costs an
// annotator in clicks and seconds. docs/sim.md gives the calibration and its sources; every
// figure below that is not derived from a cited measurement is marked as an assumption there.

namespace understudy {

/**
 * The prices of the model. Defaults are calibrated so that a polygon with COCO's mean vertex
 * count takes COCO's 79.2 s (22 worker-hours per 1,000 segmentations, Lin et al. 2014).
 */
struct EffortModelConfig {
  /** Seconds per vertex placed when drawing from scratch. (79.2 - 5) / 24.0: COCO's time per
   *  polygon minus the per-object overhead, over the mean vertex count of coco128-seg's COCO
   *  2017 polygons (24.0). */
  double seconds_per_vertex = 3.09;
  /** Per-object overhead of drawing: find the object, pick the tool, close the ring and label
   *  it. An assumption (5 s). */
  double draw_overhead_seconds = 5.0;
  /** Seconds per correction of a suggestion, by kind (rewards/clicks.h). Polygon-RNN and its
   *  successors count a correction like a drawn vertex; the defaults follow them. */
  double seconds_per_move = 3.09;
  double seconds_per_add = 3.09;
  double seconds_per_delete = 3.09;
  /** Looking at a suggestion before accepting, editing or rejecting it. An assumption: about
   *  twice the 1.6 s measured for verifying a box (Papadopoulos et al. 2016). */
  double verify_seconds = 3.0;
  /** Drawing the prompt box. Not part of the savings (it is drawn with or without a suggestion);
   *  used for session timings and per-asset times. Extreme clicking: 7 s per box
   *  (Papadopoulos et al. 2017). */
  double box_seconds = 7.0;
  /** How close (image pixels) a corrected polygon must come to the human one (clicks-to-fix). */
  double clicks_tolerance = 2.0;
  /** A suggestion is "accepted unchanged" when it needs no correction and its IoU with the
   *  human polygon is at least this. */
  double accept_iou = 0.9;

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** What the annotator does with a prompt. */
enum class EffortDecision {
  kDrawn,              // no suggestion was shown: drawn from scratch
  kAcceptedUnchanged,  // shown, no correction needed and IoU >= accept_iou
  kEdited,             // shown and corrected: fewer clicks than drawing
  kRejected,           // shown, but correcting would cost at least as many clicks as drawing
};
const char* ToString(EffortDecision decision);

/** The cost of one prompt. */
struct EffortCost {
  EffortDecision decision = EffortDecision::kDrawn;
  std::size_t clicks = 0;  // clicks actually spent
  double seconds = 0.0;    // seconds actually spent
  /** True when a shown suggestion was used: accepted unchanged or edited. */
  bool used() const {
    return decision == EffortDecision::kAcceptedUnchanged || decision == EffortDecision::kEdited;
  }
};

/**
 * Prices prompts. A rational annotator with a suggestion in front of them uses it when fixing
 * takes fewer clicks than drawing the human polygon, and otherwise rejects it and draws; both
 * cost the verification time on top. The annotator is assumed to judge this correctly (an
 * oracle on clicks): a real one would sometimes edit a hopeless suggestion or redraw a fixable
 * one, so the savings here are an upper bound with respect to that choice.
 */
class EffortModel {
 public:
  /** Validates the config. */
  explicit EffortModel(EffortModelConfig config = {});

  /** Seconds to draw a polygon of `clicks_to_draw` vertices from scratch. */
  double DrawSeconds(std::size_t clicks_to_draw) const;
  /** Seconds of the corrections alone (no verification). */
  double FixSeconds(const ClickCount& clicks_to_fix) const;

  /** The cost when no suggestion is shown. */
  EffortCost Draw(std::size_t clicks_to_draw) const;
  /** The cost when a suggestion is shown whose IoU with the human polygon is `iou` and which
   *  needs `clicks_to_fix` corrections (at config().clicks_tolerance). */
  EffortCost Shown(double iou, const ClickCount& clicks_to_fix, std::size_t clicks_to_draw) const;

  const EffortModelConfig& config() const { return config_; }

 private:
  EffortModelConfig config_;
};

/** The config as a JSON object with every field. */
nlohmann::json EffortModelConfigToJson(const EffortModelConfig& config);
/** Reads the object EffortModelConfigToJson writes. Missing keys keep their defaults; unknown
 *  keys and non-numbers are rejected by name; the result is validated. Throws
 *  std::invalid_argument. */
EffortModelConfig EffortModelConfigFromJson(const nlohmann::json& json);

}  // namespace understudy
