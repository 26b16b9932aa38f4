// The proposers and the env on real human polygons (../shared/data), through the importers.

#include <gtest/gtest.h>

#include <memory>

#include "env/baseline.h"
#include "env/batched_env.h"
#include "env/importer.h"
#include "env/proposer_factory.h"
#include "tests/support/shared_data.h"

namespace understudy {
namespace {

std::vector<BaselineReport> EvaluateAll(const Dataset& d, std::size_t limit) {
  std::vector<std::unique_ptr<Proposer>> owned;
  std::vector<Proposer*> all;
  for (const std::string& n : ProposerNames()) {
    owned.push_back(MakeProposer(n));
    all.push_back(owned.back().get());
  }
  BaselineOptions options;
  options.limit = limit;
  return EvaluateProposers(d, all, options);
}

TEST(BaselineRealData, BalloonsAreOutlinedWellByGrabCutAndWatershed) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(val, "balloon/balloon/val");
  const Dataset d = LoadDataset(DatasetFormat::kVia, val);
  const auto r = EvaluateAll(d, 0);
  for (const BaselineReport& report : r) {
    EXPECT_EQ(report.scores.size(), 50u) << report.proposer;
    EXPECT_TRUE(report.rejected.empty()) << report.proposer << ": " << report.rejected[0].why;
  }
  // box < ellipse < the image-based ones on these large, contrasted objects.
  EXPECT_LT(r[0].MeanIou(), r[1].MeanIou());
  EXPECT_GT(r[2].MeanIou(), r[1].MeanIou() + 0.05);
  EXPECT_GT(r[3].MeanIou(), r[1].MeanIou() + 0.05);
  EXPECT_LT(r[2].MeanClicksToFix(), r[1].MeanClicksToFix());
}

TEST(BaselineRealData, EveryCocoInstanceGetsAValidProposal) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(coco, "coco128-seg/coco128-seg");
  const Dataset d = LoadDataset(DatasetFormat::kYolo, coco);
  const auto r = EvaluateAll(d, 150);
  for (const BaselineReport& report : r) {
    EXPECT_EQ(report.scores.size(), 150u) << report.proposer;
    EXPECT_TRUE(report.rejected.empty()) << report.proposer;
    for (const InstanceScore& s : report.scores) {
      EXPECT_GE(s.iou, 0.0);
      EXPECT_LE(s.iou, 1.0);
    }
  }
}

TEST(BaselineRealData, BatchedEnvRunsOnBalloons) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(val, "balloon/balloon/val");
  auto source = std::make_shared<const EpisodeSource>(LoadDataset(DatasetFormat::kVia, val),
                                                      PromptSamplerConfig{});
  EXPECT_EQ(source->size(), 50u);
  BatchedEnvConfig c;
  c.num_envs = 4;
  c.num_threads = 2;
  BatchedEnv env(source, c);
  const std::vector<TimeStep> first = env.Reset();
  const std::vector<TimeStep> last = env.Step(std::vector<float>(4 * env.ActionSize(), 0.0f));
  double mean = 0.0;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(last[i].last());
    EXPECT_GE(last[i].reward, 0.0);
    EXPECT_LE(last[i].reward, 1.0);
    EXPECT_DOUBLE_EQ(last[i].reward, last[i].iou);
    EXPECT_EQ(first[i].observation.pixels.size(), 5u * 64 * 64);
    mean += last[i].reward / 4;
  }
  // A zero action scores the initial ellipse: balloons are round (mean 0.77 over the set), though
  // some are cut by the image border.
  EXPECT_GT(mean, 0.5);
}

}  // namespace
}  // namespace understudy
