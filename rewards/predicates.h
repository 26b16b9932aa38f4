#pragma once

// Exact geometric predicates on double coordinates (internal to rewards/).
//
// Every decision the polygon code takes (which side, do two segments meet, angular order) goes
// through these functions, so decisions are never wrong because of rounding: a floating-point
// evaluation with a proven error bound answers almost always, and an exact expansion-arithmetic
// evaluation answers the rest. Exact as long as no product of two coordinates overflows or
// underflows, which holds for every coordinate whose magnitude is zero or within [1e-140, 1e140].

#include <cmath>

#include "rewards/polygon.h"

namespace understudy::geometry {

/** Exact sign of the orientation determinant; the slow path of Orient(). */
int OrientExact(const Point& a, const Point& b, const Point& c);

/**
 * Sign of the turn a -> b -> c: +1 counter-clockwise (c left of the directed line a->b in a y-up
 * frame), -1 clockwise, 0 collinear. Exact.
 */
inline int Orient(const Point& a, const Point& b, const Point& c) {
  // Shewchuk's orient2d filter: det is accurate to within kBound * detsum, where detsum bounds
  // the magnitude of the two products.
  constexpr double kEps = 0x1p-53;
  constexpr double kBound = (3.0 + 16.0 * kEps) * kEps;
  const double detleft = (a.x - c.x) * (b.y - c.y);
  const double detright = (a.y - c.y) * (b.x - c.x);
  const double det = detleft - detright;
  double detsum;
  if (detleft > 0.0) {
    if (detright <= 0.0) return det > 0.0 ? 1 : (det < 0.0 ? -1 : 0);
    detsum = detleft + detright;
  } else if (detleft < 0.0) {
    if (detright >= 0.0) return det > 0.0 ? 1 : (det < 0.0 ? -1 : 0);
    detsum = -detleft - detright;
  } else {
    return det > 0.0 ? 1 : (det < 0.0 ? -1 : 0);
  }
  const double bound = kBound * detsum;
  if (det > bound) return 1;
  if (-det > bound) return -1;
  return OrientExact(a, b, c);
}

/** Lexicographic order (x, then y): on a line it is the order along the line. */
inline bool LexLess(const Point& a, const Point& b) {
  return a.x < b.x || (a.x == b.x && a.y < b.y);
}

/** How two closed segments meet. */
enum class Contact {
  kNone,     // no common point
  kCross,    // one common point, interior to both segments
  kTouch,    // one common point, an endpoint of at least one segment
  kOverlap,  // collinear with a common piece of positive length
};

/** The result of SegmentContact(): the kind and the exact common point or piece. */
struct SegmentMeet {
  Contact kind = Contact::kNone;
  Point at;  // kTouch: the common point (exact); kCross: the crossing, rounded; kOverlap: one end
  Point to;  // kOverlap: the other end of the common piece
};

/** Classifies how segments ab and cd meet, exactly (the kCross point is rounded). */
SegmentMeet SegmentContact(const Point& a, const Point& b, const Point& c, const Point& d);

/**
 * The crossing point of segments ab and cd that are known to cross properly, rounded to double,
 * clamped into the box both segments share.
 */
Point CrossingPoint(const Point& a, const Point& b, const Point& c, const Point& d);

/**
 * Angular order of directions around a centre: true when the direction centre->u comes strictly
 * before centre->w in a counter-clockwise sweep that starts at angle 0 (the +x axis, included).
 * Exact; u and w must differ from the centre.
 */
bool AngleLess(const Point& centre, const Point& u, const Point& w);

/**
 * True when the direction centre->d lies strictly inside the counter-clockwise sweep from
 * centre->from to centre->to (all three directions distinct). Exact.
 */
bool StrictlyBetweenCcw(const Point& centre, const Point& from, const Point& to, const Point& d);

/**
 * Sign of the cross product of the directions a1->b1 and a2->b2: +1 when the second turns
 * counter-clockwise from the first. Exact.
 */
int DirectionCross(const Point& a1, const Point& b1, const Point& a2, const Point& b2);

/**
 * Angular order of the directions a1->b1 and a2->b2: true when the first comes strictly before
 * the second in a counter-clockwise sweep that starts at angle 0 (included). Exact.
 */
bool DirectionLess(const Point& a1, const Point& b1, const Point& a2, const Point& b2);

/**
 * Where segment pq is crossed by the line through r1 s1 compared with the line through r2 s2:
 * the sign of t1 - t2 for the parameters t along p -> q. Neither line may be parallel to pq.
 * Exact (degree 4; expansion arithmetic when the filter cannot decide).
 */
int CompareCrossings(const Point& p, const Point& q, const Point& r1, const Point& s1,
                     const Point& r2, const Point& s2);

/** Where a point lies relative to a closed ring. */
enum class Location { kOutside, kBoundary, kInside };

/** Exact point-in-ring test (even-odd, which equals nonzero winding for a simple ring). */
Location Locate(const Point& p, const Ring& ring);

/** Exact orientation of a simple ring: +1 counter-clockwise (positive area), -1 clockwise. */
int RingOrientation(const Ring& ring);

}  // namespace understudy::geometry
