// Cross-check on real human polygons: every coco128-seg polygon (at its image's pixel scale),
// each paired with a seeded perturbed copy, against GEOS.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "rewards/iou.h"
#include "rewards/validation.h"
#include "tests/rewards/geos/coco_labels.h"
#include "tests/rewards/geos/geos_oracle.h"
#include "tests/support/shared_data.h"

namespace understudy {
namespace {

using testing::CocoPolygon;
using testing::Geos;

// A copy as a second annotator might draw it: every vertex jittered by up to 2 px and the whole
// ring shifted by up to 3 px. Seeded per polygon.
Ring Perturb(const Ring& ring, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(-2.0, 2.0), shift(-3.0, 3.0);
  const double dx = shift(rng), dy = shift(rng);
  Ring out;
  for (const Point& p : ring) out.push_back({p.x + dx + jitter(rng), p.y + dy + jitter(rng)});
  return out;
}

constexpr std::size_t kCocoPolygons = 929;

class CocoCrossCheck : public ::testing::Test {
 protected:
  Geos geos_;
};

TEST_F(CocoCrossCheck, ExactIouAgreesWithGeosOnEveryPolygonAndAPerturbedCopy) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "coco128-seg/coco128-seg");
  const std::vector<CocoPolygon> polygons = testing::ReadCocoPolygons(root);
  ASSERT_EQ(polygons.size(), kCocoPolygons);
  std::vector<double> errors;
  std::size_t repaired_a = 0, repaired_b = 0;
  for (std::size_t i = 0; i < polygons.size(); ++i) {
    const CocoPolygon& poly = polygons[i];
    ValidationReport ra, rb;
    const Instance a = Validate(MakeInstance(poly.ring), {}, &ra);
    const Ring perturbed = Perturb(poly.ring, 1000 + i);
    const Instance b = Validate(MakeInstance(perturbed), {}, &rb);
    repaired_a += ra.repaired;
    repaired_b += rb.repaired;
    // Both sides see the same validated geometry; GEOS must find it valid.
    auto ga = geos_.MakeMulti(a), gb = geos_.MakeMulti(b);
    ASSERT_TRUE(geos_.IsValid(ga.get())) << poly.where << ": " << geos_.Reason(ga.get());
    ASSERT_TRUE(geos_.IsValid(gb.get())) << poly.where << ": " << geos_.Reason(gb.get());
    if (rb.repaired) {  // jitter makes new self-intersections: repaired as the reference says
      auto ref_b = geos_.EvenOddRegion(perturbed);
      EXPECT_LE(geos_.Area(geos_.SymDifference(gb.get(), ref_b.get()).get()), 1e-9 * Area(b))
          << poly.where << " perturbed";
    }
    const double ref = geos_.Iou(ga.get(), gb.get());
    const double ours = ExactIou(a, b);
    // A tiny polygon and its shifted copy may not overlap at all: then both must say 0.
    const double rel = ref > 0.0 ? std::abs(ours - ref) / ref : (ours == 0.0 ? 0.0 : 1.0);
    EXPECT_LE(rel, 1e-9) << poly.where << ": ours " << ours << ", GEOS " << ref;
    errors.push_back(rel);
  }
  std::sort(errors.begin(), errors.end());
  std::printf(
      "[ CocoCrossCheck ] %zu pairs (%zu originals and %zu perturbed copies repaired): relative "
      "IoU difference to GEOS median %.3g, max %.3g\n",
      errors.size(), repaired_a, repaired_b, errors[errors.size() / 2], errors.back());
}

TEST_F(CocoCrossCheck, RejectPolicyFlagsExactlyThePolygonsGeosCallsInvalid) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "coco128-seg/coco128-seg");
  const std::vector<CocoPolygon> polygons = testing::ReadCocoPolygons(root);
  ASSERT_EQ(polygons.size(), kCocoPolygons);
  ValidationOptions reject;
  reject.self_intersection = SelfIntersectionPolicy::kReject;
  std::size_t invalid = 0, ring_self_intersection = 0;
  for (const CocoPolygon& poly : polygons) {
    auto g = geos_.MakePolygon(poly.ring);
    const bool geos_valid = geos_.IsValid(g.get());
    std::string ours = "accepted";
    try {
      Validate(MakeInstance(poly.ring), reject);
    } catch (const GeometryError& e) {
      ours = e.what();
    }
    EXPECT_EQ(ours == "accepted", geos_valid)
        << poly.where << ": ours: " << ours << "; GEOS: " << geos_.Reason(g.get());
    if (!geos_valid) {
      ++invalid;
      ring_self_intersection += geos_.Reason(g.get()).rfind("Ring Self-intersection", 0) == 0;
    }
  }
  // The data set's known state: 86 invalid polygons. (GEOS names the first problem it meets,
  // so how many it calls ring self-touches rather than crossings depends on the pixel scale.)
  EXPECT_EQ(invalid, 86u);
  std::printf(
      "[ CocoCrossCheck ] %zu invalid per GEOS (%zu first reported as Ring "
      "Self-intersection), all rejected by kReject; every valid one accepted\n",
      invalid, ring_self_intersection);
}

// Repairs against an independent even-odd reference built with GEOS's noder and polygonizer, and
// compared (reported, not asserted) with GEOS MakeValid's two methods.
TEST_F(CocoCrossCheck, RepairsMatchTheEvenOddRegionOfEveryInvalidPolygon) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "coco128-seg/coco128-seg");
  const std::vector<CocoPolygon> polygons = testing::ReadCocoPolygons(root);
  ASSERT_EQ(polygons.size(), kCocoPolygons);
  ValidationOptions nonzero;
  nonzero.fill_rule = FillRule::kNonZero;
  std::size_t repaired = 0, same_linework = 0, same_structure = 0, same_nonzero = 0;
  double max_sym = 0.0;
  for (const CocoPolygon& poly : polygons) {
    auto raw = geos_.MakePolygon(poly.ring);
    if (geos_.IsValid(raw.get())) continue;
    ValidationReport report;
    const Instance ours = Validate(MakeInstance(poly.ring), {}, &report);
    EXPECT_TRUE(report.repaired) << poly.where;
    ++repaired;
    auto g = geos_.MakeMulti(ours);
    ASSERT_TRUE(geos_.IsValid(g.get())) << poly.where << ": " << geos_.Reason(g.get());
    const double area = Area(ours);
    auto ref = geos_.EvenOddRegion(poly.ring);
    const double sym = geos_.Area(geos_.SymDifference(g.get(), ref.get()).get());
    EXPECT_LE(sym, 1e-9 * area) << poly.where;
    max_sym = std::max(max_sym, sym / area);

    auto same = [&](const GEOSGeometry* other) {
      return geos_.Area(geos_.SymDifference(g.get(), other).get()) <= 1e-9 * area;
    };
    auto linework = geos_.MakeValid(raw.get(), false);
    auto structure = geos_.MakeValid(raw.get(), true);
    const bool lw = same(linework.get()), st = same(structure.get());
    same_linework += lw;
    same_structure += st;
    const double nz_area = Area(Validate(MakeInstance(poly.ring), nonzero));
    same_nonzero += std::abs(nz_area - area) <= 1e-9 * area;
    if (!lw || !st) {
      std::printf(
          "[ CocoCrossCheck ] %s (%s): even-odd area %.3f, MakeValid linework %.3f, "
          "structure %.3f, non-zero %.3f\n",
          poly.where.c_str(), geos_.Reason(raw.get()).substr(0, 22).c_str(), area,
          geos_.Area(linework.get()), geos_.Area(structure.get()), nz_area);
    }
  }
  EXPECT_EQ(repaired, 86u);
  std::printf(
      "[ CocoCrossCheck ] %zu repairs: max symmetric difference to the even-odd reference %.3g "
      "of the area; identical region to MakeValid linework %zu, structure %zu; non-zero rule "
      "gives the same area for %zu\n",
      repaired, max_sym, same_linework, same_structure, same_nonzero);
}

}  // namespace
}  // namespace understudy
