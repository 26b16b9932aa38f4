#include "transport/sendable.h"

#include <algorithm>
#include <cmath>

namespace understudy {

bool ShapeIsSendable(const Instance& shape, std::size_t max_vertices) {
  if (shape.parts.empty()) return false;
  auto ring_ok = [&](const Ring& r) {
    if (r.size() < 3 || r.size() > max_vertices) return false;
    return std::all_of(r.begin(), r.end(),
                       [](const Point& p) { return std::isfinite(p.x) && std::isfinite(p.y); });
  };
  for (const Polygon& p : shape.parts) {
    if (!ring_ok(p.outer)) return false;
    if (!std::all_of(p.holes.begin(), p.holes.end(), ring_ok)) return false;
  }
  return true;
}

}  // namespace understudy
