#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "rewards/polygon.h"

namespace understudy {

/** What to do with a ring whose edges cross or touch each other. */
enum class SelfIntersectionPolicy { kReject, kRepair };

/** Limits applied to every ring of an instance. */
struct ValidationOptions {
  std::size_t max_vertices = 4096;  // per ring
  SelfIntersectionPolicy self_intersection = SelfIntersectionPolicy::kRepair;
};

/** Geometry that cannot be used; the message names the part, the ring and the place. */
class GeometryError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/**
 * Checks and normalises raw annotation geometry: drops a repeated closing vertex and repeated
 * consecutive vertices, rejects rings with fewer than 3 vertices, non-finite coordinates or more
 * than max_vertices, orients outer rings positive and holes negative, and repairs or rejects
 * self-intersections. Throws GeometryError.
 */
Instance Validate(Instance raw, const ValidationOptions& options = {});

}  // namespace understudy
