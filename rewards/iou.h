#pragma once

#include "rewards/polygon.h"

namespace understudy {

/**
 * Area of the intersection of two validated instances (see validation.h). Every decision is
 * exact, so shared edges, vertices on edges and identical inputs are handled consistently; only
 * the area sum is rounded. Thread-safe; reuses per-thread buffers. Algorithm and accuracy:
 * docs/geometry.md.
 */
double IntersectionArea(const Instance& a, const Instance& b);

/** Exact intersection-over-union of two validated instances; 0 when the union is empty. */
double ExactIou(const Instance& a, const Instance& b);

}  // namespace understudy
