// Exact IoU on degenerate pairs (identical, shared edges, vertices on edges, collinear overlaps,
// touching, nested, holes) against GEOS and, where simple, against hand-computed values.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rewards/iou.h"
#include "rewards/validation.h"
#include "tests/rewards/geos/geos_oracle.h"

namespace understudy {
namespace {

using testing::Geos;

Ring Rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
}

Instance V(Instance raw) { return Validate(std::move(raw)); }
Instance V(Ring r) { return Validate(MakeInstance(std::move(r))); }
Instance WithHoles(Ring outer, std::vector<Ring> holes) {
  return Validate(Instance{{Polygon{std::move(outer), std::move(holes)}}});
}

class DegenerateGeos : public ::testing::Test {
 protected:
  double GeosIou(const Instance& a, const Instance& b) {
    auto ga = geos_.MakeMulti(a), gb = geos_.MakeMulti(b);
    EXPECT_TRUE(geos_.IsValid(ga.get())) << geos_.Reason(ga.get());
    EXPECT_TRUE(geos_.IsValid(gb.get())) << geos_.Reason(gb.get());
    return geos_.Iou(ga.get(), gb.get());
  }
  // Ours, both ways round, against GEOS and the hand-computed value.
  void Check(const std::string& what, const Instance& a, const Instance& b, double expected) {
    const double ref = GeosIou(a, b);
    EXPECT_NEAR(ref, expected, 1e-12) << what << " (GEOS vs hand)";
    EXPECT_NEAR(ExactIou(a, b), expected, 1e-14) << what;
    EXPECT_NEAR(ExactIou(b, a), expected, 1e-14) << what << " (swapped)";
  }
  Geos geos_;
};

TEST_F(DegenerateGeos, IdenticalPolygons) {
  const Instance a = V({{3.1, 4.7}, {10.3, 2.9}, {12.25, 9.5}, {6.6, 11.05}, {4.4, 8.8}});
  Check("identical", a, a, 1.0);
  Ring reversed = a.parts[0].outer;
  std::reverse(reversed.begin(), reversed.end());
  Check("identical, given clockwise", a, V(reversed), 1.0);
  const Instance frame = WithHoles(Rect(0, 0, 6, 6), {Rect(2, 2, 4, 4)});
  Check("identical with hole", frame, frame, 1.0);
}

TEST_F(DegenerateGeos, SharedEdgesAndCollinearOverlaps) {
  Check("adjacent", V(Rect(0, 0, 1, 1)), V(Rect(1, 0, 2, 1)), 0.0);
  Check("adjacent, partial edge", V(Rect(0, 0, 1, 1)), V(Rect(1, 0.5, 2, 3)), 0.0);
  Check("half overlap along lines", V(Rect(0, 0, 2, 1)), V(Rect(1, 0, 3, 1)), 1.0 / 3.0);
  Check("one edge shared, contained", V(Rect(0, 0, 4, 4)), V(Rect(0, 1, 2, 3)), 4.0 / 16.0);
  Check("corner shared, contained", V(Rect(0, 0, 4, 4)), V(Rect(0, 0, 1, 1)), 1.0 / 16.0);
  // Triangles sharing their hypotenuse from both sides, and from the same side.
  Check("mirror triangles", V({{0, 0}, {2, 0}, {0, 2}}), V({{2, 0}, {2, 2}, {0, 2}}), 0.0);
  Check("nested triangles on one line", V({{0, 0}, {4, 0}, {0, 4}}), V({{1, 0}, {3, 0}, {1, 2}}),
        2.0 / 8.0);
}

TEST_F(DegenerateGeos, VerticesOnEdgesAndTouchingPoints) {
  Check("inscribed triangle", V(Rect(0, 0, 4, 4)), V({{2, 0}, {4, 3}, {0, 4}}), 7.0 / 16.0);
  Check("apex on edge, outside", V(Rect(0, 0, 2, 2)), V({{1, 2}, {3, 4}, {-1, 4}}), 0.0);
  Check("apex on edge, inside", V(Rect(0, 0, 2, 2)), V({{1, 2}, {0.5, 1}, {1.5, 1}}), 0.5 / 4.0);
  Check("corner to corner", V(Rect(0, 0, 1, 1)), V(Rect(1, 1, 2, 2)), 0.0);
  Check("tip to tip", V({{0, 0}, {2, 1}, {0, 2}}), V({{2, 1}, {4, 0}, {4, 2}}), 0.0);
  Check("diamond through corners", V(Rect(0, 0, 2, 2)), V({{1, 1}, {2, 2}, {1, 3}, {0, 2}}),
        1.0 / 5.0);
}

TEST_F(DegenerateGeos, NestedAndHoles) {
  Check("nested", V(Rect(0, 0, 10, 10)), V(Rect(2, 3, 4, 8)), 0.1);
  const Instance frame = WithHoles(Rect(0, 0, 6, 6), {Rect(2, 2, 4, 4)});
  Check("fills the hole", frame, V(Rect(2, 2, 4, 4)), 0.0);
  Check("covers the frame", frame, V(Rect(0, 0, 6, 6)), 32.0 / 36.0);
  Check("offset holes", frame, WithHoles(Rect(0, 0, 6, 6), {Rect(3, 2, 5, 4)}), 30.0 / 34.0);
  Check("hole touching outer", WithHoles(Rect(0, 0, 4, 4), {{{0, 2}, {1, 1}, {2, 2}, {1, 3}}}),
        V(Rect(0, 0, 2, 4)), 6.0 / (14.0 + 8.0 - 6.0));
  Instance island;
  island.parts.push_back({Rect(0, 0, 10, 10), {Rect(2, 2, 8, 8)}});
  island.parts.push_back({Rect(4, 4, 6, 6), {}});
  Check("island in hole vs the hole's square", V(island), V(Rect(2, 2, 8, 8)),
        4.0 / (68.0 + 36.0 - 4.0));
}

// Every pair from a family of small grid shapes: shared edges, collinear overlaps, vertices on
// edges and touching corners in every combination.
TEST_F(DegenerateGeos, AllPairsOfGridShapes) {
  std::vector<Instance> shapes;
  for (int x = 0; x < 3; ++x) {
    for (int y = 0; y < 3; ++y) {
      for (int w = 1; w <= 2; ++w) {
        shapes.push_back(V(Rect(x, y, x + w, y + 2)));
        shapes.push_back(
            V({{double(x), double(y)}, {x + 2.0 * w, double(y)}, {double(x), y + 2.0}}));
        shapes.push_back(V({{double(x), y + 1.0},
                            {x + 1.0 * w, double(y)},
                            {x + 2.0 * w, y + 1.0},
                            {x + 1.0 * w, y + 2.0}}));
      }
    }
  }
  int pairs = 0;
  double max_err = 0.0;
  for (const Instance& a : shapes) {
    for (const Instance& b : shapes) {
      const double ref = GeosIou(a, b);
      const double ours = ExactIou(a, b);
      max_err = std::max(max_err, std::abs(ours - ref));
      ASSERT_NEAR(ours, ref, 1e-14) << pairs;
      ++pairs;
    }
  }
  std::printf("[ DegenerateGeos ] %d grid shape pairs, max abs IoU error %.3g\n", pairs, max_err);
}

// A copy shifted by a few ulps: near-degenerate everywhere, never exactly so.
TEST_F(DegenerateGeos, CopiesShiftedByAFewUlps) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    Ring r;
    const int n = 5 + trial % 40;
    for (int i = 0; i < n; ++i) {
      const double t = 2 * M_PI * (i + 0.5 * unit(rng)) / n;
      const double rad = 50 * (0.5 + 0.5 * unit(rng));
      r.push_back({320 + rad * std::cos(t), 240 + rad * std::sin(t)});
    }
    Ring s = r;
    for (Point& p : s) {
      for (int k = 0; k < 1 + trial % 3; ++k) {
        p.x = std::nextafter(p.x, 1e9);
        p.y = std::nextafter(p.y, -1e9);
      }
    }
    const Instance a = V(r), b = V(s);
    const double ref = GeosIou(a, b);
    EXPECT_NEAR(ExactIou(a, b), ref, 1e-12) << trial;
    EXPECT_NEAR(ExactIou(a, b), 1.0, 1e-12) << trial;
  }
}

}  // namespace
}  // namespace understudy
