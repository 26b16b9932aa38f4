#include "cli/request_engine.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "agent/agent_engine.h"

namespace understudy::cli {
namespace {

AgentRequest Request(const std::string& agent) {
  AgentRequest r;
  r.agent = agent;
  r.seed = 42;
  r.data_root = "/data/root";
  r.config =
      nlohmann::json::parse(R"({"gate": {"threshold": 0.7}, "learning": {"batch_updates": 7}})");
  return r;
}

TEST(RequestEngine, TheRequestBecomesServesOptions) {
  AgentRequest r = Request("box");
  r.budget.schedule = "per_annotation";
  r.budget.updates_per_annotation = 3;
  const AgentOptions o = ToAgentOptions(r);
  ASSERT_TRUE(o.seed.has_value());
  EXPECT_EQ(*o.seed, 42u);
  EXPECT_EQ(o.data_root, "/data/root");
  EXPECT_TRUE(o.registry_dir.empty()) << "replays never resume each other";
  ASSERT_TRUE(o.schedule.has_value());
  EXPECT_EQ(o.schedule->mode, LearningMode::kPerAnnotation);
  EXPECT_EQ(o.schedule->updates_per_annotation, 3);
  EXPECT_EQ(o.schedule->batch_updates, 7) << "the config's other schedule knobs are kept";
  const AgentConfig c = ResolveAgentConfig(o);
  EXPECT_DOUBLE_EQ(c.gate.threshold, 0.7);
  EXPECT_EQ(c.seed, 42u);

  r.budget.schedule = "per_sim_second";
  r.budget.updates_per_sim_second = 2.5;
  const AgentOptions p = ToAgentOptions(r);
  ASSERT_TRUE(p.schedule.has_value());
  EXPECT_EQ(p.schedule->mode, LearningMode::kPerSimSecond);
  EXPECT_DOUBLE_EQ(p.schedule->updates_per_second, 2.5);

  r.budget.schedule = "none";
  EXPECT_FALSE(ToAgentOptions(r).schedule.has_value());
}

TEST(RequestEngine, BudgetsTheEngineCannotRunAreRejectedByName) {
  AgentRequest r = Request("box");
  r.budget.schedule = "per_annotation";
  r.budget.updates_per_annotation = 1.5;
  try {
    (void)ToAgentOptions(r);
    FAIL() << "1.5 updates per annotation accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("updates_per_annotation = 1.5"), std::string::npos)
        << e.what();
  }
  r.budget.schedule = "per_sim_second";
  r.budget.updates_per_sim_second = 0;
  EXPECT_THROW((void)ToAgentOptions(r), std::invalid_argument);
  r.budget.schedule = "sometimes";
  EXPECT_THROW((void)ToAgentOptions(r), std::invalid_argument);
  r = Request("nope");
  EXPECT_THROW((void)MakeRequestedEngine(r), std::invalid_argument);
  r = Request("box");
  r.init_model = "model.pt";
  EXPECT_THROW((void)MakeRequestedEngine(r), std::invalid_argument) << "a baseline has no model";
}

// Every baseline runs as `serve --agent NAME` runs it: AgentEngine, gated, with the request's
// config and seed.
TEST(RequestEngine, BaselinesAreServesAgentEngines) {
  const std::filesystem::path root = std::filesystem::temp_directory_path();
  for (const std::string name : {"box", "ellipse", "grabcut", "watershed"}) {
    AgentRequest r = Request(name);
    r.data_root = root;
    const EngineFactory make = MakeRequestedEngine(r);
    const std::unique_ptr<Engine> e = make();
    const auto* engine = dynamic_cast<const AgentEngine*>(e.get());
    ASSERT_NE(engine, nullptr) << name;
    EXPECT_EQ(e->Status().engine, "agent:" + name);
    EXPECT_DOUBLE_EQ(engine->config().gate.threshold, 0.7);
    EXPECT_EQ(engine->config().seed, 42u);
    EXPECT_EQ(engine->config().data_root, root);
  }
}

TEST(RequestEngine, RlNeedsTheTorchAgent) {
  AgentRequest r = Request("rl");
  r.data_root = std::filesystem::temp_directory_path();
  r.budget.schedule = "per_annotation";
  r.budget.updates_per_annotation = 1;
  if (HasTorchAgent()) {
    const std::unique_ptr<Engine> on = MakeRequestedEngine(r)();
    r.budget.schedule = "none";
    const std::unique_ptr<Engine> off = MakeRequestedEngine(r)();
    const auto* a = dynamic_cast<const AgentEngine*>(on.get());
    const auto* b = dynamic_cast<const AgentEngine*>(off.get());
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->schedule(), "none: a fixed policy without a learner") << "learning off";
    EXPECT_NE(a->schedule(), b->schedule());
  } else {
    EXPECT_THROW((void)MakeRequestedEngine(r), std::invalid_argument);
  }
}

}  // namespace
}  // namespace understudy::cli
