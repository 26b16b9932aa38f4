#include "env/baseline.h"

#include <gtest/gtest.h>

#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "env/contour.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"
#include "rewards/clicks.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

Dataset Small() {
  SyntheticConfig c = SyntheticPreset("easy");
  c.num_assets = 6;
  return GenerateSynthetic(c);
}

std::size_t CountInstances(const Dataset& d) {
  std::size_t n = 0;
  for (const AssetRecord& a : d.assets) n += a.instances.size();
  return n;
}

TEST(Baseline, ScoresEveryInstanceWithEveryProposer) {
  const Dataset d = Small();
  auto box = MakeProposer("box");
  auto ellipse = MakeProposer("ellipse");
  const std::vector<BaselineReport> reports = EvaluateProposers(d, {box.get(), ellipse.get()});
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].proposer, "box");
  EXPECT_EQ(reports[0].scores.size(), CountInstances(d));
  EXPECT_EQ(reports[1].scores.size(), CountInstances(d));
  // Every score is the IoU of that proposer's polygon for that instance's tight box.
  for (const InstanceScore& s : reports[0].scores) {
    const Instance& human = d.assets[s.asset].instances[s.instance].shape;
    const Instance rect = MakeInstance(BoxRing(BoxOf(human)));
    EXPECT_DOUBLE_EQ(s.iou, ExactIou(rect, human));
    EXPECT_EQ(s.source, "box");
  }
  EXPECT_TRUE(reports[0].rejected.empty());
  EXPECT_EQ(reports[0].Fallbacks(), 0u);
  EXPECT_GT(reports[0].MeanIou(), 0.3);
  EXPECT_LT(reports[0].MeanIou(), 0.9);
}

TEST(Baseline, CountsClicksToFixAndToDraw) {
  // One rectangle object: the box proposer is exact, the ellipse needs fixing.
  cv::Mat image(80, 100, CV_8UC3, cv::Scalar(30, 30, 30));
  cv::rectangle(image, cv::Rect(20, 10, 50, 40), cv::Scalar(200, 200, 200), cv::FILLED);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", image, png));
  Dataset d;
  AssetRecord a;
  a.id = "rect";
  a.data = png;
  AnnotatedInstance rect;
  rect.shape = Validate(MakeInstance(BoxRing({20, 10, 70, 50})));
  a.instances.push_back(rect);
  d.assets.push_back(a);
  auto box = MakeProposer("box");
  auto ellipse = MakeProposer("ellipse");
  const auto reports = EvaluateProposers(d, {box.get(), ellipse.get()});
  ASSERT_EQ(reports[0].scores.size(), 1u);
  EXPECT_DOUBLE_EQ(reports[0].scores[0].iou, 1.0);
  EXPECT_EQ(reports[0].scores[0].clicks_to_fix, 0u);
  EXPECT_EQ(reports[0].scores[0].clicks_to_draw, 4u);
  const Instance e = ellipse->Propose(image, Prompt{{20, 10, 70, 50}, {}}).shape;
  EXPECT_EQ(reports[1].scores[0].clicks_to_fix, ClicksToFix(e, rect.shape, 2.0).Total());
  EXPECT_GT(reports[1].scores[0].clicks_to_fix, 4u);
  BaselineOptions bad;
  bad.clicks_tolerance = 0.0;
  EXPECT_THROW(EvaluateProposers(d, {box.get()}, bad), std::invalid_argument);
}

TEST(Baseline, HonoursTheLimitAndReportsProgress) {
  const Dataset d = Small();
  auto box = MakeProposer("box");
  BaselineOptions options;
  options.limit = 3;
  std::vector<std::size_t> seen;
  options.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 3u);
    seen.push_back(done);
  };
  const auto reports = EvaluateProposers(d, {box.get()}, options);
  EXPECT_EQ(reports[0].scores.size(), 3u);
  EXPECT_EQ(seen, (std::vector<std::size_t>{1, 2, 3}));
}

TEST(Baseline, RejectsUnreadableImagesAndSkipsCrowdsButCountsBoth) {
  Dataset d = Small();
  d.assets[1].data = {1, 2, 3};  // not an image
  d.assets[2].instances[0].crowd = true;
  auto box = MakeProposer("box");
  const auto reports = EvaluateProposers(d, {box.get()});
  const BaselineReport& r = reports[0];
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_NE(r.rejected[0].where.find(d.assets[1].id), std::string::npos);
  EXPECT_EQ(r.crowd_skipped, 1u);
  EXPECT_EQ(r.scores.size(), CountInstances(d) - d.assets[1].instances.size() - 1);
}

InstanceScore Score(double iou, std::size_t fix, std::size_t draw, const std::string& source) {
  InstanceScore s;
  s.iou = iou;
  s.clicks_to_fix = fix;
  s.clicks_to_draw = draw;
  s.seconds = 0.5;
  s.source = source;
  return s;
}

TEST(Baseline, MeanAndMedian) {
  BaselineReport r;
  r.proposer = "x";
  r.scores = {Score(0.1, 7, 10, "x"), Score(0.9, 1, 20, "x"), Score(0.4, 4, 30, "x"),
              Score(0.6, 2, 40, "x")};
  EXPECT_DOUBLE_EQ(r.MeanIou(), 0.5);
  EXPECT_DOUBLE_EQ(r.MedianIou(), 0.5);
  EXPECT_DOUBLE_EQ(r.MeanClicksToFix(), 3.5);
  EXPECT_DOUBLE_EQ(r.MedianClicksToFix(), 3.0);
  EXPECT_DOUBLE_EQ(r.MeanClicksToDraw(), 25.0);
  EXPECT_DOUBLE_EQ(r.MedianClicksToDraw(), 25.0);
  r.scores.push_back(Score(1.0, 0, 50, "x:fallback"));
  EXPECT_DOUBLE_EQ(r.MedianIou(), 0.6);
  EXPECT_DOUBLE_EQ(r.MedianClicksToFix(), 2.0);
  EXPECT_EQ(r.Fallbacks(), 1u);
  EXPECT_DOUBLE_EQ(r.TotalSeconds(), 2.5);
  EXPECT_EQ(BaselineReport{}.MeanIou(), 0.0);
}

TEST(Baseline, ImageBasedProposersBeatTheBlindOnesOnEasyScenes) {
  const Dataset d = Small();
  std::vector<std::unique_ptr<Proposer>> owned;
  std::vector<Proposer*> all;
  for (const std::string& n : ProposerNames()) {
    owned.push_back(MakeProposer(n));
    all.push_back(owned.back().get());
  }
  const auto reports = EvaluateProposers(d, all);
  const double box = reports[0].MeanIou(), ellipse = reports[1].MeanIou();
  const double grabcut = reports[2].MeanIou(), watershed = reports[3].MeanIou();
  EXPECT_GT(ellipse, box);
  EXPECT_GT(grabcut, ellipse + 0.1);
  EXPECT_GT(watershed, ellipse);
}

}  // namespace
}  // namespace understudy
