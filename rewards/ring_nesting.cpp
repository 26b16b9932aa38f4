#include "rewards/ring_nesting.h"

#include <cmath>
#include <cstddef>
#include <utility>

namespace understudy {

bool PointInRing(const Point& p, const Ring& ring) {
  bool inside = false;
  const std::size_t n = ring.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& a = ring[i];
    const Point& b = ring[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)) {
      inside = !inside;
    }
  }
  return inside;
}

Instance InstanceFromRings(std::vector<Ring> rings) {
  const std::size_t n = rings.size();
  std::vector<std::size_t> depth(n, 0);
  std::vector<std::size_t> parent(n, n);
  std::vector<double> area(n);
  for (std::size_t i = 0; i < n; ++i) area[i] = std::abs(SignedArea(rings[i]));
  for (std::size_t i = 0; i < n; ++i) {
    if (rings[i].empty()) continue;
    for (std::size_t k = 0; k < n; ++k) {
      if (k == i || rings[k].size() < 3 || !PointInRing(rings[i].front(), rings[k])) continue;
      ++depth[i];
      if (parent[i] == n || area[k] < area[parent[i]]) parent[i] = k;  // innermost container
    }
  }
  Instance out;
  std::vector<std::size_t> part_of(n, n);
  for (std::size_t i = 0; i < n; ++i) {
    if (depth[i] % 2 == 0) {
      part_of[i] = out.parts.size();
      out.parts.push_back(Polygon{std::move(rings[i]), {}});
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (depth[i] % 2 == 1) out.parts[part_of[parent[i]]].holes.push_back(std::move(rings[i]));
  }
  return out;
}

}  // namespace understudy
