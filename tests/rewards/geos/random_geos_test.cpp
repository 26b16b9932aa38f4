// Randomised property tests against GEOS: exact IoU on random polygons, validation's verdict
// against GEOSisValid, and repairs against a GEOS-built reference region.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "rewards/iou.h"
#include "rewards/validation.h"
#include "tests/rewards/geos/geos_oracle.h"

namespace understudy {
namespace {

using testing::Geos;

// A star-shaped (hence simple) polygon: sorted random angles, random radii.
Ring RandomStar(std::mt19937_64& rng, double cx, double cy, double radius, int n) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> angles(n);
  for (double& a : angles) a = 2 * M_PI * unit(rng);
  std::sort(angles.begin(), angles.end());
  angles.erase(std::unique(angles.begin(), angles.end()), angles.end());
  Ring r;
  for (const double a : angles) {
    const double rr = radius * (0.3 + 0.7 * unit(rng));
    r.push_back({cx + rr * std::cos(a), cy + rr * std::sin(a)});
  }
  return r;
}

// A ring with random vertices on the integer grid [0, size]^2: crossings, touches, collinear
// overlaps, repeated vertices and spikes are all common.
Ring RandomGridRing(std::mt19937_64& rng, int size, int n) {
  std::uniform_int_distribution<int> c(0, size);
  Ring r;
  for (int i = 0; i < n; ++i) r.push_back({double(c(rng)), double(c(rng))});
  return r;
}

// A simple shape on the grid (rectangle, triangle or diamond): combinations of these touch,
// nest and overlap in every way without being invalid on their own.
Ring RandomGridShape(std::mt19937_64& rng, int size) {
  std::uniform_int_distribution<int> c(0, size - 1), kind(0, 2), ext(1, 3);
  const double x = c(rng), y = c(rng), w = ext(rng), h = ext(rng);
  switch (kind(rng)) {
    case 0:
      return {{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}};
    case 1:
      return {{x, y}, {x + w, y}, {x, y + h}};
    default:
      return {{x, y + h}, {x + w, y}, {x + 2 * w, y + h}, {x + w, y + 2 * h}};
  }
}

Instance RandomGridInstance(std::mt19937_64& rng, bool shapes) {
  std::uniform_int_distribution<int> parts(1, 2), holes(0, 2), verts(3, 8);
  Instance inst;
  const int np = parts(rng);
  for (int p = 0; p < np; ++p) {
    Polygon poly;
    poly.outer = shapes ? RandomGridShape(rng, 6) : RandomGridRing(rng, 6, verts(rng));
    const int nh = holes(rng) == 2 ? 1 : 0;
    for (int h = 0; h < nh; ++h) {
      poly.holes.push_back(shapes ? RandomGridShape(rng, 6) : RandomGridRing(rng, 6, verts(rng)));
    }
    inst.parts.push_back(std::move(poly));
  }
  return inst;
}

double RelativeError(double ours, double ref) {
  return std::abs(ours - ref) / std::max(std::abs(ref), 1e-300);
}

TEST(RandomGeos, ExactIouMatchesGeosOnRandomStarPolygons) {
  Geos geos;
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> n(3, 80);
  std::uniform_real_distribution<double> shift(-40.0, 40.0);
  double max_rel = 0.0;
  int pairs = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const Instance a = Validate(MakeInstance(RandomStar(rng, 300, 200, 100, n(rng))));
    const Instance b =
        Validate(MakeInstance(RandomStar(rng, 300 + shift(rng), 200 + shift(rng), 100, n(rng))));
    auto ga = geos.MakeMulti(a), gb = geos.MakeMulti(b);
    const double ref = geos.Iou(ga.get(), gb.get());
    const double ours = ExactIou(a, b);
    ASSERT_LE(RelativeError(ours, ref), 1e-9) << "trial " << trial << " " << ours << " " << ref;
    max_rel = std::max(max_rel, RelativeError(ours, ref));
    ++pairs;
  }
  std::printf("[ RandomGeos ] %d star pairs, max relative IoU error %.3g\n", pairs, max_rel);
}

TEST(RandomGeos, ExactIouMatchesGeosOnMultiPartInstancesWithOverlapsMerged) {
  Geos geos;
  std::mt19937_64 rng(77);
  std::uniform_int_distribution<int> n(3, 30), parts(1, 3);
  std::uniform_real_distribution<double> pos(0.0, 200.0);
  for (int trial = 0; trial < 1000; ++trial) {
    Instance raw[2];
    for (Instance& inst : raw) {
      const int k = parts(rng);
      for (int p = 0; p < k; ++p) {
        inst.parts.push_back({RandomStar(rng, pos(rng), pos(rng), 60, n(rng)), {}});
      }
    }
    const Instance a = Validate(raw[0]), b = Validate(raw[1]);
    auto ga = geos.MakeMulti(a), gb = geos.MakeMulti(b);
    ASSERT_TRUE(geos.IsValid(ga.get())) << geos.Reason(ga.get());
    ASSERT_TRUE(geos.IsValid(gb.get())) << geos.Reason(gb.get());
    // The merged parts cover exactly the union of the raw parts.
    auto ref_a = geos.RepairReference(raw[0]);
    ASSERT_LE(geos.Area(geos.SymDifference(ref_a.get(), ga.get()).get()), 1e-9 * Area(a));
    const double ref = geos.Iou(ga.get(), gb.get());
    ASSERT_LE(std::abs(ExactIou(a, b) - ref), 1e-9 * std::max(ref, 1e-3)) << "trial " << trial;
  }
}

// Grid inputs hit every degenerate case: repairs must be GEOS-valid, cover the reference
// region, and be stable; IoU on them must match GEOS.
TEST(RandomGeos, GridRepairsAreValidMatchTheReferenceAndGiveGeosIou) {
  Geos geos;
  std::mt19937_64 rng(4242);
  std::uniform_int_distribution<int> coin(0, 1);
  std::vector<Instance> repaired;
  int rejected_empty = 0, changed = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    const Instance raw = RandomGridInstance(rng, coin(rng) == 1);
    auto ref = geos.RepairReference(raw);
    Instance out;
    ValidationReport report;
    try {
      out = Validate(raw, {}, &report);
    } catch (const GeometryError& e) {
      // Refused only when nothing is left to keep, or when some ring is degenerate on its own
      // (fewer than 3 distinct vertices, all collinear), which GEOS confirms as zero area.
      const std::string what = e.what();
      if (what.find("encloses no area") != std::string::npos) {
        EXPECT_NEAR(geos.Area(ref.get()), 0.0, 1e-12) << "trial " << trial << ": " << what;
      } else {
        bool some_ring_empty = false;
        for (const Polygon& p : raw.parts) {
          some_ring_empty |= geos.Area(geos.EvenOddRegion(p.outer).get()) == 0.0;
          for (const Ring& h : p.holes) {
            some_ring_empty |= geos.Area(geos.EvenOddRegion(h).get()) == 0.0;
          }
        }
        EXPECT_TRUE(some_ring_empty) << "trial " << trial << ": " << what;
      }
      ++rejected_empty;
      continue;
    }
    changed += report.repaired;
    auto g = geos.MakeMulti(out);
    ASSERT_TRUE(geos.IsValid(g.get())) << "trial " << trial << ": " << geos.Reason(g.get());
    const double sym = geos.Area(geos.SymDifference(g.get(), ref.get()).get());
    ASSERT_LE(sym, 1e-9 * std::max(1.0, Area(out))) << "trial " << trial;
    ValidationOptions reject;
    reject.self_intersection = SelfIntersectionPolicy::kReject;
    ASSERT_NO_THROW(Validate(out, reject)) << "trial " << trial;
    repaired.push_back(std::move(out));
  }
  std::printf("[ RandomGeos ] grid instances: %zu kept (%d repaired), %d empty and refused\n",
              repaired.size(), changed, rejected_empty);
  EXPECT_GT(changed, 1000);
  double max_abs = 0.0;
  for (std::size_t i = 0; i + 1 < repaired.size(); i += 2) {
    auto ga = geos.MakeMulti(repaired[i]), gb = geos.MakeMulti(repaired[i + 1]);
    const double ref = geos.Iou(ga.get(), gb.get());
    const double ours = ExactIou(repaired[i], repaired[i + 1]);
    max_abs = std::max(max_abs, std::abs(ours - ref));
    ASSERT_NEAR(ours, ref, 1e-12) << "pair " << i;
    ASSERT_NEAR(ExactIou(repaired[i], repaired[i]), 1.0, 1e-15);
  }
  std::printf("[ RandomGeos ] grid IoU pairs: max abs error %.3g\n", max_abs);
}

// kReject accepts exactly what GEOS calls valid.
TEST(RandomGeos, RejectPolicyAgreesWithGeosIsValid) {
  Geos geos;
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int> coin(0, 3);
  ValidationOptions reject;
  reject.self_intersection = SelfIntersectionPolicy::kReject;
  int valid = 0, invalid = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const Instance raw = RandomGridInstance(rng, coin(rng) != 0);
    auto g = geos.MakeMulti(raw);
    const bool geos_valid = geos.IsValid(g.get());
    std::string ours = "accepted";
    try {
      Validate(raw, reject);
    } catch (const GeometryError& e) {
      ours = e.what();
    }
    ASSERT_EQ(ours == "accepted", geos_valid)
        << "trial " << trial << ": ours: " << ours << "; GEOS: " << geos.Reason(g.get());
    (geos_valid ? valid : invalid)++;
  }
  std::printf("[ RandomGeos ] validity verdicts: %d valid, %d invalid, all as GEOS\n", valid,
              invalid);
  EXPECT_GT(valid, 2000);
  EXPECT_GT(invalid, 2000);
}

}  // namespace
}  // namespace understudy
