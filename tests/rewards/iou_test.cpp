#include "rewards/iou.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "rewards/validation.h"

namespace understudy {
namespace {

Ring Rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
}

Instance V(Ring r) { return Validate(MakeInstance(std::move(r))); }

// IoU is symmetric, and the intersection never exceeds either area; every hand case checks both.
void ExpectIou(const Instance& a, const Instance& b, double expected, double tol = 1e-14) {
  EXPECT_NEAR(ExactIou(a, b), expected, tol);
  EXPECT_NEAR(ExactIou(b, a), expected, tol);
}

TEST(ExactIou, DisjointIsZero) {
  ExpectIou(V(Rect(0, 0, 1, 1)), V(Rect(2, 0, 3, 1)), 0.0, 0.0);
  ExpectIou(V(Rect(0, 0, 1, 1)), V(Rect(0.5, 3, 1.5, 4)), 0.0, 0.0);  // boxes overlap in x only
}

TEST(ExactIou, TouchingAlongAnEdgeOrAtAPointIsZero) {
  EXPECT_EQ(IntersectionArea(V(Rect(0, 0, 1, 1)), V(Rect(1, 0, 2, 1))), 0.0);
  EXPECT_EQ(IntersectionArea(V(Rect(0, 0, 1, 1)), V(Rect(1, 0.25, 2, 0.75))), 0.0);
  EXPECT_EQ(IntersectionArea(V(Rect(0, 0, 1, 1)), V(Rect(1, 1, 2, 2))), 0.0);
  // Triangle whose apex touches the square's edge from outside.
  EXPECT_EQ(IntersectionArea(V(Rect(0, 0, 2, 2)), V({{1, 2}, {3, 4}, {-1, 4}})), 0.0);
}

TEST(ExactIou, ContainedIsTheAreaRatio) {
  ExpectIou(V(Rect(0, 0, 10, 10)), V(Rect(2, 3, 4, 8)), 10.0 / 100.0);
  // Contained and sharing two edges with the container.
  ExpectIou(V(Rect(0, 0, 10, 10)), V(Rect(0, 0, 5, 10)), 0.5);
}

TEST(ExactIou, IdenticalIsExactlyOne) {
  const Instance a = V({{3.1, 4.7}, {10.3, 2.9}, {12.25, 9.5}, {6.6, 11.05}, {4.4, 8.8}});
  EXPECT_NEAR(ExactIou(a, a), 1.0, 1e-15);
  EXPECT_NEAR(IntersectionArea(a, a), Area(a), 1e-15 * Area(a));
  // Same region, vertices listed from another start: still identical.
  Instance b = a;
  std::rotate(b.parts[0].outer.begin(), b.parts[0].outer.begin() + 2, b.parts[0].outer.end());
  EXPECT_NEAR(ExactIou(a, b), 1.0, 1e-15);
}

TEST(ExactIou, SquareAndTheSameSquareRotated45DegreesIsOneOverSqrt2) {
  // [-1, 1]^2 and the diamond |x| + |y| <= sqrt 2 meet in a regular octagon of area
  // 8 sqrt 2 - 8, so IoU = (8 sqrt 2 - 8) / (16 - 8 sqrt 2) = 1 / sqrt 2.
  const double r = std::sqrt(2.0);
  const Instance square = V(Rect(-1, -1, 1, 1));
  const Instance diamond = V({{r, 0}, {0, r}, {-r, 0}, {0, -r}});
  EXPECT_NEAR(IntersectionArea(square, diamond), 8 * r - 8, 1e-14);
  ExpectIou(square, diamond, 1.0 / r);
}

TEST(ExactIou, ConcaveShapes) {
  // A U opening upwards: [0,6]x[0,4] minus the notch [2,4]x[1,4]; area 24 - 6 = 18.
  const Instance u = V({{0, 0}, {6, 0}, {6, 4}, {4, 4}, {4, 1}, {2, 1}, {2, 4}, {0, 4}});
  EXPECT_DOUBLE_EQ(Area(u), 18.0);
  // A bar [-1,7]x[2,3] crosses both arms: 2 + 2 = 4 inside; union 18 + 8 - 4 = 22.
  ExpectIou(u, V(Rect(-1, 2, 7, 3)), 4.0 / 22.0);
  // A bar filling the notch exactly shares three edges and has no overlap.
  EXPECT_EQ(IntersectionArea(u, V(Rect(2, 1, 4, 4))), 0.0);
  // An L against a square covering its corner: L = [0,4]x[0,1] u [0,1]x[1,4] (area 7).
  const Instance l = V({{0, 0}, {4, 0}, {4, 1}, {1, 1}, {1, 4}, {0, 4}});
  ExpectIou(l, V(Rect(0.5, 0.5, 2.5, 2.5)), (0.5 * 2 + 0.5 * 1.5) / (7 + 4 - 1.75));
}

TEST(ExactIou, VerticesClockwiseAndCounterClockwiseGiveTheSameResult) {
  const Ring tri = {{0, 0}, {4, 0}, {0, 4}};
  Ring cw = tri;
  std::reverse(cw.begin(), cw.end());
  const Instance a = V(tri), b = V(cw);
  EXPECT_GT(SignedArea(b.parts[0].outer), 0.0);  // Validate orients outer rings
  EXPECT_NEAR(ExactIou(a, b), 1.0, 1e-15);
  const Instance box = V(Rect(1, 1, 3, 3));  // the triangle cuts the box along x + y = 4
  EXPECT_NEAR(ExactIou(a, box), ExactIou(b, box), 1e-15);
  EXPECT_NEAR(IntersectionArea(a, box), 2.0, 1e-14);
}

TEST(ExactIou, MultiPartInstances) {
  Instance two;
  two.parts.push_back({Rect(0, 0, 2, 2), {}});
  two.parts.push_back({Rect(5, 0, 7, 2), {}});
  two = Validate(two);
  EXPECT_DOUBLE_EQ(Area(two), 8.0);
  // A bar over both parts: 1 + 1 inside; union 8 + 5 - 2.
  ExpectIou(two, V(Rect(1, 0.5, 6, 1.5)), 2.0 / 11.0);
  // Against itself, and against the same parts listed in the other order.
  Instance swapped;
  swapped.parts = {two.parts[1], two.parts[0]};
  EXPECT_NEAR(ExactIou(two, swapped), 1.0, 1e-15);
  // Part by part against a two-part instance that covers only one of them.
  ExpectIou(two, V(Rect(0, 0, 2, 2)), 0.5);
}

TEST(ExactIou, Holes) {
  Instance frame;
  frame.parts.push_back({Rect(0, 0, 6, 6), {Rect(2, 2, 4, 4)}});
  frame = Validate(frame);
  EXPECT_DOUBLE_EQ(Area(frame), 32.0);
  // What fills the hole exactly does not overlap the frame.
  EXPECT_EQ(IntersectionArea(frame, V(Rect(2, 2, 4, 4))), 0.0);
  // A bar across the middle: [0,6]x[2.5,3.5] minus the hole's [2,4]x[2.5,3.5] = 4.
  ExpectIou(frame, V(Rect(0, 2.5, 6, 3.5)), 4.0 / (32 + 6 - 4));
  // Two frames whose holes are offset.
  Instance other;
  other.parts.push_back({Rect(0, 0, 6, 6), {Rect(3, 2, 5, 4)}});
  other = Validate(other);
  // Both cover [0,6]^2 minus the union of the holes ([2,5]x[2,4], area 6): 30.
  ExpectIou(frame, other, 30.0 / (32 + 32 - 30));
}

TEST(ExactIou, SharedEdgesCollinearOverlapsAndVerticesOnEdges) {
  // Collinear overlapping top and bottom edges: [0,2]x[0,1] and [1,3]x[0,1].
  ExpectIou(V(Rect(0, 0, 2, 1)), V(Rect(1, 0, 3, 1)), 1.0 / 3.0);
  // A triangle whose vertices lie on the square's edges (inscribed): its own area.
  const Instance tri = V({{2, 0}, {4, 3}, {0, 4}});
  ExpectIou(V(Rect(0, 0, 4, 4)), tri, Area(tri) / 16.0);
  // A square whose corner sits on the other square's edge.
  ExpectIou(V(Rect(0, 0, 2, 2)), V({{1, 2}, {2, 3}, {1, 4}, {0, 3}}), 0.0, 0.0);
  // A diamond with two vertices on the square's boundary: its lower half (area 1) is inside.
  ExpectIou(V(Rect(0, 0, 2, 2)), V({{1, 1}, {2, 2}, {1, 3}, {0, 2}}), 1.0 / 5.0);
}

TEST(ExactIou, FarFromTheOriginKeepsItsAccuracy) {
  const double off = 1e6;
  const Instance a = V({{off + 0.1, off + 0.2}, {off + 3.3, off + 0.1}, {off + 2.9, off + 2.7}});
  const Instance b = V(Rect(off + 1, off + 0.0, off + 4, off + 2));
  const Instance a0 = V({{0.1, 0.2}, {3.3, 0.1}, {2.9, 2.7}});
  const Instance b0 = V(Rect(1, 0, 4, 2));
  EXPECT_NEAR(ExactIou(a, b), ExactIou(a0, b0), 1e-9);
}

TEST(ExactIou, EmptyInstancesGiveZero) {
  EXPECT_EQ(ExactIou(Instance{}, Instance{}), 0.0);
  EXPECT_EQ(ExactIou(Instance{}, V(Rect(0, 0, 1, 1))), 0.0);
}

TEST(ExactIou, ManyVerticesUseTheSweepAndAgreeWithFewVertices) {
  // A 600-gon approximation of a disc against its half-plane cut: both paths (all pairs for
  // small inputs, the sweep for large ones) must give the half area.
  Ring disc;
  const int n = 600;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * i / n;
    disc.push_back({100 + 50 * std::cos(t), 100 + 50 * std::sin(t)});
  }
  const Instance d = V(disc);
  Ring half_disc;
  for (int i = 0; i <= n / 2; ++i) half_disc.push_back(disc[i]);
  const Instance h = V(half_disc);
  EXPECT_NEAR(IntersectionArea(d, h), Area(h), 1e-12 * Area(h));
  const Instance box = V(Rect(0, 0, 100, 200));  // the left half exactly: x = 100 is a diameter
  EXPECT_NEAR(IntersectionArea(d, box), 0.5 * Area(d), 1e-12 * Area(d));
}

// Each thread reuses its own buffers: concurrent calls give exactly the single-threaded results.
TEST(ExactIou, ConcurrentCallsAgreeWithSequentialOnes) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 100.0);
  std::vector<Instance> shapes;
  for (int i = 0; i < 40; ++i) {
    const double x = u(rng), y = u(rng);
    shapes.push_back(V({{x, y}, {x + 40, y + 5}, {x + 30, y + 35}, {x + 5, y + 30}}));
  }
  std::vector<double> expected;
  for (const Instance& a : shapes) {
    for (const Instance& b : shapes) expected.push_back(ExactIou(a, b));
  }
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) {
    threads.emplace_back([&shapes, &out] {
      for (int round = 0; round < 5; ++round) {
        out.clear();
        for (const Instance& a : shapes) {
          for (const Instance& b : shapes) out.push_back(ExactIou(a, b));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& out : got) EXPECT_EQ(out, expected);
  // The shapes overlap partially in many pairs, so the comparison covers real crossings.
  EXPECT_GT(
      std::count_if(expected.begin(), expected.end(), [](double v) { return v > 0 && v < 1; }),
      100);
}

}  // namespace
}  // namespace understudy
