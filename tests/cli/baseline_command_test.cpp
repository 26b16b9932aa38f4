// Runs `understudy baseline` end to end: synthetic data, a real set, usage errors.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/shared_data.h"

namespace understudy {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliRun RunBaseline(const std::string& flags) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("understudy_baseline_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cmd = std::string("\"") + UNDERSTUDY_CLI + "\" baseline " + flags + " > \"" +
                          (dir / "out.txt").string() + "\" 2> \"" + (dir / "err.txt").string() +
                          "\"";
  const int status = std::system(cmd.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = Slurp(dir / "out.txt");
  run.err = Slurp(dir / "err.txt");
  std::filesystem::remove_all(dir);
  return run;
}

TEST(BaselineCommand, ScoresAllProposersOnSyntheticScenes) {
  const CliRun run = RunBaseline("--dataset synthetic:easy --count 4 --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["images"], 4);
  ASSERT_EQ(j["proposers"].size(), 4u);
  std::map<std::string, double> iou;
  for (const auto& p : j["proposers"]) {
    EXPECT_GT(p["instances"].get<int>(), 0);
    EXPECT_EQ(p["rejected"], 0);
    EXPECT_GE(p["mean_iou"].get<double>(), 0.0);
    EXPECT_LE(p["mean_iou"].get<double>(), 1.0);
    EXPECT_GT(p["mean_clicks_to_draw"].get<double>(), 3.0);
    iou[p["name"]] = p["mean_iou"];
  }
  EXPECT_GT(iou["grabcut"], iou["ellipse"]);
  EXPECT_GT(iou["ellipse"], iou["box"]);
  // The same flags give the same numbers.
  const CliRun again = RunBaseline("--dataset synthetic:easy --count 4 --json");
  const nlohmann::json k = nlohmann::json::parse(again.out);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(j["proposers"][i]["mean_iou"], k["proposers"][i]["mean_iou"]);
  }
}

TEST(BaselineCommand, PrintsATableWithOneRowPerProposer) {
  const CliRun run = RunBaseline("--dataset synthetic --count 3 --proposer ellipse --limit 2");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("2 instances"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\nellipse "), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("\ngrabcut"), std::string::npos) << run.out;
}

TEST(BaselineCommand, ScoresARealDatasetThroughTheImporters) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(balloon, "balloon/balloon/val");
  const CliRun run =
      RunBaseline("--format via \"" + balloon.string() + "\" --proposer ellipse --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["images"], 13);                                // SOURCE.md: 13 val images
  EXPECT_EQ(j["proposers"][0]["instances"].get<int>(), 50);  // and 50 polygons
  EXPECT_GT(j["proposers"][0]["mean_iou"].get<double>(), 0.6);
}

TEST(BaselineCommand, RejectsBadUsage) {
  CliRun run = RunBaseline("--dataset synthetic --proposer sam");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("box, ellipse, grabcut, watershed"), std::string::npos) << run.err;
  EXPECT_EQ(RunBaseline("").exit_code, 2);
  EXPECT_EQ(RunBaseline("--dataset synthetic:impossible").exit_code, 2);
  EXPECT_EQ(RunBaseline("--dataset synthetic --format via x").exit_code, 2);
  EXPECT_EQ(RunBaseline("--format via").exit_code, 2);
  run = RunBaseline("--format via /nonexistent/understudy");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("/nonexistent/understudy"), std::string::npos) << run.err;
  run = RunBaseline("--help");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find("--format"), std::string::npos);
}

}  // namespace
}  // namespace understudy
