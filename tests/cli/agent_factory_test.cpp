#include "cli/agent_factory.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "agent/agent_engine.h"
#include "agent/torch_agent.h"
#include "env/contour.h"
#include "env/synthetic.h"
#include "tests/transport/temp_dir.h"

namespace understudy::cli {
namespace {

TEST(AgentFactory, EveryBaselineMakesFreshGatedEnginesWithTheResolvedConfig) {
  AgentOptions o;
  o.config = nlohmann::json::parse(R"({"gate": {"threshold": 0.6, "min_samples": 4}, "seed": 3})");
  o.seed = 9;
  LearningSchedule s;
  s.mode = LearningMode::kPerSimSecond;
  s.updates_per_second = 2.5;
  o.schedule = s;
  const AgentConfig resolved = ResolveAgentConfig(o);
  EXPECT_EQ(resolved.seed, 9u);  // the override wins over the config's key
  EXPECT_DOUBLE_EQ(resolved.gate.threshold, 0.6);
  EXPECT_EQ(resolved.learning.mode, LearningMode::kPerSimSecond);
  for (const std::string name : {"box", "ellipse", "grabcut", "watershed"}) {
    const EngineFactory make = MakeEngineFactory(name, o);
    const std::unique_ptr<Engine> a = make();
    const std::unique_ptr<Engine> b = make();
    ASSERT_NE(a.get(), b.get());
    const EngineStatus st = a->Status();
    EXPECT_EQ(st.engine, "agent:" + name);
    EXPECT_EQ(st.model_version, name + ":v000001");
    const auto* engine = dynamic_cast<const AgentEngine*>(a.get());
    ASSERT_NE(engine, nullptr);
    EXPECT_DOUBLE_EQ(engine->config().gate.threshold, 0.6);
    EXPECT_EQ(engine->schedule(), "none: a fixed policy without a learner");
  }
  EXPECT_EQ(AgentNames().front(), "rl");
}

TEST(AgentFactory, ProblemsAreReportedWhenTheFactoryIsMadeNotWhenItIsUsed) {
  AgentOptions o;
  EXPECT_THROW(MakeEngineFactory("magic", o), std::invalid_argument);
  o.init_model = "model.pt";
  EXPECT_THROW(MakeEngineFactory("box", o), std::invalid_argument);
  o.init_model.clear();
  o.config = nlohmann::json::parse(R"({"gate": {"window": 1}})");
  EXPECT_THROW(MakeEngineFactory("box", o), std::invalid_argument);
}

TEST(AgentFactory, RlIsTheTorchPolicyAndLearnerStartingFromTheInitModel) {
  ASSERT_TRUE(HasTorchAgent());
  const testing::TempDir tmp;
  const std::filesystem::path& dir = tmp.path();
  // A checkpoint whose shape differs from the defaults: the engine must take it from the file.
  TorchAgentConfig small;
  small.crop_size = 32;
  small.store_size = 48;
  small.num_vertices = 16;
  small.encoder_width = 8;
  small.head_width = 16;
  small.candidates = {"ellipse", "box"};
  const std::filesystem::path model = dir / "model.bin";
  {
    std::ofstream out(model, std::ios::binary);
    MakeTorchPolicy(small)->Save(out);
  }
  AgentConfig config;
  config.seed = 5;
  AgentParts parts = MakeAgentParts("rl", config, model);
  ASSERT_NE(parts.policy, nullptr);
  ASSERT_NE(parts.learner, nullptr);
  const auto* policy = dynamic_cast<const TorchPolicy*>(parts.policy.get());
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->config().num_vertices, 16);
  EXPECT_EQ(policy->config().seed, 5u);  // the engine's seed drives the learner
  const SyntheticScene scene = RenderSyntheticScene(SyntheticConfig{}, 0);
  Prompt prompt;
  prompt.box = BoxOf(scene.instances[0].shape);
  const Proposal p = parts.policy->Propose(scene.image, prompt);
  EXPECT_TRUE(std::isfinite(p.confidence));
  EXPECT_EQ(p.source, "torch:ellipse");  // an untrained net serves its first candidate
  // The loader reads what the policy saves.
  std::stringstream bytes;
  parts.policy->Save(bytes);
  EXPECT_EQ(parts.loader(bytes)->name(), "rl");

  AgentOptions o;
  o.init_model = model;
  const std::unique_ptr<Engine> engine = MakeEngineFactory("rl", o)();
  EXPECT_EQ(engine->Status().engine, "agent:rl");
  EXPECT_EQ(engine->Status().model_version, "rl:v000001");

  o.init_model = dir / "missing.bin";
  try {
    MakeEngineFactory("rl", o);
    ADD_FAILURE() << "a missing init model was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("missing.bin"), std::string::npos) << e.what();
  }
  {
    std::ofstream out(dir / "junk.bin", std::ios::binary);
    out << "not a model";
  }
  o.init_model = dir / "junk.bin";
  try {
    MakeEngineFactory("rl", o);
    ADD_FAILURE() << "a file that is not a checkpoint was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bad magic"), std::string::npos) << e.what();
  }
}

TEST(AgentFactory, TorchConfigKeysOverrideTheInitModelsWhereTheShapeAllows) {
  const testing::TempDir tmp;
  TorchAgentConfig small;
  small.crop_size = 32;
  small.store_size = 48;
  small.num_vertices = 16;
  small.encoder_width = 8;
  small.head_width = 16;
  const std::filesystem::path model = tmp.path() / "model.bin";
  {
    std::ofstream out(model, std::ios::binary);
    MakeTorchPolicy(small)->Save(out);
  }
  const AgentConfig config;
  auto learner_config = [](const AgentParts& parts) {
    const auto* learner = dynamic_cast<const TorchLearner*>(parts.learner.get());
    if (learner == nullptr) throw std::logic_error("not the torch learner");
    return learner->config();
  };
  // Learning knobs change; the shape stays the checkpoint's.
  const nlohmann::json knobs =
      nlohmann::json::parse(R"({"learning_rate": 0.0005, "batch_size": 4})");
  const TorchAgentConfig c = learner_config(MakeAgentParts("rl", config, model, knobs));
  EXPECT_DOUBLE_EQ(c.learning_rate, 0.0005);
  EXPECT_EQ(c.batch_size, 4);
  EXPECT_EQ(c.num_vertices, 16);
  // Without a model they apply to the defaults, shape included.
  const TorchAgentConfig d = learner_config(
      MakeAgentParts("rl", config, {}, nlohmann::json::parse(R"({"num_vertices": 24})")));
  EXPECT_EQ(d.num_vertices, 24);

  auto error = [&](const std::string& agent, const std::filesystem::path& init,
                   const std::string& torch) -> std::string {
    AgentOptions o;
    o.init_model = init;
    o.torch = nlohmann::json::parse(torch);
    try {
      MakeEngineFactory(agent, o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_NE(error("rl", model, R"({"num_vertices": 32})").find("num_vertices"), std::string::npos);
  EXPECT_NE(error("rl", {}, R"({"learnin_rate": 0.1})").find("learnin_rate"), std::string::npos);
  EXPECT_NE(error("rl", {}, R"({"max_step": 0.9})").find("max_step = 0.9"), std::string::npos);
  EXPECT_NE(error("rl", {}, R"({"seed": 4})").find("agent_config.seed"), std::string::npos);
  EXPECT_NE(error("box", {}, R"({"batch_size": 4})").find("rl only"), std::string::npos);
  EXPECT_EQ(error("rl", model, R"({"batch_size": 4})"), "accepted");
}

}  // namespace
}  // namespace understudy::cli
