#include "env/observation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "env/contour.h"
#include "env/observation_batch.h"
#include "env/proposer_factory.h"
#include "env/rasterize.h"
#include "env/synthetic.h"

namespace understudy {
namespace {

ObservationSpec Spec(std::vector<ChannelKind> channels) {
  ObservationSpec s;
  s.channels = std::move(channels);
  s.normalization = Normalization::kUnit;
  return s;
}

// Image whose blue channel is x and green channel is y (mod 256), red constant 200.
cv::Mat Coordinates(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, 200);
  }
  return m;
}

TEST(CropTransform, ToImageInvertsToCrop) {
  const CropTransform t{12.25, -7.5, 64.0 / 37.0, 64.0 / 91.0, 64, 64};
  for (const Point p : {Point{0, 0}, Point{13.7, 100.1}, Point{-5, 3e3}}) {
    const Point back = t.ToImage(t.ToCrop(p));
    EXPECT_NEAR(back.x, p.x, 1e-12 * std::max(1.0, std::abs(p.x)));
    EXPECT_NEAR(back.y, p.y, 1e-12 * std::max(1.0, std::abs(p.y)));
    const Point n = t.FromNormalized(t.ToNormalized(p));
    EXPECT_NEAR(n.x, p.x, 1e-9);
    EXPECT_NEAR(n.y, p.y, 1e-9);
  }
  EXPECT_DOUBLE_EQ(t.ToNormalized({12.25, -7.5}).x, 0.0);
}

TEST(Observation, PlacementAddsTheContextMarginAndKeepsTheBoxCentred) {
  ObservationSpec s = Spec({ChannelKind::kRgb});
  s.context_margin = 0.25;
  const ObservationBuilder b(s);
  const CropTransform t = b.Placement({100, 50, 140, 130});  // 40 x 80 box
  EXPECT_DOUBLE_EQ(t.x0, 90);                                // 40 * 1.5 = 60 wide
  EXPECT_DOUBLE_EQ(t.y0, 30);                                // 80 * 1.5 = 120 high
  EXPECT_DOUBLE_EQ(t.scale_x, 64.0 / 60.0);
  EXPECT_DOUBLE_EQ(t.scale_y, 64.0 / 120.0);
  // The box always lands on the same crop region: [m / (1 + 2m), (1 + m) / (1 + 2m)].
  EXPECT_NEAR(t.ToNormalized({100, 50}).x, 0.25 / 1.5, 1e-12);
  EXPECT_NEAR(t.ToNormalized({140, 130}).y, 1.25 / 1.5, 1e-12);
  s.keep_aspect = true;
  const CropTransform sq = ObservationBuilder(s).Placement({100, 50, 140, 130});
  EXPECT_DOUBLE_EQ(sq.scale_x, sq.scale_y);
}

TEST(Observation, RgbPlanesAreChannelMajorRgbOrderAndExactlyPlaced) {
  const cv::Mat image = Coordinates(200, 150);
  ObservationSpec s = Spec({ChannelKind::kRgb});
  s.context_margin = 0.0;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {10, 20, 74, 84};  // 64 x 64: one image pixel per crop pixel
  const Observation o = b.Build(image, p);
  ASSERT_EQ(o.planes, 3);
  ASSERT_EQ(o.pixels.size(), 3u * 64 * 64);
  for (int v : {0, 17, 63}) {
    for (int u : {0, 31, 63}) {
      EXPECT_NEAR(o.plane(0)[v * 64 + u], 200 / 255.0, 1e-6);       // R
      EXPECT_NEAR(o.plane(1)[v * 64 + u], (20 + v) / 255.0, 1e-6);  // G = y
      EXPECT_NEAR(o.plane(2)[v * 64 + u], (10 + u) / 255.0, 1e-6);  // B = x
    }
  }
}

TEST(Observation, ImageNetNormalisationUsesTheImageNetStatistics) {
  cv::Mat image(50, 50, CV_8UC3, cv::Scalar(0, 128, 255));  // B, G, R
  ObservationSpec s = Spec({ChannelKind::kRgb});
  s.normalization = Normalization::kImageNet;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {10, 10, 40, 40};
  const Observation o = b.Build(image, p);
  EXPECT_NEAR(o.plane(0)[100], (1.0 - 0.485) / 0.229, 1e-5);
  EXPECT_NEAR(o.plane(1)[100], (128 / 255.0 - 0.456) / 0.224, 1e-5);
  EXPECT_NEAR(o.plane(2)[100], (0.0 - 0.406) / 0.225, 1e-5);
}

// The crop of a vertical step edge puts the edge where the transform says, also when the crop is
// shrunk many times (area pre-shrinking must not shift it).
TEST(Observation, StepEdgeLandsWhereTheTransformPutsIt) {
  for (const double box_side : {20.0, 300.0, 1500.0}) {
    const int w = static_cast<int>(box_side * 3);
    const double edge_x = std::round(box_side * 1.4) + 0.0;  // an integer pixel boundary
    cv::Mat image(64, w, CV_8UC3, cv::Scalar::all(0));
    image(cv::Rect(static_cast<int>(edge_x), 0, w - static_cast<int>(edge_x), 64))
        .setTo(cv::Scalar::all(255));
    ObservationSpec s = Spec({ChannelKind::kGray});
    s.context_margin = 0.25;
    ObservationBuilder b(s);
    Prompt p;
    p.box = {box_side, 10, 2 * box_side, 50};
    const Observation o = b.Build(image, p);
    const double expected = o.transform.ToCrop({edge_x, 0}).x;
    // Where the middle row crosses 0.5, by linear interpolation.
    const float* row = o.plane(0) + 32 * 64;
    double crossing = -1;
    for (int u = 0; u + 1 < 64; ++u) {
      if (row[u] < 0.5f && row[u + 1] >= 0.5f)
        crossing = u + 0.5 + (0.5 - row[u]) / (row[u + 1] - row[u]);
    }
    EXPECT_NEAR(crossing, expected, 0.35) << "box side " << box_side;
  }
}

TEST(Observation, PadsPastTheBorderAndMarksIt) {
  const cv::Mat image(100, 100, CV_8UC3, cv::Scalar::all(255));
  ObservationSpec s = Spec({ChannelKind::kGray, ChannelKind::kInside});
  s.context_margin = 0.5;
  s.pad_value = 0.0;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {-10, -10, 30, 30};  // hangs over the top-left corner
  const Observation o = b.Build(image, p);
  const float* gray = o.plane(0);
  const float* inside = o.plane(1);
  int outside = 0;
  for (int v = 0; v < 64; ++v) {
    for (int u = 0; u < 64; ++u) {
      const Point at = o.transform.ToImage({u + 0.5, v + 0.5});
      const bool in = at.x >= 0 && at.y >= 0;
      EXPECT_EQ(inside[v * 64 + u], in ? 1.0f : 0.0f) << u << "," << v;
      const bool well_in = at.x > 1 && at.y > 1, well_out = at.x < -1 || at.y < -1;
      if (well_in) {
        EXPECT_NEAR(gray[v * 64 + u], 1.0f, 1e-6);
      }
      if (well_out) {
        EXPECT_NEAR(gray[v * 64 + u], 0.0f, 1e-6);
      }
      outside += !in;
    }
  }
  EXPECT_GT(outside, 64 * 64 / 3);  // the crop spans [-30, 50)^2: 36% padding
  // A box wholly off the image gives an all-padding crop, not an error.
  p.box = {500, 500, 520, 520};
  const Observation off = b.Build(image, p);
  for (int i = 0; i < 64 * 64; ++i) ASSERT_EQ(off.plane(1)[i], 0.0f);
}

TEST(Observation, TinyBoxesGetTheMinimumCrop) {
  const cv::Mat image = Coordinates(50, 50);
  ObservationSpec s = Spec({ChannelKind::kBoxMask});
  s.min_crop_side = 8.0;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {20, 20, 20.5, 20};  // half a pixel wide, zero high
  const Observation o = b.Build(image, p);
  EXPECT_DOUBLE_EQ(o.transform.scale_x, 64.0 / 8.0);
  EXPECT_DOUBLE_EQ(o.transform.scale_y, 64.0 / 8.0);
  EXPECT_TRUE(std::isfinite(o.pixels[0]));
}

TEST(Observation, MaskChannelsMatchTheirPolygons) {
  const cv::Mat image = Coordinates(200, 200);
  ObservationSpec s =
      Spec({ChannelKind::kBoxMask, ChannelKind::kEllipseMask, ChannelKind::kContour});
  s.context_margin = 0.5;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {50, 60, 130, 100};
  const Ring contour = BoxRing({60, 70, 90, 80});
  const Observation o = b.Build(image, p, &contour);
  auto sum = [&](int plane) {
    double total = 0;
    for (int i = 0; i < 64 * 64; ++i) total += o.plane(plane)[i];
    return total;
  };
  // The box covers 1/(1 + 2m)^2 = 1/4 of the crop; the ellipse pi/4 of that.
  EXPECT_NEAR(sum(0), 64 * 64 / 4.0, 1.0);
  EXPECT_NEAR(sum(1), 64 * 64 / 4.0 * 3.14159265 / 4, 20.0);
  EXPECT_NEAR(sum(2), 64 * 64 * (30.0 / 160) * (10.0 / 80), 1.0);
  ASSERT_EQ(o.contour.size(), 8u);
  EXPECT_NEAR(o.contour[0], o.transform.ToNormalized({60, 70}).x, 1e-6);
  // SetContour redraws only the contour plane.
  Observation moved = o;
  b.SetContour(moved, BoxRing({50, 60, 130, 100}));
  double after = 0;
  for (int i = 0; i < 64 * 64; ++i) after += moved.plane(2)[i];
  EXPECT_NEAR(after, sum(0), 1e-6);
  for (int i = 0; i < 2 * 64 * 64; ++i)
    ASSERT_EQ(moved.pixels[static_cast<std::size_t>(i)], o.pixels[static_cast<std::size_t>(i)]);
}

TEST(Observation, ClicksAreGaussianBumpsInTheirPlanes) {
  const cv::Mat image = Coordinates(100, 100);
  ObservationSpec s = Spec({ChannelKind::kClicks});
  s.context_margin = 0.0;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {0, 0, 64, 64};
  p.clicks = {{{10.5, 20.5}, true}, {{40.5, 50.5}, false}};
  const Observation o = b.Build(image, p);
  EXPECT_NEAR(o.plane(0)[20 * 64 + 10], 1.0, 1e-6);
  EXPECT_LT(o.plane(0)[50 * 64 + 40], 1e-6);
  EXPECT_NEAR(o.plane(1)[50 * 64 + 40], 1.0, 1e-6);
  EXPECT_NEAR(o.plane(0)[20 * 64 + 12], std::exp(-4.0 / 8.0), 1e-5);  // sigma 2: two pixels off
}

TEST(Observation, EdgeChannelsRespondAtEdgesOnly) {
  cv::Mat image(100, 100, CV_8UC3, cv::Scalar::all(30));
  cv::rectangle(image, cv::Rect(40, 0, 60, 100), cv::Scalar::all(220), cv::FILLED);
  ObservationSpec s = Spec({ChannelKind::kSobel, ChannelKind::kCanny});
  s.context_margin = 0.0;
  ObservationBuilder b(s);
  Prompt p;
  p.box = {8, 18, 72, 82};  // the edge at x = 40 is crop column 32
  const Observation o = b.Build(image, p);
  EXPECT_GT(o.plane(0)[30 * 64 + 32], 0.5f);
  EXPECT_EQ(o.plane(0)[30 * 64 + 10], 0.0f);
  float canny_at_edge = 0;
  for (int u = 30; u < 35; ++u) canny_at_edge = std::max(canny_at_edge, o.plane(1)[30 * 64 + u]);
  EXPECT_EQ(canny_at_edge, 1.0f);
  EXPECT_EQ(o.plane(1)[30 * 64 + 10], 0.0f);
}

TEST(Observation, ProposerMaskChannelsAreDeterministic) {
  const SyntheticScene scene = RenderSyntheticScene(SyntheticPreset("easy"), 0);
  ASSERT_FALSE(scene.instances.empty());
  ObservationSpec s =
      Spec({ChannelKind::kRgb, ChannelKind::kGrabCutMask, ChannelKind::kWatershedMask});
  ObservationBuilder b1(s), b2(s);
  Prompt p;
  p.box = BoxOf(scene.instances[0].shape);
  const Observation a = b1.Build(scene.image, p);
  const Observation c = b2.Build(scene.image, p);
  EXPECT_EQ(a.pixels, c.pixels);
  double grabcut = 0;
  for (int i = 0; i < 64 * 64; ++i) grabcut += a.plane(3)[i];
  EXPECT_GT(grabcut, 64 * 64 * 0.1);  // the object fills a good part of the crop
}

TEST(Observation, ResampleCropIsTheCropOfTheRgbPlanes) {
  const cv::Mat image = Coordinates(300, 200);
  ObservationBuilder b(Spec({ChannelKind::kRgb}));
  Prompt p;
  p.box = {31.5, 12.25, 250.0, 170.0};
  const Observation o = b.Build(image, p);
  cv::Mat crop;
  ResampleCrop(image, o.transform, 0.0, crop);
  ASSERT_EQ(crop.type(), CV_8UC3);
  ASSERT_EQ(crop.rows, 64);
  ASSERT_EQ(crop.cols, 64);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      const cv::Vec3b v = crop.at<cv::Vec3b>(y, x);
      ASSERT_EQ(o.plane(0)[y * 64 + x], v[2] * (1.0f / 255.0f)) << x << "," << y;  // R
      ASSERT_EQ(o.plane(2)[y * 64 + x], v[0] * (1.0f / 255.0f)) << x << "," << y;  // B
    }
  }
  CropTransform bad = o.transform;
  bad.scale_x = 0.0;
  EXPECT_THROW(ResampleCrop(image, bad, 0.0, crop), std::invalid_argument);
}

TEST(Observation, PrecomputedProposalsReplaceTheProposerRuns) {
  const SyntheticScene scene = RenderSyntheticScene(SyntheticPreset("easy"), 0);
  ASSERT_FALSE(scene.instances.empty());
  ObservationSpec s =
      Spec({ChannelKind::kRgb, ChannelKind::kGrabCutMask, ChannelKind::kWatershedMask});
  ObservationBuilder b(s);
  Prompt p;
  p.box = BoxOf(scene.instances[0].shape);
  const Observation computed = b.Build(scene.image, p);

  // The proposers' own polygons, passed in: bit-identical to running them inside.
  const Instance grabcut = MakeProposer("grabcut")->Propose(scene.image, p).shape;
  const Instance watershed = MakeProposer("watershed")->Propose(scene.image, p).shape;
  PrecomputedProposals given;
  given.grabcut = &grabcut;
  given.watershed = &watershed;
  EXPECT_EQ(b.Build(scene.image, p, nullptr, given).pixels, computed.pixels);

  // Other polygons are drawn as given (here the human one), so the proposers did not run; a
  // null member still runs its proposer.
  const Instance& human = scene.instances[0].shape;
  given.grabcut = &human;
  given.watershed = nullptr;
  const Observation mixed = b.Build(scene.image, p, nullptr, given);
  cv::Mat expected = cv::Mat::zeros(64, 64, CV_8UC1);
  FillInstance(expected, human, mixed.transform);
  for (int i = 0; i < 64 * 64; ++i) {
    ASSERT_EQ(mixed.plane(3)[i], expected.data[i] / 255.0f) << "pixel " << i;
    ASSERT_EQ(mixed.plane(4)[i], computed.plane(4)[i]) << "pixel " << i;
  }
  EXPECT_NE(mixed.pixels, computed.pixels);  // the human polygon is not GrabCut's
}

TEST(Observation, SpecIsValidated) {
  auto expect_field = [](ObservationSpec s, const std::string& field) {
    try {
      ObservationBuilder b(s);
      FAIL() << field << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  ObservationSpec s;
  s.size = 4;
  expect_field(s, "size");
  s = ObservationSpec{};
  s.channels = {ChannelKind::kRgb, ChannelKind::kRgb};
  expect_field(s, "channels[1]");
  s = ObservationSpec{};
  s.channels.clear();
  expect_field(s, "channels");
  s = ObservationSpec{};
  s.context_margin = -1;
  expect_field(s, "context_margin");
  EXPECT_EQ(ParseChannel("sobel"), ChannelKind::kSobel);
  EXPECT_THROW(ParseChannel("depth"), std::invalid_argument);
  EXPECT_EQ(ObservationSpec{}.PlaneCountTotal(), 5);  // rgb + sobel + contour
  const cv::Mat gray(10, 10, CV_8UC1);
  ObservationBuilder b(ObservationSpec{});
  EXPECT_THROW(b.Build(gray, Prompt{}), std::invalid_argument);
  Prompt nan_box;
  nan_box.box.x0 = NAN;
  EXPECT_THROW(b.Build(cv::Mat(10, 10, CV_8UC3), nan_box), std::invalid_argument);
}

TEST(ObservationBatcher, MatchesSingleBuildsWhateverTheThreadCount) {
  const SyntheticConfig config = SyntheticPreset("default");
  std::vector<SyntheticScene> scenes;
  for (int i = 0; i < 4; ++i) scenes.push_back(RenderSyntheticScene(config, i));
  std::vector<ObservationRequest> requests;
  for (const SyntheticScene& s : scenes) {
    for (std::size_t k = 0; k < s.instances.size(); ++k) {
      ObservationRequest r;
      r.image = &s.image;
      r.prompt.box = BoxOf(s.instances[k].shape);
      r.contour = &s.truth[k];
      requests.push_back(r);
    }
  }
  ObservationSpec spec;
  spec.channels = {ChannelKind::kRgb, ChannelKind::kSobel, ChannelKind::kWatershedMask,
                   ChannelKind::kContour};
  ObservationBatch one, three;
  ObservationBatcher(spec, 1).Build(requests, one);
  ObservationBatcher(spec, 3).Build(requests, three);
  ASSERT_EQ(one.count(), requests.size());
  EXPECT_EQ(one.pixels, three.pixels);
  ObservationBuilder single(spec);
  const std::size_t each = single.FloatCount();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const Observation o = single.Build(*requests[i].image, requests[i].prompt, requests[i].contour);
    EXPECT_TRUE(std::equal(o.pixels.begin(), o.pixels.end(), one.pixels.begin() + i * each)) << i;
    EXPECT_EQ(o.transform.x0, one.transforms[i].x0);
  }
  requests[1].image = nullptr;
  EXPECT_THROW(ObservationBatcher(spec, 2).Build(requests, one), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
