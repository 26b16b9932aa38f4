// bench_agent: the libtorch agent's serving latency and learning speed on this machine. Every
// latency is reported beside BM_BareForward, the nets alone on the same inputs, measured in the
// same run (docs/agent.md quotes the ratios). Serving and learning each run on one torch thread.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "agent/torch_agent.h"
#include "env/contour.h"
#include "env/synthetic.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

struct Labeled {
  AnnotationKey key;
  cv::Mat image;
  Prompt prompt;
  Instance human;
};

// Default synthetic scenes, every instance prompted with its tight box.
const std::vector<Labeled>& Labels() {
  static const std::vector<Labeled> labels = [] {
    std::vector<Labeled> out;
    const SyntheticConfig config;
    for (int i = 0; i < 48; ++i) {
      const SyntheticScene scene = RenderSyntheticScene(config, i);
      for (std::size_t j = 0; j < scene.instances.size(); ++j) {
        Labeled l;
        l.key = {"bench", "scene-" + std::to_string(i), std::to_string(j)};
        l.image = scene.image;
        l.prompt.box = BoxOf(scene.instances[j].shape);
        l.human = scene.instances[j].shape;
        out.push_back(std::move(l));
      }
    }
    return out;
  }();
  return labels;
}

TorchAgentConfig Config() { return TorchAgentConfig{}; }

// A policy after a few updates, so no head is at its zero initialisation.
std::unique_ptr<TorchPolicy> TrainedPolicy() {
  TorchAgentConfig c = Config();
  c.learner_nice = 0;  // this runs on the serving (benchmark) thread: leave its priority alone
  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  for (std::size_t i = 0; i < 32; ++i)
    learner->Add({Labels()[i].key, Labels()[i].image, Labels()[i].prompt, Labels()[i].human});
  learner->Update(2);
  std::unique_ptr<Policy> p = learner->MakePolicy();
  return std::unique_ptr<TorchPolicy>(static_cast<TorchPolicy*>(p.release()));
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(q * (v.size() - 1) + 0.5));
  return v[i];
}

void ReportLatency(benchmark::State& state, const std::vector<double>& ms, int per_call) {
  state.counters["p50_ms"] = Percentile(ms, 0.50);
  state.counters["p99_ms"] = Percentile(ms, 0.99);
  state.counters["max_ms"] = Percentile(ms, 1.0);
  state.SetItemsProcessed(static_cast<int64_t>(ms.size()) * per_call);
}

// The baseline: the nets alone on prepared inputs (no proposers, no crops, no mapping back).
void BM_BareForward(benchmark::State& state) {
  auto policy = TrainedPolicy();
  const int batch = static_cast<int>(state.range(0));
  std::vector<std::shared_ptr<const TorchInput>> inputs;
  for (int i = 0; i < batch; ++i) {
    const Labeled& l = Labels()[static_cast<std::size_t>(i) % Labels().size()];
    inputs.push_back(policy->Prepare(l.image, l.prompt));
  }
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(policy->Forward(inputs));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  ReportLatency(state, ms, batch);
}
BENCHMARK(BM_BareForward)->Arg(1)->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond);

// The part of a suggestion before the nets: candidate proposers, crops, observation planes.
void BM_Prepare(benchmark::State& state) {
  auto policy = TrainedPolicy();
  std::size_t i = 0;
  std::vector<double> ms;
  for (auto _ : state) {
    const Labeled& l = Labels()[i++ % Labels().size()];
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(policy->Prepare(l.image, l.prompt));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  ReportLatency(state, ms, 1);
}
BENCHMARK(BM_Prepare)->Unit(benchmark::kMillisecond);

// One suggestion end to end (Propose): what a prompt costs at batch 1.
void BM_Suggestion(benchmark::State& state) {
  auto policy = TrainedPolicy();
  std::size_t i = 0;
  std::vector<double> ms;
  for (auto _ : state) {
    const Labeled& l = Labels()[i++ % Labels().size()];
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(policy->Propose(l.image, l.prompt));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  ReportLatency(state, ms, 1);
}
BENCHMARK(BM_Suggestion)->Unit(benchmark::kMillisecond);

// Suggestions for a batch of prompts (ProposeBatch): latency of the whole batch, items/s.
void BM_SuggestionBatch(benchmark::State& state) {
  auto policy = TrainedPolicy();
  const int batch = static_cast<int>(state.range(0));
  std::size_t next = 0;
  std::vector<double> ms;
  for (auto _ : state) {
    std::vector<const cv::Mat*> images;
    std::vector<Prompt> prompts;
    for (int b = 0; b < batch; ++b) {
      const Labeled& l = Labels()[next++ % Labels().size()];
      images.push_back(&l.image);
      prompts.push_back(l.prompt);
    }
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(policy->ProposeBatch(images, prompts));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  ReportLatency(state, ms, batch);
}
BENCHMARK(BM_SuggestionBatch)->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond);

// A learner thread updating without pause while this thread serves suggestions: the p99
// target (< 10 ms on two cores) is about this one. The argument is the learner's niceness
// (TorchAgentConfig::learner_nice; 5 is the default): on a machine with other load it trades
// the learner's updates per second against the serving tail.
void BM_SuggestionWhileLearning(benchmark::State& state) {
  auto policy = TrainedPolicy();
  TorchAgentConfig lc = Config();
  lc.learner_nice = static_cast<int>(state.range(0));
  auto learner = MakeTorchLearner(lc, HeldOutSplit(0.0, 0));
  for (const Labeled& l : Labels()) learner->Add({l.key, l.image, l.prompt, l.human});
  std::atomic<bool> stop{false};
  std::atomic<int> updates{0};
  std::thread learning([&] {
    while (!stop.load()) updates += learner->Update(1).steps;
  });
  std::size_t i = 0;
  std::vector<double> ms;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const Labeled& l = Labels()[i++ % Labels().size()];
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(policy->Propose(l.image, l.prompt));
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop = true;
  learning.join();
  ReportLatency(state, ms, 1);
  state.counters["learner_updates"] = updates.load();
  // Learning goes on while serving: compare with BM_LearnerUpdate's rate (learner alone).
  state.counters["learner_updates_per_s"] = updates.load() / seconds;
}
BENCHMARK(BM_SuggestionWhileLearning)
    ->Arg(0)
    ->Arg(5)
    ->Arg(19)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Learner updates per second (one update = a batch of B items, S samples each).
void BM_LearnerUpdate(benchmark::State& state) {
  auto learner = MakeTorchLearner(Config(), HeldOutSplit(0.0, 0));
  for (const Labeled& l : Labels()) learner->Add({l.key, l.image, l.prompt, l.human});
  for (auto _ : state) benchmark::DoNotOptimize(learner->Update(1));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LearnerUpdate)->Unit(benchmark::kMillisecond);

// Scoring one proposal as the learner does: a K = 32 contour validated and compared with the
// human polygon (ExactIou). An update scores B x (candidates + samples) of them.
void BM_RewardOfAContour(benchmark::State& state) {
  std::vector<Instance> contours;
  for (const Labeled& l : Labels()) {
    Ring ring = InscribedEllipse(l.prompt.box, 32);
    for (std::size_t k = 0; k < ring.size(); ++k) ring[k].x += (k % 3 == 0 ? 1.5 : -0.5);
    contours.push_back(MakeInstance(ring));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t j = i++ % contours.size();
    benchmark::DoNotOptimize(ExactIou(Validate(contours[j]), Labels()[j].human));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RewardOfAContour)->Unit(benchmark::kMicrosecond);

// Storing one annotation (candidate proposers on the full image, the crop): Learner::Add.
void BM_LearnerAdd(benchmark::State& state) {
  TorchAgentConfig c = Config();
  c.replay_capacity = 64;
  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  std::size_t i = 0;
  for (auto _ : state) {
    const Labeled& l = Labels()[i % Labels().size()];
    AnnotationKey key = l.key;
    key.prompt_id += "-" + std::to_string(i++);
    learner->Add({key, l.image, l.prompt, l.human});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LearnerAdd)->Unit(benchmark::kMillisecond);

// From an annotation arriving to a policy that has learned from it: Add, k updates, MakePolicy.
void BM_AnnotationToServing(benchmark::State& state) {
  auto learner = MakeTorchLearner(Config(), HeldOutSplit(0.0, 0));
  for (std::size_t j = 0; j < 64; ++j) {
    const Labeled& l = Labels()[j];
    learner->Add({l.key, l.image, l.prompt, l.human});
  }
  const int k = static_cast<int>(state.range(0));
  std::size_t i = 64;
  for (auto _ : state) {
    const Labeled& l = Labels()[i % Labels().size()];
    AnnotationKey key = l.key;
    key.prompt_id += "-" + std::to_string(i++);
    learner->Add({key, l.image, l.prompt, l.human});
    learner->Update(k);
    benchmark::DoNotOptimize(learner->MakePolicy());
  }
}
BENCHMARK(BM_AnnotationToServing)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace understudy

BENCHMARK_MAIN();
