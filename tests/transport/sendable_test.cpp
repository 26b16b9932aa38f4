// The one rule for what a suggestion may carry, shared by the server and the simulator.

#include "transport/sendable.h"

#include <gtest/gtest.h>

#include <limits>

namespace understudy {
namespace {

Ring Square(double x0, double y0, double side) {
  return {{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}};
}

Instance WithHole(const Ring& hole) {
  Instance i;
  i.parts.push_back({Square(0, 0, 10), {hole}});
  return i;
}

TEST(Sendable, AcceptsFiniteRingsWithinTheCap) {
  EXPECT_TRUE(ShapeIsSendable(WithHole({{2, 2}, {2, 4}, {4, 4}}), 4));
  EXPECT_TRUE(ShapeIsSendable(WithHole(Square(2, 2, 2)), 4));
}

TEST(Sendable, RefusesEmptyShortOversizeAndNonFiniteRings) {
  EXPECT_FALSE(ShapeIsSendable(Instance{}, 4096));
  Instance two;
  two.parts.push_back({{{0, 0}, {1, 1}}, {}});
  EXPECT_FALSE(ShapeIsSendable(two, 4096));
  // The cap applies to holes as well as outer rings.
  EXPECT_FALSE(ShapeIsSendable(WithHole(Square(2, 2, 2)), 3));
  EXPECT_FALSE(ShapeIsSendable(WithHole({{2, 2}, {2, 4}}), 4096));
  EXPECT_FALSE(ShapeIsSendable(
      WithHole({{2, 2}, {2, std::numeric_limits<double>::infinity()}, {4, 4}}), 4096));
  Instance nan;
  nan.parts.push_back({{{0, 0}, {std::numeric_limits<double>::quiet_NaN(), 0}, {0, 1}}, {}});
  EXPECT_FALSE(ShapeIsSendable(nan, 4096));
}

}  // namespace
}  // namespace understudy
