#include "env/prompt_sampler.h"

#include <gtest/gtest.h>

#include "env/contour.h"

namespace understudy {
namespace {

Instance Diamond() { return MakeInstance({{50, 10}, {90, 50}, {50, 90}, {10, 50}}); }

TEST(PromptSampler, TightBoxByDefault) {
  const PromptSampler sampler({});
  const Prompt p = sampler.Sample(Diamond(), 100, 100, 7);
  EXPECT_DOUBLE_EQ(p.box.x0, 10);
  EXPECT_DOUBLE_EQ(p.box.y0, 10);
  EXPECT_DOUBLE_EQ(p.box.x1, 90);
  EXPECT_DOUBLE_EQ(p.box.y1, 90);
  EXPECT_TRUE(p.clicks.empty());
}

TEST(PromptSampler, JitterIsSeededPerKeyAndBounded) {
  PromptSamplerConfig c;
  c.box_jitter = 0.05;
  c.seed = 42;
  const PromptSampler a(c), b(c);
  const Prompt p1 = a.Sample(Diamond(), 100, 100, 3);
  // Same seed and key: the same box, whatever else was drawn before.
  b.Sample(Diamond(), 100, 100, 1);
  const Prompt p2 = b.Sample(Diamond(), 100, 100, 3);
  EXPECT_EQ(p1.box.x0, p2.box.x0);
  EXPECT_EQ(p1.box.y1, p2.box.y1);
  // Another key or seed: another box.
  const Prompt p3 = a.Sample(Diamond(), 100, 100, 4);
  c.seed = 43;
  const Prompt p4 = PromptSampler(c).Sample(Diamond(), 100, 100, 3);
  EXPECT_NE(p1.box.x0, p3.box.x0);
  EXPECT_NE(p1.box.x0, p4.box.x0);
  // Each side moves at most max_sigmas * jitter * size = 2 * 0.05 * 80 = 8 pixels.
  for (std::uint64_t key = 0; key < 200; ++key) {
    const Prompt p = a.Sample(Diamond(), 1000, 1000, key);
    EXPECT_LE(std::abs(p.box.x0 - 10), 8.0 + 1e-9);
    EXPECT_LE(std::abs(p.box.y1 - 90), 8.0 + 1e-9);
  }
}

TEST(PromptSampler, ClipsToTheImageAndPlacesClicksInside) {
  PromptSamplerConfig c;
  c.positive_clicks = 5;
  c.seed = 9;
  const Prompt p = PromptSampler(c).Sample(Diamond(), 60, 60, 0);
  EXPECT_DOUBLE_EQ(p.box.x1, 60);
  EXPECT_DOUBLE_EQ(p.box.y1, 60);
  ASSERT_EQ(p.clicks.size(), 5u);
  for (const Click& click : p.clicks) {
    EXPECT_TRUE(click.positive);
    EXPECT_TRUE(Contains(Diamond().parts[0].outer, click.at));
  }
}

TEST(PromptSampler, ConfigIsValidated) {
  PromptSamplerConfig c;
  c.box_jitter = -0.1;
  try {
    PromptSampler s(c);
    FAIL() << "negative jitter accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("box_jitter"), std::string::npos);
  }
  c.box_jitter = 0.0;
  c.positive_clicks = -1;
  EXPECT_THROW(PromptSampler{c}, std::invalid_argument);
}

}  // namespace
}  // namespace understudy
