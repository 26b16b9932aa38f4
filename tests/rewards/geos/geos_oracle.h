#pragma once

// GEOS (C API) as an independent reference for the rewards geometry tests. Test-only: the
// understudy_rewards library never links GEOS.

#include <geos_c.h>

#include <memory>
#include <string>
#include <vector>

#include "rewards/polygon.h"

namespace understudy::testing {

/** A GEOS context with helpers that convert to and from understudy geometry. */
class Geos {
 public:
  struct Deleter {
    GEOSContextHandle_t ctx;
    void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(ctx, g); }
  };
  using Ptr = std::unique_ptr<GEOSGeometry, Deleter>;

  Geos();
  ~Geos();
  Geos(const Geos&) = delete;
  Geos& operator=(const Geos&) = delete;

  GEOSContextHandle_t ctx() const { return ctx_; }
  Ptr Own(GEOSGeometry* g) const;

  /** A polygon from one ring (closed for GEOS) and optional holes. */
  Ptr MakePolygon(const Ring& outer, const std::vector<Ring>& holes = {}) const;
  /** A MultiPolygon with one element per part. */
  Ptr MakeMulti(const Instance& inst) const;
  /** The closed ring as a LineString. */
  Ptr MakeLine(const Ring& ring) const;

  double Area(const GEOSGeometry* g) const;
  bool IsValid(const GEOSGeometry* g) const;
  std::string Reason(const GEOSGeometry* g) const;
  Ptr Intersection(const GEOSGeometry* a, const GEOSGeometry* b) const;
  Ptr SymDifference(const GEOSGeometry* a, const GEOSGeometry* b) const;
  Ptr Union(const GEOSGeometry* a, const GEOSGeometry* b) const;
  Ptr Difference(const GEOSGeometry* a, const GEOSGeometry* b) const;
  Ptr MakeValid(const GEOSGeometry* g, bool structure_method) const;

  /** IoU of two valid geometries: area(A n B) / (area(A) + area(B) - area(A n B)). */
  double Iou(const GEOSGeometry* a, const GEOSGeometry* b) const;

  /**
   * The even-odd region of a possibly self-intersecting ring, built from GEOS's noding and
   * polygonizer: the faces of the ring's linework whose interior point has odd crossing parity.
   */
  Ptr EvenOddRegion(const Ring& ring) const;

  /** Union over parts of (even-odd(outer) minus even-odd(holes)): Validate's repair semantics. */
  Ptr RepairReference(const Instance& raw) const;

 private:
  GEOSContextHandle_t ctx_;
};

}  // namespace understudy::testing
