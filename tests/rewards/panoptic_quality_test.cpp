#include "rewards/panoptic_quality.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "rewards/validation.h"
#include "tests/rewards/metrics_shapes.h"

namespace understudy {
namespace {

using testing::Rect;

LabelledInstance Box(double x0, double y0, double x1, double y1, int cls = 0) {
  return {Validate(MakeInstance(Rect(x0, y0, x1, y1))), cls};
}

TEST(PanopticQuality, HandComputedMatchFalsePositiveAndFalseNegative) {
  // Reference: two boxes. Prediction: one box overlapping the first with IoU 80/100 = 0.8, and
  // one box far from everything. TP 1, FP 1, FN 1: PQ = 0.8 / (1 + 0.5 + 0.5) = 0.4.
  const std::vector<LabelledInstance> ref = {Box(0, 0, 10, 10), Box(50, 50, 60, 60)};
  const std::vector<LabelledInstance> pred = {Box(0, 0, 10, 8), Box(100, 100, 110, 110)};
  const PanopticResult r = PanopticQuality(pred, ref);
  EXPECT_EQ(r.overall.true_positives, 1u);
  EXPECT_EQ(r.overall.false_positives, 1u);
  EXPECT_EQ(r.overall.false_negatives, 1u);
  EXPECT_NEAR(r.overall.Pq(), 0.4, 1e-12);
  EXPECT_NEAR(r.overall.Sq(), 0.8, 1e-12);
  EXPECT_NEAR(r.overall.Rq(), 0.5, 1e-12);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].predicted, 0u);
  EXPECT_EQ(r.matches[0].reference, 0u);
}

TEST(PanopticQuality, MatchesNeverCrossClassesAndPerClassIsReported) {
  const std::vector<LabelledInstance> ref = {Box(0, 0, 10, 10, 1), Box(20, 0, 30, 10, 2)};
  const std::vector<LabelledInstance> pred = {Box(0, 0, 10, 10, 2), Box(20, 0, 30, 10, 2)};
  const PanopticResult r = PanopticQuality(pred, ref);
  EXPECT_EQ(r.overall.true_positives, 1u);  // only the class-2 box at x = 20
  ASSERT_EQ(r.per_class.size(), 2u);
  EXPECT_EQ(r.per_class.at(1).false_negatives, 1u);
  EXPECT_DOUBLE_EQ(r.per_class.at(1).Pq(), 0.0);
  EXPECT_NEAR(r.per_class.at(2).Pq(), 1.0 / 1.5, 1e-12);  // TP 1 (IoU 1), FP 1
  EXPECT_NEAR(r.class_mean_pq, 0.5 * (0.0 + 1.0 / 1.5), 1e-12);
  EXPECT_NEAR(r.overall.Pq(), 1.0 / 2.0, 1e-12);  // 1 / (1 + 0.5 + 0.5)
}

TEST(PanopticQuality, ThresholdIsStrictAndConfigurable) {
  // IoU exactly 0.5: not a match under the standard rule, a match at 0.4.
  const std::vector<LabelledInstance> ref = {Box(0, 0, 10, 10)};
  const std::vector<LabelledInstance> pred = {Box(0, 0, 10, 5)};
  EXPECT_EQ(PanopticQuality(pred, ref).overall.true_positives, 0u);
  EXPECT_EQ(PanopticQuality(pred, ref, {0.4}).overall.true_positives, 1u);
  EXPECT_THROW(PanopticQuality(pred, ref, {1.0}), std::invalid_argument);
  EXPECT_THROW(PanopticQuality(pred, ref, {-0.1}), std::invalid_argument);
}

TEST(PanopticQuality, OptimalMatchingBelowOneHalf) {
  // With a low threshold a prediction can overlap two references; the optimum pairs p0-r1 and
  // p1-r0 (0.5 + 0.55), where greedy would take p0-r0 (0.6) and leave p1 unmatched.
  const double iou[2][2] = {{0.6, 0.5}, {0.55, 0.0}};
  const PanopticResult r = PanopticQualityFromIou(
      {0, 0}, {0, 0}, [&](std::size_t p, std::size_t q) { return iou[p][q]; }, {0.1});
  EXPECT_EQ(r.overall.true_positives, 2u);
  EXPECT_NEAR(r.overall.matched_iou, 1.05, 1e-12);
  EXPECT_NEAR(r.overall.Pq(), 1.05 / 2.0, 1e-12);
}

TEST(PanopticQuality, EmptySetConventions) {
  const PanopticResult none = PanopticQuality({}, {});
  EXPECT_DOUBLE_EQ(none.overall.Pq(), 1.0);
  EXPECT_DOUBLE_EQ(none.class_mean_pq, 1.0);
  EXPECT_TRUE(none.per_class.empty());
  const std::vector<LabelledInstance> one = {Box(0, 0, 1, 1)};
  EXPECT_DOUBLE_EQ(PanopticQuality(one, {}).overall.Pq(), 0.0);  // all false positives
  EXPECT_DOUBLE_EQ(PanopticQuality({}, one).overall.Pq(), 0.0);  // all false negatives
}

TEST(PanopticQuality, RejectsIouOutsideTheUnitInterval) {
  EXPECT_THROW(PanopticQualityFromIou({0}, {0}, [](std::size_t, std::size_t) { return 1.5; }),
               std::invalid_argument);
}

}  // namespace
}  // namespace understudy
