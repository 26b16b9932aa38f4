#include "rewards/contour_distance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace understudy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void CheckPositive(double value, const char* field) {
  if (!std::isfinite(value) || value <= 0.0) {
    throw std::invalid_argument(std::string(field) + " must be finite and positive, got " +
                                std::to_string(value));
  }
}

struct Interval {
  double lo;
  double hi;
};

// Parameters t where k0 + k1 t lies in [lo, hi], intersected with `in`; false when empty.
bool ClipLinear(double k0, double k1, double lo, double hi, Interval& in) {
  if (k1 == 0.0) return k0 >= lo && k0 <= hi && in.lo <= in.hi;
  double t0 = (lo - k0) / k1, t1 = (hi - k0) / k1;
  if (t0 > t1) std::swap(t0, t1);
  in.lo = std::max(in.lo, t0);
  in.hi = std::min(in.hi, t1);
  return in.lo <= in.hi;
}

// Parameters t where |a + t d - c| <= r; false when empty.
bool DiscInterval(const Point& a, double dx, double dy, const Point& c, double r, Interval& out) {
  const double ex = a.x - c.x, ey = a.y - c.y;
  const double qa = dx * dx + dy * dy;
  const double qb = 2.0 * (dx * ex + dy * ey);
  const double qc = ex * ex + ey * ey - r * r;
  if (qa == 0.0) {
    if (qc > 0.0) return false;
    out = {-kInf, kInf};
    return true;
  }
  const double disc = qb * qb - 4.0 * qa * qc;
  if (disc < 0.0) return false;
  // Numerically stable roots of qa t^2 + qb t + qc.
  const double s = std::sqrt(disc);
  const double q = -0.5 * (qb + (qb >= 0.0 ? s : -s));
  double t0 = q / qa;
  double t1 = q != 0.0 ? qc / q : t0;
  if (t0 > t1) std::swap(t0, t1);
  out = {t0, t1};
  return true;
}

// The parameters t in [0, 1] of s(t) = s.a + t (s.b - s.a) within distance r of segment u: the
// line meets u's capsule (a convex set) in one interval, the hull of its meetings with the two
// end discs and the rectangle between them.
bool CapsuleInterval(const Segment& s, const Segment& u, double r, Interval& out) {
  const double dx = s.b.x - s.a.x, dy = s.b.y - s.a.y;
  double lo = kInf, hi = -kInf;
  Interval iv{};
  if (DiscInterval(s.a, dx, dy, u.a, r, iv)) {
    lo = std::min(lo, iv.lo);
    hi = std::max(hi, iv.hi);
  }
  if (DiscInterval(s.a, dx, dy, u.b, r, iv)) {
    lo = std::min(lo, iv.lo);
    hi = std::max(hi, iv.hi);
  }
  const double ex = u.b.x - u.a.x, ey = u.b.y - u.a.y;
  const double l2 = ex * ex + ey * ey;
  if (l2 > 0.0) {
    const double ax = s.a.x - u.a.x, ay = s.a.y - u.a.y;
    Interval rect{-kInf, kInf};
    // Along u: 0 <= (p - u.a) . e <= |e|^2; across: |(p - u.a) x e| <= r |e|.
    if (ClipLinear(ax * ex + ay * ey, dx * ex + dy * ey, 0.0, l2, rect) &&
        ClipLinear(ax * ey - ay * ex, dx * ey - dy * ex, -r * std::sqrt(l2), r * std::sqrt(l2),
                   rect)) {
      lo = std::min(lo, rect.lo);
      hi = std::max(hi, rect.hi);
    }
  }
  lo = std::max(lo, 0.0);
  hi = std::min(hi, 1.0);
  if (!(lo < hi)) return false;
  out = {lo, hi};
  return true;
}

BoundaryF BoundaryFromIndexes(const SegmentIndex& a, const SegmentIndex& b, double tolerance);

double Length(const Segment& s) { return std::hypot(s.b.x - s.a.x, s.b.y - s.a.y); }

Bounds Expanded(const Point& p, const Point& q, double r) {
  Bounds b;
  b.x0 = std::min(p.x, q.x) - r;
  b.x1 = std::max(p.x, q.x) + r;
  b.y0 = std::min(p.y, q.y) - r;
  b.y1 = std::max(p.y, q.y) + r;
  return b;
}

// A stretch [t0, t1] of one edge with the distances (and nearest segments) at its ends.
struct Piece {
  double t0, t1;
  double f0, f1;
  std::size_t j0, j1;
};

// Integral over sigma in [s0, s1] of sqrt((sigma - c)^2 + w^2).
double IntegratePointDistance(double s0, double s1, double c, double w) {
  auto prim = [w](double x) {
    const double r = std::sqrt(x * x + w * w);
    return 0.5 * (x * r + (w > 0.0 ? w * w * std::asinh(x / w) : 0.0));
  };
  return prim(s1 - c) - prim(s0 - c);
}

// The squared distance from s(t) = a + t d (t in [0, 1]) to one segment, as a function of t: up
// to three quadratic regimes, split where the projection onto the segment leaves it. Coordinates
// are relative to a, so the numbers stay small.
struct Regime {
  bool point;     // distance to an end point (qx, qy), else to the segment's line
  double qx, qy;  // the end point, relative to a
  double n0, n1;  // the signed distance to the line: n0 + n1 t
};

struct SquaredDistance {
  std::size_t segment;  // index in the target SegmentIndex
  double b0, b1;        // regime r[0] for t < b0, r[1] for b0 <= t < b1, r[2] from b1
  Regime r[3];
  double floor = 0.0;  // least squared distance over t in [0, 1]
  const Regime& At(double t) const { return t < b0 ? r[0] : (t < b1 ? r[1] : r[2]); }
};

struct Quadratic {
  double a2, a1, a0;
  double operator()(double t) const { return (a2 * t + a1) * t + a0; }
};

Regime PointRegime(double qx, double qy) { return {true, qx, qy, 0.0, 0.0}; }

SquaredDistance MakeSquaredDistance(const Point& a, double dx, double dy, const Segment& k,
                                    std::size_t index) {
  constexpr double kNever = std::numeric_limits<double>::infinity();
  SquaredDistance out{index, kNever, kNever, {}};
  const double cx = k.a.x - a.x, cy = k.a.y - a.y, ex = k.b.x - a.x, ey = k.b.y - a.y;
  const double ux = ex - cx, uy = ey - cy, l2 = ux * ux + uy * uy;
  const Regime start = PointRegime(cx, cy), end = PointRegime(ex, ey);
  if (l2 == 0.0) {
    out.r[0] = out.r[1] = out.r[2] = start;
    return out;
  }
  const double l = std::sqrt(l2);
  const Regime line{false, 0.0, 0.0, (cy * ux - cx * uy) / l, (dx * uy - dy * ux) / l};
  // Projection parameter onto k: alpha + beta t.
  const double alpha = -(cx * ux + cy * uy) / l2, beta = (dx * ux + dy * uy) / l2;
  if (beta > 0.0) {
    out.b0 = -alpha / beta;
    out.b1 = (1.0 - alpha) / beta;
    out.r[0] = start;
    out.r[1] = line;
    out.r[2] = end;
  } else if (beta < 0.0) {
    out.b0 = (1.0 - alpha) / beta;
    out.b1 = -alpha / beta;
    out.r[0] = end;
    out.r[1] = line;
    out.r[2] = start;
  } else {
    out.r[0] = out.r[1] = out.r[2] = alpha < 0.0 ? start : (alpha > 1.0 ? end : line);
  }
  return out;
}

Quadratic QuadraticOf(const Regime& r, double dx, double dy) {
  if (r.point) {
    return {dx * dx + dy * dy, -2.0 * (dx * r.qx + dy * r.qy), r.qx * r.qx + r.qy * r.qy};
  }
  return {r.n1 * r.n1, 2.0 * r.n0 * r.n1, r.n0 * r.n0};
}

double SquaredAt(const SquaredDistance& g, double dx, double dy, double t) {
  const Regime& r = g.At(t);
  if (r.point) {
    const double x = t * dx - r.qx, y = t * dy - r.qy;
    return x * x + y * y;
  }
  const double v = r.n0 + r.n1 * t;
  return v * v;
}

// The first t in [lo, hi] where g_k^2 < g_j^2 - slack, or +inf if there is none. On each stretch
// where both keep their regime the difference is one quadratic, solved in closed form.
double FirstCrossing(const SquaredDistance& j, const SquaredDistance& k, double dx, double dy,
                     double lo, double hi, double slack) {
  constexpr double kNone = std::numeric_limits<double>::infinity();
  double cuts[6] = {lo, hi, 0, 0, 0, 0};
  int n = 2;
  for (double b : {j.b0, j.b1, k.b0, k.b1}) {
    if (b > lo && b < hi) cuts[n++] = b;
  }
  std::sort(cuts, cuts + n);
  for (int c = 0; c + 1 < n; ++c) {
    const double u0 = cuts[c], u1 = cuts[c + 1];
    const double mid = 0.5 * (u0 + u1);
    const Quadratic qk = QuadraticOf(k.At(mid), dx, dy), qj = QuadraticOf(j.At(mid), dx, dy);
    const Quadratic q{qk.a2 - qj.a2, qk.a1 - qj.a1, qk.a0 - qj.a0 + slack};  // < 0: k is lower
    if (q(u0) < 0.0) return u0;
    double root = kNone;
    if (q.a2 == 0.0) {
      if (q.a1 < 0.0) root = -q.a0 / q.a1;
    } else {
      const double disc = q.a1 * q.a1 - 4.0 * q.a2 * q.a0;
      if (disc < 0.0) continue;
      const double sq = std::sqrt(disc);
      const double h = -0.5 * (q.a1 + (q.a1 >= 0.0 ? sq : -sq));
      double r1 = h / q.a2, r2 = h != 0.0 ? q.a0 / h : r1;
      if (r1 > r2) std::swap(r1, r2);
      // Convex: negative between the roots, so it turns negative at r1 if u0 precedes it.
      // Concave: negative outside them; q(u0) >= 0 puts u0 between, so it turns at r2.
      root = q.a2 > 0.0 ? (r1 >= u0 ? r1 : kNone) : r2;
    }
    if (root >= u0 && root <= u1) return root;
  }
  return kNone;
}

// The candidate nearest just after t: the least squared distance at t (ties within `slack`), then
// the least slope, then the least curvature, then the lowest segment index. Choosing by the
// right-hand behaviour matters where segments tie at t, e.g. two edges meeting at a vertex.
std::size_t NearestJustAfter(const std::vector<SquaredDistance>& near, double dx, double dy,
                             double t, double slack) {
  double least = std::numeric_limits<double>::infinity();
  for (const SquaredDistance& g : near) least = std::min(least, SquaredAt(g, dx, dy, t));
  std::size_t best = near.size();
  double best_slope = 0.0, best_curve = 0.0;
  for (std::size_t c = 0; c < near.size(); ++c) {
    if (SquaredAt(near[c], dx, dy, t) > least + slack) continue;
    const Quadratic q = QuadraticOf(near[c].At(t), dx, dy);
    const double slope = 2.0 * q.a2 * t + q.a1, curve = q.a2;
    if (best == near.size() || slope < best_slope - slack ||
        (slope <= best_slope + slack && curve < best_curve - slack)) {
      best = c;
      best_slope = slope;
      best_curve = curve;
    }
  }
  return best;
}

// Exact integral over t in [u0, u1] of the distance sqrt(g^2(t)), times the edge length `len`
// (so it is an integral over arc length).
double IntegrateEnvelopePiece(const SquaredDistance& g, double dx, double dy, double len, double u0,
                              double u1) {
  double cuts[4] = {u0, u1, 0, 0};
  int n = 2;
  for (double b : {g.b0, g.b1}) {
    if (b > u0 && b < u1) cuts[n++] = b;
  }
  std::sort(cuts, cuts + n);
  double total = 0.0;
  for (int c = 0; c + 1 < n; ++c) {
    const double v0 = cuts[c], v1 = cuts[c + 1];
    const Regime& r = g.At(0.5 * (v0 + v1));
    if (r.point) {
      // Arc length sigma = t len; the distance is sqrt((sigma - along)^2 + across^2).
      const double along = (dx * r.qx + dy * r.qy) / len;
      const double across = std::abs(dx * r.qy - dy * r.qx) / len;
      total += IntegratePointDistance(v0 * len, v1 * len, along, across);
    } else {
      // |n0 + n1 t| is linear on each side of its root.
      double w0 = v0, w1 = v1;
      if (r.n1 != 0.0) {
        const double root = -r.n0 / r.n1;
        if (root > v0 && root < v1) {
          total += 0.5 * std::abs(r.n0 + r.n1 * v0) * (root - v0) * len;
          w0 = root;
        }
      }
      total += std::abs(r.n0 + r.n1 * 0.5 * (w0 + w1)) * (w1 - w0) * len;
    }
  }
  return total;
}

double DistanceAt(const SegmentIndex& to, std::size_t j, const Point& p) {
  return std::sqrt(ProjectOntoSegment(p, to.segment(j)).squared_distance);
}

}  // namespace

void ContourDistanceOptions::Validate() const {
  CheckPositive(tolerance, "ContourDistanceOptions.tolerance");
}

double CoveredLength(const SegmentIndex& from, const SegmentIndex& to, double tolerance) {
  CheckPositive(tolerance, "CoveredLength: tolerance");
  if (to.empty()) return 0.0;
  std::vector<Interval> intervals;
  double covered = 0.0;
  for (std::size_t i = 0; i < from.size(); ++i) {
    const Segment& s = from.segment(i);
    intervals.clear();
    to.ForEachInBox(Expanded(s.a, s.b, tolerance), [&](std::size_t k) {
      Interval iv{};
      if (CapsuleInterval(s, to.segment(k), tolerance, iv)) intervals.push_back(iv);
    });
    if (intervals.empty()) continue;
    std::sort(intervals.begin(), intervals.end(),
              [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
    double measure = 0.0, lo = intervals[0].lo, hi = intervals[0].hi;
    for (std::size_t k = 1; k < intervals.size(); ++k) {
      if (intervals[k].lo > hi) {
        measure += hi - lo;
        lo = intervals[k].lo;
        hi = intervals[k].hi;
      } else {
        hi = std::max(hi, intervals[k].hi);
      }
    }
    measure += hi - lo;
    covered += std::min(measure, 1.0) * Length(s);
  }
  return covered;
}

BoundaryF BoundaryFScore(const Instance& proposal, const Instance& reference, double tolerance) {
  CheckPositive(tolerance, "BoundaryFScore: tolerance");
  return BoundaryFromIndexes(SegmentIndex(proposal), SegmentIndex(reference), tolerance);
}

DirectedHausdorff DirectedHausdorffDistance(const SegmentIndex& from, const SegmentIndex& to,
                                            double epsilon) {
  CheckPositive(epsilon, "DirectedHausdorffDistance: epsilon");
  if (to.empty()) throw std::invalid_argument("DirectedHausdorffDistance: empty target");
  DirectedHausdorff best;
  std::vector<Piece> pieces;
  pieces.reserve(from.size());
  // Pass 1: the vertices give a lower bound that prunes most edges outright.
  std::size_t hint = static_cast<std::size_t>(-1);
  for (std::size_t i = 0; i < from.size(); ++i) {
    // Ends are evaluated exactly where later bounds re-evaluate them (PointOnSegment at 0 and 1).
    const Segment& s = from.segment(i);
    const Point e0 = PointOnSegment(s, 0.0), e1 = PointOnSegment(s, 1.0);
    const NearestPoint n0 = to.Nearest(e0, hint);
    const NearestPoint n1 = to.Nearest(e1, n0.segment);
    hint = n1.segment;
    pieces.push_back({0.0, 1.0, n0.distance, n1.distance, n0.segment, n1.segment});
    if (n0.distance > best.distance) best = {n0.distance, e0};
    if (n1.distance > best.distance) best = {n1.distance, e1};
  }
  // Pass 2: refine an edge only where an upper bound on the distance along it beats the best.
  std::vector<Piece> stack;
  for (std::size_t i = 0; i < from.size(); ++i) {
    const Segment& s = from.segment(i);
    const double len = Length(s);
    stack.clear();
    stack.push_back(pieces[i]);
    while (!stack.empty()) {
      const Piece p = stack.back();
      stack.pop_back();
      const Point a = PointOnSegment(s, p.t0), b = PointOnSegment(s, p.t1);
      const double h = (p.t1 - p.t0) * len;
      // The distance is 1-Lipschitz, and below each end's nearest segment, whose distance is
      // convex along the stretch.
      const double ub = std::min({0.5 * (p.f0 + p.f1 + h), std::max(p.f0, DistanceAt(to, p.j0, b)),
                                  std::max(DistanceAt(to, p.j1, a), p.f1)});
      if (ub <= best.distance + epsilon) continue;
      const double tm = 0.5 * (p.t0 + p.t1);
      const Point m = PointOnSegment(s, tm);
      const NearestPoint nm = to.Nearest(m, p.j0);
      if (nm.distance > best.distance) best = {nm.distance, m};
      stack.push_back({tm, p.t1, nm.distance, p.f1, nm.segment, p.j1});
      stack.push_back({p.t0, tm, p.f0, nm.distance, p.j0, nm.segment});
    }
  }
  return best;
}

DirectedDistance DirectedContourDistance(const SegmentIndex& from, const SegmentIndex& to) {
  if (to.empty()) throw std::invalid_argument("DirectedContourDistance: empty target");
  DirectedDistance out;
  std::vector<SquaredDistance> near;
  std::size_t hint = static_cast<std::size_t>(-1);
  NearestPoint previous_end;
  for (std::size_t i = 0; i < from.size(); ++i) {
    const Segment& s = from.segment(i);
    const double len = Length(s);
    const double dx = s.b.x - s.a.x, dy = s.b.y - s.a.y;
    // A ring's edges chain end to start, so each end's query serves the next edge's start.
    const NearestPoint n0 =
        (i > 0 && from.segment(i - 1).b == s.a) ? previous_end : to.Nearest(s.a, hint);
    const NearestPoint n1 = to.Nearest(s.b, n0.segment);
    previous_end = n1;
    hint = n1.segment;
    if (n0.distance > out.max) out = {out.integral, n0.distance, s.a, out.error};
    if (n1.distance > out.max) out = {out.integral, n1.distance, s.b, out.error};
    if (len == 0.0) continue;
    // Only segments within an upper bound of the distance along the edge can be nearest on it:
    // the distance is 1-Lipschitz, and below each end's nearest segment, convex along the edge.
    // The margin keeps rounding from dropping a segment exactly at that bound.
    const double reach = std::min({0.5 * (n0.distance + n1.distance + len),
                                   std::max(n0.distance, DistanceAt(to, n0.segment, s.b)),
                                   std::max(DistanceAt(to, n1.segment, s.a), n1.distance)}) *
                             (1.0 + 1e-9) +
                         1e-12;
    near.clear();
    to.ForEachInBox(Expanded(s.a, s.b, reach), [&](std::size_t k) {
      const double floor = DistanceBetweenSegments(s, to.segment(k));
      if (floor <= reach) {
        near.push_back(MakeSquaredDistance(s.a, dx, dy, to.segment(k), k));
        near.back().floor = floor * floor;
      }
    });
    std::sort(near.begin(), near.end(), [](const SquaredDistance& x, const SquaredDistance& y) {
      return x.segment < y.segment;
    });
    // Sweep the lower envelope of the candidates' distances along the edge: from the current
    // nearest segment, jump to the first place where another one dips below it. Ties within
    // `slack` (1e-14 of the local scale, squared) keep the current one, which moves the integral
    // by at most sqrt(slack) per unit length (1e-7 of the local scale): the reported error.
    const double scale = reach + len;
    const double slack = 1e-14 * scale * scale;
    std::size_t current = NearestJustAfter(near, dx, dy, 0.0, slack);
    double t = 0.0;
    std::size_t steps = 0;
    const std::size_t max_steps = 4 * near.size() + 16;
    while (t < 1.0) {
      double next_t = 1.0;
      std::size_t next = current;
      // The current distance is convex along the edge, so it stays below its larger end value:
      // a segment that never comes closer than that cannot dip below it.
      const double ceiling =
          std::max(SquaredAt(near[current], dx, dy, t), SquaredAt(near[current], dx, dy, 1.0));
      for (std::size_t c = 0; c < near.size(); ++c) {
        if (c == current || near[c].floor >= ceiling) continue;
        const double r = FirstCrossing(near[current], near[c], dx, dy, t, next_t, slack);
        if (r < next_t) {
          next_t = r;
          next = c;
        }
      }
      if (++steps > max_steps) {
        // Never seen; should rounding ever cycle, bound the rest by the Lipschitz property.
        const double h = (1.0 - t) * len;
        const double f0 = std::sqrt(SquaredAt(near[current], dx, dy, t));
        out.integral += 0.5 * h * (f0 + n1.distance);
        out.error += 0.25 * h * h;
        break;
      }
      out.integral += IntegrateEnvelopePiece(near[current], dx, dy, len, t, next_t);
      out.error += std::sqrt(slack) * (next_t - t) * len;
      const double f_end = std::sqrt(SquaredAt(near[current], dx, dy, next_t));
      if (f_end > out.max) out = {out.integral, f_end, PointOnSegment(s, next_t), out.error};
      t = next_t;
      if (next != current) current = NearestJustAfter(near, dx, dy, t, slack);
    }
  }
  return out;
}

double HausdorffDistance(const Instance& a, const Instance& b, double epsilon) {
  CheckPositive(epsilon, "HausdorffDistance: epsilon");
  const SegmentIndex ia(a), ib(b);
  if (ia.empty() && ib.empty()) return 0.0;
  if (ia.empty() || ib.empty()) return kInf;
  return std::max(DirectedHausdorffDistance(ia, ib, epsilon).distance,
                  DirectedHausdorffDistance(ib, ia, epsilon).distance);
}

namespace {

BoundaryF BoundaryFromIndexes(const SegmentIndex& a, const SegmentIndex& b, double tolerance) {
  BoundaryF out;
  if (a.empty() && b.empty()) return {1.0, 1.0, 1.0};
  if (a.empty() || b.empty()) return out;
  out.precision = std::min(1.0, CoveredLength(a, b, tolerance) / a.TotalLength());
  out.recall = std::min(1.0, CoveredLength(b, a, tolerance) / b.TotalLength());
  const double sum = out.precision + out.recall;
  out.f = sum > 0.0 ? 2.0 * out.precision * out.recall / sum : 0.0;
  return out;
}

double SymmetricMean(const DirectedDistance& ab, const DirectedDistance& ba, double length,
                     double* error) {
  if (error != nullptr) *error = (ab.error + ba.error) / length;
  return (ab.integral + ba.integral) / length;
}

}  // namespace

double MeanContourDistance(const Instance& a, const Instance& b, double* error) {
  const SegmentIndex ia(a), ib(b);
  if (error != nullptr) *error = 0.0;
  if (ia.empty() && ib.empty()) return 0.0;
  if (ia.empty() || ib.empty()) return kInf;
  return SymmetricMean(DirectedContourDistance(ia, ib), DirectedContourDistance(ib, ia),
                       ia.TotalLength() + ib.TotalLength(), error);
}

ContourDistances ComputeContourDistances(const Instance& proposal, const Instance& reference,
                                         const ContourDistanceOptions& options) {
  options.Validate();
  const SegmentIndex a(proposal), b(reference);
  ContourDistances out;
  if (a.empty() && b.empty()) {
    out.boundary = {1.0, 1.0, 1.0};
    return out;
  }
  if (a.empty() || b.empty()) {
    out.hausdorff = out.mean_distance = kInf;
    return out;
  }
  out.boundary = BoundaryFromIndexes(a, b, options.tolerance);
  const DirectedDistance ab = DirectedContourDistance(a, b), ba = DirectedContourDistance(b, a);
  out.hausdorff = std::max(ab.max, ba.max);
  out.mean_distance =
      SymmetricMean(ab, ba, a.TotalLength() + b.TotalLength(), &out.mean_distance_error);
  return out;
}

}  // namespace understudy
