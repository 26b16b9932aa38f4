#include "rewards/validation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace understudy {
namespace {

// Placeholder: full self-intersection detection and repair is still to come.
void NormaliseRing(Ring& ring, bool outer, const ValidationOptions& options, const std::string& where) {
  if (ring.size() >= 2 && ring.front() == ring.back()) ring.pop_back();
  Ring out;
  out.reserve(ring.size());
  for (const Point& p : ring) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      throw GeometryError(where + ": non-finite coordinate");
    }
    if (out.empty() || out.back() != p) out.push_back(p);
  }
  if (out.size() >= 2 && out.front() == out.back()) out.pop_back();
  if (out.size() < 3) throw GeometryError(where + ": fewer than 3 distinct vertices");
  if (out.size() > options.max_vertices) {
    throw GeometryError(where + ": " + std::to_string(out.size()) + " vertices exceed the cap of " +
                        std::to_string(options.max_vertices));
  }
  const double a = SignedArea(out);
  if (a == 0.0) throw GeometryError(where + ": zero area");
  if ((a < 0) == outer) std::reverse(out.begin(), out.end());
  ring = std::move(out);
}

}  // namespace

Instance Validate(Instance raw, const ValidationOptions& options) {
  if (raw.parts.empty()) throw GeometryError("instance has no parts");
  for (std::size_t i = 0; i < raw.parts.size(); ++i) {
    Polygon& p = raw.parts[i];
    NormaliseRing(p.outer, true, options, "part " + std::to_string(i) + " outer ring");
    for (std::size_t h = 0; h < p.holes.size(); ++h) {
      NormaliseRing(p.holes[h], false, options,
                    "part " + std::to_string(i) + " hole " + std::to_string(h));
    }
  }
  return raw;
}

}  // namespace understudy
