#include "rewards/contour_distance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "rewards/ring_nesting.h"
#include "rewards/validation.h"
#include "tests/rewards/metrics_shapes.h"

namespace understudy {
namespace {

using testing::Rect;
using testing::Square;

Instance Valid(Ring r) { return Validate(MakeInstance(std::move(r))); }

// Samples every ring of `from` every `step` and returns the largest and the mean distance to
// `to`'s boundary, and the fraction of samples within `tolerance` (brute force, no index).
struct Sampled {
  double max = 0.0;
  double mean = 0.0;
  double within = 0.0;
};
Sampled SampleDistances(const Instance& from, const Instance& to, double step, double tolerance) {
  std::vector<Segment> target;
  for (const Polygon& p : to.parts) {
    auto add = [&](const Ring& r) {
      for (std::size_t i = 0; i < r.size(); ++i) target.push_back({r[i], r[(i + 1) % r.size()]});
    };
    add(p.outer);
    for (const Ring& h : p.holes) add(h);
  }
  Sampled out;
  double total_len = 0.0, integral = 0.0, near = 0.0;
  auto sample_ring = [&](const Ring& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const Segment s{r[i], r[(i + 1) % r.size()]};
      const double len = std::hypot(s.b.x - s.a.x, s.b.y - s.a.y);
      const int n = std::max(1, static_cast<int>(std::ceil(len / step)));
      for (int k = 0; k < n; ++k) {
        const Point p = PointOnSegment(s, (k + 0.5) / n);  // midpoint rule
        double d = std::numeric_limits<double>::infinity();
        for (const Segment& t : target) d = std::min(d, DistanceToSegment(p, t));
        out.max = std::max(out.max, d);
        integral += d * len / n;
        if (d <= tolerance) near += len / n;
      }
      total_len += len;
    }
  };
  for (const Polygon& p : from.parts) {
    sample_ring(p.outer);
    for (const Ring& h : p.holes) sample_ring(h);
  }
  out.mean = integral / total_len;
  out.within = near / total_len;
  return out;
}

TEST(ContourDistance, IdenticalPolygonsAreAtDistanceZero) {
  const Instance a = Valid(testing::RegularPolygon(10, 10, 7, 13));
  const ContourDistances d = ComputeContourDistances(a, a);
  EXPECT_DOUBLE_EQ(d.boundary.precision, 1.0);
  EXPECT_DOUBLE_EQ(d.boundary.recall, 1.0);
  EXPECT_DOUBLE_EQ(d.boundary.f, 1.0);
  EXPECT_NEAR(d.hausdorff, 0.0, 1e-12);
  EXPECT_NEAR(d.mean_distance, 0.0, 1e-9);
  // Same polygon from another start vertex and the other way round: same boundary.
  const Instance b =
      Validate(MakeInstance(testing::Reversed(testing::Rotated(a.parts[0].outer, 5))));
  EXPECT_NEAR(HausdorffDistance(a, b), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(BoundaryFScore(a, b, 0.5).f, 1.0);
}

// Inner square [0,10]^2 against outer square [-1,11]^2 (offset d = 1), hand-computed:
// every inner point is exactly 1 from the outer boundary; outer points are 1 away except within
// 1 of a corner, where the distance is sqrt(x^2 + 1) to the inner corner.
TEST(ContourDistance, ConcentricSquaresHandComputed) {
  const Instance inner = Valid(Square(0, 0, 10));
  const Instance outer = Valid(Rect(-1, -1, 11, 11));
  EXPECT_NEAR(HausdorffDistance(inner, outer), std::sqrt(2.0), 1e-6);
  // Boundary F at 1.2: all of the inner boundary is within; on the outer one, each side loses
  // 2 (1 - sqrt(1.2^2 - 1)) of its 12 units.
  const BoundaryF f = BoundaryFScore(inner, outer, 1.2);
  const double recall = (12.0 - 2.0 * (1.0 - std::sqrt(0.44))) / 12.0;
  EXPECT_NEAR(f.precision, 1.0, 1e-12);
  EXPECT_NEAR(f.recall, recall, 1e-12);
  EXPECT_NEAR(f.f, 2.0 * recall / (1.0 + recall), 1e-12);
  EXPECT_DOUBLE_EQ(BoundaryFScore(inner, outer, 0.5).f, 0.0);
  // Mean: inner integral 40; outer integral 4 (10 + 2 * integral_0^1 sqrt(x^2+1) dx)
  // = 40 + 4 (sqrt 2 + asinh 1); over 40 + 48 units of boundary.
  const double exact = (80.0 + 4.0 * (std::sqrt(2.0) + std::asinh(1.0))) / 88.0;
  double error = -1.0;
  const double mean = MeanContourDistance(inner, outer, &error);
  EXPECT_GE(error, 0.0);
  EXPECT_LE(error, 2e-6);  // 1e-7 of the local scale (reach + edge length, ~14 here)
  EXPECT_NEAR(mean, exact, 1e-12);
  const ContourDistances d = ComputeContourDistances(outer, inner);
  EXPECT_NEAR(d.mean_distance, exact, 1e-12);
  EXPECT_NEAR(d.hausdorff, std::sqrt(2.0), 1e-12);
}

TEST(ContourDistance, RotatedSquareHandComputed) {
  // Square (+-1, +-1) against the same square turned 45 degrees: both directed distances are
  // sqrt(2) - 1 (a turned vertex to the square's side, a square corner to the turned side).
  const Instance square = Valid(Rect(-1, -1, 1, 1));
  const double r = std::sqrt(2.0);
  const Instance turned = Valid({{r, 0}, {0, r}, {-r, 0}, {0, -r}});
  EXPECT_NEAR(HausdorffDistance(square, turned), r - 1.0, 1e-6);
  EXPECT_LE(HausdorffDistance(square, turned), r - 1.0 + 1e-12);
}

TEST(ContourDistance, ConcaveLShapeAgainstItsSquareHandComputed) {
  const Instance l_shape = Valid({{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}});
  const Instance square = Valid(Square(0, 0, 2));
  EXPECT_NEAR(HausdorffDistance(l_shape, square), 1.0, 1e-6);
  // Tolerance 0.5. The L's boundary (length 8) lies on the square's except its two inner unit
  // edges, of which the halves next to the square's sides are within 0.5: precision 7 / 8. Of the
  // square's boundary, the two unit edges at the missing corner are within 0.5 of the L's inner
  // edges for their first half: recall 7 / 8.
  const BoundaryF f = BoundaryFScore(l_shape, square, 0.5);
  EXPECT_NEAR(f.precision, 7.0 / 8.0, 1e-12);
  EXPECT_NEAR(f.recall, 7.0 / 8.0, 1e-12);
}

TEST(ContourDistance, DisjointAndMultiPart) {
  const Instance a = Valid(Square(0, 0, 2));
  const Instance far = Valid(Square(10, 0, 2));
  EXPECT_DOUBLE_EQ(BoundaryFScore(a, far, 2.0).f, 0.0);
  EXPECT_NEAR(HausdorffDistance(a, far), 10.0, 1e-6);  // corner (0,0) to (10,0)
  // Two parts against one of them: the far corners (12, 0) and (12, 2) are 10 from the first.
  const Instance both = Validate(InstanceFromRings({Square(0, 0, 2), Square(10, 0, 2)}));
  EXPECT_NEAR(HausdorffDistance(both, a), 10.0, 1e-6);
  const BoundaryF f = BoundaryFScore(both, a, 1.0);
  EXPECT_NEAR(f.precision, 0.5, 1e-12);
  EXPECT_NEAR(f.recall, 1.0, 1e-12);
}

TEST(ContourDistance, HolesAreBoundariesToo) {
  const Instance solid = Valid(Square(0, 0, 10));
  const Instance holed = Validate(InstanceFromRings({Square(0, 0, 10), Square(4, 4, 2)}));
  // Every point of the hole [4,6]^2 is exactly 4 from the outer boundary.
  EXPECT_NEAR(HausdorffDistance(holed, solid), 4.0, 1e-6);
  EXPECT_NEAR(BoundaryFScore(holed, solid, 1.0).precision, 40.0 / 48.0, 1e-12);
}

TEST(ContourDistance, EmptyConventions) {
  const Instance a = Valid(Square(0, 0, 2));
  EXPECT_DOUBLE_EQ(BoundaryFScore(Instance{}, Instance{}, 1.0).f, 1.0);
  EXPECT_DOUBLE_EQ(BoundaryFScore(a, Instance{}, 1.0).f, 0.0);
  EXPECT_DOUBLE_EQ(HausdorffDistance(Instance{}, Instance{}), 0.0);
  EXPECT_TRUE(std::isinf(HausdorffDistance(a, Instance{})));
  EXPECT_TRUE(std::isinf(MeanContourDistance(Instance{}, a)));
}

TEST(ContourDistance, RejectsBadSettings) {
  const Instance a = Valid(Square(0, 0, 2));
  EXPECT_THROW(BoundaryFScore(a, a, 0.0), std::invalid_argument);
  EXPECT_THROW(HausdorffDistance(a, a, -1.0), std::invalid_argument);
  ContourDistanceOptions o;
  o.tolerance = std::numeric_limits<double>::infinity();
  try {
    o.Validate();
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("tolerance"), std::string::npos) << e.what();
  }
}

// Against brute-force sampling on random pairs: the sampled maximum is a lower bound of the
// Hausdorff distance and at most step / 2 below it; the midpoint-rule mean and the sampled
// fraction within tolerance converge to the exact values.
TEST(ContourDistance, AgreesWithBruteForceSamplingOnRandomPairs) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 25; ++trial) {
    const Instance a = Valid(testing::RandomStar(rng, 20, 20, 4, 15, 5 + trial));
    const Instance b = Valid(testing::RandomStar(rng, 22, 19, 4, 15, 4 + 2 * trial));
    const double step = 0.01;
    const Sampled ab = SampleDistances(a, b, step, 1.5), ba = SampleDistances(b, a, step, 1.5);
    const ContourDistances d = ComputeContourDistances(a, b, {1.5});
    const double sampled_h = std::max(ab.max, ba.max);
    EXPECT_LE(sampled_h, d.hausdorff + 1e-9) << trial;
    EXPECT_LE(d.hausdorff, sampled_h + step / 2) << trial;
    EXPECT_NEAR(d.boundary.precision, ab.within, 2e-3) << trial;
    EXPECT_NEAR(d.boundary.recall, ba.within, 2e-3) << trial;
    const double la = SegmentIndex(a).TotalLength(), lb = SegmentIndex(b).TotalLength();
    const double sampled_mean = (ab.mean * la + ba.mean * lb) / (la + lb);
    EXPECT_LE(d.mean_distance_error, 1e-4) << trial;
    // Midpoint rule at 0.01 on a 1-Lipschitz function: off by at most 0.01 / 4.
    EXPECT_LE(std::abs(d.mean_distance - sampled_mean), d.mean_distance_error + step / 4) << trial;
  }
}

// Two independent algorithms for the directed Hausdorff distance: the envelope sweep's exact
// maximum and the branch and bound with its certified epsilon.
TEST(ContourDistance, EnvelopeMaximumMatchesBranchAndBound) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const Instance a = Valid(testing::RandomStar(rng, 50, 50, 10, 40, 5 + trial * 3));
    const Instance b =
        Valid(testing::RandomStar(rng, 50 + trial % 7 * 10, 48, 10, 40, 4 + trial * 2));
    const SegmentIndex ia(a), ib(b);
    for (const auto& [from, to] : {std::pair{&ia, &ib}, std::pair{&ib, &ia}}) {
      const DirectedDistance envelope = DirectedContourDistance(*from, *to);
      const DirectedHausdorff bnb = DirectedHausdorffDistance(*from, *to, 1e-9);
      EXPECT_NEAR(envelope.max, bnb.distance, 1e-8) << trial;
      // The reported place is where the distance is attained.
      EXPECT_NEAR(to->Nearest(envelope.argmax).distance, envelope.max, 1e-9) << trial;
    }
  }
}

TEST(SegmentIndex, NearestAndBoxQueriesMatchBruteForce) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-50, 50);
  Instance inst = Validate(InstanceFromRings(
      {testing::RandomStar(rng, 0, 0, 10, 40, 300), testing::RandomStar(rng, 100, 0, 5, 9, 12)}));
  const SegmentIndex index(inst);
  ASSERT_EQ(index.size(), VertexCount(inst));
  for (int q = 0; q < 500; ++q) {
    const Point p{u(rng) * 3, u(rng) * 3};
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < index.size(); ++i) {
      best = std::min(best, DistanceToSegment(p, index.segment(i)));
    }
    const NearestPoint n = index.Nearest(p, static_cast<std::size_t>(q) % index.size());
    EXPECT_DOUBLE_EQ(n.distance, best);
    EXPECT_NEAR(std::hypot(n.point.x - p.x, n.point.y - p.y), best, 1e-9);
    Bounds box;
    box.x0 = p.x - 10;
    box.x1 = p.x + 10;
    box.y0 = p.y - 5;
    box.y1 = p.y + 5;
    std::vector<std::size_t> got, want;
    index.ForEachInBox(box, [&](std::size_t i) { got.push_back(i); });
    for (std::size_t i = 0; i < index.size(); ++i) {
      const Segment& s = index.segment(i);
      if (std::min(s.a.x, s.b.x) <= box.x1 && std::max(s.a.x, s.b.x) >= box.x0 &&
          std::min(s.a.y, s.b.y) <= box.y1 && std::max(s.a.y, s.b.y) >= box.y0) {
        want.push_back(i);
      }
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want);
  }
}

TEST(SegmentIndex, FindsEdgeConflicts) {
  // Simple rings, a hole inside an outer ring, a triangle: no conflict.
  EXPECT_FALSE(FindEdgeConflict(
                   SegmentIndex(Validate(InstanceFromRings({Square(0, 0, 10), Square(4, 4, 2)}))))
                   .has_value());
  EXPECT_FALSE(FindEdgeConflict(SegmentIndex(Ring{{0, 0}, {4, 0}, {0, 3}})).has_value());
  // A bow tie: edges 0 and 2 cross.
  const auto bow = FindEdgeConflict(SegmentIndex(Ring{{0, 0}, {4, 4}, {4, 0}, {0, 4}}));
  ASSERT_TRUE(bow.has_value());
  EXPECT_EQ(bow->first, 0u);
  EXPECT_EQ(bow->second, 2u);
  // A ring touching itself at a vertex, and a spike doubling back on itself.
  EXPECT_TRUE(FindEdgeConflict(SegmentIndex(Ring{{0, 0}, {4, 0}, {2, 2}, {4, 4}, {0, 4}, {2, 2}}))
                  .has_value());
  EXPECT_TRUE(FindEdgeConflict(SegmentIndex(Ring{{0, 0}, {4, 0}, {2, 0}, {2, 3}})).has_value());
  // Two rings that cross; ring and edge numbers locate it.
  Instance crossing;
  crossing.parts.push_back({Square(0, 0, 4), {}});
  crossing.parts.push_back({Square(2, 2, 4), {}});
  const SegmentIndex index(crossing);
  const auto c = FindEdgeConflict(index);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(index.RingOf(c->first), 0u);
  EXPECT_EQ(index.RingOf(c->second), 1u);
  EXPECT_EQ(index.EdgeInRing(c->second), 0u);  // (2,2)-(6,2) crosses (4,0)-(4,4)
  EXPECT_EQ(index.EdgeInRing(c->first), 1u);
}

TEST(SegmentIndex, DistanceBetweenSegments) {
  EXPECT_DOUBLE_EQ(DistanceBetweenSegments({{0, 0}, {2, 2}}, {{0, 2}, {2, 0}}), 0.0);  // cross
  EXPECT_DOUBLE_EQ(DistanceBetweenSegments({{0, 0}, {2, 0}}, {{2, 0}, {3, 5}}), 0.0);  // touch
  EXPECT_DOUBLE_EQ(DistanceBetweenSegments({{0, 0}, {2, 0}}, {{0, 3}, {2, 3}}), 3.0);  // parallel
  EXPECT_DOUBLE_EQ(DistanceBetweenSegments({{0, 0}, {1, 0}}, {{4, 4}, {4, 9}}), 5.0);  // ends
}

}  // namespace
}  // namespace understudy
