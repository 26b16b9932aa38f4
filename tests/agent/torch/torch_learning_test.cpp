// Does the learner learn? Blind (held-out) IoU on synthetic scenes the learner never saw, against
// the ellipse the policy starts from. The bound on updates and the margin come from a measured
// run (docs/agent.md, "The learning test"), with headroom; they are not tuned to pass.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "agent/torch_agent.h"
#include "env/proposer_factory.h"
#include "rewards/iou.h"
#include "tests/agent/torch/torch_test_util.h"

namespace understudy {
namespace {

using testing::Labeled;
using testing::SyntheticLabels;
using testing::ToExample;

double MeanIou(Proposer& proposer, const std::vector<Labeled>& labels) {
  double sum = 0.0;
  for (const Labeled& l : labels) {
    sum += ExactIou(proposer.Propose(l.image, l.prompt).shape, l.human);
  }
  return sum / static_cast<double>(labels.size());
}

TEST(TorchLearning, RaisesHeldOutIouAboveTheEllipseItStartsFrom) {
  // The default net (K = 32, 64-pixel crops) refining the ellipse: the default proposer.
  TorchAgentConfig c;
  c.candidates = {"ellipse"};
  c.seed = 11;
  const SyntheticConfig scenes;
  const std::vector<Labeled> train = SyntheticLabels(scenes, 0, 120);
  // Other scenes of the same distribution: never added, so never trained on.
  const std::vector<Labeled> held_out = SyntheticLabels(scenes, 5000, 40);
  ASSERT_GT(train.size(), 200u);
  ASSERT_GT(held_out.size(), 60u);

  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  for (const Labeled& l : train) learner->Add(ToExample(l));
  auto ellipse = MakeProposer("ellipse");
  const double baseline = MeanIou(*ellipse, held_out);
  const double untrained = MeanIou(*learner->MakePolicy(), held_out);
  // An untrained net leaves the ellipse where it is (zero-initialised offset heads).
  EXPECT_NEAR(untrained, baseline, 0.01);

  // Measured (seed 11, Release, one core of the 2-core CI machine, 2026-11-23): held-out IoU
  // 0.649 (ellipse) -> 0.680 after 300 updates, 0.700 after 500, 0.721 after 1000 (83 s).
  // The margin is first reached at 300 updates; the bound leaves 2.7x headroom (~65 s).
  constexpr int kMaxUpdates = 800;
  constexpr int kChunk = 50;
  constexpr double kMargin = 0.03;
  const auto start = std::chrono::steady_clock::now();
  double best = untrained;
  int updates = 0;
  while (updates < kMaxUpdates) {
    const UpdateReport r = learner->Update(kChunk);
    updates += kChunk;
    EXPECT_EQ(r.steps, kChunk);
    EXPECT_EQ(r.skipped_non_finite, 0);
    const double iou = MeanIou(*learner->MakePolicy(), held_out);
    best = std::max(best, iou);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("updates %4d  held-out IoU %.4f  (ellipse %.4f)  train greedy %.4f  %.1f s\n",
                updates, iou, baseline, r.greedy_reward, seconds);
    std::fflush(stdout);
    if (iou >= baseline + kMargin) break;
  }
  RecordProperty("updates", updates);
  RecordProperty("ellipse_iou", std::to_string(baseline));
  RecordProperty("learned_iou", std::to_string(best));
  EXPECT_GE(best, baseline + kMargin) << "after " << updates << " updates the held-out IoU is "
                                      << best << ", the ellipse's " << baseline;
}

}  // namespace
}  // namespace understudy
