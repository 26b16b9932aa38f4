#include "env/batched_env.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "env/synthetic.h"
#include "rewards/polygon.h"

namespace understudy {
namespace {

std::shared_ptr<const EpisodeSource> Source() {
  static const std::shared_ptr<const EpisodeSource> source = [] {
    SyntheticConfig c = SyntheticPreset("default");
    c.num_assets = 8;
    return std::make_shared<const EpisodeSource>(GenerateSynthetic(c), PromptSamplerConfig{});
  }();
  return source;
}

BatchedEnvConfig Config(int threads) {
  BatchedEnvConfig c;
  c.num_envs = 6;
  c.num_threads = threads;
  c.seed = 11;
  c.env.mode = EpisodeMode::kRefinement;
  c.env.refinement_steps = 2;
  return c;
}

std::vector<float> Actions(const BatchedEnv& env, int step) {
  std::vector<float> a(static_cast<std::size_t>(env.size()) * env.ActionSize());
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = 0.02f * std::cos(0.37f * i + step);
  return a;
}

std::vector<std::vector<TimeStep>> Play(int threads, int steps) {
  BatchedEnv env(Source(), Config(threads));
  std::vector<std::vector<TimeStep>> out{env.Reset()};
  for (int s = 0; s < steps; ++s) out.push_back(env.Step(Actions(env, s)));
  return out;
}

TEST(BatchedEnv, ResultsDoNotDependOnTheThreadCount) {
  const auto one = Play(1, 5), two = Play(2, 5), three = Play(3, 5);
  for (std::size_t s = 0; s < one.size(); ++s) {
    for (std::size_t e = 0; e < one[s].size(); ++e) {
      EXPECT_EQ(one[s][e].step_type, two[s][e].step_type);
      EXPECT_EQ(one[s][e].reward, two[s][e].reward) << "step " << s << " env " << e;
      EXPECT_EQ(one[s][e].observation.pixels, two[s][e].observation.pixels);
      EXPECT_EQ(one[s][e].reward, three[s][e].reward);
    }
  }
}

TEST(BatchedEnv, EachEnvMatchesASinglePolygonEnvOnTheSameEpisode) {
  const auto batched = Play(2, 2);
  // Replay env 4's first episode alone: find which episode it played from its first observation.
  const Episode* match = nullptr;
  std::vector<Episode> episodes;
  for (std::size_t i = 0; i < Source()->size(); ++i) episodes.push_back(Source()->Get(i));
  PolygonEnv single(Config(1).env);
  for (const Episode& e : episodes) {
    const TimeStep first = single.Reset(e.image, e.prompt, *e.human);
    if (first.observation.pixels == batched[0][4].observation.pixels) {
      match = &e;
      break;
    }
  }
  ASSERT_NE(match, nullptr) << "env 4's first observation is no episode of the source";
  single.Reset(match->image, match->prompt, *match->human);
  BatchedEnv probe(Source(), Config(1));
  probe.Reset();
  const std::vector<float> all = Actions(probe, 0);
  const std::vector<float> mine(all.begin() + 4 * probe.ActionSize(),
                                all.begin() + 5 * probe.ActionSize());
  const TimeStep ts = single.Step(mine);
  EXPECT_EQ(ts.reward, batched[1][4].reward);
  EXPECT_EQ(ts.observation.pixels, batched[1][4].observation.pixels);
}

TEST(BatchedEnv, FinishedEnvsStartANewEpisodeOnTheNextStep) {
  const auto steps = Play(2, 4);  // refinement_steps = 2: first, mid, last, first, mid
  for (std::size_t e = 0; e < steps[0].size(); ++e) {
    EXPECT_EQ(steps[0][e].step_type, StepType::kFirst);
    EXPECT_EQ(steps[1][e].step_type, StepType::kMid);
    EXPECT_EQ(steps[2][e].step_type, StepType::kLast);
    EXPECT_EQ(steps[3][e].step_type, StepType::kFirst);
    EXPECT_EQ(steps[3][e].reward, 0.0);
    EXPECT_EQ(steps[4][e].step_type, StepType::kMid);
  }
  // Envs play different episodes: not every env saw the same first observation.
  int distinct = 0;
  for (std::size_t e = 1; e < steps[0].size(); ++e) {
    distinct += steps[0][e].observation.pixels != steps[0][0].observation.pixels;
  }
  EXPECT_GT(distinct, 0);
}

TEST(BatchedEnv, StacksObservationsAndValidatesActions) {
  BatchedEnv env(Source(), Config(2));
  EXPECT_THROW(env.Step(Actions(env, 0)), std::logic_error);  // before Reset
  const std::vector<TimeStep> first = env.Reset();
  const std::vector<float> stacked = BatchedEnv::StackObservations(first);
  const std::size_t each = first[0].observation.pixels.size();
  ASSERT_EQ(stacked.size(), each * 6);
  EXPECT_EQ(stacked[3 * each + 10], first[3].observation.pixels[10]);
  std::vector<float> short_actions(env.ActionSize() * 5);
  EXPECT_THROW(env.Step(short_actions), std::invalid_argument);
  std::vector<float> bad = Actions(env, 0);
  bad[env.ActionSize() * 2 + 3] = INFINITY;
  EXPECT_THROW(env.Step(bad), std::invalid_argument);
  // The rejected batch stepped nobody.
  const std::vector<TimeStep> next = env.Step(Actions(env, 0));
  for (const TimeStep& ts : next) EXPECT_EQ(ts.step, 1);
  std::vector<std::vector<float>> per_env(6, std::vector<float>(env.ActionSize(), 0.0f));
  EXPECT_EQ(env.Step(per_env).size(), 6u);
  per_env[2].pop_back();
  EXPECT_THROW(env.Step(per_env), std::invalid_argument);
  BatchedEnvConfig c = Config(1);
  c.num_envs = 0;
  EXPECT_THROW(BatchedEnv(Source(), c), std::invalid_argument);
}

TEST(EpisodeSource, OneEpisodePerNonCrowdInstanceWithLazilyDecodedImages) {
  SyntheticConfig c = SyntheticPreset("easy");
  c.num_assets = 3;
  Dataset d = GenerateSynthetic(c);
  std::size_t instances = 0;
  for (const AssetRecord& a : d.assets) instances += a.instances.size();
  d.assets[0].instances[0].crowd = true;
  d.assets[2].data = {0x89, 'P', 'N', 'G'};  // truncated: fails when first decoded
  const EpisodeSource source(d, PromptSamplerConfig{});
  ASSERT_EQ(source.size(), instances - 1);
  // Episode 0 is the first non-crowd instance, prompted with its tight box.
  const Instance& expected = d.assets[0].instances.size() > 1 ? d.assets[0].instances[1].shape
                                                              : d.assets[1].instances[0].shape;
  const Episode e = source.Get(0);
  EXPECT_EQ(e.image.cols, 320);
  EXPECT_EQ(e.human->parts.at(0).outer, expected.parts.at(0).outer);
  EXPECT_EQ(e.prompt.box.x0, BoundsOf(expected).x0);
  EXPECT_THROW(source.Get(source.size() - 1), AssetError);
  EXPECT_THROW(source.Get(source.size()), std::out_of_range);
  for (AssetRecord& a : d.assets) {
    for (AnnotatedInstance& i : a.instances) i.crowd = true;
  }
  EXPECT_THROW(EpisodeSource(d, PromptSamplerConfig{}), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
