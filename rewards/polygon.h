#pragma once

#include <cstddef>
#include <vector>

namespace understudy {

/** A 2-D point in image pixel coordinates: x to the right, y down. */
struct Point {
  double x = 0.0;
  double y = 0.0;
};

inline bool operator==(const Point& a, const Point& b) { return a.x == b.x && a.y == b.y; }
inline bool operator!=(const Point& a, const Point& b) { return !(a == b); }

/** A closed ring of vertices. The closing edge is implicit: the last vertex is not the first. */
using Ring = std::vector<Point>;

/** One connected part of an object: an outer ring and optional holes inside it. */
struct Polygon {
  Ring outer;
  std::vector<Ring> holes;
};

/**
 * One annotated object. It may have several parts (COCO multi-part objects, labelme group_id).
 * A validated instance (see validation.h) is valid in the OGC sense: simple rings, parts with
 * disjoint interiors, holes inside their outer ring; outer rings have positive signed area and
 * holes negative, so areas add up.
 */
struct Instance {
  std::vector<Polygon> parts;
};

/** An axis-aligned box; empty when x1 < x0 or y1 < y0. */
struct Bounds {
  double x0 = 0.0;
  double y0 = 0.0;
  double x1 = -1.0;
  double y1 = -1.0;
  bool empty() const { return x1 < x0 || y1 < y0; }
  double width() const { return empty() ? 0.0 : x1 - x0; }
  double height() const { return empty() ? 0.0 : y1 - y0; }
};

/** Signed shoelace area: positive when the vertices turn counter-clockwise in a y-up frame. */
double SignedArea(const Ring& ring);

/** Area of a validated instance: the sum of outer areas minus the hole areas. */
double Area(const Instance& instance);

/** The tight bounding box of all vertices. */
Bounds BoundsOf(const Ring& ring);
Bounds BoundsOf(const Instance& instance);

/** Total vertex count over all rings. */
std::size_t VertexCount(const Instance& instance);

/** A single-part, hole-free instance, for the common case. */
Instance MakeInstance(Ring outer);

}  // namespace understudy
