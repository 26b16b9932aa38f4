#include "rewards/polygon.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

Ring Square(double x, double y, double s) {
  return {{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}};
}

TEST(Polygon, SignedAreaFollowsOrientation) {
  Ring r = Square(0, 0, 2);
  EXPECT_DOUBLE_EQ(SignedArea(r), 4.0);
  std::reverse(r.begin(), r.end());
  EXPECT_DOUBLE_EQ(SignedArea(r), -4.0);
}

TEST(Polygon, BoundsAndCounts) {
  Instance inst = MakeInstance(Square(1, 2, 3));
  const Bounds b = BoundsOf(inst);
  EXPECT_DOUBLE_EQ(b.x0, 1);
  EXPECT_DOUBLE_EQ(b.y1, 5);
  EXPECT_EQ(VertexCount(inst), 4u);
}

TEST(Iou, OverlappingSquaresHandComputed) {
  const Instance a = Validate(MakeInstance(Square(0, 0, 2)));
  const Instance b = Validate(MakeInstance(Square(1, 1, 2)));
  // intersection 1, union 4 + 4 - 1 = 7
  EXPECT_NEAR(ExactIou(a, b), 1.0 / 7.0, 1e-12);
}

}  // namespace
}  // namespace understudy
