#pragma once

#include "rewards/polygon.h"

namespace understudy {

/**
 * Area of the intersection of two validated instances (see validation.h). Exact decisions:
 * shared edges, vertices on edges and identical inputs are handled consistently, and only the
 * area sum itself is rounded (relative error about 1e-15 times the vertex count). Thread-safe;
 * reuses per-thread buffers. Algorithm and accuracy: docs/geometry.md.
 */
double IntersectionArea(const Instance& a, const Instance& b);

/** Exact intersection-over-union of two validated instances; 0 when the union is empty. */
double ExactIou(const Instance& a, const Instance& b);

}  // namespace understudy
