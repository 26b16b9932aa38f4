#include "tests/rewards/geos/geos_oracle.h"

#include <cstdarg>
#include <cstdio>
#include <stdexcept>

namespace understudy::testing {
namespace {

void OnError(const char* message, void* user) {
  *static_cast<std::string*>(user) = message != nullptr ? message : "unknown GEOS error";
}

thread_local std::string last_error;

// Crossing parity of p with respect to the ring: plain doubles, which is enough for the
// interior points GEOS picks (far from the ring compared with rounding).
bool OddParity(const Ring& ring, double x, double y) {
  bool odd = false;
  const std::size_t n = ring.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& a = ring[i];
    const Point& b = ring[j];
    if ((a.y > y) != (b.y > y)) {
      const double xc = a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (x < xc) odd = !odd;
    }
  }
  return odd;
}

}  // namespace

Geos::Geos() : ctx_(GEOS_init_r()) {
  GEOSContext_setErrorMessageHandler_r(ctx_, OnError, &last_error);
}

Geos::~Geos() { GEOS_finish_r(ctx_); }

Geos::Ptr Geos::Own(GEOSGeometry* g) const {
  if (g == nullptr) throw std::runtime_error("GEOS failed: " + last_error);
  return Ptr(g, Deleter{ctx_});
}

namespace {

GEOSGeometry* RingGeometry(GEOSContextHandle_t ctx, const Ring& ring, bool linear_ring) {
  const auto n = static_cast<unsigned>(ring.size());
  GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, n + 1, 2);
  for (unsigned i = 0; i <= n; ++i) {
    const Point& p = ring[i % n];
    GEOSCoordSeq_setXY_r(ctx, seq, i, p.x, p.y);
  }
  return linear_ring ? GEOSGeom_createLinearRing_r(ctx, seq)
                     : GEOSGeom_createLineString_r(ctx, seq);
}

}  // namespace

Geos::Ptr Geos::MakePolygon(const Ring& outer, const std::vector<Ring>& holes) const {
  GEOSGeometry* shell = RingGeometry(ctx_, outer, true);
  std::vector<GEOSGeometry*> hs;
  for (const Ring& h : holes) hs.push_back(RingGeometry(ctx_, h, true));
  return Own(GEOSGeom_createPolygon_r(ctx_, shell, hs.data(), static_cast<unsigned>(hs.size())));
}

Geos::Ptr Geos::MakeMulti(const Instance& inst) const {
  std::vector<GEOSGeometry*> polys;
  for (const Polygon& p : inst.parts) polys.push_back(MakePolygon(p.outer, p.holes).release());
  return Own(GEOSGeom_createCollection_r(ctx_, GEOS_MULTIPOLYGON, polys.data(),
                                         static_cast<unsigned>(polys.size())));
}

Geos::Ptr Geos::MakeLine(const Ring& ring) const { return Own(RingGeometry(ctx_, ring, false)); }

double Geos::Area(const GEOSGeometry* g) const {
  double a = 0.0;
  if (GEOSArea_r(ctx_, g, &a) != 1) throw std::runtime_error("GEOSArea failed: " + last_error);
  return a;
}

bool Geos::IsValid(const GEOSGeometry* g) const { return GEOSisValid_r(ctx_, g) == 1; }

std::string Geos::Reason(const GEOSGeometry* g) const {
  char* r = GEOSisValidReason_r(ctx_, g);
  std::string s = r != nullptr ? r : "";
  GEOSFree_r(ctx_, r);
  return s;
}

Geos::Ptr Geos::Intersection(const GEOSGeometry* a, const GEOSGeometry* b) const {
  return Own(GEOSIntersection_r(ctx_, a, b));
}
Geos::Ptr Geos::SymDifference(const GEOSGeometry* a, const GEOSGeometry* b) const {
  return Own(GEOSSymDifference_r(ctx_, a, b));
}
Geos::Ptr Geos::Union(const GEOSGeometry* a, const GEOSGeometry* b) const {
  return Own(GEOSUnion_r(ctx_, a, b));
}
Geos::Ptr Geos::Difference(const GEOSGeometry* a, const GEOSGeometry* b) const {
  return Own(GEOSDifference_r(ctx_, a, b));
}

Geos::Ptr Geos::MakeValid(const GEOSGeometry* g, bool structure_method) const {
  GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(ctx_);
  GEOSMakeValidParams_setMethod_r(
      ctx_, params, structure_method ? GEOS_MAKE_VALID_STRUCTURE : GEOS_MAKE_VALID_LINEWORK);
  GEOSMakeValidParams_setKeepCollapsed_r(ctx_, params, 0);
  GEOSGeometry* out = GEOSMakeValidWithParams_r(ctx_, g, params);
  GEOSMakeValidParams_destroy_r(ctx_, params);
  return Own(out);
}

double Geos::Iou(const GEOSGeometry* a, const GEOSGeometry* b) const {
  const double inter = Area(Intersection(a, b).get());
  const double uni = Area(a) + Area(b) - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

Geos::Ptr Geos::EvenOddRegion(const Ring& ring) const {
  Ptr line = MakeLine(ring);
  Ptr noded = Own(GEOSUnaryUnion_r(ctx_, line.get()));
  const GEOSGeometry* in[] = {noded.get()};
  Ptr faces = Own(GEOSPolygonize_r(ctx_, in, 1));
  std::vector<GEOSGeometry*> odd;
  const int n = GEOSGetNumGeometries_r(ctx_, faces.get());
  for (int i = 0; i < n; ++i) {
    const GEOSGeometry* face = GEOSGetGeometryN_r(ctx_, faces.get(), i);
    Ptr pt = Own(GEOSPointOnSurface_r(ctx_, face));
    double x = 0.0, y = 0.0;
    GEOSGeomGetX_r(ctx_, pt.get(), &x);
    GEOSGeomGetY_r(ctx_, pt.get(), &y);
    if (OddParity(ring, x, y)) odd.push_back(GEOSGeom_clone_r(ctx_, face));
  }
  Ptr collection = Own(GEOSGeom_createCollection_r(ctx_, GEOS_GEOMETRYCOLLECTION, odd.data(),
                                                   static_cast<unsigned>(odd.size())));
  return Own(GEOSUnaryUnion_r(ctx_, collection.get()));
}

Geos::Ptr Geos::RepairReference(const Instance& raw) const {
  Ptr total = Own(GEOSGeom_createEmptyPolygon_r(ctx_));
  for (const Polygon& p : raw.parts) {
    Ptr region = EvenOddRegion(p.outer);
    for (const Ring& h : p.holes) region = Difference(region.get(), EvenOddRegion(h).get());
    total = Union(total.get(), region.get());
  }
  return total;
}

}  // namespace understudy::testing
