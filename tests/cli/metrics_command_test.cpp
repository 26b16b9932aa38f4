// Runs `understudy metrics` on real input and checks every output line.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace understudy {
namespace {

struct CliRun {
  int exit_code = -1;
  std::vector<nlohmann::json> lines;
  std::string stderr_text;
};

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Feeds `input` to the binary on stdin; stdout lines are parsed as JSON.
CliRun RunMetrics(const std::string& input, const std::string& flags = "") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("understudy_metrics_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "in.jsonl") << input; }
  const std::string cmd = std::string("\"") + UNDERSTUDY_CLI + "\" metrics " + flags + " < \"" +
                          (dir / "in.jsonl").string() + "\" > \"" + (dir / "out.jsonl").string() +
                          "\" 2> \"" + (dir / "err.txt").string() + "\"";
  const int status = std::system(cmd.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream out(Slurp(dir / "out.jsonl"));
  for (std::string line; std::getline(out, line);) {
    run.lines.push_back(nlohmann::json::parse(line));  // every line must be JSON
  }
  run.stderr_text = Slurp(dir / "err.txt");
  std::filesystem::remove_all(dir);
  return run;
}

const char* kSquare8 = "[[0,0],[8,0],[8,8],[0,8]]";

TEST(MetricsCommand, ScoresGoodLinesAndReportsBadOnesWithoutStopping) {
  std::string in;
  // 1: identical squares.
  in += std::string(R"({"a": )") + kSquare8 + R"(, "b": )" + kSquare8 + "}\n";
  // 2: [2,6]^2 inside [0,8]^2 at tolerance 1.
  in += std::string(R"({"a": [[2,2],[6,2],[6,6],[2,6]], "b": )") + kSquare8 +
        R"(, "tolerance": 1})" + "\n";
  // 3: not JSON.
  in += "{\"a\": [[0,0]\n";
  // 4: wrong shape.
  in += R"({"a": 5, "b": [[0,0],[1,0],[1,1]]})"
        "\n";
  // 5: degenerate ring (all points on a line).
  in += R"({"a": [[0,0],[1,1],[2,2]], "b": [[0,0],[1,0],[1,1]]})"
        "\n";
  // 6: clockwise copy of the square: same region.
  in += std::string(R"({"a": [[0,0],[0,8],[8,8],[8,0]], "b": )") + kSquare8 + "}\n";
  // 7: several rings: a 10x10 square with a 2x2 hole, against the square.
  in += R"({"a": [[[0,0],[10,0],[10,10],[0,10]], [[4,4],[6,4],[6,6],[4,6]]], )"
        R"("b": [[0,0],[10,0],[10,10],[0,10]]})"
        "\n";
  // 8: unknown key; 9: empty line; 10: bad tolerance; 11: a point with three numbers;
  // 12: too far out to be a pixel.
  in += std::string(R"({"a": )") + kSquare8 + R"(, "b": )" + kSquare8 +
        R"(, "tol": 2})"
        "\n";
  in += "\n";
  in += std::string(R"({"a": )") + kSquare8 + R"(, "b": )" + kSquare8 +
        R"(, "tolerance": -1})"
        "\n";
  in += R"({"a": [[0,0,0],[1,0],[1,1]], "b": [[0,0],[1,0],[1,1]]})"
        "\n";
  in += R"({"a": [[0,0],[1e12,0],[1,1]], "b": [[0,0],[1,0],[1,1]]})"
        "\n";
  // 13: a bow tie (self-intersecting) as the reference: repaired even-odd into two triangles,
  // (0,0)-(24/7,24/7)-(0,6) of area 72/7 and (24/7,24/7)-(8,8)-(8,0) of area 128/7, both inside
  // the 8x8 square, so IoU = (200/7) / 64 = 25/56.
  in += std::string(R"({"a": )") + kSquare8 + R"(, "b": [[0,0],[8,8],[8,0],[0,6]]})" + "\n";

  const CliRun run = RunMetrics(in);
  EXPECT_EQ(run.exit_code, 3);  // kBadInput
  ASSERT_EQ(run.lines.size(), 13u);
  for (std::size_t i = 0; i < run.lines.size(); ++i) {
    EXPECT_EQ(run.lines[i].at("line").get<int>(), static_cast<int>(i + 1));
  }
  const auto& same = run.lines[0];
  EXPECT_DOUBLE_EQ(same.at("iou").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(same.at("raster_iou").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(same.at("boundary_f").get<double>(), 1.0);
  EXPECT_NEAR(same.at("hausdorff").get<double>(), 0.0, 1e-12);
  EXPECT_NEAR(same.at("mean_contour_distance").get<double>(), 0.0, 1e-9);
  EXPECT_EQ(same.at("clicks_to_fix").get<int>(), 0);
  EXPECT_EQ(same.at("clicks_to_draw").get<int>(), 4);

  const auto& inner = run.lines[1];
  EXPECT_DOUBLE_EQ(inner.at("iou").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(inner.at("raster_iou").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(inner.at("boundary_f").get<double>(), 0.0);
  EXPECT_NEAR(inner.at("hausdorff").get<double>(), 2.0 * std::sqrt(2.0), 1e-9);
  EXPECT_EQ(inner.at("clicks").at("moves").get<int>(), 4);
  EXPECT_EQ(inner.at("clicks_to_fix").get<int>(), 8);
  EXPECT_DOUBLE_EQ(inner.at("tolerance").get<double>(), 1.0);

  EXPECT_NE(run.lines[2].at("error").get<std::string>().find("not JSON"), std::string::npos);
  EXPECT_NE(run.lines[3].at("error").get<std::string>().find("a:"), std::string::npos);
  EXPECT_NE(run.lines[4].at("error").get<std::string>().find("a:"), std::string::npos);
  EXPECT_DOUBLE_EQ(run.lines[5].at("iou").get<double>(), 1.0);
  EXPECT_EQ(run.lines[5].at("clicks_to_fix").get<int>(), 0);
  EXPECT_DOUBLE_EQ(run.lines[6].at("iou").get<double>(), 0.96);
  EXPECT_EQ(run.lines[6].at("clicks").at("deletes").get<int>(), 4);  // the spurious hole
  EXPECT_NE(run.lines[7].at("error").get<std::string>().find("unknown key \"tol\""),
            std::string::npos);
  EXPECT_EQ(run.lines[8].at("error").get<std::string>(), "empty line");
  EXPECT_NE(run.lines[9].at("error").get<std::string>().find("tolerance"), std::string::npos);
  EXPECT_NE(run.lines[10].at("error").get<std::string>().find("a vertex 0"), std::string::npos);
  EXPECT_NE(run.lines[11].at("error").get<std::string>().find("a vertex 1"), std::string::npos);
  EXPECT_NEAR(run.lines[12].at("iou").get<double>(), 25.0 / 56.0, 1e-12) << run.lines[12].dump();
  EXPECT_TRUE(run.lines[12].at("repaired").at("b").get<bool>());
  EXPECT_FALSE(run.lines[12].at("repaired").at("a").get<bool>());
  EXPECT_FALSE(run.lines[0].at("repaired").at("b").get<bool>());
  for (std::size_t i : {2u, 3u, 4u, 7u, 8u, 9u, 10u, 11u}) {
    EXPECT_FALSE(run.lines[i].contains("iou")) << i;
  }
  EXPECT_NE(run.stderr_text.find("13 lines, 5 scored, 8 rejected"), std::string::npos)
      << run.stderr_text;
}

TEST(MetricsCommand, AllGoodExitsZeroAndHonoursOptions) {
  // A 1x1 unit square against itself shifted by half a unit: exact IoU 1/3. On the default
  // lattice both hold the same single pixel centre (0.5, 0.5) (the left edge of the shifted one
  // passes through it, and edges are closed on the left): raster IoU 1. At resolution 4, columns
  // 0.125 ... 0.875 against 0.625 ... 1.375: 8 shared of 24 pixels, 1/3.
  const std::string in =
      R"({"a": [[0,0],[1,0],[1,1],[0,1]], "b": [[0.5,0],[1.5,0],[1.5,1],[0.5,1]]})"
      "\n";
  const CliRun coarse = RunMetrics(in);
  EXPECT_EQ(coarse.exit_code, 0);
  ASSERT_EQ(coarse.lines.size(), 1u);
  EXPECT_NEAR(coarse.lines[0].at("iou").get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(coarse.lines[0].at("raster_iou").get<double>(), 1.0);
  const CliRun fine = RunMetrics(in, "--resolution 4 --tolerance 0.25");
  EXPECT_EQ(fine.exit_code, 0);
  ASSERT_EQ(fine.lines.size(), 1u);
  EXPECT_NEAR(fine.lines[0].at("raster_iou").get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(fine.lines[0].at("tolerance").get<double>(), 0.25);
  // --max-vertices rejects a ring above the cap.
  const CliRun capped = RunMetrics(in, "--max-vertices 3");
  EXPECT_EQ(capped.exit_code, 3);
  ASSERT_EQ(capped.lines.size(), 1u);
  EXPECT_NE(capped.lines[0].at("error").get<std::string>().find("cap of 3"), std::string::npos);
}

TEST(MetricsCommand, HelpAndBadFlags) {
  const std::string bin = UNDERSTUDY_CLI;
  EXPECT_EQ(WEXITSTATUS(std::system(("\"" + bin + "\" metrics --help > /dev/null").c_str())), 0);
  EXPECT_EQ(WEXITSTATUS(std::system(
                ("\"" + bin + "\" metrics --resolution -1 < /dev/null > /dev/null 2>&1").c_str())),
            2);  // kUsage
}

}  // namespace
}  // namespace understudy
