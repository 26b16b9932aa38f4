#include "rewards/raster.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "rewards/iou.h"
#include "rewards/mask.h"
#include "rewards/ring_nesting.h"
#include "rewards/validation.h"
#include "tests/rewards/metrics_shapes.h"

namespace understudy {
namespace {

using testing::Rect;
using testing::Reversed;
using testing::Square;

Instance Valid(Ring r) { return Validate(MakeInstance(std::move(r))); }

TEST(Raster, PixelAlignedSquareCoversExactlyItsPixels) {
  const Mask m = Rasterize(Valid(Rect(2, 3, 6, 5)), 1.0);
  EXPECT_EQ(m.origin_x(), 2);
  EXPECT_EQ(m.origin_y(), 3);
  EXPECT_EQ(m.width(), 4);
  EXPECT_EQ(m.height(), 2);
  EXPECT_EQ(m.Count(), 8);
  EXPECT_DOUBLE_EQ(m.Area(), 8.0);
}

TEST(Raster, TriangleSamplesPixelCentresWithHalfOpenEdges) {
  // x + y < 4 at centres (i + .5, j + .5): i + j <= 2 gives 6 pixels; the 4 centres on the
  // hypotenuse (i + j = 3) fall on the half-open right end of their span and are not set.
  EXPECT_EQ(Rasterize(Valid({{0, 0}, {4, 0}, {0, 4}})).Count(), 6);
}

TEST(Raster, IdenticalDisjointAndContainedHandComputed) {
  const Instance a = Valid(Square(0, 0, 8));
  EXPECT_DOUBLE_EQ(RasterIou(a, a), 1.0);
  EXPECT_DOUBLE_EQ(RasterIou(a, Valid(Square(20, 0, 8))), 0.0);
  EXPECT_DOUBLE_EQ(RasterIou(a, Valid(Square(2, 2, 4))), 16.0 / 64.0);
  const RasterOverlap o = CountRasterOverlap(a, Valid(Square(4, 4, 8)));
  EXPECT_EQ(o.a, 64);
  EXPECT_EQ(o.b, 64);
  EXPECT_EQ(o.intersection, 16);
  EXPECT_EQ(o.Union(), 112);
}

TEST(Raster, ShapesSharingAnEdgeNeverShareAPixel) {
  const RasterOverlap o = CountRasterOverlap(Valid({{0, 0}, {3.3, 0.2}, {2.7, 4.1}}),
                                             Valid({{3.3, 0.2}, {6, 3}, {2.7, 4.1}}));
  EXPECT_EQ(o.intersection, 0);
  EXPECT_GT(o.a, 0);
  EXPECT_GT(o.b, 0);
}

TEST(Raster, OrientationDoesNotMatter) {
  const Ring ccw = {{0.3, 0.2}, {9.7, 1.1}, {6.2, 8.9}, {1.4, 6.6}};
  const Mask a = Rasterize(MakeInstance(ccw), 2.0);
  const Mask b = Rasterize(MakeInstance(Reversed(ccw)), 2.0);
  EXPECT_GT(a.Count(), 0);
  EXPECT_DOUBLE_EQ(MaskIou(a, b), 1.0);
  EXPECT_EQ(a.Count(), b.Count());
}

TEST(Raster, HolesAndPartsFollowTheSignedRingModel) {
  Instance with_hole = Validate(InstanceFromRings({Square(0, 0, 10), Square(3, 3, 4)}));
  EXPECT_EQ(Rasterize(with_hole).Count(), 100 - 16);
  Instance two_parts = Validate(InstanceFromRings({Square(0, 0, 3), Square(5, 0, 2)}));
  EXPECT_EQ(Rasterize(two_parts).Count(), 9 + 4);
  // An island inside the hole is filled again.
  Instance island =
      Validate(InstanceFromRings({Square(0, 0, 10), Square(2, 2, 6), Square(4, 4, 2)}));
  EXPECT_EQ(Rasterize(island).Count(), 100 - 36 + 4);
}

// The scanline result must equal a direct test of every pixel centre.
TEST(Raster, MatchesPerPixelCentreTestOnRandomPolygons) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const double ppu = trial % 2 == 0 ? 1.0 : 3.5;
    const Ring ring = testing::RandomStar(rng, 20.3, 15.7, 3.0, 14.0, 5 + trial);
    const Mask m = Rasterize(MakeInstance(ring), ppu);
    std::int64_t brute = 0, agree = 0, total = 0;
    for (std::int64_t j = -10; j < 40 * static_cast<std::int64_t>(ppu) + 10; ++j) {
      for (std::int64_t i = -10; i < 45 * static_cast<std::int64_t>(ppu) + 10; ++i) {
        const Point c{(i + 0.5) / ppu, (j + 0.5) / ppu};
        const bool inside = PointInRing(c, ring);
        brute += inside;
        const std::int64_t x = i - m.origin_x(), y = j - m.origin_y();
        const bool set = x >= 0 && y >= 0 && x < m.width() && y < m.height() && m.at(x, y);
        agree += inside == set;
        ++total;
      }
    }
    EXPECT_EQ(m.Count(), brute) << "trial " << trial;
    EXPECT_EQ(agree, total) << "trial " << trial;
    EXPECT_GT(brute, 0);
  }
}

TEST(Raster, IouStaysWithinItsBoundOfTheExactIou) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const Instance a = Valid(testing::RandomStar(rng, 30, 30, 5, 20, 6 + trial % 30));
    const Instance b = Valid(testing::RandomStar(rng, 33, 28, 5, 20, 6 + trial % 17));
    const double exact = ExactIou(a, b);
    for (double ppu : {0.5, 1.0, 4.0}) {
      const double bound = RasterIouErrorBound(a, b, ppu);
      EXPECT_LE(std::abs(RasterIou(a, b, ppu) - exact), bound) << trial << " at " << ppu;
    }
    // The bound shrinks with the pixel size, roughly linearly.
    EXPECT_LT(RasterIouErrorBound(a, b, 8.0), 0.5 * RasterIouErrorBound(a, b, 2.0));
  }
}

TEST(Raster, ConvergesToTheExactIouAsPixelsShrink) {
  const Instance a = Valid(testing::RegularPolygon(50, 50, 30, 40, 0.1));
  const Instance b = Valid(testing::RegularPolygon(58, 45, 25, 7, 0.3));
  const double exact = ExactIou(a, b);
  const double coarse = std::abs(RasterIou(a, b, 0.25) - exact);
  const double fine = std::abs(RasterIou(a, b, 16.0) - exact);
  EXPECT_LT(fine, 1e-3);
  EXPECT_LT(fine, coarse);
  EXPECT_LT(RasterIouErrorBound(a, b, 16.0), 0.02);
}

TEST(Raster, RotatedSquareAreaWithinBound) {
  // Diamond |x - 50| + |y - 50| <= 20: area 800.
  const Instance d = Valid({{50, 30}, {70, 50}, {50, 70}, {30, 50}});
  for (double ppu : {1.0, 3.0, 10.0}) {
    const Mask m = Rasterize(d, ppu);
    const double h = 1.0 / ppu;
    // Area error <= h / 2 * L1 perimeter + 1.5 h^2 per edge (see RasterIouErrorBound).
    EXPECT_NEAR(m.Area(), 800.0, 0.5 * h * 160.0 + 6.0 * h * h) << ppu;
  }
}

TEST(Mask, LabelImageAndMaskIou) {
  // 4x3 instance-id image: label 1 in the left half, 2 in the right, a 0 background row.
  const std::uint16_t labels[] = {1, 1, 2, 2,  //
                                  1, 1, 2, 2,  //
                                  0, 0, 0, 0};
  const Mask one = Mask::FromLabelImage<std::uint16_t>(labels, 4, 3, 1);
  const Mask two = Mask::FromLabelImage<std::uint16_t>(labels, 4, 3, 2);
  EXPECT_EQ(one.Count(), 4);
  EXPECT_EQ(two.Count(), 4);
  EXPECT_DOUBLE_EQ(MaskIou(one, two), 0.0);
  EXPECT_DOUBLE_EQ(MaskIou(one, one), 1.0);
  // The polygon of label 1 rasterises to exactly the label-1 pixels.
  EXPECT_DOUBLE_EQ(RasterIou(Valid(Rect(0, 0, 2, 2)), one), 1.0);
  // Half of this polygon lies outside the mask's window: it still counts in the union.
  EXPECT_DOUBLE_EQ(RasterIou(Valid(Rect(2, 0, 6, 2)), two), 4.0 / 8.0);
}

TEST(Mask, WindowsMayDifferButLatticesMustMatch) {
  Mask a(10, 10, 4, 4, 2.0), b(12, 12, 4, 4, 2.0);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      a.set(x, y, true);
      b.set(x, y, true);
    }
  }
  EXPECT_DOUBLE_EQ(MaskIou(a, b), 4.0 / 28.0);
  EXPECT_THROW(MaskIou(a, Mask(0, 0, 1, 1, 1.0)), std::invalid_argument);
  EXPECT_DOUBLE_EQ(MaskIou(Mask(0, 0, 3, 3), Mask(0, 0, 0, 0)), 0.0);  // both empty
}

TEST(Raster, RejectsBadResolutionsAndHugeMasks) {
  const Instance a = Valid(Square(0, 0, 2));
  EXPECT_THROW(RasterIou(a, a, 0.0), std::invalid_argument);
  EXPECT_THROW(RasterIou(a, a, -1.0), std::invalid_argument);
  EXPECT_THROW(RasterIou(a, a, std::nan("")), std::invalid_argument);
  EXPECT_THROW(RasterIou(a, a, 1e300), std::invalid_argument);
  EXPECT_THROW(RasterIou(a, a, 1e8), std::invalid_argument);  // 2e8 rows
  EXPECT_NO_THROW(RasterIou(a, a, 1e6));                      // 2e6 rows
  EXPECT_THROW(Mask(0, 0, 1 << 20, 1 << 20), std::invalid_argument);
  EXPECT_THROW(Mask(0, 0, -1, 3), std::invalid_argument);
}

TEST(Raster, EmptyInstancesGiveZeroIou) {
  EXPECT_DOUBLE_EQ(RasterIou(Instance{}, Instance{}), 0.0);
  EXPECT_DOUBLE_EQ(RasterIou(Instance{}, Valid(Square(0, 0, 2))), 0.0);
  EXPECT_EQ(Rasterize(Instance{}).Count(), 0);
}

}  // namespace
}  // namespace understudy
