#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "rewards/polygon.h"

namespace understudy {

/** What to do with geometry that is not valid: rings that cross or touch, overlapping parts. */
enum class SelfIntersectionPolicy { kReject, kRepair };

/**
 * Which regions a self-intersecting ring encloses when it is repaired: those it winds around an
 * odd number of times (kEvenOdd, how COCO's pycocotools rasterises a polygon), or any nonzero
 * number of times (kNonZero, which also keeps regions traced around twice).
 */
enum class FillRule { kEvenOdd, kNonZero };

/** Limits applied to every ring of an instance. */
struct ValidationOptions {
  std::size_t max_vertices = 4096;  // per ring, after dropping repeated vertices
  SelfIntersectionPolicy self_intersection = SelfIntersectionPolicy::kRepair;
  FillRule fill_rule = FillRule::kEvenOdd;
  // Coordinates beyond this magnitude are rejected: they are not pixels, and the exact predicates
  // need products of coordinates to stay far from overflow.
  double max_abs_coordinate = 1e9;
  // Edge pairs that meet (cross, touch or overlap) beyond this count make the instance too
  // tangled to repair; it is rejected, which bounds the time and memory an input can cost.
  std::size_t max_contacts = 16384;

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** Geometry that cannot be used; the message names the part, the ring and the place. */
class GeometryError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/** What Validate() changed, so that servers can count repairs. */
struct ValidationReport {
  bool repaired = false;             // the region was rebuilt (kRepair on invalid input)
  std::string problem;               // the first problem found; what kReject would have thrown
  std::size_t dropped_vertices = 0;  // repeated consecutive and closing vertices removed
  std::size_t reoriented_rings = 0;  // rings reversed to outer-positive, hole-negative
};

/**
 * Checks and normalises raw annotation geometry. Drops a repeated closing vertex and repeated
 * consecutive vertices; rejects rings with fewer than 3 distinct vertices, non-finite or
 * out-of-range coordinates, more than max_vertices vertices, or zero area (all collinear).
 *
 * The result is valid in the OGC simple-features sense (what GEOS and Shapely call valid): every
 * ring is simple; holes lie inside their outer ring and outside each other; parts have disjoint
 * interiors; rings of the instance touch only at isolated points and never so that a part's
 * interior is disconnected. Outer rings are counter-clockwise (positive SignedArea), holes
 * clockwise. Invalid input is rejected (kReject) or repaired (kRepair): the repaired region is
 * the union over parts of (outer region minus hole regions), where the region of each ring is
 * taken with options.fill_rule; zero-area loops (spikes, out-and-back bridges) vanish. Every
 * decision uses exact predicates. Throws GeometryError; see docs/geometry.md.
 */
Instance Validate(Instance raw, const ValidationOptions& options = {});

/** As above, and fills `report` (when not null) with what was changed. */
Instance Validate(Instance raw, const ValidationOptions& options, ValidationReport* report);

}  // namespace understudy
