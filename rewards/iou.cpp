#include "rewards/iou.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "rewards/box_sweep.h"
#include "rewards/predicates.h"

// Intersection area by Green's theorem over the boundary of A n B, which is made of the pieces
// of A's edges inside B and the pieces of B's edges inside A (see docs/geometry.md):
//
//   area(A n B) = 1/2 [ sum over A-pieces of w_B * cross(P0 - O, P1 - O)
//                     + sum over B-pieces of w_A * cross(P0 - O, P1 - O) ]
//
// where w_X is the winding number of instance X (the indicator of a validated instance). Every
// decision (does an A-edge cross a B-edge, which way, is a vertex inside) is exact. Degenerate
// contacts (shared edges, vertices on edges, identical polygons) are resolved by Simulation of
// Simplicity: B is treated as translated by (e, e^2) for an infinitesimal e > 0. The area is
// continuous in B's position, so the limit e -> 0 is the exact area, and in the limit every
// crossing point is the exact intersection of the unperturbed segments.

namespace understudy {
namespace {

using geometry::Orient;
using geometry::SegmentBox;

/** One instance flattened into arrays: edge i runs from v[i] to v[next[i]]. */
struct Flat {
  std::vector<Point> v;
  std::vector<std::uint32_t> next;
  std::vector<std::uint32_t> ring_begin;  // one past the last ring at the end
  std::vector<Bounds> ring_box;
  Bounds box;
};

/** Where an A-edge crosses a B-edge, and how the winding numbers change there. */
struct Crossing {
  std::uint32_t ea, eb;
  double ta, tb;  // parameters along the A-edge and the B-edge, for ordering only
  Point x;        // the crossing point (exact when it is an input vertex)
  int da;         // change of w_B when walking the A-edge forward through x
  int db;         // change of w_A when walking the B-edge forward through x
};

struct Workspace {
  Flat a, b;
  std::vector<SegmentBox> boxes_a, boxes_b, active_a, active_b;
  std::vector<Crossing> crossings;
  std::vector<std::uint32_t> order;
};

void Include(Bounds& box, const Point& p) {
  if (box.empty()) {
    box = Bounds{p.x, p.y, p.x, p.y};
    return;
  }
  box.x0 = std::min(box.x0, p.x);
  box.x1 = std::max(box.x1, p.x);
  box.y0 = std::min(box.y0, p.y);
  box.y1 = std::max(box.y1, p.y);
}

void AddRing(const Ring& ring, Flat& f) {
  const std::size_t n = ring.size();
  if (n < 3) return;
  const auto begin = static_cast<std::uint32_t>(f.v.size());
  const auto end = static_cast<std::uint32_t>(begin + n);
  f.v.insert(f.v.end(), ring.begin(), ring.end());
  f.next.resize(end);
  Bounds box{ring[0].x, ring[0].y, ring[0].x, ring[0].y};
  for (std::uint32_t i = begin; i < end; ++i) {
    f.next[i] = i + 1;
    box.x0 = std::min(box.x0, f.v[i].x);
    box.x1 = std::max(box.x1, f.v[i].x);
    box.y0 = std::min(box.y0, f.v[i].y);
    box.y1 = std::max(box.y1, f.v[i].y);
  }
  f.next[end - 1] = begin;
  f.ring_begin.push_back(begin);
  f.ring_box.push_back(box);
  if (f.box.empty()) {
    f.box = box;
  } else {
    Include(f.box, {box.x0, box.y0});
    Include(f.box, {box.x1, box.y1});
  }
}

void Flatten(const Instance& inst, Flat& f) {
  f.v.clear();
  f.next.clear();
  f.ring_begin.clear();
  f.ring_box.clear();
  f.box = Bounds{};
  for (const Polygon& p : inst.parts) {
    AddRing(p.outer, f);
    for (const Ring& h : p.holes) AddRing(h, f);
  }
  f.ring_begin.push_back(static_cast<std::uint32_t>(f.v.size()));
}

bool Overlaps(const Bounds& a, const Bounds& b) {
  return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
}

// Sign of the epsilon terms of orient(p, q, r + d) with d = (e, e^2): -e (q.y - p.y) + e^2 (q.x -
// p.x). Never zero for p != q.
inline int ShiftThirdSign(const Point& p, const Point& q) {
  if (q.y != p.y) return p.y > q.y ? 1 : -1;
  return q.x > p.x ? 1 : -1;
}

// Sign of the epsilon terms of orient(r + d, s + d, c) = orient(r, s, c - d): e (s.y - r.y) -
// e^2 (s.x - r.x).
inline int ShiftEdgeSign(const Point& r, const Point& s) {
  if (s.y != r.y) return s.y > r.y ? 1 : -1;
  return r.x > s.x ? 1 : -1;
}

double Param(const Point& p, const Point& q, const Point& x) {
  const double dx = q.x - p.x, dy = q.y - p.y;
  const double t = ((x.x - p.x) * dx + (x.y - p.y) * dy) / (dx * dx + dy * dy);
  return std::clamp(t, 0.0, 1.0);
}

// Tests A-edge pq against the shifted B-edge rs and records a crossing.
inline void TestPair(const Point& p, const Point& q, const Point& r, const Point& s,
                     std::uint32_t ea, std::uint32_t eb, std::vector<Crossing>& out) {
  const int o_r = Orient(p, q, r);
  const int o_s = Orient(p, q, s);
  int a1 = o_r, a2 = o_s;
  if (a1 == 0 || a2 == 0) {
    const int t = ShiftThirdSign(p, q);
    if (a1 == 0) a1 = t;
    if (a2 == 0) a2 = t;
  }
  if (a1 == a2) return;
  const int o_p = Orient(r, s, p);
  const int o_q = Orient(r, s, q);
  int b1 = o_p, b2 = o_q;
  if (b1 == 0 || b2 == 0) {
    const int t = ShiftEdgeSign(r, s);
    if (b1 == 0) b1 = t;
    if (b2 == 0) b2 = t;
  }
  if (b1 == b2) return;
  Crossing c;
  c.ea = ea;
  c.eb = eb;
  // Walking p->q from the right of rs to its left enters B (its interior is on the left of its
  // edges); walking r->s from the right of pq to its left enters A.
  c.da = b1 < 0 ? 1 : -1;
  c.db = a1 < 0 ? 1 : -1;
  if (o_r == 0) {
    c.x = r;
    c.ta = Param(p, q, r);
    c.tb = 0.0;
  } else if (o_s == 0) {
    c.x = s;
    c.ta = Param(p, q, s);
    c.tb = 1.0;
  } else if (o_p == 0) {
    c.x = p;
    c.ta = 0.0;
    c.tb = Param(r, s, p);
  } else if (o_q == 0) {
    c.x = q;
    c.ta = 1.0;
    c.tb = Param(r, s, q);
  } else {
    const double dx = q.x - p.x, dy = q.y - p.y;
    const double ex = s.x - r.x, ey = s.y - r.y;
    const double wx = r.x - p.x, wy = r.y - p.y;
    const double denom = dx * ey - dy * ex;
    c.ta = std::clamp((wx * ey - wy * ex) / denom, 0.0, 1.0);
    c.tb = std::clamp((wx * dy - wy * dx) / denom, 0.0, 1.0);
    c.x = geometry::CrossingPoint(p, q, r, s);
  }
  out.push_back(c);
}

// Winding number of B, shifted by (e, e^2), at the unshifted point p.
int WindingShifted(const Flat& b, const Point& p) {
  int w = 0;
  const std::size_t n = b.v.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Point& r = b.v[i];
    const Point& s = b.v[b.next[i]];
    // r.y + e^2 <= p.y  <=>  r.y < p.y, and likewise for s.
    if (r.y < p.y) {
      if (s.y >= p.y) {
        const int o = Orient(r, s, p);
        if ((o != 0 ? o : ShiftEdgeSign(r, s)) > 0) ++w;
      }
    } else if (s.y < p.y) {
      const int o = Orient(r, s, p);
      if ((o != 0 ? o : ShiftEdgeSign(r, s)) < 0) --w;
    }
  }
  return w;
}

// Winding number of A at the point r shifted by (e, e^2).
int WindingAtShifted(const Flat& a, const Point& r) {
  int w = 0;
  const std::size_t n = a.v.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Point& p = a.v[i];
    const Point& q = a.v[a.next[i]];
    // p.y <= r.y + e^2  <=>  p.y <= r.y, and likewise for q.
    if (p.y <= r.y) {
      if (q.y > r.y) {
        const int o = Orient(p, q, r);
        if ((o != 0 ? o : ShiftThirdSign(p, q)) > 0) ++w;
      }
    } else if (q.y <= r.y) {
      const int o = Orient(p, q, r);
      if ((o != 0 ? o : ShiftThirdSign(p, q)) < 0) --w;
    }
  }
  return w;
}

inline double Cross(const Point& a, const Point& b, const Point& o) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// Twice the sum of the weighted boundary pieces of one instance's edges. `edge_of` and `param_of`
// pick the side (A or B) in the crossing records, `delta_of` the winding change there.
template <class EdgeOf, class ParamOf, class DeltaOf, class WindingAtStart>
double WalkEdges(const Flat& f, const Bounds& other_box, std::vector<Crossing>& crossings,
                 std::vector<std::uint32_t>& order, const Point& origin, EdgeOf edge_of,
                 ParamOf param_of, DeltaOf delta_of, WindingAtStart winding_at_start) {
  order.resize(crossings.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::uint32_t i, std::uint32_t j) {
    const Crossing& ci = crossings[i];
    const Crossing& cj = crossings[j];
    if (edge_of(ci) != edge_of(cj)) return edge_of(ci) < edge_of(cj);
    return param_of(ci) < param_of(cj);
  });
  double twice = 0.0;
  std::size_t k = 0;
  const std::size_t rings = f.ring_box.size();
  for (std::size_t r = 0; r < rings; ++r) {
    const std::uint32_t begin = f.ring_begin[r], end = f.ring_begin[r + 1];
    // A ring outside the other instance's box meets nothing and lies where its winding is 0.
    if (!Overlaps(f.ring_box[r], other_box)) continue;
    int w = winding_at_start(f.v[begin]);
    for (std::uint32_t e = begin; e < end; ++e) {
      Point from = f.v[e];
      for (; k < order.size() && edge_of(crossings[order[k]]) == e; ++k) {
        const Crossing& c = crossings[order[k]];
        if (w != 0) twice += w * Cross(from, c.x, origin);
        from = c.x;
        w += delta_of(c);
      }
      if (w != 0) twice += w * Cross(from, f.v[f.next[e]], origin);
    }
  }
  return twice;
}

// Below this many candidate edge pairs, testing all box pairs beats sorting for a sweep.
constexpr std::size_t kBruteForcePairs = 1024;

double IntersectionAreaImpl(const Instance& inst_a, const Instance& inst_b, Workspace& ws) {
  Flat& a = ws.a;
  Flat& b = ws.b;
  Flatten(inst_a, a);
  Flatten(inst_b, b);
  if (a.v.empty() || b.v.empty() || !Overlaps(a.box, b.box)) return 0.0;
  const Bounds overlap{std::max(a.box.x0, b.box.x0), std::max(a.box.y0, b.box.y0),
                       std::min(a.box.x1, b.box.x1), std::min(a.box.y1, b.box.y1)};

  // Only edges that reach the common box can cross (B's shift is infinitesimal, so touching
  // boxes still count).
  auto collect = [&](const Flat& f, std::vector<SegmentBox>& boxes) {
    boxes.clear();
    for (std::uint32_t i = 0; i < f.v.size(); ++i) {
      const Point& p = f.v[i];
      const Point& q = f.v[f.next[i]];
      const SegmentBox box = geometry::BoxOf(p.x, p.y, q.x, q.y, i);
      if (box.x0 <= overlap.x1 && overlap.x0 <= box.x1 && box.y0 <= overlap.y1 &&
          overlap.y0 <= box.y1) {
        boxes.push_back(box);
      }
    }
  };
  collect(a, ws.boxes_a);
  collect(b, ws.boxes_b);

  ws.crossings.clear();
  auto test = [&](std::uint32_t ea, std::uint32_t eb) {
    TestPair(a.v[ea], a.v[a.next[ea]], b.v[eb], b.v[b.next[eb]], ea, eb, ws.crossings);
  };
  if (ws.boxes_a.size() * ws.boxes_b.size() <= kBruteForcePairs) {
    for (const SegmentBox& ba : ws.boxes_a) {
      for (const SegmentBox& bb : ws.boxes_b) {
        if (ba.x0 <= bb.x1 && bb.x0 <= ba.x1 && ba.y0 <= bb.y1 && bb.y0 <= ba.y1) {
          test(ba.id, bb.id);
        }
      }
    }
  } else {
    geometry::ForEachOverlap(ws.boxes_a, ws.boxes_b, ws.active_a, ws.active_b, test);
  }

  // Contributions are taken relative to the centre of the common box, where the boundary of
  // A n B lies, so that the cross products do not cancel catastrophically.
  const Point origin{0.5 * (overlap.x0 + overlap.x1), 0.5 * (overlap.y0 + overlap.y1)};
  const double twice_a = WalkEdges(
      a, b.box, ws.crossings, ws.order, origin, [](const Crossing& c) { return c.ea; },
      [](const Crossing& c) { return c.ta; }, [](const Crossing& c) { return c.da; },
      [&](const Point& p) { return WindingShifted(b, p); });
  const double twice_b = WalkEdges(
      b, a.box, ws.crossings, ws.order, origin, [](const Crossing& c) { return c.eb; },
      [](const Crossing& c) { return c.tb; }, [](const Crossing& c) { return c.db; },
      [&](const Point& r) { return WindingAtShifted(a, r); });
  return 0.5 * (twice_a + twice_b);
}

Workspace& ThreadWorkspace() {
  // Reused buffers: a pair at 16 vertices costs about a microsecond, and allocation would be a
  // large share of it.
  thread_local Workspace ws;
  return ws;
}

}  // namespace

double IntersectionArea(const Instance& a, const Instance& b) {
  const double area = IntersectionAreaImpl(a, b, ThreadWorkspace());
  return std::max(area, 0.0);
}

double ExactIou(const Instance& a, const Instance& b) {
  const double area_a = Area(a);
  const double area_b = Area(b);
  // Rounding can push the intersection a few ulps past an input's area; it cannot truly exceed it.
  const double inter = std::min(IntersectionArea(a, b), std::min(area_a, area_b));
  const double uni = area_a + area_b - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

}  // namespace understudy
