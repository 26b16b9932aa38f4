// Cost of each diff metric on one proposal/human pair at 32 and 256 vertices per ring. The
// baseline is ExactIou on the same pair, measured in the same run; a table of ratios follows the
// usual output. Pairs: a seeded smooth blob as the human polygon (radius 80 +- 26 px, three
// harmonics, the vertices evenly spread in angle) and a perturbed copy (shifted 2 px, vertices
// jittered by up to 1.5 px) as a learner's proposal.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "rewards/clicks.h"
#include "rewards/contour_distance.h"
#include "rewards/iou.h"
#include "rewards/matching.h"
#include "rewards/pair_metrics.h"
#include "rewards/raster.h"
#include "rewards/reward_spec.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

struct Pair {
  Instance proposal;
  Instance human;
};

const Pair& PairOf(int vertices) {
  static std::map<int, Pair> cache;
  auto it = cache.find(vertices);
  if (it != cache.end()) return it->second;
  std::mt19937_64 rng(42 + static_cast<std::uint64_t>(vertices));
  std::uniform_real_distribution<double> phase(0.0, 2.0 * M_PI), jitter(-1.5, 1.5);
  const double p3 = phase(rng), p5 = phase(rng), p11 = phase(rng);
  Ring human, proposal;
  for (int i = 0; i < vertices; ++i) {
    const double a = 2.0 * M_PI * i / vertices;
    const double r = 80.0 + 15.0 * std::sin(3 * a + p3) + 8.0 * std::sin(5 * a + p5) +
                     3.0 * std::sin(11 * a + p11);
    human.push_back({200.0 + r * std::cos(a), 200.0 + r * std::sin(a)});
    proposal.push_back(
        {202.0 + r * std::cos(a) + jitter(rng), 199.0 + r * std::sin(a) + jitter(rng)});
  }
  Pair p{Validate(MakeInstance(proposal)), Validate(MakeInstance(human))};
  return cache.emplace(vertices, std::move(p)).first->second;
}

void BM_ExactIou(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ExactIou(p.proposal, p.human));
}

void BM_RasterIou(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(RasterIou(p.proposal, p.human, 1.0));
}

void BM_BoundaryF(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(BoundaryFScore(p.proposal, p.human, 2.0));
}

void BM_Hausdorff(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(HausdorffDistance(p.proposal, p.human));
}

void BM_MeanContourDistance(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(MeanContourDistance(p.proposal, p.human));
}

void BM_ClicksToFix(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ClicksToFix(p.proposal, p.human, 2.0));
}

void BM_AllPairMetrics(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ComputePairMetrics(p.proposal, p.human));
}

void BM_RewardAllTerms(benchmark::State& state) {
  const Pair& p = PairOf(static_cast<int>(state.range(0)));
  const RewardSpec spec(RewardWeights{1.0, 1.0, 1.0, 1.0});
  for (auto _ : state) benchmark::DoNotOptimize(spec.Evaluate(p.proposal, p.human).value);
}

// Hungarian on an n x n matrix of random IoU-like weights (an asset's instances), for scale.
void BM_Hungarian(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> w(n * n);
  for (double& v : w) v = u(rng);
  for (auto _ : state) benchmark::DoNotOptimize(MaxWeightAssignment(w, n, n).total);
}

BENCHMARK(BM_ExactIou)->Arg(32)->Arg(256);
BENCHMARK(BM_RasterIou)->Arg(32)->Arg(256);
BENCHMARK(BM_BoundaryF)->Arg(32)->Arg(256);
BENCHMARK(BM_Hausdorff)->Arg(32)->Arg(256);
BENCHMARK(BM_MeanContourDistance)->Arg(32)->Arg(256);
BENCHMARK(BM_ClicksToFix)->Arg(32)->Arg(256);
BENCHMARK(BM_AllPairMetrics)->Arg(32)->Arg(256);
BENCHMARK(BM_RewardAllTerms)->Arg(32)->Arg(256);
BENCHMARK(BM_Hungarian)->Arg(32)->Arg(256);

// Prints the usual table, then each pair benchmark's time as a multiple of ExactIou's at the
// same vertex count.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colour only on a terminal, so redirected output stays plain text.
  RatioReporter() : ConsoleReporter(isatty(1) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const std::string name = r.benchmark_name();
      const auto slash = name.find('/');
      times_[name.substr(slash + 1)][name.substr(0, slash)] = r.GetAdjustedCPUTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\nCPU time relative to BM_ExactIou on the same pair (same run):\n");
    for (const auto& [arg, by_name] : times_) {
      const auto base = by_name.find("BM_ExactIou");
      if (base == by_name.end()) continue;
      for (const auto& [name, t] : by_name) {
        if (name == "BM_Hungarian") continue;
        std::printf("  %-26s %4s vertices  %8.3fx\n", name.c_str(), arg.c_str(), t / base->second);
      }
    }
  }

 private:
  std::map<std::string, std::map<std::string, double>> times_;
};

}  // namespace
}  // namespace understudy

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  understudy::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
