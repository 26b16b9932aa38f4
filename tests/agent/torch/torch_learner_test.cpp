#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

#include "agent/torch_agent.h"
#include "env/proposer_factory.h"
#include "rewards/iou.h"
#include "tests/agent/torch/torch_test_util.h"

namespace understudy {
namespace {

using testing::Labeled;
using testing::SmallConfig;
using testing::SyntheticLabels;
using testing::ToExample;

std::unique_ptr<TorchLearner> FilledLearner(const TorchAgentConfig& c,
                                            const std::vector<Labeled>& labels) {
  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  for (const Labeled& l : labels) learner->Add(ToExample(l));
  return learner;
}

bool AllFinite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

TEST(TorchLearner, SameSeedAndCallsGiveTheSameWeights) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 0, 3);
  TorchAgentConfig c = SmallConfig();
  c.selection = "policy";  // exercises every head
  auto a = FilledLearner(c, labels);
  auto b = FilledLearner(c, labels);
  EXPECT_EQ(a->FlatWeights(), b->FlatWeights());
  const UpdateReport ra = a->Update(3);
  const UpdateReport rb = b->Update(3);
  EXPECT_EQ(ra.steps, 3);
  EXPECT_EQ(ra.loss, rb.loss);
  EXPECT_EQ(ra.sampled_reward, rb.sampled_reward);
  EXPECT_EQ(a->FlatWeights(), b->FlatWeights());

  c.seed = 8;
  auto other = FilledLearner(c, labels);
  EXPECT_NE(other->FlatWeights(), a->FlatWeights());  // another seed, other initial weights
}

TEST(TorchLearner, ReportsWhatAnUpdateDid) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 1, 3);
  auto learner = MakeTorchLearner(SmallConfig(), HeldOutSplit(0.0, 0));
  EXPECT_EQ(learner->Update(5).steps, 0);  // empty buffer: nothing to learn from
  for (const Labeled& l : labels) learner->Add(ToExample(l));
  EXPECT_EQ(learner->size(), labels.size());
  const std::vector<float> before = learner->FlatWeights();
  const UpdateReport r = learner->Update(2);
  EXPECT_EQ(r.steps, 2);
  EXPECT_EQ(r.skipped_non_finite, 0);
  EXPECT_TRUE(std::isfinite(r.loss));
  EXPECT_GT(r.sampled_reward, 0.2);  // IoUs of ellipses and boxes around the objects
  EXPECT_LE(r.sampled_reward, 1.0);
  EXPECT_GT(r.greedy_reward, 0.2);
  EXPECT_GE(r.value_error, 0.0);
  EXPECT_NE(learner->FlatWeights(), before);
  const auto progress = learner->Progress();
  EXPECT_EQ(progress.at("updates"), 2.0);
  EXPECT_EQ(progress.at("examples"), static_cast<double>(labels.size()));
  EXPECT_GT(progress.at("replay_bytes"), 48.0 * 48 * 3 * labels.size());
}

TEST(TorchLearner, NonFiniteStepsAreSkippedAndTheWeightsKept) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 2, 2);
  auto learner = FilledLearner(SmallConfig(), labels);
  learner->Update(1);
  for (TorchFault fault :
       {TorchFault::kNanLoss, TorchFault::kNanGradient, TorchFault::kNanWeightsAfterStep}) {
    const std::vector<float> good = learner->FlatWeights();
    learner->InjectFault(fault);
    const UpdateReport r = learner->Update(1);
    EXPECT_EQ(r.steps, 0) << static_cast<int>(fault);
    EXPECT_EQ(r.skipped_non_finite, 1) << static_cast<int>(fault);
    EXPECT_EQ(learner->FlatWeights(), good) << static_cast<int>(fault);
    // The policy handed out now has the last good weights and proposes finite polygons.
    auto policy = learner->MakePolicy();
    const Proposal p = policy->Propose(labels[0].image, labels[0].prompt);
    EXPECT_TRUE(std::isfinite(p.confidence));
    EXPECT_EQ(p.source.find("non-finite"), std::string::npos);
    // Learning goes on after a skipped step.
    const UpdateReport next = learner->Update(2);
    EXPECT_EQ(next.steps, 2);
    EXPECT_TRUE(AllFinite(learner->FlatWeights()));
  }
  const auto progress = learner->Progress();
  EXPECT_EQ(progress.at("skipped_non_finite"), 3.0);
  EXPECT_EQ(progress.at("rolled_back"), 1.0);
}

TEST(TorchLearner, UpdatesRunAtTheConfiguredNicenessInTheirOwnThreadOnly) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 2, 1);
  TorchAgentConfig c = SmallConfig();
  c.learner_nice = 7;
  auto learner = FilledLearner(c, labels);
  auto nice_of_this_thread = [] {
    return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  };
  const int main_before = nice_of_this_thread();
  int before = 0, after = 0;
  std::thread t([&] {
    before = nice_of_this_thread();
    learner->Update(1);
    after = nice_of_this_thread();
  });
  t.join();
  EXPECT_EQ(after, std::max(before, 7));          // raised, never lowered (that needs privileges)
  EXPECT_EQ(nice_of_this_thread(), main_before);  // the thread that did not learn is untouched
}

TEST(TorchLearner, HeldOutExamplesNeverReachTheBuffer) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 3, 2);
  auto learner = MakeTorchLearner(SmallConfig(), HeldOutSplit(1.0, 0));  // everything held out
  EXPECT_THROW(learner->Add(ToExample(labels[0])), HeldOutViolation);
  EXPECT_EQ(learner->size(), 0u);
}

TEST(TorchLearner, RejectsBadExamples) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 3, 1);
  auto learner = MakeTorchLearner(SmallConfig(), HeldOutSplit(0.0, 0));
  TrainingExample gray = ToExample(labels[0]);
  gray.image = cv::Mat(10, 10, CV_8UC1, cv::Scalar(0));
  EXPECT_THROW(learner->Add(gray), std::invalid_argument);
  TrainingExample degenerate = ToExample(labels[0]);
  degenerate.human = MakeInstance({{1, 1}, {2, 2}, {3, 3}});  // no area
  EXPECT_THROW(learner->Add(degenerate), std::invalid_argument);
  EXPECT_EQ(learner->size(), 0u);
}

TEST(TorchLearner, ReplayMemoryIsBounded) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 4, 4);
  ASSERT_GT(labels.size(), 4u);
  TorchAgentConfig c = SmallConfig();
  c.replay_capacity = 3;
  auto learner = FilledLearner(c, labels);
  EXPECT_EQ(learner->size(), 3u);
  const auto progress = learner->Progress();
  EXPECT_EQ(progress.at("examples_added"), static_cast<double>(labels.size()));
  EXPECT_EQ(progress.at("examples_evicted"), static_cast<double>(labels.size() - 3));
  // Three stored crops (48 x 48 x 3 bytes) and their polygons: well under 16 KB each.
  EXPECT_LT(progress.at("replay_bytes"), 3 * 16384.0);
}

TEST(TorchLearner, StartsFromAPolicyWithTheSameArchitecture) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 5, 2);
  TorchAgentConfig c = SmallConfig();
  auto first = FilledLearner(c, labels);
  first->Update(2);
  auto policy = first->MakePolicy();
  TorchAgentConfig resumed = c;
  resumed.learning_rate = 1e-4;  // learning knobs may change
  resumed.seed = 99;
  auto second = MakeTorchLearner(resumed, HeldOutSplit(0.0, 0), policy.get());
  EXPECT_EQ(second->FlatWeights(), first->FlatWeights());

  TorchAgentConfig wider = c;
  wider.head_width = 32;
  try {
    MakeTorchLearner(wider, HeldOutSplit(0.0, 0), policy.get());
    ADD_FAILURE() << "a start policy of another shape was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("head_width"), std::string::npos) << e.what();
  }
  auto ellipse = MakeProposer("ellipse");
  struct NotTorch : Policy {
    std::string name() const override { return "fake"; }
    Proposal Propose(const cv::Mat&, const Prompt&) override { return {}; }
    std::unique_ptr<Policy> Clone() const override { return std::make_unique<NotTorch>(); }
    void Save(std::ostream&) const override {}
  } fake;
  EXPECT_THROW(MakeTorchLearner(c, HeldOutSplit(0.0, 0), &fake), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
