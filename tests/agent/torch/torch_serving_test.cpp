// The torch policy behind ServingSlot, as the engine serves it: swaps (promotions and rollbacks)
// while another thread proposes. Every proposal must be exactly what the version it was tagged
// with proposes, never a mix of two models' weights.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "agent/serving_slot.h"
#include "agent/torch_agent.h"
#include "tests/agent/torch/torch_test_util.h"

namespace understudy {
namespace {

using testing::Labeled;
using testing::SmallConfig;
using testing::SyntheticLabels;
using testing::ToExample;

TEST(TorchServing, SwapsAndRollbacksUnderConcurrentInferenceServeWholeVersions) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 20, 2);
  auto learner = MakeTorchLearner(SmallConfig(), HeldOutSplit(0.0, 0));
  for (const Labeled& l : labels) learner->Add(ToExample(l));
  // Versions 1..3, each a few updates further along, with what each proposes for prompt 0.
  std::map<std::uint64_t, std::shared_ptr<const Policy>> versions;
  std::map<std::uint64_t, Proposal> expected;
  for (std::uint64_t v = 1; v <= 3; ++v) {
    learner->Update(3);
    std::shared_ptr<const Policy> policy = learner->MakePolicy();
    expected[v] = policy->Clone()->Propose(labels[0].image, labels[0].prompt);
    versions[v] = std::move(policy);
  }
  ASSERT_NE(expected[1].confidence, expected[3].confidence) << "the versions do not differ";

  ServingSlot<Policy> slot;
  slot.Swap(versions[1], 1);
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, mismatched{0};
  std::map<std::uint64_t, int> seen;
  std::thread reader([&] {
    while (!stop.load()) {
      const ServingSlot<Policy>::Handle h = slot.Get();
      const Proposal p = h->model->Clone()->Propose(labels[0].image, labels[0].prompt);
      const Proposal& want = expected.at(h->version);
      if (p.confidence != want.confidence || p.shape.parts[0].outer != want.shape.parts[0].outer) {
        ++mismatched;
      }
      ++seen[h->version];
      ++served;
    }
  });
  // Promote 2 and 3, roll back to 1, promote 3 again: each held until the reader served it.
  for (const std::uint64_t v : {2, 3, 1, 3, 2}) {
    const int before = served.load();
    slot.Swap(versions[v], v);
    while (served.load() < before + 3) std::this_thread::yield();
  }
  stop = true;
  reader.join();
  EXPECT_EQ(mismatched.load(), 0);
  for (std::uint64_t v = 1; v <= 3; ++v) EXPECT_GT(seen[v], 0) << "version " << v;
}

}  // namespace
}  // namespace understudy
