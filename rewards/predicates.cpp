#include "rewards/predicates.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace understudy::geometry {
namespace {

// Error-free transformations (Knuth's TwoSum, the fused multiply-add TwoProduct): a op b is
// exactly hi + lo. Correct because the build never enables -ffast-math.
inline void TwoSum(double a, double b, double& hi, double& lo) {
  hi = a + b;
  const double bv = hi - a;
  const double av = hi - bv;
  lo = (a - av) + (b - bv);
}

inline void TwoProduct(double a, double b, double& hi, double& lo) {
  hi = a * b;
  lo = std::fma(a, b, -hi);
}

// Adds one double to a nonoverlapping expansion kept in increasing magnitude, dropping zero
// components (Shewchuk's grow-expansion with zero elimination).
inline void Grow(double* e, int& n, double b) {
  double q = b;
  int m = 0;
  for (int i = 0; i < n; ++i) {
    double hi, lo;
    TwoSum(q, e[i], hi, lo);
    if (lo != 0.0) e[m++] = lo;
    q = hi;
  }
  if (q != 0.0) e[m++] = q;
  n = m;
}

inline int Sign(double v) { return v > 0.0 ? 1 : (v < 0.0 ? -1 : 0); }

// Arbitrary-length expansions for the rare higher-degree exact evaluations. Components are
// nonoverlapping, in increasing magnitude, without zeros; the sign is that of the last one.
using Expansion = std::vector<double>;

void GrowInto(Expansion& e, double b) {
  double q = b;
  std::size_t m = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    double hi, lo;
    TwoSum(q, e[i], hi, lo);
    if (lo != 0.0) e[m++] = lo;
    q = hi;
  }
  e.resize(m);
  if (q != 0.0) e.push_back(q);
}

Expansion Difference(double a, double b) {
  double hi, lo;
  TwoSum(a, -b, hi, lo);
  Expansion e;
  if (lo != 0.0) e.push_back(lo);
  if (hi != 0.0) e.push_back(hi);
  return e;
}

Expansion Product(const Expansion& e, const Expansion& f) {
  Expansion r;
  for (const double x : e) {
    for (const double y : f) {
      double hi, lo;
      TwoProduct(x, y, hi, lo);
      GrowInto(r, lo);
      GrowInto(r, hi);
    }
  }
  return r;
}

Expansion Subtract(Expansion e, const Expansion& f) {
  for (const double y : f) GrowInto(e, -y);
  return e;
}

int SignOf(const Expansion& e) { return e.empty() ? 0 : Sign(e.back()); }

// (b1 - a1) x (b2 - a2), exactly.
Expansion CrossExact(const Point& a1, const Point& b1, const Point& a2, const Point& b2) {
  return Subtract(Product(Difference(b1.x, a1.x), Difference(b2.y, a2.y)),
                  Product(Difference(b1.y, a1.y), Difference(b2.x, a2.x)));
}

// True when centre->u points the same way as centre->w, given that centre, u, w are collinear.
inline bool SameDirection(const Point& centre, const Point& u, const Point& w) {
  return LexLess(centre, u) == LexLess(centre, w);
}

// 0 when the direction centre->x lies in [0, pi) measured from the direction centre->ref, 1 when
// it lies in [pi, 2 pi).
inline int HalfFrom(const Point& centre, const Point& ref, const Point& x) {
  const int o = Orient(centre, ref, x);
  if (o > 0) return 0;
  if (o < 0) return 1;
  return SameDirection(centre, ref, x) ? 0 : 1;
}

}  // namespace

int OrientExact(const Point& a, const Point& b, const Point& c) {
  // (a - c) x (b - c) expanded into six products of input coordinates, each split exactly into
  // two doubles and summed exactly; the sign of an expansion is that of its largest component.
  const double px[6] = {a.x, -a.x, -c.x, -a.y, a.y, c.y};
  const double py[6] = {b.y, c.y, b.y, b.x, c.x, b.x};
  double e[12];
  int n = 0;
  for (int i = 0; i < 6; ++i) {
    double hi, lo;
    TwoProduct(px[i], py[i], hi, lo);
    Grow(e, n, lo);
    Grow(e, n, hi);
  }
  return n == 0 ? 0 : Sign(e[n - 1]);
}

int DirectionCross(const Point& a1, const Point& b1, const Point& a2, const Point& b2) {
  // Each rounded difference is off by at most eps relative, so each product by about 3 eps and
  // the result by at most 4 eps times the permanent: 8 eps is a safe bound.
  constexpr double kBound = 8.0 * 0x1p-53;
  const double dx1 = b1.x - a1.x, dy1 = b1.y - a1.y, dx2 = b2.x - a2.x, dy2 = b2.y - a2.y;
  const double l = dx1 * dy2, r = dy1 * dx2;
  const double det = l - r;
  const double bound = kBound * (std::abs(l) + std::abs(r));
  if (det > bound) return 1;
  if (-det > bound) return -1;
  return SignOf(CrossExact(a1, b1, a2, b2));
}

bool DirectionLess(const Point& a1, const Point& b1, const Point& a2, const Point& b2) {
  const bool upper1 = b1.y > a1.y || (b1.y == a1.y && b1.x > a1.x);
  const bool upper2 = b2.y > a2.y || (b2.y == a2.y && b2.x > a2.x);
  if (upper1 != upper2) return upper1;
  return DirectionCross(a1, b1, a2, b2) > 0;
}

int CompareCrossings(const Point& p, const Point& q, const Point& r1, const Point& s1,
                     const Point& r2, const Point& s2) {
  // t_i = n_i / d_i with n_i = (r_i - p) x (s_i - r_i) and d_i = (q - p) x (s_i - r_i), so
  // sign(t1 - t2) = sign(n1 d2 - n2 d1) sign(d1) sign(d2).
  const int sd1 = DirectionCross(p, q, r1, s1);
  const int sd2 = DirectionCross(p, q, r2, s2);
  {
    const double ux = q.x - p.x, uy = q.y - p.y;
    const double e1x = s1.x - r1.x, e1y = s1.y - r1.y, e2x = s2.x - r2.x, e2y = s2.y - r2.y;
    const double w1x = r1.x - p.x, w1y = r1.y - p.y, w2x = r2.x - p.x, w2y = r2.y - p.y;
    const double n1 = w1x * e1y - w1y * e1x, pn1 = std::abs(w1x * e1y) + std::abs(w1y * e1x);
    const double d1 = ux * e1y - uy * e1x, pd1 = std::abs(ux * e1y) + std::abs(uy * e1x);
    const double n2 = w2x * e2y - w2y * e2x, pn2 = std::abs(w2x * e2y) + std::abs(w2y * e2x);
    const double d2 = ux * e2y - uy * e2x, pd2 = std::abs(ux * e2y) + std::abs(uy * e2x);
    // Each factor is within 4 eps of its permanent, so the difference of products is within
    // about 10 eps of pn1 pd2 + pn2 pd1.
    const double det = n1 * d2 - n2 * d1;
    const double bound = 16.0 * 0x1p-53 * (pn1 * pd2 + pn2 * pd1);
    if (det > bound) return sd1 * sd2;
    if (-det > bound) return -sd1 * sd2;
  }
  const Expansion n1 = CrossExact(p, r1, r1, s1);
  const Expansion d1 = CrossExact(p, q, r1, s1);
  const Expansion n2 = CrossExact(p, r2, r2, s2);
  const Expansion d2 = CrossExact(p, q, r2, s2);
  return SignOf(Subtract(Product(n1, d2), Product(n2, d1))) * sd1 * sd2;
}

Point CrossingPoint(const Point& a, const Point& b, const Point& c, const Point& d) {
  const double d1x = b.x - a.x, d1y = b.y - a.y;
  const double d2x = d.x - c.x, d2y = d.y - c.y;
  const double denom = d1x * d2y - d1y * d2x;
  // The true crossing lies in the box both segments share; clamping keeps rounding inside it.
  const double x0 = std::max(std::min(a.x, b.x), std::min(c.x, d.x));
  const double x1 = std::min(std::max(a.x, b.x), std::max(c.x, d.x));
  const double y0 = std::max(std::min(a.y, b.y), std::min(c.y, d.y));
  const double y1 = std::min(std::max(a.y, b.y), std::max(c.y, d.y));
  Point p;
  if (denom == 0.0 || !std::isfinite(denom)) {
    p = {0.5 * (x0 + x1), 0.5 * (y0 + y1)};
  } else {
    double t = ((c.x - a.x) * d2y - (c.y - a.y) * d2x) / denom;
    t = std::clamp(t, 0.0, 1.0);
    // Measure from the nearer end: the error then scales with the shorter piece.
    p = t <= 0.5 ? Point{a.x + t * d1x, a.y + t * d1y}
                 : Point{b.x - (1.0 - t) * d1x, b.y - (1.0 - t) * d1y};
  }
  p.x = std::clamp(p.x, x0, x1);
  p.y = std::clamp(p.y, y0, y1);
  return p;
}

SegmentMeet SegmentContact(const Point& a, const Point& b, const Point& c, const Point& d) {
  SegmentMeet m;
  const int o1 = Orient(a, b, c);
  const int o2 = Orient(a, b, d);
  if (o1 * o2 > 0) return m;
  const int o3 = Orient(c, d, a);
  const int o4 = Orient(c, d, b);
  if (o3 * o4 > 0) return m;
  if (o1 == 0 && o2 == 0) {
    // Collinear: intersect the two intervals in lexicographic order, which is the line order.
    const Point lo1 = LexLess(a, b) ? a : b, hi1 = LexLess(a, b) ? b : a;
    const Point lo2 = LexLess(c, d) ? c : d, hi2 = LexLess(c, d) ? d : c;
    const Point lo = LexLess(lo1, lo2) ? lo2 : lo1;
    const Point hi = LexLess(hi1, hi2) ? hi1 : hi2;
    if (LexLess(hi, lo)) return m;
    if (hi == lo) {
      m.kind = Contact::kTouch;
      m.at = lo;
      return m;
    }
    m.kind = Contact::kOverlap;
    m.at = lo;
    m.to = hi;
    return m;
  }
  if (o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0) {
    m.kind = Contact::kCross;
    m.at = CrossingPoint(a, b, c, d);
    return m;
  }
  // Exactly one line passes through an endpoint of the other segment (or both through a shared
  // endpoint); the signs of the other pair place that endpoint on the segment.
  m.kind = Contact::kTouch;
  m.at = o1 == 0 ? c : (o2 == 0 ? d : (o3 == 0 ? a : b));
  return m;
}

bool AngleLess(const Point& centre, const Point& u, const Point& w) {
  const bool upper_u = u.y > centre.y || (u.y == centre.y && u.x > centre.x);
  const bool upper_w = w.y > centre.y || (w.y == centre.y && w.x > centre.x);
  if (upper_u != upper_w) return upper_u;
  return Orient(centre, u, w) > 0;
}

bool StrictlyBetweenCcw(const Point& centre, const Point& from, const Point& to, const Point& d) {
  // Angles measured counter-clockwise from `from`: need 0 < angle(d) < angle(to).
  if (Orient(centre, from, d) == 0 && SameDirection(centre, from, d)) return false;
  const int hd = HalfFrom(centre, from, d);
  const int ht = HalfFrom(centre, from, to);
  if (hd != ht) return hd < ht;
  return Orient(centre, d, to) > 0;
}

Location Locate(const Point& p, const Ring& ring) {
  const std::size_t n = ring.size();
  bool inside = false;
  for (std::size_t i = 0; i < n; ++i) {
    const Point& a = ring[i];
    const Point& b = ring[i + 1 == n ? 0 : i + 1];
    if (a == p) return Location::kBoundary;
    if ((a.y > p.y) != (b.y > p.y)) {
      const int o = Orient(a, b, p);
      if (o == 0) return Location::kBoundary;
      if ((o > 0) == (b.y > a.y)) inside = !inside;
    } else if (a.y == p.y && b.y == p.y && std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x)) {
      return Location::kBoundary;
    }
  }
  return inside ? Location::kInside : Location::kOutside;
}

int RingOrientation(const Ring& ring) {
  const std::size_t n = ring.size();
  std::size_t k = 0;
  for (std::size_t i = 1; i < n; ++i) {
    if (LexLess(ring[i], ring[k])) k = i;
  }
  const int o = Orient(ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
  if (o != 0) return o;
  return SignedArea(ring) >= 0.0 ? 1 : -1;
}

}  // namespace understudy::geometry
