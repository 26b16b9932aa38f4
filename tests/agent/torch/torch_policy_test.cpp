#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/torch/torch_input.h"
#include "agent/torch_agent.h"
#include "env/contour.h"
#include "env/proposer_factory.h"
#include "rewards/iou.h"
#include "rewards/validation.h"
#include "tests/agent/torch/torch_test_util.h"

namespace understudy {
namespace {

using testing::Labeled;
using testing::SmallConfig;
using testing::SyntheticLabels;

// --- Config ----------------------------------------------------------------------------------

TEST(TorchAgentConfig, DefaultsAreValid) {
  TorchAgentConfig c;
  EXPECT_NO_THROW(c.Validate());
  // RGB and Sobel (the ellipse's mask is constant in the crop frame, so it gets no plane).
  EXPECT_EQ(c.PlaneCount(), 4);
  c.candidates = {"watershed", "ellipse"};
  EXPECT_EQ(c.PlaneCount(), 5);  // the watershed mask
  c.candidates = {"grabcut", "watershed", "ellipse"};
  EXPECT_EQ(c.PlaneCount(), 6);
  c.mask_channels = false;
  c.edge_channel = false;
  EXPECT_EQ(c.PlaneCount(), 3);
}

TEST(TorchAgentConfig, ErrorsNameTheFieldAndValue) {
  struct Case {
    const char* field;
    std::function<void(TorchAgentConfig&)> break_it;
    const char* value;
  };
  const std::vector<Case> cases = {
      {"num_vertices", [](auto& c) { c.num_vertices = 2; }, "2"},
      {"crop_size", [](auto& c) { c.crop_size = 60; }, "60"},
      {"context_margin", [](auto& c) { c.context_margin = -0.1; }, "-0.1"},
      {"candidates", [](auto& c) { c.candidates.clear(); }, "[]"},
      {"candidates[1]",
       [](auto& c) {
         c.candidates = {"ellipse", "lasso"};
       },
       "lasso"},
      {"candidates[1]",
       [](auto& c) {
         c.candidates = {"box", "box"};
       },
       "box"},
      {"store_size", [](auto& c) { c.store_size = 8; }, "8"},
      {"store_margin", [](auto& c) { c.store_margin = 0.1; }, "0.1"},
      {"encoder_width", [](auto& c) { c.encoder_width = 0; }, "0"},
      {"head_width", [](auto& c) { c.head_width = 1000; }, "1000"},
      {"refinement_iterations", [](auto& c) { c.refinement_iterations = 0; }, "0"},
      {"max_step", [](auto& c) { c.max_step = 0.0; }, "0"},
      {"selection", [](auto& c) { c.selection = "vote"; }, "vote"},
      {"min_std", [](auto& c) { c.min_std = 0.0; }, "0"},
      {"max_std", [](auto& c) { c.max_std = 0.001; }, "0.001"},
      {"init_std", [](auto& c) { c.init_std = 0.3; }, "0.3"},
      {"selection_temperature", [](auto& c) { c.selection_temperature = 0.0; }, "0"},
      {"replay_capacity", [](auto& c) { c.replay_capacity = 0; }, "0"},
      {"batch_size", [](auto& c) { c.batch_size = 0; }, "0"},
      {"samples_per_item", [](auto& c) { c.samples_per_item = 0; }, "0"},
      {"learning_rate", [](auto& c) { c.learning_rate = NAN; }, "nan"},
      {"grad_clip", [](auto& c) { c.grad_clip = -1.0; }, "-1"},
      {"policy_weight", [](auto& c) { c.policy_weight = -1.0; }, "-1"},
      {"entropy_weight", [](auto& c) { c.entropy_weight = INFINITY; }, "inf"},
      {"value_weight", [](auto& c) { c.value_weight = -0.5; }, "-0.5"},
      {"imitation_weight", [](auto& c) { c.imitation_weight = NAN; }, "nan"},
      {"box_jitter", [](auto& c) { c.box_jitter = 0.9; }, "0.9"},
      {"threads", [](auto& c) { c.threads = 0; }, "0"},
      {"learner_nice", [](auto& c) { c.learner_nice = 20; }, "20"},
      {"learner_nice", [](auto& c) { c.learner_nice = -1; }, "-1"},
  };
  for (const Case& k : cases) {
    TorchAgentConfig c;
    k.break_it(c);
    try {
      c.Validate();
      ADD_FAILURE() << k.field << " accepted";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("TorchAgentConfig.") + k.field + " = " + k.value),
                std::string::npos)
          << what;
    }
  }
}

TEST(TorchAgentConfig, JsonRoundTripsAndRejectsUnknownKeys) {
  TorchAgentConfig c;
  c.candidates = {"grabcut", "ellipse"};
  c.learning_rate = 3.25e-4;
  c.seed = 0xFFFFFFFFFFFFFFFFULL;
  c.selection = "policy";
  c.reward = RewardSpec(RewardWeights{1.0, 0.5, 0.0, 0.0}, 3.0, 2.0);
  const nlohmann::json j = TorchAgentConfigToJson(c);
  const TorchAgentConfig back = TorchAgentConfigFromJson(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(TorchAgentConfigToJson(back), j);
  EXPECT_EQ(back.ArchitectureMismatch(c), "");
  EXPECT_EQ(back.seed, c.seed);
  EXPECT_EQ(back.reward.weights().boundary_f, 0.5);

  // A partial object overrides the defaults it names.
  const TorchAgentConfig partial =
      TorchAgentConfigFromJson(nlohmann::json{{"batch_size", 8}, {"imitation_weight", 0}});
  EXPECT_EQ(partial.batch_size, 8);
  EXPECT_EQ(partial.imitation_weight, 0.0);
  EXPECT_EQ(partial.num_vertices, TorchAgentConfig{}.num_vertices);

  auto expect_error = [](const nlohmann::json& bad, const std::string& needle) {
    try {
      TorchAgentConfigFromJson(bad);
      ADD_FAILURE() << bad.dump() << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({{"batchsize", 8}}, "batchsize");
  expect_error({{"batch_size", "8"}}, "batch_size");
  expect_error({{"batch_size", 8.5}}, "batch_size");
  expect_error({{"flip", 1}}, "flip");
  expect_error({{"candidates", "ellipse"}}, "candidates");
  expect_error({{"seed", -1}}, "seed");
  expect_error({{"batch_size", -3}}, "TorchAgentConfig.batch_size = -3");  // validated
  expect_error(nlohmann::json::array(), "object");
}

TEST(TorchAgentConfig, ArchitectureMismatchNamesTheField) {
  TorchAgentConfig a, b;
  b.learning_rate = 0.5;  // a learning knob: not architecture
  EXPECT_EQ(a.ArchitectureMismatch(b), "");
  b.head_width = 32;
  EXPECT_EQ(a.ArchitectureMismatch(b), "head_width");
  b = a;
  b.candidates = {"grabcut", "ellipse"};
  EXPECT_EQ(a.ArchitectureMismatch(b), "candidates");
}

// --- Inputs ----------------------------------------------------------------------------------

TEST(TorchInput, MapsBackToTheImageAndFlipsConsistently) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 0, 1);
  ASSERT_FALSE(labels.empty());
  TorchAgentConfig c;
  c.candidates = {"ellipse", "watershed"};
  InputMaker maker(c);
  const PromptCrop crop = maker.Crop(labels[0].image, labels[0].prompt);
  EXPECT_EQ(crop.crop.rows, c.store_size);
  EXPECT_EQ(crop.candidates.size(), 2u);
  const TorchInput served = maker.Input(crop);
  EXPECT_EQ(served.planes.size(), static_cast<std::size_t>(c.PlaneCount() * 64 * 64));
  EXPECT_EQ(served.contours.size(), 2u * 32 * 2);

  // The ellipse candidate, mapped back, is the inscribed ellipse of the prompt box.
  const Ring ellipse = served.ToImage(served.contours.data(), 32);
  const Instance truth = MakeProposer("ellipse")->Propose(labels[0].image, labels[0].prompt).shape;
  EXPECT_GT(ExactIou(MakeInstance(ellipse), truth), 0.99);

  // Every point survives a round trip through the crop frame, flipped or not.
  Augmentation flip;
  flip.flip = true;
  const TorchInput flipped = maker.Input(crop, &flip);
  EXPECT_TRUE(flipped.flipped);
  for (const TorchInput* in : {&served, &flipped}) {
    for (const Point p : {Point{10.5, 20.25}, Point{200.0, 3.0}}) {
      const Point n = in->ToNormalized(p);
      const float xy[2] = {static_cast<float>(n.x), static_cast<float>(n.y)};
      const Point back = in->ToImage(xy, 1)[0];
      EXPECT_NEAR(back.x, p.x, 1e-3);
      EXPECT_NEAR(back.y, p.y, 1e-3);
    }
  }
  // A flipped input shows the mirrored crop: its first plane is the served one mirrored.
  const int s = c.crop_size;
  double diff = 0.0;
  for (int y = 0; y < s; ++y) {
    for (int x = 0; x < s; ++x) {
      diff += std::abs(flipped.planes[y * s + x] - served.planes[y * s + (s - 1 - x)]);
    }
  }
  EXPECT_LT(diff / (s * s), 1e-4);
  // And its watershed candidate still lands on the same image region.
  // (Mirrored back, its ring runs the other way round: Validate orients it.)
  const Instance ws_served =
      Validate(MakeInstance(served.ToImage(served.contours.data() + 64, 32)));
  const Instance ws_flipped =
      Validate(MakeInstance(flipped.ToImage(flipped.contours.data() + 64, 32)));
  EXPECT_GT(ExactIou(ws_served, ws_flipped), 0.97);
}

TEST(TorchInput, JitterMovesTheBoxCandidatesOnly) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 1, 1);
  TorchAgentConfig c;
  c.candidates = {"watershed", "box"};
  InputMaker maker(c);
  const PromptCrop crop = maker.Crop(labels[0].image, labels[0].prompt);
  Augmentation a;
  a.left = -0.1;
  a.right = 0.1;  // the box grows by 20% of its width
  const TorchInput served = maker.Input(crop);
  const TorchInput jittered = maker.Input(crop, &a);
  const Instance box_served = MakeInstance(served.ToImage(served.contours.data() + 64, 32));
  const Instance box_jittered = MakeInstance(jittered.ToImage(jittered.contours.data() + 64, 32));
  EXPECT_NEAR(Area(box_jittered) / Area(box_served), 1.2, 0.02);
  const Instance ws_served = MakeInstance(served.ToImage(served.contours.data(), 32));
  const Instance ws_jittered = MakeInstance(jittered.ToImage(jittered.contours.data(), 32));
  EXPECT_GT(ExactIou(ws_served, ws_jittered), 0.97);
}

// --- Policy ----------------------------------------------------------------------------------

TEST(TorchPolicy, UntrainedPolicyServesTheFirstCandidate) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 2, 2);
  TorchAgentConfig c = SmallConfig();
  c.candidates = {"watershed", "ellipse"};
  auto policy = MakeTorchPolicy(c);
  auto watershed = MakeProposer("watershed");
  for (const Labeled& l : labels) {
    const Proposal p = policy->Propose(l.image, l.prompt);
    EXPECT_EQ(p.source, "torch:watershed");
    EXPECT_DOUBLE_EQ(p.confidence, 0.5);  // a zero last layer: sigmoid(0)
    // The watershed polygon resampled to K = 16 vertices (in the crop frame), unmoved.
    const auto input = policy->Prepare(l.image, l.prompt);
    const Instance initial = Validate(MakeInstance(input->ToImage(input->contours.data(), 16)));
    EXPECT_GT(ExactIou(p.shape, initial), 0.99999);
    const Instance ws = watershed->Propose(l.image, l.prompt).shape;
    EXPECT_GT(ExactIou(p.shape, ws), 0.8);  // 16 vertices lose some detail
  }
  EXPECT_GT(policy->ParameterCount(), 1000u);
}

TEST(TorchPolicy, BatchedAndSingleInferenceAgree) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 3, 3);
  ASSERT_GE(labels.size(), 3u);
  TorchAgentConfig c = SmallConfig();
  c.seed = 11;
  auto policy = MakeTorchPolicy(c);
  // Train briefly so the heads are not zero and the comparison means something.
  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  for (const Labeled& l : labels) learner->Add(testing::ToExample(l));
  learner->Update(3);
  auto trained = learner->MakePolicy();
  std::vector<const cv::Mat*> images;
  std::vector<Prompt> prompts;
  for (const Labeled& l : labels) {
    images.push_back(&l.image);
    prompts.push_back(l.prompt);
  }
  const std::vector<Proposal> batch = trained->ProposeBatch(images, prompts);
  ASSERT_EQ(batch.size(), labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Proposal single = trained->Propose(labels[i].image, labels[i].prompt);
    EXPECT_EQ(batch[i].source, single.source);
    EXPECT_NEAR(batch[i].confidence, single.confidence, 1e-5);
    EXPECT_GT(ExactIou(batch[i].shape, single.shape), 0.9999);
  }
  EXPECT_THROW(trained->ProposeBatch(images, {}), std::invalid_argument);
  EXPECT_TRUE(trained->ProposeBatch({}, {}).empty());
}

TEST(TorchPolicy, ClonesAreIndependentAndThreadSafeApart) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 4, 2);
  TorchAgentConfig c = SmallConfig();
  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  for (const Labeled& l : labels) learner->Add(testing::ToExample(l));
  learner->Update(2);
  std::unique_ptr<Policy> a = learner->MakePolicy();
  std::vector<Proposal> expected;
  for (const Labeled& l : labels) expected.push_back(a->Propose(l.image, l.prompt));

  // Learning on does not touch a policy already handed out.
  learner->Update(3);
  std::unique_ptr<Policy> later = learner->MakePolicy();
  std::unique_ptr<Policy> b = a->Clone();
  a.reset();  // the clone owns its weights
  bool moved = false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Proposal p = b->Propose(labels[i].image, labels[i].prompt);
    EXPECT_EQ(p.confidence, expected[i].confidence);
    EXPECT_EQ(p.shape.parts[0].outer, expected[i].shape.parts[0].outer);
    moved = moved ||
            later->Propose(labels[i].image, labels[i].prompt).confidence != expected[i].confidence;
  }
  EXPECT_TRUE(moved) << "three more updates changed nothing";

  // Two clones in two threads give what one thread gives.
  std::unique_ptr<Policy> c1 = b->Clone(), c2 = b->Clone();
  std::vector<Proposal> r1, r2;
  std::thread t1([&] {
    for (int rep = 0; rep < 3; ++rep)
      for (const Labeled& l : labels) r1.push_back(c1->Propose(l.image, l.prompt));
  });
  std::thread t2([&] {
    for (int rep = 0; rep < 3; ++rep)
      for (const Labeled& l : labels) r2.push_back(c2->Propose(l.image, l.prompt));
  });
  t1.join();
  t2.join();
  ASSERT_EQ(r1.size(), 3 * labels.size());
  for (std::size_t i = 0; i < r1.size(); ++i) {
    EXPECT_EQ(r1[i].confidence, expected[i % labels.size()].confidence);
    EXPECT_EQ(r2[i].confidence, expected[i % labels.size()].confidence);
  }
}

TEST(TorchPolicy, CheckpointRoundTripGivesIdenticalProposals) {
  const std::vector<Labeled> labels = SyntheticLabels(SyntheticConfig{}, 5, 2);
  TorchAgentConfig c = SmallConfig();
  c.selection = "policy";
  auto learner = MakeTorchLearner(c, HeldOutSplit(0.0, 0));
  for (const Labeled& l : labels) learner->Add(testing::ToExample(l));
  learner->Update(2);
  auto policy = learner->MakePolicy();
  std::stringstream bytes;
  policy->Save(bytes);
  const std::string saved = bytes.str();

  PolicyLoader load = TorchPolicyLoader();
  std::istringstream in(saved);
  std::unique_ptr<Policy> loaded = load(in);
  for (const Labeled& l : labels) {
    const Proposal a = policy->Propose(l.image, l.prompt);
    const Proposal b = loaded->Propose(l.image, l.prompt);
    EXPECT_EQ(a.confidence, b.confidence);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.shape.parts[0].outer, b.shape.parts[0].outer);
  }
  std::stringstream again;
  loaded->Save(again);
  EXPECT_EQ(again.str(), saved);
  EXPECT_EQ(static_cast<TorchPolicy&>(*loaded).config().selection, "policy");
}

TEST(TorchPolicy, LoaderRejectsWhatItCannotRead) {
  TorchAgentConfig c = SmallConfig();
  std::stringstream bytes;
  MakeTorchPolicy(c)->Save(bytes);
  const std::string good = bytes.str();
  auto expect_error = [](const std::string& data, const std::string& needle) {
    std::istringstream in(data);
    try {
      LoadTorchPolicy(in);
      ADD_FAILURE() << "accepted; expected an error containing '" << needle << "'";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("", "bad magic");
  expect_error("PK\x03\x04 a zip file", "bad magic");
  std::string version = good;
  version[std::string("understudy-torch-policy\n").size()] = 9;
  expect_error(version, "format version 9");
  expect_error(good.substr(0, good.size() / 2), "truncated");
  // The config says 32 channels, the weights were saved with 16.
  std::string wider = good;
  const std::string from = "\"head_width\":16", to = "\"head_width\":32";
  const std::size_t at = wider.find(from);
  ASSERT_NE(at, std::string::npos);
  wider.replace(at, from.size(), to);
  expect_error(wider, "do not match its config");
  std::string bad_config = good;
  bad_config.replace(bad_config.find("\"batch_size\":4"), 14, "\"batch_size\":0");
  expect_error(bad_config, "TorchAgentConfig.batch_size = 0");
}

}  // namespace
}  // namespace understudy
