// IoU per pair at 16, 64 and 256 vertices on smooth and star-shaped polygons: ours against the
// GEOS C API and Boost.Geometry in the same run, then Validate() on the same rings. Prints the
// per-pair times and, at the end, the ratios ours/GEOS and ours/Boost (medians when run with
// --benchmark_repetitions). Results: docs/geometry.md.

#include <benchmark/benchmark.h>
#include <geos_c.h>

// Boost.Geometry trips GCC 12's flow analysis once inlined here; the warning is in Boost.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

namespace bg = boost::geometry;
using BPoint = bg::model::d2::point_xy<double>;
using BPolygon = bg::model::polygon<BPoint, false /*ccw in y-up*/, false /*open*/>;
using BMulti = bg::model::multi_polygon<BPolygon>;

constexpr double kCx = 320.0, kCy = 240.0;

// An ellipse-like outline as an annotator clicks it: radius noise of 1 %, angle jitter.
Ring Smooth(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Ring r;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * (i + 0.2 * u(rng)) / n;
    const double k = 1.0 + 0.01 * u(rng);
    const double x = 120 * k * std::cos(t), y = 80 * k * std::sin(t);
    r.push_back(
        {kCx + x * std::cos(0.3) - y * std::sin(0.3), kCy + x * std::sin(0.3) + y * std::cos(0.3)});
  }
  return r;
}

// A star with n / 2 spikes: every other vertex on an inner circle.
Ring Star(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Ring r;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * M_PI * (i + 0.1 * u(rng)) / n;
    const double rad = (i % 2 == 0 ? 110.0 : 45.0) * (1.0 + 0.05 * u(rng));
    r.push_back({kCx + rad * std::cos(t), kCy + rad * std::sin(t)});
  }
  return r;
}

// The second annotation: another draw of the same kind, turned by 0.08 rad and moved (10, 6).
Ring Moved(Ring r) {
  const double c = std::cos(0.08), s = std::sin(0.08);
  for (Point& p : r) {
    const double x = p.x - kCx, y = p.y - kCy;
    p = {kCx + 10 + c * x - s * y, kCy + 6 + s * x + c * y};
  }
  return r;
}

struct Pair {
  Instance a, b;
};

Pair MakePair(bool star, int n) {
  Ring ra = star ? Star(n, 1) : Smooth(n, 1);
  Ring rb = Moved(star ? Star(n, 2) : Smooth(n, 2));
  return {Validate(MakeInstance(std::move(ra))), Validate(MakeInstance(std::move(rb)))};
}

GEOSGeometry* ToGeos(GEOSContextHandle_t ctx, const Instance& inst) {
  std::vector<GEOSGeometry*> polys;
  for (const Polygon& p : inst.parts) {
    auto ring = [&](const Ring& r) {
      const auto n = static_cast<unsigned>(r.size());
      GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, n + 1, 2);
      for (unsigned i = 0; i <= n; ++i) GEOSCoordSeq_setXY_r(ctx, seq, i, r[i % n].x, r[i % n].y);
      return GEOSGeom_createLinearRing_r(ctx, seq);
    };
    std::vector<GEOSGeometry*> holes;
    for (const Ring& h : p.holes) holes.push_back(ring(h));
    polys.push_back(GEOSGeom_createPolygon_r(ctx, ring(p.outer), holes.data(),
                                             static_cast<unsigned>(holes.size())));
  }
  return GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, polys.data(),
                                     static_cast<unsigned>(polys.size()));
}

double GeosIou(GEOSContextHandle_t ctx, const GEOSGeometry* a, const GEOSGeometry* b) {
  GEOSGeometry* inter = GEOSIntersection_r(ctx, a, b);
  double ai = 0, aa = 0, ab = 0;
  GEOSArea_r(ctx, inter, &ai);
  GEOSArea_r(ctx, a, &aa);
  GEOSArea_r(ctx, b, &ab);
  GEOSGeom_destroy_r(ctx, inter);
  return ai / (aa + ab - ai);
}

BMulti ToBoost(const Instance& inst) {
  BMulti m;
  for (const Polygon& p : inst.parts) {
    BPolygon bp;
    for (const Point& q : p.outer) bp.outer().emplace_back(q.x, q.y);
    for (const Ring& h : p.holes) {
      bp.inners().emplace_back();
      for (const Point& q : h) bp.inners().back().emplace_back(q.x, q.y);
    }
    m.push_back(std::move(bp));
  }
  return m;
}

void Ours(benchmark::State& state, bool star, int n) {
  const Pair p = MakePair(star, n);
  double iou = 0;
  for (auto _ : state) {
    iou = ExactIou(p.a, p.b);
    benchmark::DoNotOptimize(iou);
  }
  state.counters["iou"] = iou;
}

void Geos(benchmark::State& state, bool star, int n) {
  const Pair p = MakePair(star, n);
  GEOSContextHandle_t ctx = GEOS_init_r();
  GEOSGeometry* a = ToGeos(ctx, p.a);
  GEOSGeometry* b = ToGeos(ctx, p.b);
  double iou = 0;
  for (auto _ : state) {
    iou = GeosIou(ctx, a, b);
    benchmark::DoNotOptimize(iou);
  }
  state.counters["iou"] = iou;
  GEOSGeom_destroy_r(ctx, a);
  GEOSGeom_destroy_r(ctx, b);
  GEOS_finish_r(ctx);
}

void GeosWithConstruction(benchmark::State& state, bool star, int n) {
  const Pair p = MakePair(star, n);
  GEOSContextHandle_t ctx = GEOS_init_r();
  double iou = 0;
  for (auto _ : state) {
    GEOSGeometry* a = ToGeos(ctx, p.a);
    GEOSGeometry* b = ToGeos(ctx, p.b);
    iou = GeosIou(ctx, a, b);
    benchmark::DoNotOptimize(iou);
    GEOSGeom_destroy_r(ctx, a);
    GEOSGeom_destroy_r(ctx, b);
  }
  state.counters["iou"] = iou;
  GEOS_finish_r(ctx);
}

void Boost(benchmark::State& state, bool star, int n) {
  const Pair p = MakePair(star, n);
  const BMulti a = ToBoost(p.a), b = ToBoost(p.b);
  double iou = 0;
  for (auto _ : state) {
    BMulti out;
    bg::intersection(a, b, out);
    const double inter = bg::area(out);
    iou = inter / (bg::area(a) + bg::area(b) - inter);
    benchmark::DoNotOptimize(iou);
  }
  state.counters["iou"] = iou;
}

// Validate on a valid ring (the path every incoming annotation takes)...
void ValidateValid(benchmark::State& state, bool star, int n) {
  const Instance raw = MakeInstance(star ? Star(n, 1) : Smooth(n, 1));
  for (auto _ : state) {
    Instance v = Validate(raw);  // includes copying the raw ring
    benchmark::DoNotOptimize(v.parts.data());
  }
}

// ...and on the same ring with an out-and-back bridge to a second part, as Ultralytics merges
// multi-part COCO objects: detection plus the exact repair.
void ValidateBridged(benchmark::State& state, bool star, int n) {
  Ring r = star ? Star(n, 1) : Smooth(n, 1);
  const Point at = r[0];
  const Ring square = {
      {at.x + 20, at.y - 5}, {at.x + 30, at.y - 5}, {at.x + 30, at.y + 5}, {at.x + 20, at.y + 5}};
  Ring bridged = {at};
  for (const Point& q : square) bridged.push_back(q);
  bridged.push_back(square[0]);
  for (const Point& q : r) bridged.push_back(q);  // r[0] again: the bridge comes back
  const Instance raw = MakeInstance(bridged);
  ValidationReport report;
  for (auto _ : state) {
    Instance v = Validate(raw, {}, &report);
    benchmark::DoNotOptimize(v.parts.data());
  }
  if (!report.repaired) state.SkipWithError("the bridged ring was not repaired");
}

// Collects per-benchmark times (medians when repeated) and prints ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      if (!aggregate && r.repetitions > 1) continue;
      cpu_us_[r.run_name.function_name] = r.GetAdjustedCPUTime();
    }
  }
  void PrintRatios() const {
    std::printf("\nper-pair CPU time, us (median of repetitions)      ratios\n");
    std::printf("%-8s %5s %9s %9s %9s %10s %10s %10s %12s %12s\n", "shape", "n", "ours", "GEOS",
                "Boost", "GEOS+build", "ours/GEOS", "ours/Boost", "Validate", "Val.bridged");
    for (const char* shape : {"smooth", "star"}) {
      for (const int n : {16, 64, 256}) {
        const std::string key = std::string(shape) + "/" + std::to_string(n) + "/";
        auto get = [&](const char* what) {
          const auto it = cpu_us_.find("iou/" + key + what);
          return it == cpu_us_.end() ? NAN : it->second;
        };
        auto val = [&](const char* what) {
          const auto it = cpu_us_.find(std::string(what) + "/" + key.substr(0, key.size() - 1));
          return it == cpu_us_.end() ? NAN : it->second;
        };
        const double ours = get("ours"), geos = get("geos"), boost = get("boost");
        std::printf("%-8s %5d %9.3f %9.3f %9.3f %10.3f %10.3f %10.3f %12.3f %12.3f\n", shape, n,
                    ours, geos, boost, get("geos_with_construction"), ours / geos, ours / boost,
                    val("validate"), val("validate_bridged"));
      }
    }
  }

 private:
  std::map<std::string, double> cpu_us_;
};

void Register() {
  for (const bool star : {false, true}) {
    for (const int n : {16, 64, 256}) {
      const std::string key = std::string(star ? "star" : "smooth") + "/" + std::to_string(n);
      auto reg = [&](const std::string& name, void (*fn)(benchmark::State&, bool, int)) {
        benchmark::RegisterBenchmark(name.c_str(), fn, star, n)->Unit(benchmark::kMicrosecond);
      };
      reg("iou/" + key + "/ours", Ours);
      reg("iou/" + key + "/geos", Geos);
      reg("iou/" + key + "/geos_with_construction", GeosWithConstruction);
      reg("iou/" + key + "/boost", Boost);
      reg("validate/" + key, ValidateValid);
      reg("validate_bridged/" + key, ValidateBridged);
    }
  }
}

}  // namespace
}  // namespace understudy

int main(int argc, char** argv) {
  understudy::Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  understudy::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
