#include "env/contour.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace understudy {
namespace {

constexpr double kTwoPi = 6.283185307179586;

double Distance(const Point& a, const Point& b) { return std::hypot(b.x - a.x, b.y - a.y); }

// Distance from p to the segment a-b.
double SegmentDistance(const Point& p, const Point& a, const Point& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  if (len2 == 0.0) return Distance(p, a);
  const double t = std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
  return Distance(p, {a.x + t * dx, a.y + t * dy});
}

// Douglas-Peucker on the open chain ring[first..last], marking kept vertices.
void SimplifyChain(const Ring& ring, std::size_t first, std::size_t last, double epsilon,
                   std::vector<bool>& keep) {
  // Iterative, so long dense outlines cannot overflow the stack.
  std::vector<std::pair<std::size_t, std::size_t>> stack{{first, last}};
  while (!stack.empty()) {
    const auto [a, b] = stack.back();
    stack.pop_back();
    double worst = -1.0;
    std::size_t at = a;
    for (std::size_t i = a + 1; i < b; ++i) {
      const double d = SegmentDistance(ring[i], ring[a], ring[b % ring.size()]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (worst > epsilon) {
      keep[at] = true;
      stack.emplace_back(a, at);
      stack.emplace_back(at, b);
    }
  }
}

double Cross(const Point& o, const Point& a, const Point& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

bool OnSegment(const Point& p, const Point& a, const Point& b) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

bool SegmentsTouch(const Point& a, const Point& b, const Point& c, const Point& d) {
  const double d1 = Cross(c, d, a), d2 = Cross(c, d, b);
  const double d3 = Cross(a, b, c), d4 = Cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    return true;
  }
  return (d1 == 0 && OnSegment(a, c, d)) || (d2 == 0 && OnSegment(b, c, d)) ||
         (d3 == 0 && OnSegment(c, a, b)) || (d4 == 0 && OnSegment(d, a, b));
}

}  // namespace

Ring BoxRing(const Box& box) {
  return {{box.x0, box.y0}, {box.x1, box.y0}, {box.x1, box.y1}, {box.x0, box.y1}};
}

Ring InscribedEllipse(const Box& box, int vertices) {
  if (vertices < 3) {
    throw std::invalid_argument("InscribedEllipse: vertices = " + std::to_string(vertices) +
                                " (need at least 3)");
  }
  const double cx = 0.5 * (box.x0 + box.x1), cy = 0.5 * (box.y0 + box.y1);
  const double a = 0.5 * box.width(), b = 0.5 * box.height();
  Ring ring(static_cast<std::size_t>(vertices));
  for (int i = 0; i < vertices; ++i) {
    const double t = kTwoPi * i / vertices;
    ring[static_cast<std::size_t>(i)] = {cx + a * std::cos(t), cy + b * std::sin(t)};
  }
  return ring;
}

Box BoxOf(const Instance& instance) {
  const Bounds b = BoundsOf(instance);
  if (b.empty()) throw std::invalid_argument("BoxOf: instance has no vertices");
  return {b.x0, b.y0, b.x1, b.y1};
}

Box UsableBox(const Box& box, int width, int height, double min_size) {
  if (!std::isfinite(box.x0) || !std::isfinite(box.y0) || !std::isfinite(box.x1) ||
      !std::isfinite(box.y1)) {
    throw std::invalid_argument("UsableBox: box has a non-finite coordinate");
  }
  const double w = width, h = height;
  auto axis = [min_size](double lo, double hi, double limit, double& out_lo, double& out_hi) {
    if (hi < lo) std::swap(lo, hi);
    lo = std::clamp(lo, 0.0, limit);
    hi = std::clamp(hi, 0.0, limit);
    const double need = std::min(min_size, limit);
    if (hi - lo < need) {
      const double c = 0.5 * (lo + hi);
      lo = std::clamp(c - 0.5 * need, 0.0, limit - need);
      hi = lo + need;
    }
    out_lo = lo;
    out_hi = hi;
  };
  Box out;
  axis(box.x0, box.x1, w, out.x0, out.x1);
  axis(box.y0, box.y1, h, out.y0, out.y1);
  return out;
}

const Ring& LargestOuter(const Instance& instance) {
  const Ring* best = nullptr;
  double best_area = -1.0;
  for (const Polygon& p : instance.parts) {
    const double a = std::abs(SignedArea(p.outer));
    if (a > best_area) {
      best_area = a;
      best = &p.outer;
    }
  }
  if (best == nullptr) throw std::invalid_argument("LargestOuter: instance has no parts");
  return *best;
}

double Perimeter(const Ring& ring) {
  double length = 0.0;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    length += Distance(ring[i], ring[(i + 1) % ring.size()]);
  }
  return length;
}

Ring ResampleRing(const Ring& ring, int count) {
  if (count < 3) {
    throw std::invalid_argument("ResampleRing: count = " + std::to_string(count) +
                                " (need at least 3)");
  }
  const double total = Perimeter(ring);
  if (!(total > 0.0) || !std::isfinite(total)) {
    throw std::invalid_argument("ResampleRing: ring of " + std::to_string(ring.size()) +
                                " vertices has no finite positive length");
  }
  Ring out;
  out.reserve(static_cast<std::size_t>(count));
  const double step = total / count;
  std::size_t edge = 0;
  double edge_start = 0.0;  // arc length at ring[edge]
  double edge_len = Distance(ring[0], ring[1 % ring.size()]);
  for (int k = 0; k < count; ++k) {
    const double s = step * k;
    while (edge + 1 < ring.size() && edge_start + edge_len < s) {
      edge_start += edge_len;
      ++edge;
      edge_len = Distance(ring[edge], ring[(edge + 1) % ring.size()]);
    }
    const Point& a = ring[edge];
    const Point& b = ring[(edge + 1) % ring.size()];
    const double t = edge_len > 0.0 ? std::clamp((s - edge_start) / edge_len, 0.0, 1.0) : 0.0;
    out.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
  }
  return out;
}

Ring CanonicalContour(const Ring& ring, int count) {
  Ring oriented = ring;
  if (SignedArea(oriented) < 0.0) std::reverse(oriented.begin(), oriented.end());
  // Pick the start on a dense resampling so that it barely depends on where the source ring began.
  const Ring dense = ResampleRing(oriented, std::max(count * 8, 64));
  Point c;
  for (const Point& p : dense) {
    c.x += p.x;
    c.y += p.y;
  }
  c.x /= static_cast<double>(dense.size());
  c.y /= static_cast<double>(dense.size());
  std::size_t start = 0;
  double best = -2.0;
  for (std::size_t i = 0; i < dense.size(); ++i) {
    const double dx = dense[i].x - c.x, dy = dense[i].y - c.y;
    const double r = std::hypot(dx, dy);
    const double up = r > 0.0 ? -dy / r : -1.0;  // cosine of the angle to image "up" (y down)
    if (up > best) {
      best = up;
      start = i;
    }
  }
  Ring rotated(dense.begin() + static_cast<std::ptrdiff_t>(start), dense.end());
  rotated.insert(rotated.end(), dense.begin(), dense.begin() + static_cast<std::ptrdiff_t>(start));
  return ResampleRing(rotated, count);
}

Ring SimplifyRing(const Ring& ring, double epsilon) {
  const std::size_t n = ring.size();
  if (n <= 3) return ring;
  // Split the closed ring at vertex 0 and at the vertex farthest from it, then simplify both
  // chains.
  std::size_t far = 1;
  double far_d = -1.0;
  for (std::size_t i = 1; i < n; ++i) {
    const double d = Distance(ring[0], ring[i]);
    if (d > far_d) {
      far_d = d;
      far = i;
    }
  }
  std::vector<bool> keep(n, false);
  keep[0] = keep[far] = true;
  SimplifyChain(ring, 0, far, epsilon, keep);
  SimplifyChain(ring, far, n, epsilon, keep);  // index n is vertex 0 again
  Ring out;
  for (std::size_t i = 0; i < n; ++i) {
    if (keep[i]) out.push_back(ring[i]);
  }
  if (out.size() < 3) {  // a degenerate sliver: keep the ring's three most spread vertices
    out = {ring[0], ring[far / 2], ring[far]};
  }
  return out;
}

bool IsSimpleRing(const Ring& ring) {
  const std::size_t n = ring.size();
  if (n < 3) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const Point& a = ring[i];
    const Point& b = ring[(i + 1) % n];
    for (std::size_t j = i + 1; j < n; ++j) {
      const bool adjacent = j == i + 1 || (i == 0 && j == n - 1);
      const Point& c = ring[j];
      const Point& d = ring[(j + 1) % n];
      if (adjacent) {
        // Adjacent edges share one vertex; they must not fold back onto each other.
        const Point& shared = (j == i + 1) ? b : a;
        const Point& p = (j == i + 1) ? a : b;
        const Point& q = (j == i + 1) ? d : c;
        if (Cross(shared, p, q) == 0.0 &&
            (p.x - shared.x) * (q.x - shared.x) + (p.y - shared.y) * (q.y - shared.y) > 0.0) {
          return false;
        }
        continue;
      }
      if (SegmentsTouch(a, b, c, d)) return false;
    }
  }
  return true;
}

Ring OffsetRing(const Ring& ring, double distance) {
  const std::size_t n = ring.size();
  if (n < 3 || distance == 0.0) return ring;
  const double sign = SignedArea(ring) >= 0.0 ? 1.0 : -1.0;
  Ring out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Point& prev = ring[(i + n - 1) % n];
    const Point& cur = ring[i];
    const Point& next = ring[(i + 1) % n];
    auto normal = [sign](const Point& a, const Point& b) {
      const double dx = b.x - a.x, dy = b.y - a.y;
      const double len = std::hypot(dx, dy);
      return len > 0.0 ? Point{sign * dy / len, -sign * dx / len} : Point{0.0, 0.0};
    };
    const Point n1 = normal(prev, cur), n2 = normal(cur, next);
    Point m{n1.x + n2.x, n1.y + n2.y};
    const double len = std::hypot(m.x, m.y);
    if (len < 1e-9) {
      out[i] = cur;  // a hairpin: no defined outward direction
      continue;
    }
    m.x /= len;
    m.y /= len;
    // Miter length distance / cos(half angle), capped so sharp spikes do not shoot out.
    const double cos_half = std::max(m.x * n1.x + m.y * n1.y, 0.5);
    out[i] = {cur.x + m.x * distance / cos_half, cur.y + m.y * distance / cos_half};
  }
  return out;
}

bool Contains(const Ring& ring, const Point& p) {
  bool inside = false;
  const std::size_t n = ring.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& a = ring[i];
    const Point& b = ring[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

}  // namespace understudy
