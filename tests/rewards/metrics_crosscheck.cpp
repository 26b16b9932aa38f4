// Cross-check of the diff metrics against GEOS (an independent geometry engine) on every real
// coco128-seg polygon paired with a perturbed copy of itself. GEOS is a test-only dependency.
//
// Checked per pair: raster IoU against GEOS's exact IoU within RasterIouErrorBound (at 1 and 4
// pixels per unit); Hausdorff against GEOS's densified discrete Hausdorff (a lower bound that is
// at most half a densified step below the truth); boundary F precision and recall against
// GEOS's boundary-inside-buffer length; mean contour distance (every 4th pair) against a
// midpoint-rule integral of GEOS point-to-boundary distances (off by at most step / 4); and the
// clicks-to-fix corrected ring lying within tolerance of the human ring by GEOS's Hausdorff.

#include <geos_c.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rewards/clicks.h"
#include "rewards/contour_distance.h"
#include "rewards/raster.h"
#include "rewards/validation.h"
#include "tests/support/shared_data.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;

// Width and height from a JPEG's start-of-frame marker; {0, 0} if none is found.
std::pair<int, int> JpegSize(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), {});
  std::size_t i = 2;  // after SOI
  while (i + 9 < b.size()) {
    if (b[i] != 0xFF) return {0, 0};
    const unsigned char marker = b[i + 1];
    const std::size_t len = static_cast<std::size_t>(b[i + 2] << 8 | b[i + 3]);
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) return {b[i + 7] << 8 | b[i + 8], b[i + 5] << 8 | b[i + 6]};
    i += 2 + len;
  }
  return {0, 0};
}

// Every polygon of coco128-seg in pixel coordinates.
std::vector<Ring> LoadCocoPolygons(const fs::path& root) {
  std::vector<fs::path> labels;
  for (const auto& e : fs::directory_iterator(root / "labels" / "train2017")) {
    if (e.path().extension() == ".txt") labels.push_back(e.path());
  }
  std::sort(labels.begin(), labels.end());
  std::vector<Ring> out;
  for (const fs::path& label : labels) {
    const auto [w, h] = JpegSize(root / "images" / "train2017" / (label.stem().string() + ".jpg"));
    if (w == 0 || h == 0) continue;
    std::ifstream in(label);
    for (std::string line; std::getline(in, line);) {
      std::istringstream ss(line);
      int cls = 0;
      if (!(ss >> cls)) continue;
      Ring ring;
      for (double x, y; ss >> x >> y;) ring.push_back({x * w, y * h});
      out.push_back(std::move(ring));
    }
  }
  return out;
}

// A learner-like proposal: the polygon turned, scaled and shifted a little about its centroid,
// each vertex jittered.
Ring Perturbed(const Ring& ring, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> angle(-0.05, 0.05), scale(0.92, 1.08), shift(-3, 3),
      jitter(-0.7, 0.7);
  double cx = 0, cy = 0;
  for (const Point& p : ring) {
    cx += p.x;
    cy += p.y;
  }
  cx /= static_cast<double>(ring.size());
  cy /= static_cast<double>(ring.size());
  const double a = angle(rng), s = scale(rng), tx = shift(rng), ty = shift(rng);
  Ring out;
  for (const Point& p : ring) {
    const double x = p.x - cx, y = p.y - cy;
    out.push_back({cx + tx + s * (std::cos(a) * x - std::sin(a) * y) + jitter(rng),
                   cy + ty + s * (std::sin(a) * x + std::cos(a) * y) + jitter(rng)});
  }
  return out;
}

// Owning GEOS geometries on one context.
class Geos {
 public:
  using Geometry = std::unique_ptr<GEOSGeometry, std::function<void(GEOSGeometry*)>>;
  Geos() : h_(GEOS_init_r()) {}
  ~Geos() { GEOS_finish_r(h_); }
  Geos(const Geos&) = delete;
  Geos& operator=(const Geos&) = delete;

  GEOSContextHandle_t h() const { return h_; }
  Geometry Own(GEOSGeometry* g) const {
    return Geometry(g, [h = h_](GEOSGeometry* p) { GEOSGeom_destroy_r(h, p); });
  }
  Geometry Polygon(const Ring& ring) const {
    GEOSCoordSequence* cs = GEOSCoordSeq_create_r(h_, static_cast<unsigned>(ring.size() + 1), 2);
    for (std::size_t i = 0; i <= ring.size(); ++i) {
      const Point& p = ring[i % ring.size()];
      GEOSCoordSeq_setXY_r(h_, cs, static_cast<unsigned>(i), p.x, p.y);
    }
    return Own(GEOSGeom_createPolygon_r(h_, GEOSGeom_createLinearRing_r(h_, cs), nullptr, 0));
  }
  double Area(const GEOSGeometry* g) const {
    double a = 0;
    GEOSArea_r(h_, g, &a);
    return a;
  }
  double Length(const GEOSGeometry* g) const {
    double l = 0;
    GEOSLength_r(h_, g, &l);
    return l;
  }

 private:
  GEOSContextHandle_t h_;
};

struct Worst {
  double value = 0.0;
  std::size_t at = 0;
  void Update(double v, std::size_t i) {
    if (v > value) {
      value = v;
      at = i;
    }
  }
};

TEST(MetricsCrosscheck, CocoPolygonsAgainstGeos) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "coco128-seg/coco128-seg");
  const std::vector<Ring> polygons = LoadCocoPolygons(root);
  ASSERT_GE(polygons.size(), 900u) << "coco128-seg should hold 929 polygons";
  Geos geos;
  std::mt19937_64 rng(20240611);
  std::size_t checked = 0, rejected_by_validation = 0, invalid_for_geos = 0;
  double sum_error_1 = 0, sum_bound_1 = 0;
  std::vector<double> bounds_1, bounds_4, errors_1;
  Worst raster_error_1, raster_ratio_1, raster_ratio_4, hausdorff_gap, boundary_gap, mean_gap,
      clicks_excess;
  std::size_t sampled = 0, clicks_checked = 0;
  const double tolerance = 2.0;
  for (std::size_t i = 0; i < polygons.size(); ++i) {
    const Ring proposal_raw = Perturbed(polygons[i], rng);
    Instance human, proposal;
    try {
      human = Validate(MakeInstance(polygons[i]));
      proposal = Validate(MakeInstance(proposal_raw));
    } catch (const GeometryError&) {
      ++rejected_by_validation;
      continue;
    }
    if (human.parts.size() != 1 || proposal.parts.size() != 1 || !human.parts[0].holes.empty() ||
        !proposal.parts[0].holes.empty()) {
      ++invalid_for_geos;  // repaired into several parts: compare only single simple rings
      continue;
    }
    const auto gh = geos.Polygon(human.parts[0].outer);
    const auto gp = geos.Polygon(proposal.parts[0].outer);
    if (GEOSisValid_r(geos.h(), gh.get()) != 1 || GEOSisValid_r(geos.h(), gp.get()) != 1) {
      ++invalid_for_geos;  // self-intersecting: GEOS and the signed-ring model disagree on area
      continue;
    }
    ++checked;
    // Raster IoU against GEOS's exact IoU.
    const auto inter = geos.Own(GEOSIntersection_r(geos.h(), gh.get(), gp.get()));
    const double ai = geos.Area(inter.get());
    const double exact = ai / (geos.Area(gh.get()) + geos.Area(gp.get()) - ai);
    for (double ppu : {1.0, 4.0}) {
      const double error = std::abs(RasterIou(proposal, human, ppu) - exact);
      const double bound = RasterIouErrorBound(proposal, human, ppu);
      EXPECT_LE(error, bound) << "polygon " << i << " at " << ppu << " px/unit";
      (ppu == 1.0 ? raster_ratio_1 : raster_ratio_4).Update(error / bound, i);
      (ppu == 1.0 ? bounds_1 : bounds_4).push_back(bound);
      if (ppu == 1.0) {
        errors_1.push_back(error);
        raster_error_1.Update(error, i);
        sum_error_1 += error;
        sum_bound_1 += bound;
      }
    }
    // Hausdorff: GEOS's densified discrete value is a lower bound within half a step.
    const auto bh = geos.Own(GEOSBoundary_r(geos.h(), gh.get()));
    const auto bp = geos.Own(GEOSBoundary_r(geos.h(), gp.get()));
    const ContourDistances d = ComputeContourDistances(proposal, human, {tolerance});
    double geos_hausdorff = 0;
    constexpr double kDensify = 1.0 / 64;
    ASSERT_EQ(
        GEOSHausdorffDistanceDensify_r(geos.h(), bp.get(), bh.get(), kDensify, &geos_hausdorff), 1);
    double longest = 0;
    for (const Ring* r : {&human.parts[0].outer, &proposal.parts[0].outer}) {
      for (std::size_t k = 0; k < r->size(); ++k) {
        const Point& p = (*r)[k];
        const Point& q = (*r)[(k + 1) % r->size()];
        longest = std::max(longest, std::hypot(q.x - p.x, q.y - p.y));
      }
    }
    EXPECT_LE(geos_hausdorff, d.hausdorff + 1e-9) << "polygon " << i;
    EXPECT_LE(d.hausdorff, geos_hausdorff + 0.5 * longest * kDensify + 1e-9) << "polygon " << i;
    hausdorff_gap.Update(d.hausdorff - geos_hausdorff, i);
    // Mean contour distance and boundary F on every 4th pair, by sampling each boundary every
    // kStep with GEOS's exact point-to-boundary distance. The midpoint rule is off by at most
    // kStep / 4 for a 1-Lipschitz integrand; a sampled within-tolerance length is off by at most
    // one step per change of state between samples (plus one per edge, for a change that starts
    // and ends between two samples). GEOS's own buffer is no reference here: it simplifies the
    // band by about 1% of its width and so misjudges long stretches that run near the tolerance.
    if (i % 4 == 0) {
      constexpr double kStep = 0.05;
      double integral = 0, length = 0;
      double near_len[2] = {0, 0}, ring_len[2] = {0, 0}, slack[2] = {0, 0};
      int side = 0;
      for (const auto& [from, to] : {std::pair{&proposal.parts[0].outer, bh.get()},
                                     std::pair{&human.parts[0].outer, bp.get()}}) {
        const GEOSPreparedGeometry* prepared = GEOSPrepare_r(geos.h(), to);
        std::size_t flips = 0;
        bool previous = false;
        for (std::size_t k = 0; k < from->size(); ++k) {
          const Point& p = (*from)[k];
          const Point& q = (*from)[(k + 1) % from->size()];
          const double len = std::hypot(q.x - p.x, q.y - p.y);
          const int n = std::max(1, static_cast<int>(std::ceil(len / kStep)));
          for (int s = 0; s < n; ++s) {
            const double t = (s + 0.5) / n;
            const auto pt = geos.Own(GEOSGeom_createPointFromXY_r(geos.h(), p.x + t * (q.x - p.x),
                                                                  p.y + t * (q.y - p.y)));
            double dist = 0;
            GEOSPreparedDistance_r(geos.h(), prepared, pt.get(), &dist);
            integral += dist * len / n;
            const bool near = dist <= tolerance;
            if (near) near_len[side] += len / n;
            if ((k > 0 || s > 0) && near != previous) ++flips;
            previous = near;
          }
          length += len;
          ring_len[side] += len;
        }
        slack[side] = static_cast<double>(flips + from->size()) * kStep / ring_len[side];
        GEOSPreparedGeom_destroy_r(geos.h(), prepared);
        ++side;
      }
      const double gap = std::abs(d.mean_distance - integral / length);
      EXPECT_LE(gap, kStep / 4 + d.mean_distance_error) << "polygon " << i;
      mean_gap.Update(gap, i);
      const double p_gap = std::abs(d.boundary.precision - near_len[0] / ring_len[0]);
      const double r_gap = std::abs(d.boundary.recall - near_len[1] / ring_len[1]);
      EXPECT_LE(p_gap, slack[0]) << "polygon " << i;
      EXPECT_LE(r_gap, slack[1]) << "polygon " << i;
      boundary_gap.Update(std::max(p_gap, r_gap), i);
      ++sampled;
    }
    // Clicks: the corrected ring must be within tolerance of the human ring.
    const RingFix fix = FixRing(proposal.parts[0].outer, human.parts[0].outer, tolerance);
    if (fix.corrected.size() >= 3) {
      const auto gc = geos.Own(GEOSBoundary_r(geos.h(), geos.Polygon(fix.corrected).get()));
      double h = 0;
      GEOSHausdorffDistanceDensify_r(geos.h(), gc.get(), bh.get(), kDensify, &h);
      EXPECT_LE(h, tolerance + 1e-9) << "polygon " << i;
      clicks_excess.Update(h - tolerance, i);
      ++clicks_checked;
    }
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  std::cout << "coco128-seg cross-check: " << polygons.size() << " polygons, " << checked
            << " pairs checked, " << rejected_by_validation << " rejected by Validate, "
            << invalid_for_geos << " invalid for GEOS (self-intersecting)\n"
            << "  raster IoU at 1 px: mean |error| " << sum_error_1 / checked << ", mean bound "
            << sum_bound_1 / checked << ", worst |error| " << raster_error_1.value << " (polygon "
            << raster_error_1.at << "), worst error/bound " << raster_ratio_1.value
            << "; median |error| " << median(errors_1) << ", median bound " << median(bounds_1)
            << "; at 4 px/unit median bound " << median(bounds_4) << ", worst error/bound "
            << raster_ratio_4.value << "\n"
            << "  Hausdorff: worst (ours - GEOS densified) " << hausdorff_gap.value << " px\n"
            << "  sampled with GEOS distances (" << sampled
            << " pairs): boundary F worst |P or R - sampled| " << boundary_gap.value
            << ", mean contour distance worst |ours - sampled| " << mean_gap.value << " px\n"
            << "  clicks: " << clicks_checked << " corrected rings, worst (Hausdorff - tolerance) "
            << clicks_excess.value << " px\n";
  // Skips must not hide the check: most of the 929 polygons are simple.
  EXPECT_GE(checked, 750u);
  EXPECT_GE(sampled, 180u);
  // The bound is a worst case, loose on small objects at 1 px (median about 0.5), but it must
  // say something on a typical object at 4 px per unit, not a vacuous 1.
  EXPECT_LT(median(bounds_4), 0.15);
  // Misclassified boundary pixels err both ways and mostly cancel, so the typical error is far
  // below the worst case (measured: median 0.002).
  EXPECT_LT(median(errors_1), 0.01);
}

}  // namespace
}  // namespace understudy
