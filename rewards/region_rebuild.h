#pragma once

// Rebuilds a valid instance from rings that cross, touch or overlap (internal to rewards/; used
// by validation.cpp). See docs/geometry.md, "Repair".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "rewards/polygon.h"
#include "rewards/predicates.h"
#include "rewards/validation.h"

namespace understudy::geometry {

/** One input ring: its vertices (no repeats, at least 3) and where it belongs. */
struct RingInput {
  Ring pts;
  std::size_t part = 0;
  bool hole = false;
};

/**
 * Two edges that meet. Edges are numbered over all rings in order: the edges of ring 0 first
 * (edge k runs from vertex k to vertex k + 1, the last one closes the ring), then ring 1, ...
 */
struct EdgeMeet {
  std::uint32_t e1 = 0, e2 = 0;
  SegmentMeet meet;
};

/**
 * The region  union over parts of (fill(outer) minus union of fill(holes)),  where fill(ring) is
 * the set of points whose winding number about the ring passes `rule`, as an instance whose
 * rings are simple, outer rings counter-clockwise and holes clockwise. `meets` must list every
 * pair of edges that meet. Returns an empty instance when the region has no area. The
 * combinatorial steps are exact; only the output coordinates of crossing points are rounded, and
 * assigning holes to outer rings looks at those: returns nullopt if that (or an internal
 * consistency guard) fails, and the caller retries or gives up.
 */
std::optional<Instance> RebuildRegion(const std::vector<RingInput>& rings,
                                      const std::vector<EdgeMeet>& meets, FillRule rule);

}  // namespace understudy::geometry
