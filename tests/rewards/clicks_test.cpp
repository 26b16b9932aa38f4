#include "rewards/clicks.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "rewards/contour_distance.h"
#include "rewards/ring_nesting.h"
#include "rewards/validation.h"
#include "tests/rewards/metrics_shapes.h"

namespace understudy {
namespace {

using testing::Square;

Instance Valid(Ring r) { return Validate(MakeInstance(std::move(r))); }

void ExpectClicks(const ClickCount& c, std::size_t moves, std::size_t adds, std::size_t deletes) {
  EXPECT_EQ(c.moves, moves);
  EXPECT_EQ(c.adds, adds);
  EXPECT_EQ(c.deletes, deletes);
}

TEST(Clicks, IdenticalCostsNothing) {
  const Instance h = Valid(testing::RegularPolygon(50, 50, 20, 17));
  ExpectClicks(ClicksToFix(h, h, 1.0), 0, 0, 0);
  // Same polygon from another start vertex, given clockwise (validation re-orients it).
  const Instance p = Valid(testing::Reversed(testing::Rotated(h.parts[0].outer, 6)));
  ExpectClicks(ClicksToFix(p, h, 1.0), 0, 0, 0);
  EXPECT_EQ(ClicksToDraw(h), 17u);
}

// Human: the square [0,10]^2. Proposal: the diamond through (5,-2), (12,5), (5,12), (-2,5).
TEST(Clicks, RotatedSquareWorkedExample) {
  const Instance human = Valid(Square(0, 0, 10));
  const Instance diamond = Valid({{5, -2}, {12, 5}, {5, 12}, {-2, 5}});
  // Tolerance 1: each diamond vertex is 2 from the square, so all 4 move (to the side
  // midpoints); each new edge, e.g. (5,0)-(10,5), passes 3.54 from the corner it cuts, so each
  // corner is added: 4 moves + 4 adds = 8 clicks, twice the 4 clicks to draw.
  ExpectClicks(ClicksToFix(diamond, human, 1.0), 4, 4, 0);
  // Tolerance 2: vertices (2 away) stay; corners are 2.12 from the diamond's edges: 4 adds.
  ExpectClicks(ClicksToFix(diamond, human, 2.0), 0, 4, 0);
  // Tolerance 2.5: nothing to fix.
  ExpectClicks(ClicksToFix(diamond, human, 2.5), 0, 0, 0);
}

TEST(Clicks, SpikeVertexIsMovedBack) {
  const Instance human = Valid(Square(0, 0, 10));
  const Instance spiky = Valid({{0, 0}, {5, -3}, {10, 0}, {10, 10}, {0, 10}});
  ExpectClicks(ClicksToFix(spiky, human, 1.0), 1, 0, 0);
  ExpectClicks(ClicksToFix(spiky, human, 3.0), 0, 0, 0);
}

TEST(Clicks, FoldIsDeleted) {
  // (4, 0.5) snaps to 4 along the human ring, after (6, 0) at 6: the contour would run back 2,
  // more than the tolerance, so one of the two is deleted; the rest already follows the square.
  const Instance human = Valid(Square(0, 0, 10));
  const RingFix fix =
      FixRing(Valid({{0, 0}, {6, 0}, {4, 0.5}, {10, 0}, {10, 10}, {0, 10}}).parts[0].outer,
              human.parts[0].outer, 1.0);
  ExpectClicks(fix.clicks, 0, 0, 1);
  EXPECT_EQ(fix.corrected.size(), 5u);
}

TEST(Clicks, BackStepsWithinToleranceAreNotFolds) {
  // (4.5, 0.5) snaps 1.5 behind (6, 0): a fold at tolerance 1, an invisible wiggle at 2.
  const Ring human = Square(0, 0, 10);
  const Ring wiggle = {{0, 0}, {6, 0}, {4.5, 0.5}, {10, 0}, {10, 10}, {0, 10}};
  ExpectClicks(FixRing(wiggle, human, 1.0).clicks, 0, 0, 1);
  ExpectClicks(FixRing(wiggle, human, 2.0).clicks, 0, 0, 0);
}

// Proposal vertices placed on the human square at random positions along it (so nothing moves):
// the deletes must be the fewest that leave a cyclic run never falling more than the tolerance
// behind the farthest position reached, found here by brute force over subsets and starts.
TEST(Clicks, DeletesAreMinimalOnRandomVertexOrders) {
  const Ring human = Square(0, 0, 10);
  const double perimeter = 40.0;
  auto on_square = [](double s) -> Point {
    if (s < 10) return {s, 0};
    if (s < 20) return {10, s - 10};
    if (s < 30) return {30 - s, 10};
    return {0, 40 - s};
  };
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0.0, perimeter);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t n = 2 + trial % 8;
    const double tolerance = (trial % 3 == 0) ? 0.5 : (trial % 3 == 1 ? 2.0 : 6.0);
    std::vector<double> s(n);
    Ring proposal;
    for (double& v : s) {
      v = u(rng);
      proposal.push_back(on_square(v));
    }
    std::size_t best = 0;
    for (std::size_t mask = 1; mask < (std::size_t{1} << n); ++mask) {
      for (std::size_t r = 0; r < n; ++r) {
        bool ok = true;
        double reached = -perimeter;
        std::size_t size = 0;
        for (std::size_t k = 0; k < n && ok; ++k) {
          const std::size_t i = (r + k) % n;
          if (!(mask >> i & 1)) continue;
          double w = s[i] - s[r];
          if (w < -tolerance) w += perimeter;
          if (w >= perimeter - tolerance) w -= perimeter;
          ok = w >= reached - tolerance;
          reached = std::max(reached, w);
          ++size;
        }
        if (ok) best = std::max(best, size);
      }
    }
    const RingFix fix = FixRing(proposal, human, tolerance);
    EXPECT_EQ(fix.clicks.moves, 0u) << trial;
    EXPECT_EQ(fix.clicks.deletes, n - best) << trial << " n=" << n << " tolerance " << tolerance;
  }
}

TEST(Clicks, CoarseBoxAroundFineCircleWorkedExample) {
  // Human: a 32-gon of radius 20. Proposal: its bounding square. Corners are 8.28 out: 4 moves,
  // onto the 32-gon's vertices at 45, 135, ... degrees. Each quarter arc then sags 5.86 from its
  // chord: its middle vertex is added; the half arcs sag 1.52 < 2: done. 8 clicks against 32.
  const Instance human = Valid(testing::RegularPolygon(50, 50, 20, 32));
  const Instance box = Valid(testing::Rect(30, 30, 70, 70));
  ExpectClicks(ClicksToFix(box, human, 2.0), 4, 4, 0);
  EXPECT_EQ(ClicksToDraw(human), 32u);
}

TEST(Clicks, FarOffProposalCostsAtLeastADrawing) {
  const Instance human = Valid(testing::RegularPolygon(0, 0, 10, 12));
  const Instance far = Valid(testing::RegularPolygon(100, 100, 10, 9));
  const ClickCount c = ClicksToFix(far, human, 2.0);
  ExpectClicks(c, 0, 12, 9);  // no overlap: delete every proposal vertex, draw every human one
  EXPECT_GE(c.Total(), ClicksToDraw(human));
}

TEST(Clicks, CrossingPartsWithNoVertexInsideEachOtherStillPair) {
  // A plus sign: the bars overlap, but no vertex of either lies inside the other.
  const Instance wide = Valid(testing::Rect(0, 4, 10, 6));
  const Instance tall = Valid(testing::Rect(4, 0, 6, 10));
  const ClickCount c = ClicksToFix(wide, tall, 1.0);
  EXPECT_EQ(c.deletes, 0u);
  EXPECT_GT(c.moves, 0u);
  // Touching along an edge only: no overlap, so no pairing.
  ExpectClicks(ClicksToFix(Valid(Square(0, 0, 2)), Valid(Square(2, 0, 2)), 1.0), 0, 4, 4);
}

TEST(Clicks, MultiPartMissingAndSpuriousParts) {
  const Instance two = Validate(InstanceFromRings({Square(0, 0, 10), Square(20, 0, 10)}));
  const Instance one = Valid(Square(0, 0, 10));
  ExpectClicks(ClicksToFix(one, two, 1.0), 0, 4, 0);  // draw the missing part
  ExpectClicks(ClicksToFix(two, one, 1.0), 0, 0, 4);  // delete the spurious part
  // Parts are paired by IoU, whatever their order.
  const Instance swapped = Validate(InstanceFromRings({Square(20, 0, 10), Square(0, 0, 10)}));
  ExpectClicks(ClicksToFix(swapped, two, 1.0), 0, 0, 0);
}

TEST(Clicks, HolesArePairedAndDrawn) {
  const Instance holed = Validate(InstanceFromRings({Square(0, 0, 10), Square(4, 4, 2)}));
  const Instance solid = Valid(Square(0, 0, 10));
  ExpectClicks(ClicksToFix(solid, holed, 1.0), 0, 4, 0);
  ExpectClicks(ClicksToFix(holed, solid, 1.0), 0, 0, 4);
  const Instance shifted = Validate(InstanceFromRings({Square(0, 0, 10), Square(4.5, 4, 2)}));
  ExpectClicks(ClicksToFix(shifted, holed, 1.0), 0, 0, 0);
  // At 0.25 the two vertices 0.5 out move, and the hole side they skipped needs both corners.
  ExpectClicks(ClicksToFix(shifted, holed, 0.25), 2, 2, 0);
}

TEST(Clicks, SmallNoiseWithinToleranceCostsNothing) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> jitter(-0.3, 0.3);
  for (int trial = 0; trial < 20; ++trial) {
    const Ring human = testing::RandomStar(rng, 50, 50, 20, 40, 10 + trial);
    Ring noisy = human;
    for (Point& p : noisy) {
      p.x += jitter(rng);
      p.y += jitter(rng);
    }
    ExpectClicks(ClicksToFix(Valid(noisy), Valid(human), 1.0), 0, 0, 0);
  }
}

// Whatever the proposal, the corrected ring is within tolerance of the human ring, and no more
// than every proposal vertex is moved or deleted and every human vertex added.
TEST(Clicks, CorrectedRingIsWithinToleranceOnRandomPairs) {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 60; ++trial) {
    const Ring human = Valid(testing::RandomStar(rng, 50, 50, 10, 40, 5 + trial)).parts[0].outer;
    const Ring proposal =
        Valid(testing::RandomStar(rng, 45 + trial % 10, 52, 5, 45, 3 + (trial * 7) % 50))
            .parts[0]
            .outer;
    const double tolerance = 0.5 + (trial % 4);
    const RingFix fix = FixRing(proposal, human, tolerance);
    EXPECT_LE(fix.clicks.moves + fix.clicks.deletes, proposal.size());
    EXPECT_LE(fix.clicks.adds, human.size());
    EXPECT_EQ(fix.corrected.size(), proposal.size() - fix.clicks.deletes + fix.clicks.adds);
    EXPECT_LE(HausdorffDistance(MakeInstance(fix.corrected), MakeInstance(human)), tolerance + 1e-9)
        << trial;
    // Deterministic.
    const RingFix again = FixRing(proposal, human, tolerance);
    EXPECT_EQ(again.clicks.Total(), fix.clicks.Total());
  }
}

TEST(Clicks, RejectsBadTolerance) {
  const Instance a = Valid(Square(0, 0, 2));
  EXPECT_THROW(ClicksToFix(a, a, 0.0), std::invalid_argument);
  EXPECT_THROW(ClicksToFix(a, a, std::nan("")), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
