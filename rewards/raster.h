#pragma once

#include <cstdint>

#include "rewards/mask.h"
#include "rewards/polygon.h"

namespace understudy {

/**
 * Pixel counts of two shapes rasterised on the same lattice: pixels of a, of b, and of both.
 * Areas in image units are counts / ppu^2.
 */
struct RasterOverlap {
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::int64_t intersection = 0;
  std::int64_t Union() const { return a + b - intersection; }
  /** intersection / union; 0 when the union is empty. */
  double Iou() const;
};

// Rasterisation samples each lattice pixel at its centre ((i + 0.5) / ppu, (j + 0.5) / ppu): a
// pixel is set when the winding number of the instance's rings around that centre is non-zero.
// For a validated instance (outer rings positive, holes negative, parts disjoint) that is
// exactly "the centre lies in the region". Edges are half-open in y and spans half-open in x, so
// two shapes that share an edge never both claim a pixel. No pixel is materialised for IoU:
// rows are walked as sorted spans, so the cost is O(rows x crossings + edges), not O(area).
// Every function throws std::invalid_argument for a non-finite or non-positive pixels_per_unit, a
// lattice whose coordinates would exceed 2^50, or more than 2^24 pixel rows to walk.

/** The instance's pixels on the lattice with `pixels_per_unit`, in the smallest window holding
 * them (an empty mask when no pixel centre is inside). */
Mask Rasterize(const Instance& instance, double pixels_per_unit = 1.0);

/** Sets the instance's pixels in an existing mask (on its lattice); pixels outside its window
 * are ignored and set pixels are never cleared. */
void RasterizeInto(const Instance& instance, Mask& mask);

/** Pixel counts of a, b and both, on the lattice with `pixels_per_unit`. */
RasterOverlap CountRasterOverlap(const Instance& a, const Instance& b,
                                 double pixels_per_unit = 1.0);

/** IoU of the two rasterisations (see CountRasterOverlap); 0 when both are empty. */
double RasterIou(const Instance& a, const Instance& b, double pixels_per_unit = 1.0);

/**
 * IoU of a polygon against a mask-only annotation: the instance is rasterised on the mask's
 * lattice; polygon pixels outside the mask's window count in the union. 0 when both are empty.
 */
double RasterIou(const Instance& polygon, const Mask& mask);

/**
 * A guaranteed bound on |RasterIou(a, b, ppu) - ExactIou(a, b)| for validated instances (derived
 * in docs/metrics.md). With h = 1 / ppu: a pixel whose interior no boundary enters is classified
 * exactly; one entered by k edges is off by at most k h^2 / 2 (a chord splits a square so that
 * the centre's side holds at least half of it); an edge (dx, dy) enters at most
 * 3 + (|dx| + |dy|) / h pixels. So intersection and union areas are each off by at most
 * delta = sum over all edges of a and b of (h (|dx| + |dy|) / 2 + 1.5 h^2), and the IoU by at
 * most 2 delta / (U - delta) with U >= max(area a, area b). Returns 1 when that is not
 * informative. It is a worst case: on real polygons the error is typically 1-2% of it.
 */
double RasterIouErrorBound(const Instance& a, const Instance& b, double pixels_per_unit);

}  // namespace understudy
