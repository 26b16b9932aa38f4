#include "env/polygon_env.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

#include "env/contour.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

struct Fixture {
  SyntheticScene scene = RenderSyntheticScene(SyntheticPreset("default"), 5);
  const AnnotatedInstance& human() const { return scene.instances.at(0); }
  Prompt prompt() const {
    Prompt p;
    p.box = BoxOf(human().shape);
    return p;
  }
};

// The action that moves the current contour onto `target` (image coordinates), vertex by vertex.
std::vector<float> ActionTowards(const PolygonEnv& env, const Ring& target, const CropTransform& t,
                                 double fraction = 1.0) {
  const Ring goal = CanonicalContour(target, env.config().num_vertices);
  std::vector<float> action;
  for (std::size_t k = 0; k < goal.size(); ++k) {
    const Point g = t.ToNormalized(goal[k]);
    action.push_back(static_cast<float>(fraction * (g.x - env.NormalizedContour()[k].x)));
    action.push_back(static_cast<float>(fraction * (g.y - env.NormalizedContour()[k].y)));
  }
  return action;
}

TEST(PolygonEnv, OneShotRewardIsTheIouAgainstTheHumanPolygon) {
  const Fixture f;
  PolygonEnv env(EnvConfig{});
  const TimeStep first = env.Reset(f.scene.image, f.prompt(), f.human().shape);
  EXPECT_TRUE(first.first());
  EXPECT_EQ(first.reward, 0.0);
  EXPECT_EQ(first.discount, 1.0);
  EXPECT_EQ(first.step, 0);
  ASSERT_EQ(first.observation.contour.size(), 64u);  // K = 32 vertices x 2
  EXPECT_EQ(env.initial_source(), "ellipse");
  // The contour starts as the inscribed ellipse.
  const Instance ellipse = MakeProposer("ellipse")->Propose(f.scene.image, f.prompt()).shape;
  EXPECT_GT(ExactIou(Validate(MakeInstance(env.Contour())), ellipse), 0.98);

  // A zero action scores the initial contour itself.
  const TimeStep last = env.Step(std::vector<float>(env.config().ActionSize(), 0.0f));
  EXPECT_TRUE(last.last());
  EXPECT_EQ(last.discount, 0.0);
  EXPECT_EQ(last.step, 1);
  const double expected = ExactIou(Validate(MakeInstance(env.Contour())), f.human().shape);
  EXPECT_DOUBLE_EQ(last.reward, expected);
  EXPECT_DOUBLE_EQ(last.iou, expected);
  EXPECT_TRUE(env.done());
  EXPECT_THROW(env.Step(std::vector<float>(env.config().ActionSize(), 0.0f)), std::logic_error);
}

TEST(PolygonEnv, MovingTheVerticesOntoTheObjectEarnsMore) {
  const Fixture f;
  PolygonEnv env(EnvConfig{});
  const TimeStep first = env.Reset(f.scene.image, f.prompt(), f.human().shape);
  const double initial = env.iou();
  const TimeStep last =
      env.Step(ActionTowards(env, f.scene.truth.at(0), first.observation.transform));
  EXPECT_GT(last.reward, initial + 0.05);
  EXPECT_GT(last.reward, 0.85);  // 32 vertices trace the object nearly as well as the human did
}

TEST(PolygonEnv, RefinementReturnIsFinalMinusInitialIou) {
  const Fixture f;
  EnvConfig c;
  c.mode = EpisodeMode::kRefinement;
  c.refinement_steps = 5;
  PolygonEnv env(c);
  const TimeStep first = env.Reset(f.scene.image, f.prompt(), f.human().shape);
  const double initial = first.iou;
  EXPECT_DOUBLE_EQ(initial, env.initial_iou());
  double total = 0.0;
  std::vector<double> rewards;
  for (int s = 1; s <= 5; ++s) {
    // Alternate helpful and harmful moves so rewards have both signs.
    const double fraction = s % 2 == 1 ? 0.6 : -0.2;
    const TimeStep ts =
        env.Step(ActionTowards(env, f.scene.truth.at(0), first.observation.transform, fraction));
    EXPECT_EQ(ts.step, s);
    EXPECT_EQ(ts.step_type, s < 5 ? StepType::kMid : StepType::kLast);
    EXPECT_EQ(ts.discount, s < 5 ? 1.0 : 0.0);
    total += ts.reward;
    rewards.push_back(ts.reward);
  }
  EXPECT_NEAR(total, env.iou() - initial, 1e-12);
  EXPECT_GT(env.iou(), initial);
  EXPECT_GT(rewards[0], 0.0);
  EXPECT_LT(rewards[1], 0.0);
  EXPECT_TRUE(env.done());
}

TEST(PolygonEnv, ActionsAreClippedAndVerticesStayInTheCrop) {
  const Fixture f;
  EnvConfig c;
  c.max_offset = 0.1;
  PolygonEnv a(c), b(c);
  a.Reset(f.scene.image, f.prompt(), f.human().shape);
  b.Reset(f.scene.image, f.prompt(), f.human().shape);
  std::vector<float> huge(c.ActionSize()), clipped(c.ActionSize());
  for (std::size_t i = 0; i < huge.size(); ++i) {
    huge[i] = (i % 3 == 0) ? 50.0f : -0.3f;
    clipped[i] = (i % 3 == 0) ? 0.1f : -0.1f;
  }
  const TimeStep ta = a.Step(huge), tb = b.Step(clipped);
  EXPECT_EQ(ta.reward, tb.reward);
  EXPECT_EQ(ta.observation.contour, tb.observation.contour);
  for (const Point& p : a.NormalizedContour()) {
    EXPECT_GE(p.x, 0.0);
    EXPECT_LE(p.x, 1.0);
    EXPECT_GE(p.y, 0.0);
    EXPECT_LE(p.y, 1.0);
  }
}

TEST(PolygonEnv, SelfIntersectingContoursAreScoredAfterRepair) {
  const Fixture f;
  EnvConfig c;
  c.max_offset = 1.0;
  PolygonEnv env(c);
  env.Reset(f.scene.image, f.prompt(), f.human().shape);
  // Mirror half the vertices left-right: the contour becomes a figure eight.
  std::vector<float> action(c.ActionSize(), 0.0f);
  for (int k = 1; k < c.num_vertices / 2; ++k) {
    action[2 * k] = static_cast<float>(1.0 - 2.0 * env.NormalizedContour()[k].x);
  }
  const TimeStep ts = env.Step(action);
  ASSERT_FALSE(IsSimpleRing(env.Contour()));
  EXPECT_GE(ts.reward, 0.0);
  EXPECT_LE(ts.reward, 1.0);
  EXPECT_DOUBLE_EQ(ts.reward, ExactIou(Validate(MakeInstance(env.Contour())), f.human().shape));
}

TEST(PolygonEnv, CollapsedContoursScoreZero) {
  const Fixture f;
  PolygonEnv env(EnvConfig{});
  env.Reset(f.scene.image, f.prompt(), f.human().shape);
  // Push every vertex to the crop's top-left corner: no area left.
  std::vector<float> action(env.config().ActionSize(), -0.5f);
  for (int i = 0; i < 3 && !env.done(); ++i) env.Step(action);
  EXPECT_EQ(env.iou(), 0.0);
}

TEST(PolygonEnv, BadActionsAndCallsAreRejected) {
  const Fixture f;
  PolygonEnv env(EnvConfig{});
  EXPECT_THROW(env.Step(std::vector<float>(64, 0.0f)), std::logic_error);  // before Reset
  env.Reset(f.scene.image, f.prompt(), f.human().shape);
  EXPECT_THROW(env.Step(std::vector<float>(63, 0.0f)), std::invalid_argument);
  std::vector<float> nan(64, 0.0f);
  nan[17] = NAN;
  try {
    env.Step(nan);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("vertex 8 y"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(env.done());  // rejected actions do not consume the step
  EXPECT_NO_THROW(env.Step(std::vector<float>(64, 0.0f)));
  EnvConfig bad;
  bad.num_vertices = 2;
  EXPECT_THROW(PolygonEnv{bad}, std::invalid_argument);
  bad = EnvConfig{};
  bad.initial_proposer = "magic";
  EXPECT_THROW(PolygonEnv{bad}, std::invalid_argument);
  EXPECT_THROW(env.Reset(cv::Mat(), f.prompt(), f.human().shape), std::invalid_argument);
}

TEST(PolygonEnv, SameInputsAndActionsGiveIdenticalEpisodes) {
  const Fixture f;
  EnvConfig c;
  c.mode = EpisodeMode::kRefinement;
  c.refinement_steps = 3;
  c.initial_proposer = "grabcut";
  c.observation.channels = {ChannelKind::kRgb, ChannelKind::kSobel, ChannelKind::kGrabCutMask,
                            ChannelKind::kContour};
  auto run = [&] {
    PolygonEnv env(c);
    std::vector<TimeStep> steps{env.Reset(f.scene.image, f.prompt(), f.human().shape)};
    for (int s = 0; s < 3; ++s) {
      std::vector<float> action(c.ActionSize());
      for (std::size_t i = 0; i < action.size(); ++i) action[i] = 0.01f * std::sin(1.0f * i + s);
      steps.push_back(env.Step(action));
    }
    return steps;
  };
  const std::vector<TimeStep> a = run(), b = run();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].step_type, b[i].step_type);
    EXPECT_EQ(a[i].reward, b[i].reward);
    EXPECT_EQ(a[i].observation.pixels, b[i].observation.pixels) << "step " << i;
    EXPECT_EQ(a[i].observation.contour, b[i].observation.contour);
  }
}

}  // namespace
}  // namespace understudy
