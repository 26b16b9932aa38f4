#include "env/synthetic.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "env/contour.h"
#include "env/rasterize.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

SyntheticConfig Small(const std::string& preset = "default") {
  SyntheticConfig c = SyntheticPreset(preset);
  c.num_assets = 12;
  return c;
}

TEST(Synthetic, SameSeedGivesByteIdenticalImagesAndPolygons) {
  const Dataset a = GenerateSynthetic(Small());
  const Dataset b = GenerateSynthetic(Small());
  ASSERT_EQ(a.assets.size(), 12u);
  ASSERT_EQ(a.assets.size(), b.assets.size());
  for (std::size_t i = 0; i < a.assets.size(); ++i) {
    EXPECT_EQ(a.assets[i].id, b.assets[i].id);
    EXPECT_EQ(a.assets[i].data, b.assets[i].data) << "image bytes of asset " << i;
    ASSERT_EQ(a.assets[i].instances.size(), b.assets[i].instances.size());
    for (std::size_t k = 0; k < a.assets[i].instances.size(); ++k) {
      const Ring& ra = a.assets[i].instances[k].shape.parts[0].outer;
      const Ring& rb = b.assets[i].instances[k].shape.parts[0].outer;
      EXPECT_EQ(ra, rb) << "asset " << i << " instance " << k;
    }
  }
}

TEST(Synthetic, ThreadCountDoesNotChangeTheBytes) {
  const Dataset one = GenerateSynthetic(Small(), 1);
  const Dataset two = GenerateSynthetic(Small(), 2);
  ASSERT_EQ(one.assets.size(), two.assets.size());
  for (std::size_t i = 0; i < one.assets.size(); ++i) {
    EXPECT_EQ(one.assets[i].id, two.assets[i].id);
    EXPECT_EQ(one.assets[i].data, two.assets[i].data) << i;
  }
}

TEST(Synthetic, AnotherSeedGivesOtherScenes) {
  SyntheticConfig c = Small();
  const Dataset a = GenerateSynthetic(c);
  c.seed = 2;
  const Dataset b = GenerateSynthetic(c);
  int same = 0;
  for (std::size_t i = 0; i < a.assets.size(); ++i) same += a.assets[i].data == b.assets[i].data;
  EXPECT_EQ(same, 0);
}

TEST(Synthetic, ScenesDoNotDependOnGenerationOrder) {
  const SyntheticConfig c = Small();
  const SyntheticScene late = RenderSyntheticScene(c, 7);
  const Dataset all = GenerateSynthetic(c);
  const cv::Mat decoded = cv::imdecode(all.assets[7].data, cv::IMREAD_COLOR);
  EXPECT_EQ(cv::norm(decoded, late.image, cv::NORM_INF), 0.0);  // PNG is lossless
}

TEST(Synthetic, HumanPolygonsFollowTheTrueOutlines) {
  for (const std::string& preset : SyntheticPresetNames()) {
    const SyntheticConfig c = Small(preset);
    int instances = 0;
    double iou_sum = 0.0;
    for (int i = 0; i < c.num_assets; ++i) {
      const SyntheticScene s = RenderSyntheticScene(c, i);
      ASSERT_EQ(s.instances.size(), s.truth.size());
      for (std::size_t k = 0; k < s.instances.size(); ++k) {
        ++instances;
        const Instance& human = s.instances[k].shape;
        const Ring& ring = human.parts.at(0).outer;
        EXPECT_TRUE(IsSimpleRing(ring)) << preset << " scene " << i << " instance " << k;
        EXPECT_GT(SignedArea(ring), 0.0);
        // Simplified: far fewer vertices than the dense truth, yet close to it.
        EXPECT_LT(ring.size(), s.truth[k].size() / 2);
        const double iou = ExactIou(human, Validate(MakeInstance(s.truth[k])));
        // Douglas-Peucker at 1.5 px cuts the corners of small, spiky shapes: a person's
        // polygon of a 30-pixel star is no better.
        EXPECT_GT(iou, 0.75) << preset << " scene " << i << " instance " << k;
        iou_sum += iou;
        const Bounds b = BoundsOf(human);
        EXPECT_GE(b.x0, 0.0);
        EXPECT_GE(b.y0, 0.0);
        EXPECT_LE(b.x1, c.width);
        EXPECT_LE(b.y1, c.height);
        EXPECT_GE(s.instances[k].class_id, 0);
        EXPECT_LT(s.instances[k].class_id, 4);
      }
    }
    EXPECT_GE(instances, c.num_assets * c.min_objects) << preset;
    EXPECT_GT(iou_sum / instances, 0.9) << preset;
  }
}

TEST(Synthetic, ObjectsStandOutFromTheirSurroundings) {
  // The rendered pixels belong to the polygons: inside differs from a ring just outside.
  const SyntheticConfig c = Small("easy");
  double total = 0.0;
  int n = 0;
  for (int i = 0; i < c.num_assets; ++i) {
    const SyntheticScene s = RenderSyntheticScene(c, i);
    for (const Ring& truth : s.truth) {
      cv::Mat inside = cv::Mat::zeros(c.height, c.width, CV_8UC1);
      FillRing(inside, OffsetRing(truth, -2.0), CropTransform::Identity(c.width, c.height));
      cv::Mat around = cv::Mat::zeros(c.height, c.width, CV_8UC1);
      FillRing(around, OffsetRing(truth, 5.0), CropTransform::Identity(c.width, c.height));
      FillRing(around, OffsetRing(truth, 2.0), CropTransform::Identity(c.width, c.height), 0);
      total += cv::norm(cv::mean(s.image, inside) - cv::mean(s.image, around));
      ++n;
    }
  }
  ASSERT_GT(n, 0);
  EXPECT_GT(total / n, 40.0);  // easy: contrast 0.8 of a 150-level colour distance
}

TEST(Synthetic, DatasetCarriesClassesAndDecodableImages) {
  const Dataset d = GenerateSynthetic(Small());
  EXPECT_EQ(d.class_names, SyntheticClassNames());
  for (const AssetRecord& a : d.assets) {
    EXPECT_TRUE(a.path.empty());
    const cv::Mat image = cv::imdecode(a.data, cv::IMREAD_COLOR);
    EXPECT_EQ(image.cols, 320);
    EXPECT_EQ(image.rows, 240);
  }
}

TEST(Synthetic, PresetsAndConfigAreValidated) {
  for (const std::string& name : SyntheticPresetNames())
    EXPECT_NO_THROW(SyntheticPreset(name).Validate());
  try {
    SyntheticPreset("impossible");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("easy, default, hard"), std::string::npos);
  }
  SyntheticConfig c;
  c.contrast = 1.5;
  try {
    c.Validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("contrast"), std::string::npos) << e.what();
  }
  c = SyntheticConfig{};
  c.max_objects = 0;
  EXPECT_THROW(c.Validate(), std::invalid_argument);
  c = SyntheticConfig{};
  c.ellipse_weight = c.blob_weight = c.star_weight = c.concave_weight = 0.0;
  EXPECT_THROW(GenerateSynthetic(c), std::invalid_argument);
  EXPECT_THROW(RenderSyntheticScene(SyntheticConfig{}, -1), std::invalid_argument);
}

TEST(Synthetic, DifficultyKnobsChangeTheScenes) {
  SyntheticConfig flat = Small();
  flat.texture = 0.0;
  flat.clutter = 0.0;
  flat.noise_sigma = 0.0;
  flat.blur_sigma = 0.0;
  SyntheticConfig busy = flat;
  busy.texture = 1.0;
  busy.clutter = 1.0;
  busy.noise_sigma = 10.0;
  // High-frequency energy (Laplacian) grows with texture, clutter and noise.
  auto energy = [](const SyntheticConfig& c) {
    double sum = 0.0;
    for (int i = 0; i < c.num_assets; ++i) {
      cv::Mat gray, lap;
      cv::cvtColor(RenderSyntheticScene(c, i).image, gray, cv::COLOR_BGR2GRAY);
      cv::Laplacian(gray, lap, CV_32F);
      sum += cv::norm(lap, cv::NORM_L1);
    }
    return sum;
  };
  EXPECT_GT(energy(busy), 2.0 * energy(flat));
}

}  // namespace
}  // namespace understudy
