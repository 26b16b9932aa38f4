#include "rewards/polygon.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace understudy {

double SignedArea(const Ring& ring) {
  const std::size_t n = ring.size();
  if (n < 3) return 0.0;
  // Shift to the first vertex so large pixel coordinates do not cancel catastrophically.
  const Point o = ring[0];
  double twice = 0.0;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    const double ax = ring[i].x - o.x, ay = ring[i].y - o.y;
    const double bx = ring[i + 1].x - o.x, by = ring[i + 1].y - o.y;
    twice += ax * by - bx * ay;
  }
  return 0.5 * twice;
}

double Area(const Instance& instance) {
  double a = 0.0;
  for (const Polygon& p : instance.parts) {
    a += std::abs(SignedArea(p.outer));
    for (const Ring& h : p.holes) a -= std::abs(SignedArea(h));
  }
  return a;
}

Bounds BoundsOf(const Ring& ring) {
  Bounds b;
  if (ring.empty()) return b;
  b.x0 = b.x1 = ring[0].x;
  b.y0 = b.y1 = ring[0].y;
  for (const Point& p : ring) {
    b.x0 = std::min(b.x0, p.x);
    b.x1 = std::max(b.x1, p.x);
    b.y0 = std::min(b.y0, p.y);
    b.y1 = std::max(b.y1, p.y);
  }
  return b;
}

Bounds BoundsOf(const Instance& instance) {
  Bounds b;
  for (const Polygon& p : instance.parts) {
    const Bounds r = BoundsOf(p.outer);
    if (r.empty()) continue;
    if (b.empty()) {
      b = r;
    } else {
      b.x0 = std::min(b.x0, r.x0);
      b.y0 = std::min(b.y0, r.y0);
      b.x1 = std::max(b.x1, r.x1);
      b.y1 = std::max(b.y1, r.y1);
    }
  }
  return b;
}

std::size_t VertexCount(const Instance& instance) {
  std::size_t n = 0;
  for (const Polygon& p : instance.parts) {
    n += p.outer.size();
    for (const Ring& h : p.holes) n += h.size();
  }
  return n;
}

Instance MakeInstance(Ring outer) {
  Instance inst;
  inst.parts.push_back(Polygon{std::move(outer), {}});
  return inst;
}

}  // namespace understudy
