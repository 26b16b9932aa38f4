#include "sim/experiment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "env/proposer_factory.h"
#include "tests/sim/fake_engine.h"
#include "tests/transport/temp_dir.h"
#include "transport/proposer_engine.h"

namespace understudy {
namespace {

using testing::TempDir;

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ParseError(const nlohmann::json& j) {
  try {
    ParseExperimentConfig(j);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

nlohmann::json Minimal() {
  return nlohmann::json::parse(R"({
    "name": "tiny",
    "sessions": [{"name": "synth", "import": {"format": "synthetic", "count": 6}}],
    "agents": [{"agent": "box"}],
    "seeds": [1]
  })");
}

TEST(ExperimentConfig, ErrorsNameTheField) {
  EXPECT_EQ(ParseError(Minimal()), "");
  nlohmann::json j = Minimal();
  j["agents"][0]["agnet"] = "x";
  EXPECT_NE(ParseError(j).find("agents[0].agnet"), std::string::npos) << ParseError(j);
  j = Minimal();
  j["seeds"] = nlohmann::json::array({1, -2});
  EXPECT_NE(ParseError(j).find("seeds[1]"), std::string::npos) << ParseError(j);
  j = Minimal();
  j["sessions"].push_back({{"name", "mix"}, {"merge", {"synth", "nope"}}});
  EXPECT_NE(ParseError(j).find("sessions[1].merge"), std::string::npos) << ParseError(j);
  j = Minimal();
  j["orders"] = {"sideways"};
  EXPECT_NE(ParseError(j).find("orders[0]"), std::string::npos) << ParseError(j);
  j = Minimal();
  j["learning"] = {{"schedule", "background"}};
  EXPECT_NE(ParseError(j).find("learning.schedule"), std::string::npos) << ParseError(j);
  j = Minimal();
  j["agents"].push_back({{"agent", "box"}});
  EXPECT_NE(ParseError(j).find("duplicate 'box'"), std::string::npos) << ParseError(j);
  j = Minimal();
  j["effort"] = {{"verify_seconds", -1}};
  EXPECT_NE(ParseError(j).find("verify_seconds"), std::string::npos) << ParseError(j);
  j = Minimal();
  j.erase("seeds");
  EXPECT_NE(ParseError(j).find("seeds"), std::string::npos);
}

TEST(ExperimentConfig, TheRandomOrderIsAlwaysBesideActiveLearning) {
  nlohmann::json j = Minimal();
  j["orders"] = {"active"};
  const ExperimentConfig c = ParseExperimentConfig(j);
  ASSERT_EQ(c.orders.size(), 2u);
  EXPECT_EQ(c.orders[0], AssetOrder::kRandom);
  EXPECT_EQ(c.orders[1], AssetOrder::kActive);
}

TEST(MeanWithCi, StudentsTOnSmallSamples) {
  const MeanCi m = MeanWithCi({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(m.mean, 2.0);
  EXPECT_NEAR(m.half_width, 4.303 * 1.0 / std::sqrt(3.0), 1e-9);  // s = 1, df = 2
  EXPECT_TRUE(std::isnan(MeanWithCi({5.0}).half_width));
  EXPECT_EQ(MeanWithCi({}).n, 0u);
}

// A tiny grid: a learning fake with two gate settings, active and random orders, two seeds, and
// two baselines; every run is written and the table has confidence intervals.
TEST(Experiment, RunsTheGridAndWritesTheTable) {
  TempDir tmp;
  nlohmann::json j = nlohmann::json::parse(R"({
    "name": "tiny",
    "sessions": [
      {"name": "a", "import": {"format": "synthetic", "count": 8, "scene_seed": 2}},
      {"name": "b", "import": {"format": "synthetic:easy", "count": 6, "project": "bee"}},
      {"name": "ab", "merge": ["a", "b"]}
    ],
    "agents": [
      {"name": "fake", "agent": "fake", "gated": true, "active": true},
      {"agent": "box"},
      {"agent": "ellipse", "sessions": ["a"], "gated": true, "active": false}
    ],
    "gates": [{"name": "low", "config": {"threshold": 0.3}},
              {"name": "high", "config": {"threshold": 0.99}}],
    "seeds": [1, 2],
    "orders": ["active"],
    "learning": {"schedule": "per_annotation", "updates_per_annotation": 2, "note": "test"}
  })");
  j["output"] = (tmp.path() / "results").string();
  j["work_dir"] = (tmp.path() / "work").string();
  const ExperimentConfig config = ParseExperimentConfig(j);
  std::vector<nlohmann::json> requested_gates;
  EngineFactoryMaker make = [&](const AgentRequest& r) -> EngineFactory {
    if (r.agent == "fake") {
      requested_gates.push_back(r.config.at("gate"));
      const double threshold = r.config.at("gate").at("threshold").get<double>();
      EXPECT_EQ(r.budget.schedule, "per_annotation");
      return [threshold] {
        ShadowGateConfig g;
        g.window = 20;
        g.min_samples = 5;
        g.threshold = threshold;
        g.hysteresis = 0.05;
        g.suggestion_floor = 0.0;
        return std::make_unique<testing::FakeLearningEngine>(g);
      };
    }
    EXPECT_EQ(r.budget.schedule, "none") << "baselines do not learn, gated or not: " << r.agent;
    const std::string name = r.agent;
    return [name] { return std::make_unique<ProposerEngine>(MakeProposer(name)); };
  };
  const std::vector<ExperimentRun> runs = RunExperiment(config, make);
  // Per session: random (fake x 2 gates x 2 seeds + box x 2 [+ gated ellipse x 2 x 2 on a]) +
  // active (fake x 2 x 2): a 14, b 10, ab 10.
  EXPECT_EQ(runs.size(), 14u + 10u + 10u);
  EXPECT_EQ(requested_gates.size(), 3u * 8u);
  const std::filesystem::path root = tmp.path() / "results" / "tiny";
  EXPECT_TRUE(std::filesystem::exists(root / "config.json"));
  for (const ExperimentRun& r : runs) {
    EXPECT_TRUE(std::filesystem::exists(r.dir / "summary.json")) << r.dir;
    EXPECT_TRUE(std::filesystem::exists(r.dir / "events.csv")) << r.dir;
    if (r.agent == "fake" && r.gate == "high") {
      EXPECT_EQ(r.summary.all.shown, 0u) << "an unreachable bar keeps the gate shut";
    }
  }
  // The mixed stream holds both projects, gated separately.
  const auto mixed = std::find_if(runs.begin(), runs.end(), [](const ExperimentRun& r) {
    return r.session == "ab" && r.agent == "fake" && r.gate == "low";
  });
  ASSERT_NE(mixed, runs.end());
  EXPECT_EQ(mixed->summary.projects.size(), 2u);
  EXPECT_TRUE(mixed->summary.projects.count("bee"));
  const std::string table = ReadFile(root / "comparison.md");
  EXPECT_NE(table.find("| a | random | low | fake | 2 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| a | active | low | fake | 2 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| b | random | - | box | 2 |"), std::string::npos) << table;
  EXPECT_NE(table.find("| a | random | high | ellipse | 2 |"), std::string::npos)
      << "a gated baseline runs once per gate setting\n"
      << table;
  EXPECT_NE(table.find("±"), std::string::npos) << "two seeds give an interval";
  const std::string runs_csv = ReadFile(root / "runs.csv");
  EXPECT_EQ(std::count(runs_csv.begin(), runs_csv.end(), '\n'), 1 + 34);
  EXPECT_NE(ReadFile(root / "comparison.csv").find("seconds_saved_rate_ci95"), std::string::npos);

  // A second run reuses the imported sessions (their spec is unchanged) and gives the same
  // results for the same seeds.
  const auto before = std::filesystem::last_write_time(tmp.path() / "work" / "sessions" / "a");
  const std::vector<ExperimentRun> again = RunExperiment(config, make);
  EXPECT_EQ(std::filesystem::last_write_time(tmp.path() / "work" / "sessions" / "a"), before);
  ASSERT_EQ(again.size(), runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(ComparableSummary(SummaryToJson(again[i].summary)),
              ComparableSummary(SummaryToJson(runs[i].summary)))
        << runs[i].dir;
  }
}

}  // namespace
}  // namespace understudy
