#include "env/contour.h"

#include <gtest/gtest.h>

#include <cmath>

#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

constexpr double kPi = 3.14159265358979323846;

Ring Circle(double cx, double cy, double r, int n) {
  Ring ring;
  for (int i = 0; i < n; ++i) {
    ring.push_back({cx + r * std::cos(2 * kPi * i / n), cy + r * std::sin(2 * kPi * i / n)});
  }
  return ring;
}

double Dist(const Point& a, const Point& b) { return std::hypot(a.x - b.x, a.y - b.y); }

TEST(Contour, BoxRingIsPositivelyOriented) {
  const Ring r = BoxRing({1, 2, 4, 6});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(SignedArea(r), 12.0);
}

TEST(Contour, InscribedEllipseAreaApproachesPiAB) {
  const Ring r = InscribedEllipse({0, 0, 40, 20}, 512);
  EXPECT_NEAR(SignedArea(r), kPi * 20 * 10, 0.5);
  EXPECT_DOUBLE_EQ(r[0].x, 40.0);  // starts at the rightmost point
  EXPECT_DOUBLE_EQ(r[0].y, 10.0);
  EXPECT_THROW(InscribedEllipse({0, 0, 1, 1}, 2), std::invalid_argument);
}

TEST(Contour, UsableBoxClipsAndGrows) {
  const Box b = UsableBox({-10, -5, 30, 20}, 25, 15);
  EXPECT_DOUBLE_EQ(b.x0, 0);
  EXPECT_DOUBLE_EQ(b.y0, 0);
  EXPECT_DOUBLE_EQ(b.x1, 25);
  EXPECT_DOUBLE_EQ(b.y1, 15);
  // A zero-width box at the right border grows inwards to the minimum size.
  const Box thin = UsableBox({25, 3, 25, 9}, 25, 15, 2.0);
  EXPECT_DOUBLE_EQ(thin.x0, 23);
  EXPECT_DOUBLE_EQ(thin.x1, 25);
  // Inverted boxes are put right.
  const Box inv = UsableBox({10, 10, 5, 4}, 25, 15);
  EXPECT_DOUBLE_EQ(inv.x0, 5);
  EXPECT_DOUBLE_EQ(inv.y1, 10);
  EXPECT_THROW(UsableBox({NAN, 0, 1, 1}, 10, 10), std::invalid_argument);
}

TEST(Contour, ResampleSpacesPointsEquallyAlongTheRing) {
  const Ring square = BoxRing({0, 0, 10, 10});  // perimeter 40
  const Ring r = ResampleRing(square, 8);
  ASSERT_EQ(r.size(), 8u);
  for (std::size_t i = 0; i < r.size(); ++i) {
    EXPECT_NEAR(Dist(r[i], r[(i + 1) % r.size()]), 5.0, 1e-9) << "gap after point " << i;
  }
  EXPECT_EQ(r[0], square[0]);
  EXPECT_THROW(ResampleRing(square, 2), std::invalid_argument);
  EXPECT_THROW(ResampleRing({{1, 1}, {1, 1}, {1, 1}}, 4), std::invalid_argument);
}

TEST(Contour, CanonicalContourIsOrientedAndStartsAtTheTop) {
  Ring circle = Circle(50, 50, 20, 100);
  std::reverse(circle.begin(), circle.end());  // negative orientation on purpose
  const Ring c = CanonicalContour(circle, 16);
  ASSERT_EQ(c.size(), 16u);
  EXPECT_GT(SignedArea(c), 0.0);
  EXPECT_NEAR(c[0].x, 50.0, 1.0);  // top of the circle (smallest y)
  EXPECT_NEAR(c[0].y, 30.0, 0.1);
  // The same shape from a different start vertex gives (almost) the same contour.
  Ring rotated(circle.begin() + 37, circle.end());
  rotated.insert(rotated.end(), circle.begin(), circle.begin() + 37);
  const Ring c2 = CanonicalContour(rotated, 16);
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_LT(Dist(c[i], c2[i]), 1.0) << i;
}

TEST(Contour, SimplifyKeepsEveryPointWithinEpsilon) {
  const Ring dense = Circle(0, 0, 50, 720);
  const double eps = 1.5;
  const Ring s = SimplifyRing(dense, eps);
  EXPECT_LT(s.size(), 40u);
  EXPECT_GT(s.size(), 8u);
  // Every dropped point lies within eps of the simplified ring.
  for (const Point& p : dense) {
    double best = 1e9;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const Point& a = s[i];
      const Point& b = s[(i + 1) % s.size()];
      const double dx = b.x - a.x, dy = b.y - a.y;
      const double t =
          std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
      best = std::min(best, Dist(p, {a.x + t * dx, a.y + t * dy}));
    }
    EXPECT_LE(best, eps + 1e-9);
  }
  // Corners of a square survive, collinear points do not.
  const Ring square{{0, 0}, {5, 0}, {10, 0}, {10, 10}, {0, 10}};
  EXPECT_EQ(SimplifyRing(square, 0.1).size(), 4u);
}

TEST(Contour, IsSimpleRingFindsCrossingsAndFolds) {
  EXPECT_TRUE(IsSimpleRing(BoxRing({0, 0, 1, 1})));
  EXPECT_FALSE(IsSimpleRing({{0, 0}, {1, 1}, {1, 0}, {0, 1}}));  // bow tie
  EXPECT_FALSE(IsSimpleRing({{0, 0}, {2, 0}, {1, 0}, {1, 1}}));  // edge folds back on itself
  EXPECT_FALSE(IsSimpleRing({{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}}));  // vertex on an edge
  EXPECT_TRUE(IsSimpleRing(Circle(0, 0, 10, 64)));
}

TEST(Contour, OffsetRingGrowsOutwardWhateverTheOrientation) {
  Ring square = BoxRing({0, 0, 10, 10});
  EXPECT_NEAR(std::abs(SignedArea(OffsetRing(square, 0.5))), 121.0, 1e-9);
  std::reverse(square.begin(), square.end());
  EXPECT_NEAR(std::abs(SignedArea(OffsetRing(square, 0.5))), 121.0, 1e-9);
  EXPECT_NEAR(std::abs(SignedArea(OffsetRing(square, -1.0))), 64.0, 1e-9);
}

TEST(Contour, ContainsUsesTheEvenOddRule) {
  const Ring r = BoxRing({0, 0, 10, 10});
  EXPECT_TRUE(Contains(r, {5, 5}));
  EXPECT_FALSE(Contains(r, {11, 5}));
  EXPECT_FALSE(Contains(r, {-0.1, 5}));
}

TEST(Contour, LargestOuterPicksTheBiggestPart) {
  Instance inst;
  inst.parts.push_back({BoxRing({0, 0, 1, 1}), {}});
  inst.parts.push_back({BoxRing({5, 5, 9, 9}), {}});
  EXPECT_DOUBLE_EQ(SignedArea(LargestOuter(inst)), 16.0);
  EXPECT_THROW(LargestOuter(Instance{}), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
