#include "rewards/reward_spec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "rewards/clicks.h"
#include "rewards/contour_distance.h"
#include "rewards/iou.h"
#include "rewards/reward_spec_json.h"
#include "rewards/validation.h"
#include "tests/rewards/metrics_shapes.h"

namespace understudy {
namespace {

Instance Valid(Ring r) { return Validate(MakeInstance(std::move(r))); }

// The message of the std::invalid_argument that `f` throws, or "" if it does not throw.
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(RewardSpec, DefaultIsIouOnly) {
  const RewardSpec spec;
  EXPECT_EQ(spec.weights().iou, 1.0);
  EXPECT_EQ(spec.weights().boundary_f + spec.weights().clicks + spec.weights().hausdorff, 0.0);
  const Instance a = Valid(testing::Square(0, 0, 2)), b = Valid(testing::Square(1, 1, 2));
  const Reward r = spec.Evaluate(a, b);
  EXPECT_NEAR(r.value, ExactIou(a, b), 1e-15);
  EXPECT_TRUE(r.components.iou.has_value());
  EXPECT_FALSE(r.components.boundary_f.has_value());
  EXPECT_FALSE(r.components.clicks_saved.has_value());
  EXPECT_FALSE(r.components.hausdorff_score.has_value());
}

TEST(RewardSpec, WeightedMeanOfTheTerms) {
  // Human [0,10]^2, proposal the diamond of the clicks worked example: IoU 98 / 100... computed
  // by ExactIou; clicks at tolerance 2: 4 adds against 4 to draw, so nothing saved.
  const Instance human = Valid(testing::Square(0, 0, 10));
  const Instance diamond = Valid({{5, -2}, {12, 5}, {5, 12}, {-2, 5}});
  const RewardSpec spec(RewardWeights{1.0, 2.0, 1.0, 0.5}, 1.0, 2.0);
  const Reward r = spec.Evaluate(diamond, human);
  const double iou = ExactIou(diamond, human);
  const double f = BoundaryFScore(diamond, human, 1.0).f;
  const double hausdorff = 1.0 - HausdorffDistance(diamond, human) / std::sqrt(200.0);
  ASSERT_TRUE(r.components.clicks_saved.has_value());
  EXPECT_DOUBLE_EQ(*r.components.clicks_saved, 0.0);
  EXPECT_NEAR(*r.components.iou, iou, 1e-15);
  EXPECT_NEAR(*r.components.boundary_f, f, 1e-15);
  EXPECT_NEAR(*r.components.hausdorff_score, hausdorff, 1e-12);
  EXPECT_NEAR(r.value, (iou + 2.0 * f + 0.0 + 0.5 * hausdorff) / 4.5, 1e-12);
  EXPECT_GT(r.value, 0.0);
  EXPECT_LT(r.value, 1.0);
  // Identical polygons score 1 on every term.
  EXPECT_NEAR(spec.Evaluate(human, human).value, 1.0, 1e-12);
}

TEST(RewardSpec, ClicksSavedIsClampedToTheUnitInterval) {
  const Instance human = Valid(testing::Square(0, 0, 10));
  const Instance far = Valid(testing::Square(100, 0, 10));  // 8 clicks to fix, 4 to draw
  const RewardSpec clicks_only(RewardWeights{0.0, 0.0, 1.0, 0.0});
  EXPECT_DOUBLE_EQ(clicks_only.Evaluate(far, human).value, 0.0);
  const Instance spiky = Valid({{0, 0}, {5, -3}, {10, 0}, {10, 10}, {0, 10}});  // 1 move of 4
  EXPECT_DOUBLE_EQ(clicks_only.Evaluate(spiky, human).value, 0.75);
}

TEST(RewardSpec, ValidationNamesTheFieldAndValue) {
  EXPECT_NE(ErrorOf([] {
              RewardSpec(RewardWeights{-1.0, 0, 0, 0});
            }).find("iou"),
            std::string::npos);
  const std::string nan_msg = ErrorOf([] {
    RewardSpec(RewardWeights{1.0, std::numeric_limits<double>::quiet_NaN(), 0, 0});
  });
  EXPECT_NE(nan_msg.find("boundary_f"), std::string::npos) << nan_msg;
  EXPECT_NE(nan_msg.find("nan"), std::string::npos) << nan_msg;
  EXPECT_NE(ErrorOf([] { RewardSpec(RewardWeights{0, 0, 0, 0}); }).find("sum"), std::string::npos);
  const std::string tol = ErrorOf([] { RewardSpec(RewardWeights{}, -2.0); });
  EXPECT_NE(tol.find("boundary_tolerance"), std::string::npos) << tol;
  EXPECT_NE(tol.find("-2"), std::string::npos) << tol;
  EXPECT_NE(ErrorOf([] { RewardSpec(RewardWeights{}, 2.0, 0.0); }).find("clicks_tolerance"),
            std::string::npos);
}

TEST(RewardSpec, CombineChecksTheWeightedTerms) {
  const RewardSpec spec(RewardWeights{1.0, 1.0, 0.0, 0.0});
  RewardComponents c;
  c.iou = 0.5;
  EXPECT_NE(ErrorOf([&] { spec.Combine(c); }).find("boundary_f"), std::string::npos);
  c.boundary_f = 1.5;
  EXPECT_NE(ErrorOf([&] { spec.Combine(c); }).find("outside"), std::string::npos);
  c.boundary_f = 1.0;
  EXPECT_DOUBLE_EQ(spec.Combine(c), 0.75);
}

TEST(RewardSpecJson, RoundTripsAndRejectsUnknownKeys) {
  const RewardSpec spec(RewardWeights{0.5, 0.25, 0.125, 0.0625}, 3.0, 1.5);
  const RewardSpec back = RewardSpecFromJson(RewardSpecToJson(spec));
  EXPECT_EQ(back.weights().iou, 0.5);
  EXPECT_EQ(back.weights().boundary_f, 0.25);
  EXPECT_EQ(back.weights().clicks, 0.125);
  EXPECT_EQ(back.weights().hausdorff, 0.0625);
  EXPECT_EQ(back.boundary_tolerance(), 3.0);
  EXPECT_EQ(back.clicks_tolerance(), 1.5);
  // Missing keys: the default without "weights"; unnamed weights are 0 with it.
  EXPECT_EQ(RewardSpecFromJson(nlohmann::json::object()).weights().iou, 1.0);
  const RewardSpec f_only =
      RewardSpecFromJson(nlohmann::json::parse(R"({"weights": {"boundary_f": 1}})"));
  EXPECT_EQ(f_only.weights().iou, 0.0);
  EXPECT_EQ(f_only.weights().boundary_f, 1.0);
  EXPECT_NE(ErrorOf([] {
              RewardSpecFromJson(nlohmann::json::parse(R"({"weight": {}})"));
            }).find("unknown key weight"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              RewardSpecFromJson(nlohmann::json::parse(R"({"weights": {"iuo": 1}})"));
            }).find("weights.iuo"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              RewardSpecFromJson(nlohmann::json::parse(R"({"boundary_tolerance": "2"})"));
            }).find("boundary_tolerance must be a number"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              RewardSpecFromJson(nlohmann::json::parse(R"({"weights": {"iou": -1}})"));
            }).find("iou"),
            std::string::npos);
}

}  // namespace
}  // namespace understudy
