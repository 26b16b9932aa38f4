// `understudy dataset ...` end to end: output, exit codes, --help.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/env/env_test_util.h"
#include "tests/support/shared_data.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliResult Understudy(const std::vector<std::string>& args) {
  const fs::path exe = testing::BinaryDir() / "cli/understudy";
  TempDir dir;
  std::string cmd = Quote(exe.string());
  for (const std::string& a : args) cmd += " " + Quote(a);
  cmd += " > " + Quote((dir / "out").string()) + " 2> " + Quote((dir / "err").string());
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = testing::ReadFile(dir / "out");
  r.err = testing::ReadFile(dir / "err");
  return r;
}

TEST(DatasetCli, HelpAtEveryLevel) {
  const CliResult top = Understudy({"dataset", "--help"});
  EXPECT_EQ(top.code, 0) << top.err;
  EXPECT_NE(top.out.find("stats"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("convert"), std::string::npos) << top.out;
  for (const char* sub : {"stats", "convert"}) {
    const CliResult r = Understudy({"dataset", sub, "--help"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("--format"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--images"), std::string::npos) << r.out;
  }
}

TEST(DatasetCli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Understudy({"dataset"}).code, 2);
  EXPECT_EQ(Understudy({"dataset", "stats", "--format", "voc", "x"}).code, 2);
  EXPECT_EQ(Understudy({"dataset", "stats", "x"}).code, 2);  // --format is required
  EXPECT_EQ(Understudy({"dataset", "convert", "--format", "coco", "x", "out"}).code, 2);  // --to
}

TEST(DatasetCli, ImportFailuresExitWithOneAndSayWhere) {
  TempDir dir;
  testing::WriteFile(dir / "bad.json", "{\"images\": [");
  const CliResult r =
      Understudy({"dataset", "stats", "--format", "coco", (dir / "bad.json").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("understudy: error: " + (dir / "bad.json").string() + ": invalid JSON"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(DatasetCli, SkippedInstancesExitWithThreeAndStillPrintStats) {
  TempDir dir;
  ASSERT_TRUE(cv::imwrite((dir / "a.jpg").string(), cv::Mat(10, 10, CV_8UC3, cv::Scalar(0))));
  testing::WriteFile(dir / "v.json", R"({"k": {"filename": "a.jpg", "regions": [
    {"shape_attributes": {"name": "polygon", "all_points_x": [1, 2], "all_points_y": [1, 2]}},
    {"shape_attributes": {"name": "polygon", "all_points_x": [1, 8, 1], "all_points_y": [1, 1, 8]}}]}})");
  const CliResult strict =
      Understudy({"dataset", "stats", "--format", "via", (dir / "v.json").string()});
  EXPECT_EQ(strict.code, 1);
  const CliResult r =
      Understudy({"dataset", "stats", "--format", "via", "--skip-bad", (dir / "v.json").string()});
  EXPECT_EQ(r.code, 3) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["instances"], 1);
  EXPECT_EQ(j["skipped"]["instances"], 1);
  EXPECT_NE(r.err.find("skipped 1 bad instance"), std::string::npos) << r.err;
}

TEST(DatasetCli, StatsAndConvertOnBalloon) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "balloon/balloon");
  const CliResult r = Understudy({"dataset", "stats", "--format", "via", root.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 74);
  EXPECT_EQ(j["instances"], 305);
  EXPECT_EQ(j["polygons"], 305);
  EXPECT_EQ(j["classes"], 1);
  EXPECT_EQ(j["crowd"], 0);
  EXPECT_EQ(j["vertices_per_polygon"]["min"], 7);
  EXPECT_EQ(j["vertices_per_polygon"]["max"], 99);

  TempDir dir;
  const CliResult c = Understudy({"dataset", "convert", "--format", "via", root.string(), "--to",
                                  "coco", (dir / "b.json").string()});
  ASSERT_EQ(c.code, 0) << c.err;
  const CliResult back = Understudy({"dataset", "stats", "--format", "coco",
                                     (dir / "b.json").string(), "--images", root.string()});
  ASSERT_EQ(back.code, 0) << back.err;
  nlohmann::json k = nlohmann::json::parse(back.out);
  EXPECT_EQ(k["instances"], 305);
  EXPECT_EQ(k["vertices_per_polygon"], j["vertices_per_polygon"]);
  const CliResult lm = Understudy({"dataset", "convert", "--format", "via", root.string(), "--to",
                                   "labelme", (dir / "lm").string()});
  ASSERT_EQ(lm.code, 0) << lm.err;
  const CliResult lm_back =
      Understudy({"dataset", "stats", "--format", "labelme", (dir / "lm").string()});
  ASSERT_EQ(lm_back.code, 0) << lm_back.err;
  EXPECT_EQ(nlohmann::json::parse(lm_back.out)["instances"], 305);
}

}  // namespace
}  // namespace understudy
