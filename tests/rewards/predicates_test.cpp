#include "rewards/predicates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace understudy {
namespace {

using geometry::CompareCrossings;
using geometry::Contact;
using geometry::DirectionLess;
using geometry::Locate;
using geometry::Location;
using geometry::Orient;
using geometry::OrientExact;
using geometry::SegmentContact;

// Points a few ulps around (0.5, 0.5) against the line y = x through (12, 12) and (24, 24):
// the sign is exactly sign(y - x), and naive double evaluation gets many of them wrong
// (Shewchuk's and Kettner et al.'s classic example).
TEST(Orient, ExactNearTheLineWhereNaiveDoubleFails) {
  const Point b{12.0, 12.0}, c{24.0, 24.0};
  int naive_wrong = 0, checked = 0;
  double x = 0.5;
  for (int i = 0; i < 64; ++i, x = std::nextafter(x, 1.0)) {
    double y = 0.5;
    for (int j = 0; j < 64; ++j, y = std::nextafter(y, 1.0)) {
      const Point a{x, y};
      // (b - a) x (c - a) = 12 (y - x) exactly.
      const int truth = y > x ? 1 : (y < x ? -1 : 0);
      ASSERT_EQ(Orient(a, b, c), truth) << i << "," << j;
      ASSERT_EQ(OrientExact(a, b, c), truth);
      const double naive = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
      naive_wrong += (naive > 0 ? 1 : (naive < 0 ? -1 : 0)) != truth;
      ++checked;
    }
  }
  // The test is only meaningful if plain doubles do fail here.
  EXPECT_GT(naive_wrong, 0) << "of " << checked;
}

TEST(Orient, FilterAgreesWithExactOnRandomAndNearDegenerateInput) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1000.0, 1000.0);
  for (int i = 0; i < 20000; ++i) {
    const Point a{u(rng), u(rng)}, b{u(rng), u(rng)};
    const double t = std::uniform_real_distribution<double>(-2.0, 3.0)(rng);
    // c on the line through a and b up to rounding: the hard case for the filter.
    const Point c{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
    ASSERT_EQ(Orient(a, b, c), OrientExact(a, b, c));
    const Point d{u(rng), u(rng)};
    ASSERT_EQ(Orient(a, b, d), OrientExact(a, b, d));
    ASSERT_EQ(Orient(a, b, d), -Orient(b, a, d));
    ASSERT_EQ(Orient(a, b, d), Orient(b, d, a));
  }
}

TEST(SegmentContact, ClassifiesEveryKind) {
  auto kind = [](Point a, Point b, Point c, Point d) { return SegmentContact(a, b, c, d).kind; };
  EXPECT_EQ(kind({0, 0}, {2, 2}, {0, 2}, {2, 0}), Contact::kCross);
  EXPECT_EQ(kind({0, 0}, {2, 0}, {1, 0}, {1, 5}), Contact::kTouch);  // T-junction
  EXPECT_EQ(kind({0, 0}, {2, 0}, {2, 0}, {3, 1}), Contact::kTouch);  // shared endpoint
  EXPECT_EQ(kind({0, 0}, {2, 0}, {1, 0}, {3, 0}), Contact::kOverlap);
  EXPECT_EQ(kind({0, 0}, {2, 0}, {2, 0}, {3, 0}), Contact::kTouch);  // collinear, end to end
  EXPECT_EQ(kind({0, 0}, {2, 0}, {3, 0}, {4, 0}), Contact::kNone);   // collinear, apart
  EXPECT_EQ(kind({0, 0}, {2, 0}, {0, 1}, {2, 1}), Contact::kNone);   // parallel
  EXPECT_EQ(kind({0, 0}, {2, 2}, {3, 0}, {3, 5}), Contact::kNone);

  const auto touch = SegmentContact({0, 0}, {4, 0}, {1, 3}, {1, 0});
  EXPECT_EQ(touch.at, (Point{1, 0}));
  const auto overlap = SegmentContact({0, 0}, {4, 4}, {5, 5}, {2, 2});
  ASSERT_EQ(overlap.kind, Contact::kOverlap);
  EXPECT_EQ(overlap.at, (Point{2, 2}));
  EXPECT_EQ(overlap.to, (Point{4, 4}));
  const auto cross = SegmentContact({0, 0}, {2, 2}, {0, 2}, {2, 0});
  EXPECT_EQ(cross.at, (Point{1, 1}));
}

TEST(DirectionLess, OrdersAFullTurnCounterClockwiseFromTheXAxis) {
  const Point o{10, -3};
  const std::vector<Point> ccw = {{11, -3}, {11, -2}, {10, -2}, {9, -2},
                                  {9, -3},  {9, -4},  {10, -4}, {11, -4}};
  for (std::size_t i = 0; i < ccw.size(); ++i) {
    for (std::size_t j = 0; j < ccw.size(); ++j) {
      EXPECT_EQ(DirectionLess(o, ccw[i], o, ccw[j]), i < j) << i << " " << j;
      EXPECT_EQ(geometry::AngleLess(o, ccw[i], ccw[j]), i < j);
    }
  }
  // Direction only, not position or length.
  EXPECT_FALSE(DirectionLess({0, 0}, {1, 1}, {5, 5}, {7, 7}));
  EXPECT_FALSE(DirectionLess({5, 5}, {7, 7}, {0, 0}, {1, 1}));
}

TEST(CompareCrossings, OrdersCrossingsAlongASegmentAndDetectsConcurrency) {
  const Point p{0, 0}, q{10, 0};
  // Lines crossing the x axis at x = 2, x = 7, and again at x = 2 through other points.
  const Point a1{2, -1}, a2{2, 1}, b1{6, -1}, b2{8, 1}, c1{1, -1}, c2{3, 1};
  EXPECT_EQ(CompareCrossings(p, q, a1, a2, b1, b2), -1);
  EXPECT_EQ(CompareCrossings(p, q, b1, b2, a1, a2), 1);
  EXPECT_EQ(CompareCrossings(p, q, a1, a2, c1, c2), 0);
  // Reversing the segment reverses the order.
  EXPECT_EQ(CompareCrossings(q, p, a1, a2, b1, b2), 1);
  // Concurrency off a grid: three lines through (1/3, 1/3) that no double represents.
  const Point s{0, 0}, t{1, 1};
  EXPECT_EQ(CompareCrossings(s, t, {0, 1}, {1, -1}, {1, 0}, {-1, 1}), 0);
}

TEST(Locate, InsideOutsideAndEveryKindOfBoundary) {
  const Ring square = {{0, 0}, {4, 0}, {4, 4}, {0, 4}};
  EXPECT_EQ(Locate({2, 2}, square), Location::kInside);
  EXPECT_EQ(Locate({5, 2}, square), Location::kOutside);
  EXPECT_EQ(Locate({-1, 0}, square), Location::kOutside);  // on the line of a horizontal edge
  EXPECT_EQ(Locate({4, 4}, square), Location::kBoundary);  // vertex
  EXPECT_EQ(Locate({2, 0}, square), Location::kBoundary);  // horizontal edge
  EXPECT_EQ(Locate({4, 1}, square), Location::kBoundary);  // vertical edge
  const Ring tri = {{0, 0}, {3, 1}, {1, 3}};
  EXPECT_EQ(Locate({2, 2}, tri), Location::kBoundary);  // slanted edge
  EXPECT_EQ(Locate({1, 1}, tri), Location::kInside);
  EXPECT_EQ(geometry::RingOrientation(tri), 1);
  EXPECT_EQ(geometry::RingOrientation({{0, 0}, {1, 3}, {3, 1}}), -1);
}

}  // namespace
}  // namespace understudy
