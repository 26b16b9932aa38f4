#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "env/context_crop.h"
#include "env/contour.h"
#include "env/grabcut_proposer.h"
#include "env/proposer_factory.h"
#include "env/rasterize.h"
#include "env/synthetic.h"
#include "env/watershed_proposer.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

// A textured background with one flat-coloured object drawn from `ring`.
cv::Mat Scene(const Ring& ring, int w = 200, int h = 160) {
  cv::Mat image(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      image.at<cv::Vec3b>(y, x) =
          cv::Vec3b(60 + (x * 7 + y * 3) % 40, 90 + (x * 5 + y * 11) % 30, 70);
    }
  }
  cv::Mat mask = cv::Mat::zeros(h, w, CV_8UC1);
  FillRing(mask, ring, CropTransform::Identity(w, h));
  image.setTo(cv::Scalar(200, 60, 210), mask);
  return image;
}

Ring Blob(double cx, double cy, double r) {
  Ring ring;
  for (int i = 0; i < 120; ++i) {
    const double a = 2 * 3.14159265358979 * i / 120;
    const double rho = r * (1 + 0.25 * std::cos(3 * a));
    ring.push_back({cx + rho * std::cos(a), cy + rho * std::sin(a)});
  }
  return ring;
}

double Iou(const Proposal& p, const Ring& truth) {
  return ExactIou(p.shape, Validate(MakeInstance(truth)));
}

TEST(ProposerFactory, NamesEveryProposerAndRejectsUnknownOnes) {
  const std::vector<std::string> names = ProposerNames();
  ASSERT_EQ(names, (std::vector<std::string>{"box", "ellipse", "grabcut", "watershed"}));
  for (const std::string& n : names) EXPECT_EQ(MakeProposer(n)->name(), n);
  try {
    MakeProposer("sam");
    FAIL();
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'sam'"), std::string::npos);
    EXPECT_NE(what.find("box, ellipse, grabcut, watershed"), std::string::npos) << what;
  }
}

TEST(Proposers, BoxAndEllipseAreExactForTheirOwnShapes) {
  const Ring rect = BoxRing({40, 30, 120, 90});
  const cv::Mat image = Scene(rect);
  Prompt p;
  p.box = {40, 30, 120, 90};
  EXPECT_NEAR(Iou(MakeProposer("box")->Propose(image, p), rect), 1.0, 1e-12);
  const Ring ellipse = InscribedEllipse(p.box, 256);
  EXPECT_GT(Iou(MakeProposer("ellipse")->Propose(image, p), ellipse), 0.99);
}

TEST(Proposers, ImageBasedProposersFindAClearObject) {
  const Ring blob = Blob(100, 80, 35);
  const cv::Mat image = Scene(blob);
  Prompt p;
  p.box = BoxOf(MakeInstance(blob));
  const double ellipse = Iou(MakeProposer("ellipse")->Propose(image, p), blob);
  for (const std::string name : {"grabcut", "watershed"}) {
    const Proposal proposal = MakeProposer(name)->Propose(image, p);
    EXPECT_EQ(proposal.source, name);
    const double iou = Iou(proposal, blob);
    EXPECT_GT(iou, 0.93) << name;
    EXPECT_GT(iou, ellipse + 0.05) << name << " should beat the blind ellipse (" << ellipse << ")";
  }
}

TEST(Proposers, AreDeterministic) {
  const SyntheticScene scene = RenderSyntheticScene(SyntheticPreset("default"), 3);
  ASSERT_FALSE(scene.instances.empty());
  for (const std::string& name : ProposerNames()) {
    auto a = MakeProposer(name);
    auto b = MakeProposer(name);
    for (const AnnotatedInstance& inst : scene.instances) {
      Prompt p;
      p.box = BoxOf(inst.shape);
      const Proposal first = a->Propose(scene.image, p);
      const Proposal again = a->Propose(scene.image, p);  // same object, state reused
      const Proposal other = b->Propose(scene.image, p);  // fresh object
      ASSERT_EQ(first.shape.parts.size(), 1u);
      EXPECT_EQ(first.shape.parts[0].outer, again.shape.parts[0].outer) << name;
      EXPECT_EQ(first.shape.parts[0].outer, other.shape.parts[0].outer) << name;
      EXPECT_EQ(first.source, other.source);
    }
  }
}

TEST(Proposers, FallBackToTheEllipseAndSaySo) {
  const cv::Mat flat(100, 100, CV_8UC3, cv::Scalar(90, 90, 90));
  Prompt whole;
  whole.box = {0, 0, 100, 100};  // no context outside the box at all
  for (const std::string name : {"grabcut", "watershed"}) {
    const Proposal p = MakeProposer(name)->Propose(flat, whole);
    EXPECT_EQ(p.source, name + ":ellipse-fallback(no context)");
    EXPECT_NEAR(Iou(p, InscribedEllipse(whole.box, 256)), 1.0, 0.01);
  }
}

TEST(Proposers, HandleDegenerateAndOutOfImagePrompts) {
  const cv::Mat image = Scene(Blob(100, 80, 35));
  std::vector<Box> boxes = {{-50, -50, 30, 30},      {190, 150, 260, 220}, {50, 50, 50, 50},
                            {120, 60, 110, 70},      {0, 0, 1, 1},         {199.5, 10, 250, 11},
                            {-500, -500, -400, -400}};
  for (const std::string& name : ProposerNames()) {
    auto proposer = MakeProposer(name);
    for (const Box& box : boxes) {
      Prompt p;
      p.box = box;
      const Proposal proposal = proposer->Propose(image, p);
      ASSERT_FALSE(proposal.shape.parts.empty()) << name;
      EXPECT_GT(Area(proposal.shape), 0.0) << name;
      const Bounds b = BoundsOf(proposal.shape);
      EXPECT_GE(b.x0, 0.0) << name;
      EXPECT_GE(b.y0, 0.0) << name;
      EXPECT_LE(b.x1, 200.0) << name;
      EXPECT_LE(b.y1, 160.0) << name;
    }
  }
}

TEST(Proposers, ClicksSteerTheImageBasedProposers) {
  // Two touching objects of different colours share one box; a positive click picks one.
  cv::Mat image(120, 200, CV_8UC3, cv::Scalar(40, 120, 40));
  cv::rectangle(image, cv::Rect(50, 30, 50, 60), cv::Scalar(220, 50, 50), cv::FILLED);
  cv::rectangle(image, cv::Rect(100, 30, 50, 60), cv::Scalar(50, 50, 220), cv::FILLED);
  Prompt p;
  p.box = {50, 30, 150, 90};
  p.clicks = {{{75, 60}, true}, {{125, 60}, false}};
  for (const std::string name : {"grabcut", "watershed"}) {
    auto proposer = MakeProposer(name);
    EXPECT_GT(Iou(proposer->Propose(image, p), BoxRing({50, 30, 100, 90})), 0.9) << name;
    std::swap(p.clicks[0].positive, p.clicks[1].positive);
    EXPECT_GT(Iou(proposer->Propose(image, p), BoxRing({100, 30, 150, 90})), 0.9) << name;
    std::swap(p.clicks[0].positive, p.clicks[1].positive);
  }
}

TEST(ContextCrop, ShrinksOrEnlargesToTheSideLimitsWithAnExactTransform) {
  const cv::Mat image(300, 400, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat crop;
  // A 200 x 100 box with 0.5 context: 400 x 200, clipped to the image on the left and top.
  CropTransform t = CutContext(image, {60, 40, 260, 140}, 0.5, 128, crop);
  EXPECT_EQ(crop.cols, 128);
  EXPECT_EQ(t.x0, 0);
  EXPECT_EQ(t.y0, 0);
  EXPECT_DOUBLE_EQ(t.scale_x, 128.0 / 360.0);  // [0, 360) wide after clipping
  EXPECT_EQ(crop.rows, static_cast<int>(std::lround(190 * 128.0 / 360.0)));
  t = CutContext(image, {100, 100, 110, 120}, 0.5, 256, crop, 80);
  EXPECT_EQ(crop.rows, 80);  // 20 x 40 enlarged to 80 on the longer side
  EXPECT_EQ(crop.cols, 40);
  const Point back = t.ToImage(t.ToCrop({104.5, 117.25}));
  EXPECT_NEAR(back.x, 104.5, 1e-12);
  EXPECT_NEAR(back.y, 117.25, 1e-12);
  t = CutContext(image, {100, 100, 110, 120}, 0.5, 256, crop);
  EXPECT_EQ(crop.rows, 40);  // never enlarged without min_side
  EXPECT_THROW(CutContext(image, {350, 10, 450, 20}, 0.5, 256, crop), std::invalid_argument);
}

TEST(Proposers, ConfigsAreValidated) {
  GrabCutConfig g;
  g.iterations = 0;
  try {
    GrabCutProposer bad(g);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("iterations"), std::string::npos);
  }
  g = GrabCutConfig{};
  g.min_side = g.max_side + 1;
  EXPECT_THROW(GrabCutProposer{g}, std::invalid_argument);
  WatershedConfig w;
  w.background_gap = 0.5;  // beyond the context margin: no background seed could exist
  EXPECT_THROW(WatershedProposer{w}, std::invalid_argument);
  const cv::Mat gray(50, 50, CV_8UC1);
  Prompt p;
  p.box = {10, 10, 20, 20};
  EXPECT_THROW(MakeProposer("grabcut")->Propose(gray, p), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
