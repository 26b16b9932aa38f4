#include "rewards/validation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rewards/box_sweep.h"
#include "rewards/predicates.h"
#include "rewards/region_rebuild.h"

namespace understudy {
namespace {

using geometry::Contact;
using geometry::EdgeMeet;
using geometry::LexLess;
using geometry::Orient;
using geometry::RingInput;
using geometry::SegmentMeet;

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string Fmt(const Point& p) { return "(" + Fmt(p.x) + ", " + Fmt(p.y) + ")"; }

/** A ring after dropping repeated vertices, with its place in the instance and raw indices. */
struct PreparedRing {
  Ring pts;
  std::vector<std::size_t> raw_index;  // raw vertex index of pts[i]
  std::size_t part = 0;
  std::ptrdiff_t hole = -1;  // -1 for the outer ring
  Bounds box;
  std::uint32_t first_edge = 0;
  int orientation = 0;  // exact; meaningful once the ring is known to be simple
};

std::string RingName(std::size_t part, std::ptrdiff_t hole) {
  return "part " + std::to_string(part) +
         (hole < 0 ? " outer ring" : " hole " + std::to_string(hole));
}

std::string RingName(const PreparedRing& r) { return RingName(r.part, r.hole); }

/** Everything Validate learns about an instance before deciding. */
struct Analysis {
  std::vector<PreparedRing> rings;
  std::vector<std::uint32_t> edge_ring;  // global edge -> ring
  std::vector<EdgeMeet> meets;           // every pair of edges that meet, other than neighbours
                                         // sharing their common vertex only
  std::vector<char> fold;                // meets[i] is a ring folding back at a vertex
  std::string problem;                   // first reason the instance is not valid
  std::size_t dropped = 0;
};

PreparedRing Prepare(const Ring& raw, std::size_t part, std::ptrdiff_t hole,
                     const ValidationOptions& options, std::size_t& dropped) {
  PreparedRing r;
  r.part = part;
  r.hole = hole;
  r.pts.reserve(raw.size());
  r.raw_index.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const Point& p = raw[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      throw GeometryError(RingName(part, hole) + ": vertex " + std::to_string(i) +
                          " has a non-finite coordinate " + Fmt(p));
    }
    if (std::abs(p.x) > options.max_abs_coordinate || std::abs(p.y) > options.max_abs_coordinate) {
      throw GeometryError(RingName(part, hole) + ": vertex " + std::to_string(i) + " at " + Fmt(p) +
                          " exceeds max_abs_coordinate " + Fmt(options.max_abs_coordinate));
    }
    if (r.pts.empty() || r.pts.back() != p) {
      r.pts.push_back(p);
      r.raw_index.push_back(i);
    }
  }
  while (r.pts.size() >= 2 && r.pts.front() == r.pts.back()) {
    r.pts.pop_back();
    r.raw_index.pop_back();
  }
  dropped += raw.size() - r.pts.size();
  if (r.pts.size() < 3) {
    throw GeometryError(RingName(part, hole) + ": fewer than 3 distinct vertices (" +
                        std::to_string(r.pts.size()) + ")");
  }
  if (r.pts.size() > options.max_vertices) {
    throw GeometryError(RingName(part, hole) + ": " + std::to_string(r.pts.size()) +
                        " vertices exceed the cap of " + std::to_string(options.max_vertices));
  }
  bool flat = true;
  for (std::size_t i = 2; i < r.pts.size() && flat; ++i) {
    flat = Orient(r.pts[0], r.pts[1], r.pts[i]) == 0;
  }
  if (flat) {
    throw GeometryError(RingName(part, hole) + ": zero area (all " + std::to_string(r.pts.size()) +
                        " vertices are collinear)");
  }
  r.box = BoundsOf(r.pts);
  return r;
}

class Analyzer {
 public:
  Analyzer(const Instance& raw, const ValidationOptions& options) : options_(options) {
    if (raw.parts.empty()) throw GeometryError("instance has no parts");
    for (std::size_t p = 0; p < raw.parts.size(); ++p) {
      a_.rings.push_back(Prepare(raw.parts[p].outer, p, -1, options, a_.dropped));
      for (std::size_t h = 0; h < raw.parts[p].holes.size(); ++h) {
        a_.rings.push_back(
            Prepare(raw.parts[p].holes[h], p, static_cast<std::ptrdiff_t>(h), options, a_.dropped));
      }
    }
  }

  Analysis Run() {
    FindMeets();
    CheckRings();
    if (a_.problem.empty()) CheckStructure();
    return std::move(a_);
  }

 private:
  const PreparedRing& RingOf(std::uint32_t e) const { return a_.rings[a_.edge_ring[e]]; }
  std::size_t Local(std::uint32_t e) const { return e - RingOf(e).first_edge; }
  const Point& From(std::uint32_t e) const { return RingOf(e).pts[Local(e)]; }
  const Point& To(std::uint32_t e) const {
    const Ring& pts = RingOf(e).pts;
    const std::size_t k = Local(e) + 1;
    return pts[k == pts.size() ? 0 : k];
  }
  std::string EdgeName(std::uint32_t e) const {
    const PreparedRing& r = RingOf(e);
    const std::size_t k = Local(e);
    return std::to_string(r.raw_index[k]) + "-" +
           std::to_string(r.raw_index[k + 1 == r.pts.size() ? 0 : k + 1]);
  }

  void FindMeets() {
    std::vector<geometry::SegmentBox> boxes, active;
    for (std::uint32_t r = 0; r < a_.rings.size(); ++r) {
      PreparedRing& ring = a_.rings[r];
      ring.first_edge = static_cast<std::uint32_t>(a_.edge_ring.size());
      const std::size_t n = ring.pts.size();
      for (std::size_t k = 0; k < n; ++k) {
        const Point& p = ring.pts[k];
        const Point& q = ring.pts[k + 1 == n ? 0 : k + 1];
        boxes.push_back(
            geometry::BoxOf(p.x, p.y, q.x, q.y, static_cast<std::uint32_t>(a_.edge_ring.size())));
        a_.edge_ring.push_back(r);
      }
    }
    geometry::ForEachOverlap(boxes, active, [&](std::uint32_t e1, std::uint32_t e2) {
      if (e1 > e2) std::swap(e1, e2);
      SegmentMeet meet;
      bool fold = false;
      if (a_.edge_ring[e1] == a_.edge_ring[e2] && Neighbours(e1, e2)) {
        // Neighbours share a vertex v; they meet elsewhere only if the ring turns back along
        // itself there.
        const bool e1_first = (Local(e1) + 1) % RingOf(e1).pts.size() == Local(e2);
        const Point& u = e1_first ? From(e1) : From(e2);
        const Point& v = e1_first ? To(e1) : To(e2);
        const Point& w = e1_first ? To(e2) : To(e1);
        if (Orient(u, v, w) != 0 || LexLess(v, u) != LexLess(v, w)) return;
        meet.kind = Contact::kOverlap;
        meet.at = v;
        // The nearer of u and w along the common direction ends the common piece.
        meet.to = (LexLess(v, u) == LexLess(u, w)) ? u : w;
        fold = true;
      } else {
        meet = geometry::SegmentContact(From(e1), To(e1), From(e2), To(e2));
        if (meet.kind == Contact::kNone) return;
      }
      if (a_.meets.size() >= options_.max_contacts) {
        throw GeometryError("instance: more than " + std::to_string(options_.max_contacts) +
                            " pairs of edges cross or touch (max_contacts); too tangled to repair");
      }
      a_.meets.push_back({e1, e2, meet});
      a_.fold.push_back(fold);
    });
    // A deterministic order, lowest edges first, for messages and for the repair.
    std::vector<std::size_t> order(a_.meets.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
      const EdgeMeet& a = a_.meets[i];
      const EdgeMeet& b = a_.meets[j];
      return a.e1 != b.e1 ? a.e1 < b.e1 : a.e2 < b.e2;
    });
    std::vector<EdgeMeet> meets;
    std::vector<char> fold;
    for (const std::size_t i : order) {
      meets.push_back(a_.meets[i]);
      fold.push_back(a_.fold[i]);
    }
    a_.meets = std::move(meets);
    a_.fold = std::move(fold);
  }

  bool Neighbours(std::uint32_t e1, std::uint32_t e2) const {
    const std::size_t n = RingOf(e1).pts.size();
    const std::size_t k1 = Local(e1), k2 = Local(e2);
    return (k1 + 1) % n == k2 || (k2 + 1) % n == k1;
  }

  std::string Describe(std::size_t i) const {
    const EdgeMeet& m = a_.meets[i];
    const PreparedRing& r1 = RingOf(m.e1);
    const PreparedRing& r2 = RingOf(m.e2);
    if (&r1 == &r2) {
      const std::string head = RingName(r1) + ": ";
      if (a_.fold[i]) {
        return head + "folds back on itself at " + Fmt(m.meet.at) + " (edges " + EdgeName(m.e1) +
               " and " + EdgeName(m.e2) + " overlap)";
      }
      const std::string edges = "edges " + EdgeName(m.e1) + " and " + EdgeName(m.e2);
      switch (m.meet.kind) {
        case Contact::kCross:
          return head + edges + " cross at " + Fmt(m.meet.at);
        case Contact::kTouch:
          return head + edges + " touch at " + Fmt(m.meet.at);
        default:
          return head + edges + " overlap from " + Fmt(m.meet.at) + " to " + Fmt(m.meet.to);
      }
    }
    const std::string a = RingName(r1) + " edge " + EdgeName(m.e1);
    const std::string b = RingName(r2) + " edge " + EdgeName(m.e2);
    if (m.meet.kind == Contact::kCross) return a + " crosses " + b + " at " + Fmt(m.meet.at);
    return a + " and " + b + " overlap from " + Fmt(m.meet.at) + " to " + Fmt(m.meet.to);
  }

  void Fail(std::string problem) {
    if (a_.problem.empty()) a_.problem = std::move(problem);
  }

  // Rings must be simple: no meets within a ring, and rings meet each other only at points.
  void CheckRings() {
    for (std::size_t i = 0; i < a_.meets.size() && a_.problem.empty(); ++i) {
      const EdgeMeet& m = a_.meets[i];
      if (a_.edge_ring[m.e1] == a_.edge_ring[m.e2] || m.meet.kind != Contact::kTouch) {
        Fail(Describe(i));
      }
    }
    if (!a_.problem.empty()) return;
    for (PreparedRing& r : a_.rings) r.orientation = geometry::RingOrientation(r.pts);
  }

  // The directions in which ring edge e leaves the point t on it: towards the previous and the
  // next vertex of the ring.
  void Directions(std::uint32_t e, const Point& t, Point& prev, Point& next) const {
    const PreparedRing& r = RingOf(e);
    const std::size_t n = r.pts.size(), k = Local(e);
    if (t == r.pts[k]) {
      prev = r.pts[(k + n - 1) % n];
      next = r.pts[(k + 1) % n];
    } else if (t == To(e)) {
      prev = r.pts[k];
      next = r.pts[(k + 2) % n];
    } else {
      prev = r.pts[k];
      next = To(e);
    }
  }

  enum class Side { kOutside, kInside, kCrossing };

  struct Touch {
    std::uint32_t r1, r2;  // r1 < r2
    std::uint32_t e1, e2;  // e1 on r1, e2 on r2
    Point at;
  };

  // Where simple ring `in` lies relative to simple ring `out`, which it meets only at touches.
  Side SideOf(std::uint32_t in, std::uint32_t out, Point* where) const {
    bool any = false, inside = false;
    const auto [lo, hi] = TouchRange(std::min(in, out), std::max(in, out));
    for (std::size_t i = lo; i < hi; ++i) {
      const Touch& t = touches_[i];
      const std::uint32_t e_in = t.r1 == in ? t.e1 : t.e2;
      const std::uint32_t e_out = t.r1 == in ? t.e2 : t.e1;
      Point out_prev, out_next, in_prev, in_next;
      Directions(e_out, t.at, out_prev, out_next);
      Directions(e_in, t.at, in_prev, in_next);
      // The interior of a counter-clockwise ring is swept counter-clockwise from the direction
      // to its next vertex to the direction to its previous one.
      const bool ccw = a_.rings[out].orientation > 0;
      const Point& from = ccw ? out_next : out_prev;
      const Point& to = ccw ? out_prev : out_next;
      const bool a = geometry::StrictlyBetweenCcw(t.at, from, to, in_prev);
      const bool b = geometry::StrictlyBetweenCcw(t.at, from, to, in_next);
      if (a != b || (any && a != inside)) {
        if (where != nullptr) *where = t.at;
        return Side::kCrossing;
      }
      any = true;
      inside = a;
    }
    if (any) return inside ? Side::kInside : Side::kOutside;
    const geometry::Location loc = geometry::Locate(a_.rings[in].pts[0], a_.rings[out].pts);
    if (loc == geometry::Location::kBoundary) {  // cannot happen: it would be a touch
      if (where != nullptr) *where = a_.rings[in].pts[0];
      return Side::kCrossing;
    }
    return loc == geometry::Location::kInside ? Side::kInside : Side::kOutside;
  }

  std::pair<std::size_t, std::size_t> TouchRange(std::uint32_t r1, std::uint32_t r2) const {
    const auto lo =
        std::lower_bound(touches_.begin(), touches_.end(), std::make_pair(r1, r2),
                         [](const Touch& t, const std::pair<std::uint32_t, std::uint32_t>& k) {
                           return std::make_pair(t.r1, t.r2) < k;
                         });
    auto hi = lo;
    while (hi != touches_.end() && hi->r1 == r1 && hi->r2 == r2) ++hi;
    return {static_cast<std::size_t>(lo - touches_.begin()),
            static_cast<std::size_t>(hi - touches_.begin())};
  }

  static bool BoxesMeet(const Bounds& a, const Bounds& b) {
    return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
  }

  // Holes inside their outer ring and outside each other, parts with disjoint interiors, and
  // each part's interior connected.
  void CheckStructure() {
    for (const EdgeMeet& m : a_.meets) {  // only touches between different rings remain
      const std::uint32_t r1 = a_.edge_ring[m.e1], r2 = a_.edge_ring[m.e2];
      touches_.push_back(r1 < r2 ? Touch{r1, r2, m.e1, m.e2, m.meet.at}
                                 : Touch{r2, r1, m.e2, m.e1, m.meet.at});
    }
    std::stable_sort(touches_.begin(), touches_.end(), [](const Touch& a, const Touch& b) {
      return a.r1 != b.r1 ? a.r1 < b.r1 : a.r2 < b.r2;
    });

    // Ring indices per part: the outer ring first, then the holes.
    std::vector<std::uint32_t> part_begin;
    for (std::uint32_t r = 0; r < a_.rings.size(); ++r) {
      if (a_.rings[r].hole < 0) part_begin.push_back(r);
    }
    part_begin.push_back(static_cast<std::uint32_t>(a_.rings.size()));
    const std::size_t parts = part_begin.size() - 1;
    Point at;
    for (std::size_t p = 0; p < parts && a_.problem.empty(); ++p) {
      const std::uint32_t outer = part_begin[p];
      for (std::uint32_t h = outer + 1; h < part_begin[p + 1] && a_.problem.empty(); ++h) {
        const Side s = SideOf(h, outer, &at);
        if (s == Side::kCrossing) {
          Fail(RingName(a_.rings[h]) + " crosses the outer ring at " + Fmt(at));
        } else if (s == Side::kOutside) {
          Fail(RingName(a_.rings[h]) + " lies outside its outer ring");
        }
        for (std::uint32_t g = outer + 1; g < h && a_.problem.empty(); ++g) {
          if (!BoxesMeet(a_.rings[g].box, a_.rings[h].box)) continue;
          const Side hg = SideOf(h, g, &at);
          if (hg == Side::kCrossing) {
            Fail(RingName(a_.rings[h]) + " crosses " + RingName(a_.rings[g]) + " at " + Fmt(at));
          } else if (hg == Side::kInside) {
            Fail(RingName(a_.rings[h]) + " lies inside " + RingName(a_.rings[g]));
          } else if (SideOf(g, h, nullptr) == Side::kInside) {
            Fail(RingName(a_.rings[g]) + " lies inside " + RingName(a_.rings[h]));
          }
        }
      }
      for (std::size_t q = 0; q < p && a_.problem.empty(); ++q) CheckParts(q, p, part_begin);
    }
    if (a_.problem.empty()) CheckConnected();
  }

  // Parts q < p: their interiors must not overlap (one may sit in a hole of the other).
  void CheckParts(std::size_t q, std::size_t p, const std::vector<std::uint32_t>& part_begin) {
    const std::uint32_t op = part_begin[p], oq = part_begin[q];
    if (!BoxesMeet(a_.rings[op].box, a_.rings[oq].box)) return;
    Point at;
    const std::string overlap = "part " + std::to_string(p) + " overlaps part " + std::to_string(q);
    const Side s = SideOf(op, oq, &at);
    if (s == Side::kCrossing) {
      Fail(overlap + ": their outer rings cross at " + Fmt(at));
      return;
    }
    auto in_hole = [&](std::uint32_t inner, std::size_t host) {
      for (std::uint32_t h = part_begin[host] + 1; h < part_begin[host + 1]; ++h) {
        if (SideOf(inner, h, nullptr) == Side::kInside) return true;
      }
      return false;
    };
    if (s == Side::kInside) {
      if (!in_hole(op, q)) Fail(overlap + ": it lies inside part " + std::to_string(q));
    } else if (SideOf(oq, op, nullptr) == Side::kInside && !in_hole(oq, p)) {
      Fail(overlap + ": part " + std::to_string(q) + " lies inside it");
    }
  }

  // A part's interior is disconnected exactly when its rings and their touch points form a cycle
  // (a hole touching the outer ring twice, two holes touching each other and the outer ring...).
  void CheckConnected() {
    std::vector<std::pair<Point, std::uint32_t>> incidences;  // (touch point, ring)
    for (const Touch& t : touches_) {
      if (a_.rings[t.r1].part != a_.rings[t.r2].part) continue;
      incidences.emplace_back(t.at, t.r1);
      incidences.emplace_back(t.at, t.r2);
    }
    std::sort(incidences.begin(), incidences.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return LexLess(a.first, b.first);
      return a.second < b.second;
    });
    incidences.erase(std::unique(incidences.begin(), incidences.end()), incidences.end());
    const std::size_t rings = a_.rings.size();
    std::vector<std::uint32_t> parent(rings + incidences.size());
    std::iota(parent.begin(), parent.end(), std::uint32_t{0});
    auto find = [&](std::uint32_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    std::size_t point_node = rings;
    for (std::size_t i = 0; i < incidences.size(); ++i) {
      if (i > 0 && incidences[i].first != incidences[i - 1].first) ++point_node;
      const std::uint32_t a = find(incidences[i].second);
      const std::uint32_t b = find(static_cast<std::uint32_t>(point_node));
      if (a == b) {
        const PreparedRing& r = a_.rings[incidences[i].second];
        Fail(RingName(r) +
             " touches the other rings of its part at more than one point (again at " +
             Fmt(incidences[i].first) + "), which disconnects the interior");
        return;
      }
      parent[a] = b;
    }
  }

  const ValidationOptions& options_;
  Analysis a_;
  std::vector<Touch> touches_;
};

Instance Oriented(const Analysis& a, std::size_t& reoriented) {
  Instance out;
  for (const PreparedRing& r : a.rings) {
    Ring pts = r.pts;
    const int want = r.hole < 0 ? 1 : -1;
    if (r.orientation != want) {
      std::reverse(pts.begin(), pts.end());
      ++reoriented;
    }
    if (r.hole < 0) {
      out.parts.push_back(Polygon{std::move(pts), {}});
    } else {
      out.parts.back().holes.push_back(std::move(pts));
    }
  }
  return out;
}

std::optional<Instance> Rebuild(const Analysis& a, FillRule rule) {
  std::vector<RingInput> rings;
  rings.reserve(a.rings.size());
  for (const PreparedRing& r : a.rings) rings.push_back({r.pts, r.part, r.hole >= 0});
  return geometry::RebuildRegion(rings, a.meets, rule);
}

}  // namespace

void ValidationOptions::Validate() const {
  if (max_vertices < 3) {
    throw std::invalid_argument("ValidationOptions.max_vertices must be at least 3, got " +
                                std::to_string(max_vertices));
  }
  if (!(max_abs_coordinate > 0.0) || !(max_abs_coordinate <= 1e100)) {
    throw std::invalid_argument("ValidationOptions.max_abs_coordinate must be in (0, 1e100], got " +
                                Fmt(max_abs_coordinate));
  }
  if (max_contacts == 0) {
    throw std::invalid_argument("ValidationOptions.max_contacts must be positive, got 0");
  }
}

Instance Validate(Instance raw, const ValidationOptions& options) {
  return Validate(std::move(raw), options, nullptr);
}

Instance Validate(Instance raw, const ValidationOptions& options, ValidationReport* report) {
  options.Validate();
  ValidationReport local;
  ValidationReport& rep = report != nullptr ? *report : local;
  rep = ValidationReport{};
  Analysis a = Analyzer(raw, options).Run();
  rep.dropped_vertices = a.dropped;
  if (a.problem.empty()) return Oriented(a, rep.reoriented_rings);
  if (options.self_intersection == SelfIntersectionPolicy::kReject) {
    throw GeometryError(a.problem);
  }
  rep.problem = a.problem;
  rep.repaired = true;
  // Rebuilding is exact unless rings cross properly: their crossing points are rounded, which
  // can leave new, tiny defects. Rebuild the result again until it checks out.
  ValidationOptions check_options = options;
  check_options.max_vertices = SIZE_MAX;  // the cap applies to the input, not to added nodes
  constexpr int kAttempts = 4;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::optional<Instance> rebuilt = Rebuild(a, options.fill_rule);
    if (!rebuilt) break;
    if (rebuilt->parts.empty()) {
      throw GeometryError("instance encloses no area once repaired (" + rep.problem +
                          "; what remains retraces itself)");
    }
    Analysis check = Analyzer(*rebuilt, check_options).Run();
    if (check.problem.empty()) {
      std::size_t unused = 0;
      return Oriented(check, unused);
    }
    a = std::move(check);
  }
  throw GeometryError("instance could not be repaired robustly (" + rep.problem + ")");
}

}  // namespace understudy
