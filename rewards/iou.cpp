#include "rewards/iou.h"

// Placeholder implementation on Boost.Geometry; to be replaced by the specialised exact algorithm.
// Boost.Geometry trips GCC 12's flow analysis once inlined here; the warning is in Boost.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>

namespace understudy {
namespace {

namespace bg = boost::geometry;
using BPoint = bg::model::d2::point_xy<double>;
using BPolygon = bg::model::polygon<BPoint, false /*ccw in y-up*/, false /*open*/>;
using BMulti = bg::model::multi_polygon<BPolygon>;

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

}  // namespace

double IntersectionArea(const Instance& a, const Instance& b) {
  BMulti out;
  bg::intersection(ToBoost(a), ToBoost(b), out);
  return bg::area(out);
}

double ExactIou(const Instance& a, const Instance& b) {
  const double inter = IntersectionArea(a, b);
  const double uni = Area(a) + Area(b) - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

}  // namespace understudy
