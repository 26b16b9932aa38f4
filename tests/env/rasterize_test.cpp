#include "env/rasterize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

#include "env/contour.h"
#include "env/mask_tracing.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

TEST(Rasterize, FillsPixelsWhoseCentresAreInside) {
  cv::Mat mask = cv::Mat::zeros(20, 20, CV_8UC1);
  // Pixel centres 2.5 .. 7.5 lie inside [2.2, 7.9): columns 2..7, rows 3..4 for [3.1, 5.0).
  FillRing(mask, BoxRing({2.2, 3.1, 7.9, 5.0}), CropTransform::Identity(20, 20), 1);
  EXPECT_EQ(cv::countNonZero(mask), 6 * 2);
  EXPECT_EQ(mask.at<uchar>(3, 2), 1);
  EXPECT_EQ(mask.at<uchar>(3, 1), 0);
  EXPECT_EQ(mask.at<uchar>(5, 2), 0);
}

TEST(Rasterize, AppliesTheTransformAndLeavesHolesEmpty) {
  cv::Mat mask = cv::Mat::zeros(40, 40, CV_8UC1);
  Instance donut;
  donut.parts.push_back({BoxRing({10, 10, 20, 20}), {BoxRing({13, 13, 17, 17})}});
  const CropTransform t{10.0, 10.0, 4.0, 4.0, 40, 40};  // [10, 20)^2 -> 40 x 40
  FillInstance(mask, donut, t);
  EXPECT_EQ(cv::countNonZero(mask), 40 * 40 - 16 * 16);
  EXPECT_EQ(mask.at<uchar>(20, 20), 0);
  cv::Mat wrong(4, 4, CV_32FC1);
  EXPECT_THROW(FillInstance(wrong, donut, t), std::invalid_argument);
}

TEST(MaskTracing, TracedOutlineMatchesTheFilledPolygon) {
  Ring blob;
  for (int i = 0; i < 200; ++i) {
    const double a = 2 * 3.14159265358979 * i / 200;
    const double r = 30 + 6 * std::cos(3 * a);
    blob.push_back({60 + r * std::cos(a), 55 + r * std::sin(a)});
  }
  cv::Mat mask = cv::Mat::zeros(120, 120, CV_8UC1);
  FillRing(mask, blob, CropTransform::Identity(120, 120));
  const auto traced = TraceRegion(mask, nullptr);
  ASSERT_TRUE(traced.has_value());
  const double iou = ExactIou(Validate(MakeInstance(*traced)), Validate(MakeInstance(blob)));
  EXPECT_GT(iou, 0.97);
  EXPECT_LE(traced->size(), 128u);
  // The half-pixel push keeps the area unbiased: within 2% of the pixel count.
  EXPECT_NEAR(std::abs(SignedArea(*traced)), cv::countNonZero(mask), 0.02 * cv::countNonZero(mask));
}

TEST(MaskTracing, PrefersTheRegionUnderThePointElseTheLargest) {
  cv::Mat mask = cv::Mat::zeros(50, 50, CV_8UC1);
  mask(cv::Rect(2, 2, 10, 10)).setTo(255);    // small
  mask(cv::Rect(20, 20, 25, 25)).setTo(255);  // large
  const Point in_small{5, 5};
  const auto small = TraceRegion(mask, &in_small);
  ASSERT_TRUE(small.has_value());
  EXPECT_NEAR(std::abs(SignedArea(*small)), 100.0, 1e-9);
  const Point nowhere{15, 15};
  const auto large = TraceRegion(mask, &nowhere);
  ASSERT_TRUE(large.has_value());
  EXPECT_NEAR(std::abs(SignedArea(*large)), 625.0, 1e-9);
  EXPECT_FALSE(TraceRegion(cv::Mat::zeros(10, 10, CV_8UC1), nullptr).has_value());
  TraceOptions bad;
  bad.max_vertices = 2;
  EXPECT_THROW(TraceRegion(mask, nullptr, bad), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
