#include "rewards/pair_metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "rewards/ring_nesting.h"
#include "rewards/validation.h"
#include "tests/rewards/metrics_shapes.h"

namespace understudy {
namespace {

using testing::Square;

TEST(PairMetrics, IdenticalPolygonsArePerfectOnEveryMetric) {
  const Instance a = Validate(MakeInstance(testing::RegularPolygon(20, 20, 10, 24)));
  const PairMetrics m = ComputePairMetrics(a, a);
  EXPECT_NEAR(m.iou, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.raster_iou, 1.0);
  EXPECT_DOUBLE_EQ(m.boundary.f, 1.0);
  EXPECT_NEAR(m.hausdorff, 0.0, 1e-12);
  EXPECT_NEAR(m.mean_contour_distance, 0.0, 1e-9);
  EXPECT_EQ(m.clicks_to_fix.Total(), 0u);
  EXPECT_EQ(m.clicks_to_draw, 24u);
}

TEST(PairMetrics, ContainedSquareHandComputed) {
  // [2,6]^2 inside [0,8]^2: IoU 16 / 64; every inner point is 2 from the outer boundary.
  const Instance outer = Validate(MakeInstance(Square(0, 0, 8)));
  const Instance inner = Validate(MakeInstance(Square(2, 2, 4)));
  PairMetricsOptions o;
  o.tolerance = 1.0;
  const PairMetrics m = ComputePairMetrics(inner, outer, o);
  EXPECT_NEAR(m.iou, 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(m.raster_iou, 0.25);
  EXPECT_LE(std::abs(m.raster_iou - m.iou), m.raster_iou_error_bound);
  EXPECT_DOUBLE_EQ(m.boundary.f, 0.0);
  EXPECT_NEAR(m.hausdorff, 2.0 * std::sqrt(2.0), 1e-6);
  // Every inner corner is 2 from two outer sides; the tie goes to the lower edge, so (2,2) snaps
  // to (2,0), (6,2) to (6,0), (6,6) to (8,6), (2,6) to (2,8): 4 moves. The corrected edges then
  // cut the outer corners (8,0) and (8,8) by 1.9 and pass 2 from (0,8) and (0,0): 4 adds.
  EXPECT_EQ(m.clicks_to_fix.moves, 4u);
  EXPECT_EQ(m.clicks_to_fix.adds, 4u);
  EXPECT_EQ(m.clicks_to_fix.deletes, 0u);
}

TEST(PairMetrics, RejectsBadOptions) {
  const Instance a = Validate(MakeInstance(Square(0, 0, 8)));
  PairMetricsOptions o;
  o.pixels_per_unit = 0.0;
  EXPECT_THROW(ComputePairMetrics(a, a, o), std::invalid_argument);
}

TEST(RingNesting, NestingDecidesOuterRingsAndHolesWhateverTheOrientation) {
  const Instance inst = InstanceFromRings(
      {testing::Reversed(Square(2, 2, 6)), Square(0, 0, 10), Square(4, 4, 2), Square(20, 0, 3)});
  ASSERT_EQ(inst.parts.size(), 3u);  // the big square, the island, the far square
  std::size_t holes = 0;
  for (const Polygon& p : inst.parts) holes += p.holes.size();
  EXPECT_EQ(holes, 1u);
  EXPECT_NEAR(Area(Validate(inst)), 100.0 - 36.0 + 4.0 + 9.0, 1e-12);
}

}  // namespace
}  // namespace understudy
