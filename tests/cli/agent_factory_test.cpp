#include "cli/agent_factory.h"

#include <gtest/gtest.h>

#include <string>

#include "agent/agent_engine.h"

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
  if (!HasTorchAgent()) {
    try {
      MakeEngineFactory("rl", AgentOptions{});
      ADD_FAILURE() << "rl was accepted without the torch agent";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("torch"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace understudy::cli
