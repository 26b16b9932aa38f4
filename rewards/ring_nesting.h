#pragma once

#include <vector>

#include "rewards/polygon.h"

namespace understudy {

/**
 * Builds an instance from a flat list of rings by nesting, so that orientation does not matter:
 * a ring inside an even number of the others (0, 2, ...) is the outer ring of a part, a ring
 * inside an odd number is a hole of the innermost ring containing it. Containment is decided by
 * the first vertex of each ring (even-odd rule), so rings must not cross or touch. The result is
 * raw: pass it to Validate() for orientation and the other checks.
 */
Instance InstanceFromRings(std::vector<Ring> rings);

/** Even-odd point-in-ring test (closing edge implicit); points on the boundary are unspecified. */
bool PointInRing(const Point& p, const Ring& ring);

}  // namespace understudy
