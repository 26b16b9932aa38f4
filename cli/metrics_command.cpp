// `understudy metrics`: scores polygon pairs read as JSON lines on stdin, one result line each.

#include <CLI/App.hpp>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "rewards/pair_metrics.h"
#include "rewards/ring_nesting.h"
#include "rewards/validation.h"

namespace understudy::cli {
namespace {

// Coordinates are pixels; anything beyond this is a unit mistake, and would overflow squares.
constexpr double kMaxCoordinate = 1e9;

struct MetricsSettings {
  double tolerance = 2.0;
  double resolution = 1.0;
  std::size_t max_vertices = ValidationOptions{}.max_vertices;
};

// A line that cannot be scored; the message says which field and where.
class BadLine : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

Ring ParseRing(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) throw BadLine(where + ": expected an array of [x, y] points");
  Ring ring;
  ring.reserve(j.size());
  for (std::size_t v = 0; v < j.size(); ++v) {
    const nlohmann::json& p = j[v];
    const std::string at = where + " vertex " + std::to_string(v);
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
      throw BadLine(at + ": expected [x, y] with two numbers, got " + p.dump());
    }
    const double x = p[0].get<double>(), y = p[1].get<double>();
    if (!std::isfinite(x) || !std::isfinite(y) || std::abs(x) > kMaxCoordinate ||
        std::abs(y) > kMaxCoordinate) {
      throw BadLine(at + ": coordinate " + p.dump() + " is not finite or beyond +-1e9");
    }
    ring.push_back({x, y});
  }
  return ring;
}

// RINGS is [[x,y],...] (one ring) or [[[x,y],...],...] (several; nesting decides the holes).
// Self-intersecting rings are repaired (even-odd), as everywhere else; `report` says whether.
Instance ParseRings(const nlohmann::json& j, const std::string& field,
                    const ValidationOptions& options, ValidationReport* report) {
  if (!j.is_array() || j.empty() || !j[0].is_array()) {
    throw BadLine(field + ": expected a non-empty array of [x, y] points or of rings");
  }
  std::vector<Ring> rings;
  if (!j[0].empty() && j[0][0].is_number()) {
    rings.push_back(ParseRing(j, field));
  } else {
    for (std::size_t r = 0; r < j.size(); ++r) {
      rings.push_back(ParseRing(j[r], field + " ring " + std::to_string(r)));
    }
  }
  try {
    return Validate(InstanceFromRings(std::move(rings)), options, report);
  } catch (const GeometryError& e) {
    throw BadLine(field + ": " + e.what());
  }
}

// Output keeps the order written here ("line" first), for people reading it.
using OrderedJson = nlohmann::ordered_json;

OrderedJson ScoreLine(std::size_t line, const std::string& text, const MetricsSettings& settings) {
  if (text.find_first_not_of(" \t") == std::string::npos) throw BadLine("empty line");
  nlohmann::json in;
  try {
    in = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw BadLine(std::string("not JSON: ") + e.what());
  }
  if (!in.is_object()) throw BadLine("expected a JSON object with \"a\" and \"b\"");
  for (const auto& item : in.items()) {
    if (item.key() != "a" && item.key() != "b" && item.key() != "tolerance") {
      throw BadLine("unknown key \"" + item.key() + "\" (expected a, b, tolerance)");
    }
  }
  if (!in.contains("a") || !in.contains("b")) throw BadLine("both \"a\" and \"b\" are required");
  PairMetricsOptions options;
  options.tolerance = settings.tolerance;
  options.pixels_per_unit = settings.resolution;
  if (in.contains("tolerance")) {
    const nlohmann::json& t = in["tolerance"];
    if (!t.is_number() || !(t.get<double>() > 0.0) || !std::isfinite(t.get<double>())) {
      throw BadLine("tolerance: expected a positive number, got " + t.dump());
    }
    options.tolerance = t.get<double>();
  }
  ValidationOptions validation;
  validation.max_vertices = settings.max_vertices;
  ValidationReport report_a, report_b;
  const Instance a = ParseRings(in["a"], "a", validation, &report_a);
  const Instance b = ParseRings(in["b"], "b", validation, &report_b);
  const PairMetrics m = ComputePairMetrics(a, b, options);
  return OrderedJson{{"line", line},
                     {"iou", m.iou},
                     {"raster_iou", m.raster_iou},
                     {"raster_iou_error_bound", m.raster_iou_error_bound},
                     {"boundary_f", m.boundary.f},
                     {"boundary_precision", m.boundary.precision},
                     {"boundary_recall", m.boundary.recall},
                     {"hausdorff", m.hausdorff},
                     {"mean_contour_distance", m.mean_contour_distance},
                     {"clicks_to_fix", m.clicks_to_fix.Total()},
                     {"clicks",
                      {{"moves", m.clicks_to_fix.moves},
                       {"adds", m.clicks_to_fix.adds},
                       {"deletes", m.clicks_to_fix.deletes}}},
                     {"clicks_to_draw", m.clicks_to_draw},
                     {"tolerance", options.tolerance},
                     {"repaired", {{"a", report_a.repaired}, {"b", report_b.repaired}}}};
}

int RunMetrics(const MetricsSettings& settings) {
  std::string text;
  std::size_t line = 0, scored = 0, rejected = 0;
  while (std::getline(std::cin, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    OrderedJson out;
    try {
      out = ScoreLine(line, text, settings);
      ++scored;
    } catch (const std::invalid_argument& e) {  // BadLine, and metric settings out of range
      out = OrderedJson{{"line", line}, {"error", e.what()}};
      ++rejected;
    }
    std::cout << out.dump() << std::endl;  // flushed: callers may stream pairs one at a time
  }
  std::cerr << "understudy metrics: " << line << " lines, " << scored << " scored, " << rejected
            << " rejected\n";
  return rejected > 0 ? kBadInput : kOk;
}

}  // namespace

void RegisterMetricsCommand(CLI::App& app) {
  auto settings = std::make_shared<MetricsSettings>();
  CLI::App* sub = app.add_subcommand(
      "metrics",
      "Score polygon pairs for scripting. Reads JSON lines on stdin, one pair per line:\n"
      "  {\"a\": RINGS, \"b\": RINGS, \"tolerance\": PX}\n"
      "a is the proposal, b the human reference; RINGS is [[x,y],...] (one ring) or\n"
      "[[[x,y],...],...] (several: a ring inside an odd number of others is a hole);\n"
      "tolerance is optional (default --tolerance). Writes one JSON line per input line with\n"
      "line, iou, raster_iou, raster_iou_error_bound, boundary_f, boundary_precision,\n"
      "boundary_recall, hausdorff, mean_contour_distance, clicks_to_fix, clicks {moves, adds,\n"
      "deletes}, clicks_to_draw, tolerance; or {\"line\": N, \"error\": \"...\"} for a bad line,\n"
      "and goes on. Exit status 3 if any line was rejected. See docs/metrics.md.");
  sub->add_option("--tolerance", settings->tolerance,
                  "Default tolerance in pixels for boundary F and clicks-to-fix")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--resolution", settings->resolution,
                  "Raster IoU lattice in pixels per image unit")
      ->check(CLI::Range(1e-3, 1e3))
      ->capture_default_str();
  sub->add_option("--max-vertices", settings->max_vertices, "Reject rings with more vertices")
      ->check(CLI::Range(3, 1 << 20))
      ->capture_default_str();
  SetRunner(sub, [settings] { return RunMetrics(*settings); });
}

}  // namespace understudy::cli
