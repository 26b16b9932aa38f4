#include "agent/held_out_item.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "agent/proposer_policy.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"
#include "rewards/iou.h"

namespace understudy {
namespace {

Prompt TightPrompt(const Instance& human) {
  const Bounds b = BoundsOf(human);
  Prompt p;
  p.box = Box{b.x0, b.y0, b.x1, b.y1};
  return p;
}

// The held-out pool keeps a crop around each prompt instead of the whole image. For every
// baseline (none looks further than half a box side beyond the box), the reward on the crop must
// be the reward on the whole image: the same pixels, shifted by whole pixels.
TEST(HeldOutItem, ACropScoresLikeTheWholeImageForEveryBaseline) {
  SyntheticConfig config = SyntheticPreset("default");
  const RewardSpec spec;
  const ProposerMaker make = [](const std::string& name) { return MakeProposer(name); };
  int compared = 0, cropped = 0;
  for (int scene = 0; scene < 6; ++scene) {
    const SyntheticScene s = RenderSyntheticScene(config, scene);
    for (std::size_t k = 0; k < s.instances.size(); ++k) {
      const Instance& human = s.instances[k].shape;
      const Prompt prompt = TightPrompt(human);
      const HeldOutItem item =
          MakeHeldOutItem({"p", "a", std::to_string(k)}, s.image, prompt, human, 1.0);
      cropped += item.image.total() < s.image.total() ? 1 : 0;
      EXPECT_NEAR(Area(item.human), Area(human), 1e-6);
      for (const std::string& name : ProposerNames()) {
        ProposerPolicy whole(name, make), crop(name, make);
        HeldOutItem full{item.key, s.image, prompt, human};
        const double on_whole = HeldOutReward(whole, full, spec);
        const double on_crop = HeldOutReward(crop, item, spec);
        ASSERT_TRUE(std::isfinite(on_whole)) << name;
        EXPECT_NEAR(on_crop, on_whole, 1e-9) << name << " scene " << scene << " instance " << k;
        ++compared;
      }
    }
  }
  EXPECT_GT(cropped, 5);  // the crops are smaller than the images
  EXPECT_GT(compared, 40);
}

TEST(HeldOutItem, CropsOwnTheirPixelsAndShiftThePromptAndClicks) {
  cv::Mat image(100, 200, CV_8UC3, cv::Scalar(1, 2, 3));
  Prompt p;
  p.box = Box{50.5, 40.25, 70.5, 60.25};
  p.clicks.push_back(Click{Point{60, 50}, true});
  const Instance human = MakeInstance({{52, 42}, {68, 42}, {68, 58}, {52, 58}});
  const HeldOutItem item = MakeHeldOutItem({"p", "a", "x"}, image, p, human, 1.0);
  // Box 20 x 20; one box side each way: x from floor(30.5) = 30 to ceil(90.5) = 91.
  EXPECT_EQ(item.image.cols, 61);
  EXPECT_EQ(item.image.rows, 61);  // y from floor(20.25) = 20 to ceil(80.25) = 81
  EXPECT_FALSE(item.image.isSubmatrix());
  EXPECT_DOUBLE_EQ(item.prompt.box.x0, 20.5);
  EXPECT_DOUBLE_EQ(item.prompt.box.y0, 20.25);
  EXPECT_DOUBLE_EQ(item.prompt.clicks[0].at.x, 30);
  EXPECT_DOUBLE_EQ(item.human.parts[0].outer[0].x, 22);
  // An empty image stays empty and nothing moves.
  const HeldOutItem blank = MakeHeldOutItem({"p", "a", "x"}, cv::Mat(), p, human, 1.0);
  EXPECT_TRUE(blank.image.empty());
  EXPECT_DOUBLE_EQ(blank.prompt.box.x0, 50.5);
}

TEST(ProposerPolicy, CheckpointsNameTheProposerAndLoadBack) {
  const ProposerMaker make = [](const std::string& name) { return MakeProposer(name); };
  ProposerPolicy policy("ellipse", make);
  EXPECT_FALSE(policy.has_value_head());
  std::stringstream checkpoint;
  policy.Save(checkpoint);
  const std::unique_ptr<Policy> loaded = ProposerPolicyLoader(make)(checkpoint);
  EXPECT_EQ(loaded->name(), "ellipse");
  cv::Mat image(240, 320, CV_8UC3, cv::Scalar::all(0));
  Prompt p;
  p.box = Box{10, 10, 110, 90};
  EXPECT_NEAR(ExactIou(loaded->Propose(image, p).shape, policy.Propose(image, p).shape), 1.0,
              1e-12);
  std::stringstream junk("not a checkpoint\n");
  EXPECT_THROW(ProposerPolicyLoader(make)(junk), std::runtime_error);
  std::stringstream unknown("understudy-proposer-policy 1\nmagic\n");
  EXPECT_THROW(ProposerPolicyLoader(make)(unknown), std::runtime_error);
  EXPECT_THROW(ProposerPolicy("magic", make), std::invalid_argument);
}

}  // namespace
}  // namespace understudy
