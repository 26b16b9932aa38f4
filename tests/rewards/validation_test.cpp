#include "rewards/validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "rewards/iou.h"

namespace understudy {
namespace {

Ring Rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
}

ValidationOptions Reject() {
  ValidationOptions o;
  o.self_intersection = SelfIntersectionPolicy::kReject;
  return o;
}

// The message kReject gives for `inst`, or "" when it is accepted.
std::string RejectMessage(const Instance& inst, ValidationOptions options = Reject()) {
  try {
    Validate(inst, options);
  } catch (const GeometryError& e) {
    return e.what();
  }
  return "";
}

Instance Parts(std::vector<Polygon> parts) { return Instance{std::move(parts)}; }

// A repaired instance is valid: kReject accepts it as it is, and validating it again changes
// nothing.
void ExpectValidOutput(const Instance& out) {
  EXPECT_EQ(RejectMessage(out), "");
  ValidationReport report;
  const Instance again = Validate(out, {}, &report);
  EXPECT_FALSE(report.repaired);
  EXPECT_EQ(report.reoriented_rings, 0u);
  EXPECT_NEAR(Area(again), Area(out), 1e-12 * Area(out));
  for (const Polygon& p : out.parts) {
    EXPECT_GT(SignedArea(p.outer), 0.0);
    for (const Ring& h : p.holes) EXPECT_LT(SignedArea(h), 0.0);
  }
}

TEST(Validate, DropsRepeatedVerticesAndOrientsRings) {
  Instance raw = Parts({{{{0, 0}, {0, 4}, {0, 4}, {4, 4}, {4, 0}, {0, 0}}, {Rect(1, 1, 2, 2)}}});
  ValidationReport report;
  const Instance v = Validate(raw, {}, &report);
  ASSERT_EQ(v.parts.size(), 1u);
  EXPECT_EQ(v.parts[0].outer.size(), 4u);
  EXPECT_EQ(report.dropped_vertices, 2u);
  EXPECT_EQ(report.reoriented_rings, 2u);  // the outer ring was clockwise, the hole ccw
  EXPECT_FALSE(report.repaired);
  EXPECT_TRUE(report.problem.empty());
  EXPECT_DOUBLE_EQ(SignedArea(v.parts[0].outer), 16.0);
  EXPECT_DOUBLE_EQ(SignedArea(v.parts[0].holes[0]), -1.0);
  EXPECT_DOUBLE_EQ(Area(v), 15.0);
}

TEST(Validate, RejectsDegenerateRingsWithMessagesThatSayWhere) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {1, nan}, {1, 1}}), {}),
            "part 0 outer ring: vertex 1 has a non-finite coordinate (1, nan)");
  EXPECT_EQ(RejectMessage(Parts({{Rect(0, 0, 4, 4), {{{1, 1}, {2, 1}, {inf, 2}}}}}), {}),
            "part 0 hole 0: vertex 2 has a non-finite coordinate (inf, 2)");
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {1, 1}, {1, 1}, {0, 0}}), {}),
            "part 0 outer ring: fewer than 3 distinct vertices (2)");
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {1, 1}, {2, 2}, {3, 3}}), {}),
            "part 0 outer ring: zero area (all 4 vertices are collinear)");
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {1, 0}, {0, 0}, {1, 0}}), {}),
            "part 0 outer ring: zero area (all 4 vertices are collinear)");
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {2e9, 0}, {0, 1}}), {}),
            "part 0 outer ring: vertex 1 at (2000000000, 0) exceeds max_abs_coordinate 1000000000");
  EXPECT_EQ(RejectMessage(Instance{}, {}), "instance has no parts");
  // Retracing a triangle's own edges encloses nothing, which no repair can change.
  EXPECT_NE(
      RejectMessage(MakeInstance({{0, 0}, {2, 0}, {1, 1}, {2, 0}}), {}).find("encloses no area"),
      std::string::npos);
}

TEST(Validate, VertexCapCountsDistinctVertices) {
  ValidationOptions cap4;
  cap4.max_vertices = 4;
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {2, 0}, {3, 1}, {2, 2}, {0, 2}}), cap4),
            "part 0 outer ring: 5 vertices exceed the cap of 4");
  EXPECT_EQ(RejectMessage(MakeInstance({{0, 0}, {2, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}), cap4),
            "");
  EXPECT_EQ(ValidationOptions{}.max_vertices, 4096u);
}

TEST(Validate, OptionsAreCheckedAndNameTheField) {
  ValidationOptions bad;
  bad.max_vertices = 2;
  try {
    Validate(MakeInstance(Rect(0, 0, 1, 1)), bad);
    FAIL() << "accepted max_vertices = 2";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("max_vertices"), std::string::npos) << e.what();
  }
  ValidationOptions nan_limit;
  nan_limit.max_abs_coordinate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(nan_limit.Validate(), std::invalid_argument);
  ValidationOptions no_contacts;
  no_contacts.max_contacts = 0;
  EXPECT_THROW(no_contacts.Validate(), std::invalid_argument);
  EXPECT_NO_THROW(ValidationOptions{}.Validate());
}

TEST(Validate, BowtieIsRejectedWithThePlaceOrRepairedIntoTwoTriangles) {
  const Instance bowtie = MakeInstance({{0, 0}, {2, 2}, {2, 0}, {0, 2}});
  EXPECT_EQ(RejectMessage(bowtie), "part 0 outer ring: edges 0-1 and 2-3 cross at (1, 1)");
  ValidationReport report;
  const Instance v = Validate(bowtie, {}, &report);
  EXPECT_TRUE(report.repaired);
  EXPECT_EQ(report.problem, "part 0 outer ring: edges 0-1 and 2-3 cross at (1, 1)");
  ASSERT_EQ(v.parts.size(), 2u);
  EXPECT_DOUBLE_EQ(Area(v), 2.0);
  ExpectValidOutput(v);
}

TEST(Validate, RingTouchingItselfAtAVertexSplitsIntoParts) {
  // Two unit squares traced as one ring through their common corner (1, 1).
  const Instance eight =
      MakeInstance({{0, 0}, {1, 0}, {1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}, {0, 1}});
  EXPECT_EQ(RejectMessage(eight), "part 0 outer ring: edges 1-2 and 5-6 touch at (1, 1)");
  const Instance v = Validate(eight);
  EXPECT_EQ(v.parts.size(), 2u);
  EXPECT_DOUBLE_EQ(Area(v), 2.0);
  ExpectValidOutput(v);
}

TEST(Validate, RingTouchingItselfAroundAHoleBecomesOuterAndHole) {
  // The square [0,6]^2 traced with a detour from (0,3) around a diamond and back to (0,3):
  // the diamond (area 4) is a hole touching the outer ring at one point.
  const Instance inverted =
      MakeInstance({{0, 0}, {6, 0}, {6, 6}, {0, 6}, {0, 3}, {2, 4}, {4, 3}, {2, 2}, {0, 3}});
  EXPECT_EQ(RejectMessage(inverted), "part 0 outer ring: edges 3-4 and 7-8 touch at (0, 3)");
  const Instance v = Validate(inverted);
  ASSERT_EQ(v.parts.size(), 1u);
  EXPECT_EQ(v.parts[0].holes.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(v), 32.0);
  ExpectValidOutput(v);
}

TEST(Validate, SpikeIsRemoved) {
  // The ring runs up to (2, 6) and folds back down to (2, 5) before closing over [0,4]^2: the
  // spike has no area; the triangle (2,4) (2,5) (0,4) above the square stays.
  const Instance spiky = MakeInstance({{0, 0}, {4, 0}, {4, 4}, {2, 4}, {2, 6}, {2, 5}, {0, 4}});
  EXPECT_EQ(RejectMessage(spiky),
            "part 0 outer ring: folds back on itself at (2, 6) (edges 3-4 and 4-5 overlap)");
  const Instance v = Validate(spiky);
  ASSERT_EQ(v.parts.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(v), 17.0);
  for (const Point& p : v.parts[0].outer) EXPECT_LE(p.y, 5.0);
  ExpectValidOutput(v);
}

TEST(Validate, OutAndBackBridgeBetweenPartsVanishes) {
  // How Ultralytics merges a two-part COCO object: [0,2]^2 and [5,7]x[0,2], joined by a bridge
  // traversed out along y = 1 and back.
  const Instance bridged = MakeInstance({{0, 0},
                                         {2, 0},
                                         {2, 1},
                                         {5, 1},
                                         {5, 0},
                                         {7, 0},
                                         {7, 2},
                                         {5, 2},
                                         {5, 1},
                                         {2, 1},
                                         {2, 2},
                                         {0, 2}});
  EXPECT_EQ(RejectMessage(bridged), "part 0 outer ring: edges 1-2 and 8-9 touch at (2, 1)");
  const Instance v = Validate(bridged);
  ASSERT_EQ(v.parts.size(), 2u);
  EXPECT_DOUBLE_EQ(Area(v), 8.0);
  ExpectValidOutput(v);
}

TEST(Validate, FillRuleDecidesWhatARingWindingTwiceEncloses) {
  // [0,6]^2, a bridge in to the square [2,4]^2 traced the same way round, and back out.
  const Instance twice = MakeInstance(
      {{0, 0}, {6, 0}, {6, 6}, {0, 6}, {0, 1}, {2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}, {0, 1}});
  EXPECT_DOUBLE_EQ(Area(Validate(twice)), 32.0);  // even-odd: the inner square is a hole
  ValidationOptions nonzero;
  nonzero.fill_rule = FillRule::kNonZero;
  const Instance v = Validate(twice, nonzero);
  EXPECT_DOUBLE_EQ(Area(v), 36.0);
  EXPECT_EQ(v.parts.size(), 1u);
  ExpectValidOutput(v);
}

TEST(Validate, OverlappingPartsAreRejectedOrMerged) {
  const Instance two = Parts({{Rect(0, 0, 2, 2), {}}, {Rect(1, 1, 3, 3), {}}});
  EXPECT_EQ(RejectMessage(two),
            "part 0 outer ring edge 1-2 crosses part 1 outer ring edge 0-1 at (2, 1)");
  const Instance v = Validate(two);
  ASSERT_EQ(v.parts.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(v), 7.0);
  ExpectValidOutput(v);

  const Instance nested = Parts({{Rect(0, 0, 10, 10), {}}, {Rect(2, 2, 4, 4), {}}});
  EXPECT_EQ(RejectMessage(nested), "part 1 overlaps part 0: it lies inside part 0");
  EXPECT_DOUBLE_EQ(Area(Validate(nested)), 100.0);

  const Instance shared_edge = Parts({{Rect(0, 0, 2, 2), {}}, {Rect(2, 0, 4, 2), {}}});
  EXPECT_EQ(RejectMessage(shared_edge),
            "part 0 outer ring edge 1-2 and part 1 outer ring edge 3-0 overlap from (2, 0) to "
            "(2, 2)");
  const Instance dissolved = Validate(shared_edge);
  ASSERT_EQ(dissolved.parts.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(dissolved), 8.0);
}

TEST(Validate, PartsMayTouchAtPointsAndSitInsideHoles) {
  const Instance corner = Parts({{Rect(0, 0, 1, 1), {}}, {Rect(1, 1, 2, 2), {}}});
  EXPECT_EQ(RejectMessage(corner), "");
  const Instance island = Parts({{Rect(0, 0, 10, 10), {Rect(2, 2, 8, 8)}}, {Rect(4, 4, 6, 6), {}}});
  EXPECT_EQ(RejectMessage(island), "");
  EXPECT_DOUBLE_EQ(Area(Validate(island)), 100.0 - 36.0 + 4.0);
  // An island may touch its hole at a point, not along an edge.
  const Instance touching_island =
      Parts({{Rect(0, 0, 10, 10), {Rect(2, 2, 8, 8)}}, {Rect(2, 4, 4, 6), {}}});
  EXPECT_EQ(RejectMessage(touching_island),
            "part 0 hole 0 edge 3-0 and part 1 outer ring edge 3-0 overlap from (2, 4) to "
            "(2, 6)");
  const Instance point_island =
      Parts({{Rect(0, 0, 10, 10), {Rect(2, 2, 8, 8)}}, {{{2, 5}, {4, 4}, {4, 6}}, {}}});
  EXPECT_EQ(RejectMessage(point_island), "");
}

TEST(Validate, HolesMustLieInsideTheirOuterRingAndOutsideEachOther) {
  const Instance outside = Parts({{Rect(0, 0, 4, 4), {Rect(5, 0, 7, 2)}}});
  EXPECT_EQ(RejectMessage(outside), "part 0 hole 0 lies outside its outer ring");
  EXPECT_DOUBLE_EQ(Area(Validate(outside)), 16.0);

  const Instance nested = Parts({{Rect(0, 0, 10, 10), {Rect(1, 1, 9, 9), Rect(3, 3, 7, 7)}}});
  EXPECT_EQ(RejectMessage(nested), "part 0 hole 1 lies inside part 0 hole 0");
  EXPECT_DOUBLE_EQ(Area(Validate(nested)), 100.0 - 64.0);

  const Instance crossing = Parts({{Rect(0, 0, 4, 4), {Rect(3, 1, 5, 2)}}});
  EXPECT_EQ(RejectMessage(crossing),
            "part 0 outer ring edge 1-2 crosses part 0 hole 0 edge 0-1 at (4, 1)");
  const Instance v = Validate(crossing);
  EXPECT_DOUBLE_EQ(Area(v), 15.0);
  ExpectValidOutput(v);
}

TEST(Validate, HolesMayTouchAtOnePointButNotCutTheInteriorApart) {
  const Instance one_point = Parts({{Rect(0, 0, 4, 4), {{{0, 2}, {1, 1}, {2, 2}, {1, 3}}}}});
  EXPECT_EQ(RejectMessage(one_point), "");
  EXPECT_DOUBLE_EQ(Area(Validate(one_point)), 14.0);
  const Instance chained =
      Parts({{Rect(0, 0, 6, 6), {Rect(1, 1, 3, 3), Rect(3, 3, 5, 5)}}});  // holes meet at (3,3)
  EXPECT_EQ(RejectMessage(chained), "");

  // A diamond hole touching all four sides cuts the square into four triangles.
  const Instance cut = Parts({{Rect(0, 0, 4, 4), {{{0, 2}, {2, 0}, {4, 2}, {2, 4}}}}});
  const std::string msg = RejectMessage(cut);
  EXPECT_NE(msg.find("disconnects the interior"), std::string::npos) << msg;
  const Instance v = Validate(cut);
  EXPECT_EQ(v.parts.size(), 4u);
  EXPECT_DOUBLE_EQ(Area(v), 8.0);
  ExpectValidOutput(v);
}

TEST(Validate, TooTangledInputIsRejectedNotRepaired) {
  // A zigzag whose teeth all cross one long edge.
  Ring zig = {{0, 0}};
  for (int i = 0; i < 20; ++i) zig.push_back({1.0 + i, i % 2 == 0 ? 2.0 : -2.0});
  zig.push_back({21, 5});
  ValidationOptions few;
  few.max_contacts = 5;
  const std::string msg = RejectMessage(MakeInstance(zig), few);
  EXPECT_NE(msg.find("too tangled"), std::string::npos) << msg;
  EXPECT_NO_THROW(Validate(MakeInstance(zig)));
}

}  // namespace
}  // namespace understudy
