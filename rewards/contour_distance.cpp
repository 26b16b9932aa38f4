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

// Exact integral of the distance to segment u along the straight stretch p0 -> p1.
double IntegrateSegmentDistance(const Point& p0, const Point& p1, const Segment& u) {
  const double h = std::hypot(p1.x - p0.x, p1.y - p0.y);
  if (h == 0.0) return 0.0;
  const double ex = (p1.x - p0.x) / h, ey = (p1.y - p0.y) / h;  // unit direction, sigma in [0, h]
  const double ux = u.b.x - u.a.x, uy = u.b.y - u.a.y;
  const double l2 = ux * ux + uy * uy;
  auto point_part = [&](double s0, double s1, const Point& q) {
    const double qx = q.x - p0.x, qy = q.y - p0.y;
    return IntegratePointDistance(s0, s1, qx * ex + qy * ey, std::abs(qx * ey - qy * ex));
  };
  if (l2 == 0.0) return point_part(0.0, h, u.a);
  // Projection parameter onto u: tau(sigma) = tau0 + tau1 sigma.
  const double tau0 = ((p0.x - u.a.x) * ux + (p0.y - u.a.y) * uy) / l2;
  const double tau1 = (ex * ux + ey * uy) / l2;
  // Signed distance to u's line: nu0 + nu1 sigma.
  const double l = std::sqrt(l2);
  const double nu0 = ((p0.x - u.a.x) * uy - (p0.y - u.a.y) * ux) / l;
  const double nu1 = (ex * uy - ey * ux) / l;
  double cuts[4] = {0.0, h, 0.0, 0.0};
  int n = 2;
  if (tau1 != 0.0) {
    for (double target : {0.0, 1.0}) {
      const double s = (target - tau0) / tau1;
      if (s > 0.0 && s < h) cuts[n++] = s;
    }
  }
  std::sort(cuts, cuts + n);
  double total = 0.0;
  for (int k = 0; k + 1 < n; ++k) {
    const double s0 = cuts[k], s1 = cuts[k + 1];
    if (s1 <= s0) continue;
    const double tau_mid = tau0 + tau1 * 0.5 * (s0 + s1);
    if (tau_mid < 0.0) {
      total += point_part(s0, s1, u.a);
    } else if (tau_mid > 1.0) {
      total += point_part(s0, s1, u.b);
    } else {
      // |nu0 + nu1 sigma| is linear on each side of its root.
      double pieces[3] = {s0, s1, s1};
      int m = 2;
      if (nu1 != 0.0) {
        const double root = -nu0 / nu1;
        if (root > s0 && root < s1) {
          pieces[1] = root;
          pieces[2] = s1;
          m = 3;
        }
      }
      for (int i = 0; i + 1 < m; ++i) {
        const double mid = 0.5 * (pieces[i] + pieces[i + 1]);
        total += std::abs(nu0 + nu1 * mid) * (pieces[i + 1] - pieces[i]);
      }
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
  CheckPositive(spacing, "ContourDistanceOptions.spacing");
  CheckPositive(hausdorff_epsilon, "ContourDistanceOptions.hausdorff_epsilon");
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

DistanceIntegral IntegrateDistance(const SegmentIndex& from, const SegmentIndex& to,
                                   double spacing) {
  CheckPositive(spacing, "IntegrateDistance: spacing");
  if (to.empty()) throw std::invalid_argument("IntegrateDistance: empty target");
  DistanceIntegral out;
  std::vector<Piece> stack;
  std::size_t hint = static_cast<std::size_t>(-1);
  for (std::size_t i = 0; i < from.size(); ++i) {
    const Segment& s = from.segment(i);
    const double len = Length(s);
    const NearestPoint n0 = to.Nearest(PointOnSegment(s, 0.0), hint);
    const NearestPoint n1 = to.Nearest(PointOnSegment(s, 1.0), n0.segment);
    hint = n1.segment;
    stack.clear();
    stack.push_back({0.0, 1.0, n0.distance, n1.distance, n0.segment, n1.segment});
    while (!stack.empty()) {
      const Piece p = stack.back();
      stack.pop_back();
      const Point a = PointOnSegment(s, p.t0), b = PointOnSegment(s, p.t1);
      const double h = (p.t1 - p.t0) * len;
      // If one segment j is nearest at both ends and every other segment stays at least
      // max(d_j) away from the whole stretch, the distance equals d_j throughout (d_j is convex
      // along the stretch, so its maximum is at an end), and d_j integrates in closed form.
      std::size_t certified = static_cast<std::size_t>(-1);
      for (std::size_t j : {p.j0, p.j1}) {
        const double da = DistanceAt(to, j, a), db = DistanceAt(to, j, b);
        if (da > p.f0 || db > p.f1) continue;
        const double reach = std::max(da, db);
        const Segment stretch{a, b};
        bool dominated = true;
        to.ForEachInBox(Expanded(a, b, reach), [&](std::size_t k) {
          if (dominated && k != j && DistanceBetweenSegments(stretch, to.segment(k)) < reach) {
            dominated = false;
          }
        });
        if (dominated) {
          certified = j;
          break;
        }
      }
      if (certified != static_cast<std::size_t>(-1)) {
        out.value += IntegrateSegmentDistance(a, b, to.segment(certified));
        continue;
      }
      if (h <= spacing) {
        // A 1-Lipschitz function deviates from its chord's integral by at most h^2 / 4.
        out.value += 0.5 * h * (p.f0 + p.f1);
        out.error += 0.25 * h * h;
        continue;
      }
      const double tm = 0.5 * (p.t0 + p.t1);
      const NearestPoint nm = to.Nearest(PointOnSegment(s, tm), p.j0);
      stack.push_back({tm, p.t1, nm.distance, p.f1, nm.segment, p.j1});
      stack.push_back({p.t0, tm, p.f0, nm.distance, p.j0, nm.segment});
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

double SymmetricMean(const SegmentIndex& a, const SegmentIndex& b, double spacing, double* error) {
  if (a.empty() && b.empty()) {
    if (error != nullptr) *error = 0.0;
    return 0.0;
  }
  if (a.empty() || b.empty()) {
    if (error != nullptr) *error = 0.0;
    return kInf;
  }
  const DistanceIntegral ab = IntegrateDistance(a, b, spacing);
  const DistanceIntegral ba = IntegrateDistance(b, a, spacing);
  const double total = a.TotalLength() + b.TotalLength();
  if (error != nullptr) *error = (ab.error + ba.error) / total;
  return (ab.value + ba.value) / total;
}

}  // namespace

double MeanContourDistance(const Instance& a, const Instance& b, double spacing, double* error) {
  CheckPositive(spacing, "MeanContourDistance: spacing");
  const SegmentIndex ia(a), ib(b);
  return SymmetricMean(ia, ib, spacing, error);
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
  out.hausdorff = std::max(DirectedHausdorffDistance(a, b, options.hausdorff_epsilon).distance,
                           DirectedHausdorffDistance(b, a, options.hausdorff_epsilon).distance);
  out.mean_distance = SymmetricMean(a, b, options.spacing, &out.mean_distance_error);
  return out;
}

}  // namespace understudy
