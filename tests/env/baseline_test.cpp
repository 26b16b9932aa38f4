#include "env/baseline.h"

#include <gtest/gtest.h>

#include <memory>

#include "env/contour.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"
#include "rewards/iou.h"

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

TEST(Baseline, MeanAndMedian) {
  BaselineReport r;
  r.proposer = "x";
  for (double v : {0.1, 0.9, 0.4, 0.6}) r.scores.push_back({0, 0, v, 0.5, "x"});
  EXPECT_DOUBLE_EQ(r.MeanIou(), 0.5);
  EXPECT_DOUBLE_EQ(r.MedianIou(), 0.5);
  r.scores.push_back({0, 0, 1.0, 0.5, "x:fallback"});
  EXPECT_DOUBLE_EQ(r.MedianIou(), 0.6);
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
