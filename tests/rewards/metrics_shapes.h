#pragma once

// Shapes shared by the diff-metric tests.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "rewards/polygon.h"

namespace understudy::testing {

/** Axis-aligned rectangle, positive (counter-clockwise in y-up) orientation. */
inline Ring Rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
}

inline Ring Square(double x, double y, double side) { return Rect(x, y, x + side, y + side); }

/** Regular n-gon of circumradius r around (cx, cy), starting at angle `phase`. */
inline Ring RegularPolygon(double cx, double cy, double r, int n, double phase = 0.0) {
  Ring ring;
  for (int i = 0; i < n; ++i) {
    const double a = phase + 2.0 * M_PI * i / n;
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return ring;
}

/** A random star-shaped (hence simple) polygon with n vertices around (cx, cy). */
inline Ring RandomStar(std::mt19937_64& rng, double cx, double cy, double r_min, double r_max,
                       int n) {
  std::uniform_real_distribution<double> radius(r_min, r_max);
  std::uniform_real_distribution<double> jitter(-0.3, 0.3);
  Ring ring;
  for (int i = 0; i < n; ++i) {
    const double a = 2.0 * M_PI * (i + 0.5 + jitter(rng)) / n;
    const double r = radius(rng);
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return ring;
}

inline Ring Reversed(Ring r) { return Ring(r.rbegin(), r.rend()); }

inline Ring Translated(Ring r, double dx, double dy) {
  for (Point& p : r) {
    p.x += dx;
    p.y += dy;
  }
  return r;
}

/** The ring with its start vertex moved by k places (same polygon). */
inline Ring Rotated(const Ring& r, std::size_t k) {
  Ring out;
  for (std::size_t i = 0; i < r.size(); ++i) out.push_back(r[(i + k) % r.size()]);
  return out;
}

}  // namespace understudy::testing
