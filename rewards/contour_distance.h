#pragma once

#include "rewards/polygon.h"
#include "rewards/segment_index.h"

namespace understudy {

// Distances between the boundaries (every outer ring and hole) of two instances, in image units
// (pixels). All are computed on the polygons themselves, not on a raster; see docs/metrics.md
// for definitions, conventions and error bounds.

/** DAVIS boundary measure: how much of each boundary lies within a tolerance of the other. */
struct BoundaryF {
  double precision = 0.0;  // fraction of the proposal's boundary length near the reference's
  double recall = 0.0;     // fraction of the reference's boundary length near the proposal's
  double f = 0.0;          // 2 P R / (P + R); 0 when P + R = 0
};

/** Settings of the contour-distance metrics; Validate() throws std::invalid_argument. */
struct ContourDistanceOptions {
  double tolerance = 2.0;  // boundary F: distance that counts as "on the boundary", > 0
  void Validate() const;
};

/** The three boundary metrics of one pair, computed with shared indexes. */
struct ContourDistances {
  BoundaryF boundary;
  double hausdorff = 0.0;            // symmetric, between boundaries
  double mean_distance = 0.0;        // symmetric mean over arc length
  double mean_distance_error = 0.0;  // bound on the tie tolerance's effect (~1e-7 of scale)
};

/**
 * Boundary precision, recall and F at `tolerance`, computed exactly: each edge is clipped against
 * the union of the other boundary's distance bands (capsules of radius `tolerance`). Both empty:
 * P = R = F = 1; exactly one empty: 0.
 */
BoundaryF BoundaryFScore(const Instance& proposal, const Instance& reference, double tolerance);

/**
 * Symmetric Hausdorff distance between the boundaries: max of the two directed distances
 * sup over p on one boundary of the distance from p to the other. Certified branch and bound:
 * the result is within `epsilon` below the exact value. 0 when both are empty, +inf when exactly
 * one is.
 */
double HausdorffDistance(const Instance& a, const Instance& b, double epsilon = 1e-6);

/**
 * Symmetric mean contour distance: (integral over boundary a of d(p, b) + integral over b of
 * d(q, a)) / (length a + length b), in closed form along the lower envelope of the distances to
 * the nearby edges (see DirectedContourDistance). If `error` is given it receives a bound on the
 * deviation from the exact value caused by the tie tolerance (about 1e-7 of the local scale). 0
 * when both are empty, +inf when exactly one is.
 */
double MeanContourDistance(const Instance& a, const Instance& b, double* error = nullptr);

/** Boundary F, Hausdorff and mean contour distance of a proposal against a reference. */
ContourDistances ComputeContourDistances(const Instance& proposal, const Instance& reference,
                                         const ContourDistanceOptions& options = {});

// Directed building blocks over prebuilt indexes, for callers that reuse an index.

/** Length of `from`'s boundary within `tolerance` of `to`'s (exact up to rounding). */
double CoveredLength(const SegmentIndex& from, const SegmentIndex& to, double tolerance);

/** A directed Hausdorff distance and the point of `from` where it is attained. */
struct DirectedHausdorff {
  double distance = 0.0;
  Point where;
};

/** sup over p on `from` of the distance from p to `to`, within `epsilon` below the exact value.
 * `to` must not be empty. */
DirectedHausdorff DirectedHausdorffDistance(const SegmentIndex& from, const SegmentIndex& to,
                                            double epsilon);

/** The distance from points of one boundary to another, integrated and maximised along it. */
struct DirectedDistance {
  double integral = 0.0;  // integral over `from`'s arc length of the distance to `to`
  double max = 0.0;       // its supremum: the directed Hausdorff distance
  Point argmax;           // where on `from` the supremum is attained
  double error = 0.0;     // bound on |integral - exact| (ties resolved within a relative 1e-7)
};

/**
 * Along each edge of `from`, the distance to `to` is the lower envelope of the distances to the
 * few edges of `to` that can be nearest there (a BVH query with a certified reach); each of
 * those is piecewise quadratic when squared, so the envelope's switch points are roots of
 * quadratics, and each envelope piece integrates in closed form and peaks at an end (distance to
 * a segment is convex along a line). `to` must not be empty.
 */
DirectedDistance DirectedContourDistance(const SegmentIndex& from, const SegmentIndex& to);

}  // namespace understudy
