#pragma once

#include <cstddef>

#include "rewards/polygon.h"

namespace understudy {

/** Clicks a simulated annotator spends to fix a proposal, by kind (for the human-effort model). */
struct ClickCount {
  std::size_t moves = 0;    // proposal vertices dragged onto the human contour
  std::size_t adds = 0;     // vertices inserted (including whole human parts or holes drawn)
  std::size_t deletes = 0;  // proposal vertices removed (including whole spurious parts or holes)
  std::size_t Total() const { return moves + adds + deletes; }
};

/**
 * Clicks to bring a validated proposal within `tolerance` (image units, > 0) of a validated human
 * polygon, following Polygon-RNN's simulated annotator. Per matched pair of rings:
 *  1. every proposal vertex is snapped to its closest point on the human ring (point-to-segment
 *     distance); vertices whose snapped positions run backwards along the human ring (a fold) are
 *     deleted, keeping the longest cyclically non-decreasing run of snapped positions;
 *  2. while the kept vertex farthest from the human ring is more than `tolerance` away, it is
 *     moved onto its snapped point (one click each; a move never changes another vertex's
 *     distance, so each vertex moves at most once);
 *  3. between two consecutive kept vertices, while some point of the human ring between their
 *     snapped positions is more than `tolerance` from the corrected edge, the farthest such point
 *     (always a human vertex) is inserted, one click each.
 * Parts are paired by an optimal one-to-one matching on IoU (IoU > 0), holes likewise within
 * paired parts; an unpaired proposal part or hole costs one delete per vertex and an unpaired
 * human part or hole one add per vertex. Terminates after at most |proposal| moves + |human| adds;
 * deterministic. Identical inputs cost 0. docs/metrics.md has worked examples.
 * Throws std::invalid_argument for a non-finite or non-positive tolerance.
 */
ClickCount ClicksToFix(const Instance& proposal, const Instance& human, double tolerance);

/** One ring's fix: its clicks and the corrected ring they produce. */
struct RingFix {
  ClickCount clicks;
  Ring corrected;  // kept vertices (moved ones on the human ring) and inserted human vertices
};

/**
 * The protocol on one pair of rings (same orientation, as validation guarantees). The corrected
 * ring is within `tolerance` of the human ring in Hausdorff distance.
 */
RingFix FixRing(const Ring& proposal, const Ring& human, double tolerance);

/** Clicks to draw the human polygon from scratch: its vertex count over all rings. */
std::size_t ClicksToDraw(const Instance& human);

}  // namespace understudy
