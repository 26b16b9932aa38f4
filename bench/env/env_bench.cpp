// Observation building and env steps per second, single and batched. Every figure is meant to be
// read against BM_RawResize*, a bare cv::resize of the same crops measured in the same run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "env/batched_env.h"
#include "env/contour.h"
#include "env/episode_source.h"
#include "env/observation.h"
#include "env/observation_batch.h"
#include "env/polygon_env.h"
#include "env/rng.h"
#include "env/synthetic.h"

namespace understudy {
namespace {

constexpr int kK = 32;

// 64 default synthetic scenes, decoded, with every instance's tight-box prompt.
struct Data {
  std::shared_ptr<const EpisodeSource> source;
  std::vector<Episode> episodes;
  std::vector<Ring> ellipses;  // a K-vertex contour per episode, for the contour plane
  std::vector<float> actions;  // small random offsets, enough for any batch

  Data() {
    SyntheticConfig c = SyntheticPreset("default");
    c.num_assets = 64;
    source = std::make_shared<const EpisodeSource>(GenerateSynthetic(c), PromptSamplerConfig{});
    for (std::size_t i = 0; i < source->size(); ++i) {
      episodes.push_back(source->Get(i));
      ellipses.push_back(InscribedEllipse(episodes.back().prompt.box, kK));
    }
    Rng rng(7);
    actions.resize(256 * kK * 2);
    for (float& a : actions) a = static_cast<float>(rng.Uniform(-0.01, 0.01));
  }
};

const Data& Shared() {
  static const Data data;
  return data;
}

// The crop rect ObservationBuilder samples for a prompt, clipped to the image in whole pixels.
cv::Rect CropRect(const ObservationBuilder& builder, const Episode& e) {
  const CropTransform t = builder.Placement(e.prompt.box);
  const int x0 = std::max(0, static_cast<int>(std::floor(t.x0)));
  const int y0 = std::max(0, static_cast<int>(std::floor(t.y0)));
  const int x1 = std::min(e.image.cols, static_cast<int>(std::ceil(t.x0 + t.width / t.scale_x)));
  const int y1 = std::min(e.image.rows, static_cast<int>(std::ceil(t.y0 + t.height / t.scale_y)));
  return {x0, y0, std::max(1, x1 - x0), std::max(1, y1 - y0)};
}

void RawResize(benchmark::State& state, int interpolation) {
  const Data& d = Shared();
  const ObservationBuilder builder{ObservationSpec{}};
  std::vector<cv::Rect> rects;
  for (const Episode& e : d.episodes) rects.push_back(CropRect(builder, e));
  cv::Mat out;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % d.episodes.size();
    cv::resize(d.episodes[k].image(rects[k]), out, cv::Size(64, 64), 0, 0, interpolation);
    benchmark::DoNotOptimize(out.data);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
void BM_RawResizeLinear(benchmark::State& state) { RawResize(state, cv::INTER_LINEAR); }
void BM_RawResizeArea(benchmark::State& state) { RawResize(state, cv::INTER_AREA); }
BENCHMARK(BM_RawResizeLinear);
BENCHMARK(BM_RawResizeArea);

ObservationSpec Variant(int v) {
  ObservationSpec s;
  switch (v) {
    case 0:
      s.channels = {ChannelKind::kRgb};
      break;
    case 1:  // the default: rgb, sobel, contour
      break;
    case 2:
      s.channels = {ChannelKind::kRgb,    ChannelKind::kSobel,   ChannelKind::kCanny,
                    ChannelKind::kInside, ChannelKind::kBoxMask, ChannelKind::kEllipseMask,
                    ChannelKind::kClicks, ChannelKind::kContour};
      break;
    default:
      s.channels = {ChannelKind::kRgb, ChannelKind::kSobel, ChannelKind::kGrabCutMask,
                    ChannelKind::kContour};
  }
  return s;
}
const char* VariantName(int v) {
  static const char* names[] = {"rgb", "rgb+sobel+contour", "8 channels, no proposer",
                                "rgb+sobel+grabcut+contour"};
  return names[v];
}

void BM_Observation(benchmark::State& state) {
  const Data& d = Shared();
  ObservationBuilder builder(Variant(static_cast<int>(state.range(0))));
  std::vector<float> buffer(builder.FloatCount());
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ % d.episodes.size();
    const Episode& e = d.episodes[k];
    builder.BuildInto(e.image, e.prompt, &d.ellipses[k], buffer.data());
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
  state.SetLabel(VariantName(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_Observation)->DenseRange(0, 2);
BENCHMARK(BM_Observation)->Arg(3)->Iterations(200);

// 64 prompts into one N x C x H x W buffer; range(0) = threads.
void BM_ObservationBatch64(benchmark::State& state) {
  const Data& d = Shared();
  ObservationBatcher batcher(ObservationSpec{}, static_cast<int>(state.range(0)));
  std::vector<ObservationRequest> requests;
  for (std::size_t k = 0; k < 64; ++k) {
    const Episode& e = d.episodes[k % d.episodes.size()];
    requests.push_back({&e.image, e.prompt, &d.ellipses[k % d.episodes.size()]});
  }
  ObservationBatch batch;
  for (auto _ : state) {
    batcher.Build(requests, batch);
    benchmark::DoNotOptimize(batch.pixels.data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_ObservationBatch64)->Arg(1)->Arg(2)->UseRealTime();

// Steps of one env in refinement episodes of kSteps steps with small random actions (a random
// walk of 1000 steps crumples the contour into knots whose repair dominates, which is not what a
// policy produces). Resets are excluded from the timing: BM_EnvOneShotEpisode measures them.
constexpr int kSteps = 8;

void BM_EnvStep(benchmark::State& state) {
  const Data& d = Shared();
  EnvConfig c;
  c.mode = EpisodeMode::kRefinement;
  c.refinement_steps = kSteps;
  PolygonEnv env(c);
  std::size_t episode = 0, offset = 0;
  for (auto _ : state) {
    if (episode == 0 || env.done()) {
      state.PauseTiming();
      const Episode& e = d.episodes[episode++ % d.episodes.size()];
      env.Reset(e.image, e.prompt, *e.human);
      state.ResumeTiming();
    }
    const TimeStep ts = env.Step(d.actions.data() + offset, c.ActionSize());
    offset = (offset + c.ActionSize()) % (d.actions.size() - c.ActionSize());
    benchmark::DoNotOptimize(ts.reward);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnvStep);

// Whole one-shot episodes: Reset (initial ellipse, observation, IoU) and one Step.
void BM_EnvOneShotEpisode(benchmark::State& state) {
  const Data& d = Shared();
  PolygonEnv env(EnvConfig{});
  std::size_t i = 0;
  for (auto _ : state) {
    const Episode& e = d.episodes[i++ % d.episodes.size()];
    env.Reset(e.image, e.prompt, *e.human);
    const TimeStep ts = env.Step(d.actions.data(), env.config().ActionSize());
    benchmark::DoNotOptimize(ts.reward);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
}
BENCHMARK(BM_EnvOneShotEpisode);

// 64 envs stepped together in refinement episodes of kSteps steps; range(0) = threads. Items are
// env steps; one in kSteps + 1 is an automatic reset (a new episode), as in training.
void BM_BatchedEnvStep64(benchmark::State& state) {
  const Data& d = Shared();
  BatchedEnvConfig c;
  c.num_envs = 64;
  c.num_threads = static_cast<int>(state.range(0));
  c.env.mode = EpisodeMode::kRefinement;
  c.env.refinement_steps = kSteps;
  BatchedEnv env(d.source, c);
  env.Reset();
  const std::size_t count = 64 * c.env.ActionSize();
  std::size_t offset = 0;
  for (auto _ : state) {
    const std::vector<TimeStep> steps = env.Step(d.actions.data() + offset, count);
    offset = (offset + count) % (d.actions.size() - count);
    benchmark::DoNotOptimize(steps.data());
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_BatchedEnvStep64)->Arg(1)->Arg(2)->UseRealTime();

// Synthetic data as the main job makes it: GenerateSynthetic (render and PNG-encode) of 100
// assets; range(0) = threads.
void BM_GenerateSynthetic100(benchmark::State& state) {
  SyntheticConfig c = SyntheticPreset("default");
  c.num_assets = 100;
  for (auto _ : state) {
    const Dataset d = GenerateSynthetic(c, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(d.assets.data());
  }
  state.SetItemsProcessed(state.iterations() * c.num_assets);
}
BENCHMARK(BM_GenerateSynthetic100)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace understudy
