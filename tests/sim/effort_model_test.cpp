#include "sim/effort_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

// The calibration the defaults claim (docs/sim.md): a polygon with the mean vertex count of
// coco128-seg's COCO polygons (24.0) takes COCO's 22 worker-hours / 1,000 = 79.2 s.
TEST(EffortModel, DefaultsReproduceCocoSecondsPerPolygon) {
  const EffortModel model;
  EXPECT_NEAR(model.DrawSeconds(24), 22.0 * 3600.0 / 1000.0, 0.1);
}

TEST(EffortModel, DrawingCostsOverheadPlusOneClickPerVertex) {
  EffortModelConfig c;
  c.seconds_per_vertex = 2.0;
  c.draw_overhead_seconds = 4.0;
  const EffortModel model(c);
  const EffortCost cost = model.Draw(10);
  EXPECT_EQ(cost.decision, EffortDecision::kDrawn);
  EXPECT_EQ(cost.clicks, 10u);
  EXPECT_DOUBLE_EQ(cost.seconds, 24.0);
  EXPECT_FALSE(cost.used());
  EXPECT_LT(model.DrawSeconds(10), model.DrawSeconds(11));
}

TEST(EffortModel, PerfectSuggestionIsAcceptedForTheVerificationTimeOnly) {
  EffortModelConfig c;
  c.verify_seconds = 2.5;
  const EffortModel model(c);
  const EffortCost cost = model.Shown(0.95, ClickCount{0, 0, 0}, 20);
  EXPECT_EQ(cost.decision, EffortDecision::kAcceptedUnchanged);
  EXPECT_EQ(cost.clicks, 0u);
  EXPECT_DOUBLE_EQ(cost.seconds, 2.5);
  EXPECT_TRUE(cost.used());
}

TEST(EffortModel, NoCorrectionsBelowTheAcceptIouIsAnEditNotAnAcceptance) {
  const EffortModel model;  // accept_iou 0.9
  EXPECT_EQ(model.Shown(0.85, ClickCount{}, 20).decision, EffortDecision::kEdited);
  EXPECT_EQ(model.Shown(0.90, ClickCount{}, 20).decision, EffortDecision::kAcceptedUnchanged);
}

TEST(EffortModel, EditsArePricedByKind) {
  EffortModelConfig c;
  c.verify_seconds = 1.0;
  c.seconds_per_move = 2.0;
  c.seconds_per_add = 3.0;
  c.seconds_per_delete = 0.5;
  const EffortModel model(c);
  const EffortCost cost = model.Shown(0.7, ClickCount{2, 3, 4}, 20);
  EXPECT_EQ(cost.decision, EffortDecision::kEdited);
  EXPECT_EQ(cost.clicks, 9u);
  EXPECT_DOUBLE_EQ(cost.seconds, 1.0 + 4.0 + 9.0 + 2.0);
  EXPECT_DOUBLE_EQ(model.FixSeconds(ClickCount{2, 3, 4}), 15.0);
}

// "Used" means fixing took fewer clicks than drawing; a tie is a rejection, and a rejection
// costs the look plus the drawing.
TEST(EffortModel, AtLeastAsManyClicksAsDrawingIsARejection) {
  EffortModelConfig c;
  c.verify_seconds = 3.0;
  c.seconds_per_vertex = 2.0;
  c.draw_overhead_seconds = 5.0;
  const EffortModel model(c);
  const EffortCost tie = model.Shown(0.5, ClickCount{5, 5, 0}, 10);
  EXPECT_EQ(tie.decision, EffortDecision::kRejected);
  EXPECT_EQ(tie.clicks, 10u);
  EXPECT_DOUBLE_EQ(tie.seconds, 3.0 + 5.0 + 20.0);
  EXPECT_FALSE(tie.used());
  const EffortCost one_less = model.Shown(0.5, ClickCount{5, 4, 0}, 10);
  EXPECT_EQ(one_less.decision, EffortDecision::kEdited);
  EXPECT_EQ(one_less.clicks, 9u);
}

// A shown suggestion is never worse than drawing by more than the verification time.
TEST(EffortModel, AShownSuggestionCostsAtMostTheLookMoreThanDrawing) {
  const EffortModel model;
  for (std::size_t draw = 3; draw < 60; draw += 7) {
    for (std::size_t fix = 0; fix < 80; fix += 5) {
      const EffortCost c = model.Shown(0.5, ClickCount{fix, 0, 0}, draw);
      EXPECT_LE(c.seconds, model.DrawSeconds(draw) + model.config().verify_seconds + 1e-9)
          << "draw " << draw << " fix " << fix;
      EXPECT_LE(c.clicks, draw);
    }
  }
}

TEST(EffortModel, ValidationNamesTheField) {
  auto message = [](EffortModelConfig c) -> std::string {
    try {
      c.Validate();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EffortModelConfig c;
  c.verify_seconds = -1.0;
  EXPECT_NE(message(c).find("verify_seconds"), std::string::npos);
  c = {};
  c.seconds_per_add = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(c).find("seconds_per_add"), std::string::npos);
  c = {};
  c.seconds_per_vertex = 0.0;
  EXPECT_NE(message(c).find("seconds_per_vertex"), std::string::npos);
  c = {};
  c.clicks_tolerance = 0.0;
  EXPECT_NE(message(c).find("clicks_tolerance"), std::string::npos);
  c = {};
  c.accept_iou = 1.5;
  EXPECT_NE(message(c).find("accept_iou"), std::string::npos);
  EXPECT_EQ(message(EffortModelConfig{}), "");
  EXPECT_THROW(EffortModel{c}, std::invalid_argument);
  EXPECT_THROW(EffortModel().Shown(std::nan(""), ClickCount{}, 5), std::invalid_argument);
  EXPECT_THROW(EffortModel().Shown(1.2, ClickCount{}, 5), std::invalid_argument);
}

TEST(EffortModel, JsonRoundTripAndRejections) {
  EffortModelConfig c;
  c.seconds_per_vertex = 1.25;
  c.verify_seconds = 0.75;
  c.accept_iou = 0.8;
  const nlohmann::json j = EffortModelConfigToJson(c);
  const EffortModelConfig back = EffortModelConfigFromJson(j);
  EXPECT_EQ(EffortModelConfigToJson(back), j);
  EXPECT_DOUBLE_EQ(back.seconds_per_vertex, 1.25);

  // Missing keys keep their defaults.
  EXPECT_DOUBLE_EQ(EffortModelConfigFromJson(nlohmann::json::object()).box_seconds,
                   EffortModelConfig{}.box_seconds);
  try {
    EffortModelConfigFromJson(nlohmann::json{{"seconds_per_click", 2}});
    FAIL() << "an unknown key was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seconds_per_click"), std::string::npos);
  }
  EXPECT_THROW(EffortModelConfigFromJson(nlohmann::json{{"verify_seconds", "3"}}),
               std::invalid_argument);
  EXPECT_THROW(EffortModelConfigFromJson(nlohmann::json{{"verify_seconds", -3}}),
               std::invalid_argument);
  EXPECT_THROW(EffortModelConfigFromJson(nlohmann::json::array()), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
