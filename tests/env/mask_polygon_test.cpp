// Pixel-edge tracing and pixel-centre rasterising are exact inverses.
#include "env/mask_polygon.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "rewards/validation.h"

namespace understudy {
namespace {

cv::Mat RandomBlobs(std::mt19937_64& rng, int rows, int cols) {
  cv::Mat m(rows, cols, CV_8U, cv::Scalar(0));
  const int n = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) {
    const cv::Point c(static_cast<int>(rng() % cols), static_cast<int>(rng() % rows));
    const cv::Size axes(1 + static_cast<int>(rng() % (cols / 2)),
                        1 + static_cast<int>(rng() % (rows / 2)));
    cv::ellipse(m, c, axes, static_cast<double>(rng() % 180), 0, 360,
                cv::Scalar((rng() % 3) ? 1 : 0), -1);
  }
  // Salt and pepper: single pixels, diagonal contacts and one-pixel holes.
  for (int i = 0; i < rows * cols / 20; ++i)
    m.at<std::uint8_t>(static_cast<int>(rng() % rows), static_cast<int>(rng() % cols)) ^= 1;
  return m;
}

TEST(TraceMask, SquareGivesItsPixelEdges) {
  cv::Mat m(10, 10, CV_8U, cv::Scalar(0));
  m(cv::Rect(2, 3, 4, 5)) = 1;
  const Instance inst = TraceMask(m);
  ASSERT_EQ(inst.parts.size(), 1u);
  EXPECT_EQ(inst.parts[0].outer.size(), 4u);
  EXPECT_DOUBLE_EQ(Area(inst), 20.0);
  const Bounds b = BoundsOf(inst);
  EXPECT_EQ(b.x0, 2);
  EXPECT_EQ(b.y0, 3);
  EXPECT_EQ(b.x1, 6);
  EXPECT_EQ(b.y1, 8);
}

TEST(TraceMask, HoleAndIslandInTheHole) {
  cv::Mat m(12, 12, CV_8U, cv::Scalar(0));
  m(cv::Rect(1, 1, 10, 10)) = 1;
  m(cv::Rect(3, 3, 6, 6)) = 0;  // hole
  m(cv::Rect(5, 5, 2, 2)) = 1;  // island inside the hole
  const Instance inst = TraceMask(m);
  ASSERT_EQ(inst.parts.size(), 2u);
  EXPECT_EQ(inst.parts[0].holes.size(), 1u);
  EXPECT_EQ(inst.parts[1].holes.size(), 0u);
  EXPECT_DOUBLE_EQ(Area(Validate(inst)), 100.0 - 36.0 + 4.0);
}

TEST(TraceMask, DiagonalContactIsOnePartWithASimpleRing) {
  cv::Mat m(4, 4, CV_8U, cv::Scalar(0));
  m.at<std::uint8_t>(1, 1) = 1;
  m.at<std::uint8_t>(2, 2) = 1;
  const Instance inst = TraceMask(m);
  ASSERT_EQ(inst.parts.size(), 1u);  // 8-connected, as cv::findContours sees it
  EXPECT_EQ(inst.parts[0].holes.size(), 0u);
  // The pinch is cut by 1/64 px on both visits: 8 corners + 2 x 2 cut points.
  EXPECT_EQ(inst.parts[0].outer.size(), 10u);
  EXPECT_NEAR(Area(inst), 2.0, 1e-3);
  EXPECT_EQ(cv::countNonZero(RasterizeInstance(inst, 4, 4) != m), 0);
}

TEST(TraceMask, RandomMasksRasteriseBackExactlyAndMatchFindContoursTopology) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const int rows = 4 + static_cast<int>(rng() % 40), cols = 4 + static_cast<int>(rng() % 40);
    const cv::Mat m = RandomBlobs(rng, rows, cols);
    const Instance inst = TraceMask(m);
    ASSERT_EQ(cv::countNonZero(RasterizeInstance(inst, cols, rows) != m), 0) << "trial " << trial;
    EXPECT_NEAR(Area(inst), cv::countNonZero(m), 1e-2) << "trial " << trial;

    std::vector<std::vector<cv::Point>> contours;
    std::vector<cv::Vec4i> hierarchy;
    cv::Mat copy = m.clone();
    cv::findContours(copy, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);
    std::size_t outers = 0, holes = 0;
    for (const cv::Vec4i& h : hierarchy) (h[3] < 0 ? outers : holes)++;
    std::size_t our_holes = 0;
    for (const Polygon& p : inst.parts) our_holes += p.holes.size();
    EXPECT_EQ(inst.parts.size(), outers) << "trial " << trial;
    EXPECT_EQ(our_holes, holes) << "trial " << trial;
  }
}

TEST(TraceMask, OutputPassesValidation) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    const cv::Mat m = RandomBlobs(rng, 30, 30);
    const Instance inst = TraceMask(m);
    if (inst.parts.empty()) continue;
    const Instance v = Validate(inst);
    EXPECT_NEAR(Area(v), cv::countNonZero(m), 1e-2);
  }
}

TEST(RasterizeInstance, SampleOffsetSelectsTheConvention) {
  const Instance square = MakeInstance({{1, 1}, {3, 1}, {3, 3}, {1, 3}});
  // Pixel centres (x+0.5): pixels 1 and 2 in each axis.
  const cv::Mat centre = RasterizeInstance(square, 5, 5, 0.5);
  EXPECT_EQ(cv::countNonZero(centre), 4);
  EXPECT_EQ(centre.at<std::uint8_t>(1, 1), 1);
  EXPECT_EQ(centre.at<std::uint8_t>(2, 2), 1);
  // Integer sampling (PIL): samples 1 and 2 lie in [1, 3), so the same pixels, half-open.
  const cv::Mat integer = RasterizeInstance(square, 5, 5, 0.0);
  EXPECT_EQ(cv::countNonZero(integer), 4);
  // A hole given with either orientation is subtracted.
  Instance framed = MakeInstance({{0, 0}, {5, 0}, {5, 5}, {0, 5}});
  framed.parts[0].holes.push_back({{1, 1}, {4, 1}, {4, 4}, {1, 4}});
  EXPECT_EQ(cv::countNonZero(RasterizeInstance(framed, 5, 5)), 25 - 9);
}

}  // namespace
}  // namespace understudy
