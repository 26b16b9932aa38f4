#include "rewards/region_rebuild.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "rewards/box_sweep.h"

// An exact planar-arrangement overlay. The combinatorial structure (which pieces exist, the
// order of crossings along a segment, the order of edges around a node, the faces and their
// winding numbers) is decided by exact predicates on the input coordinates only; the rounded
// coordinates of crossing points are used for nothing but the output.
//  1. Split every edge where another edge touches or overlaps it (at input vertices, exactly)
//     and merge coincident pieces into segments that carry, per input ring, the net number of
//     times the ring runs along them; pieces retraced out and back cancel and vanish.
//  2. Find the proper crossings between segments; order them along each segment exactly, and
//     merge crossings at the same point (three or more segments through one point) into one node.
//  3. Sort the edges around each node by exact angle (the directions of their segments) and trace
//     the faces.
//  4. Give every face its winding number about each ring: across an edge the numbers jump by the
//     edge's counts, and the outer face of each connected component takes its numbers from the
//     other components (an exact point-in-polygon test at its lowest-left vertex).
//  5. Keep the faces the fill rule and the part/hole structure put inside, and trace the edges
//     between kept and dropped faces into rings, turning as sharply left as possible so that
//     regions meeting at a single point come out as separate rings.
//  6. Split rings that still visit a node twice (a region touching itself) into simple loops:
//     counter-clockwise loops are outer rings, clockwise loops holes of the smallest outer ring
//     that contains them.

namespace understudy::geometry {
namespace {

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) {
    std::iota(parent.begin(), parent.end(), std::uint32_t{0});
  }
  std::uint32_t Find(std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Unite(std::uint32_t a, std::uint32_t b) { parent[Find(a)] = Find(b); }
};

struct Piece {
  std::uint32_t u, v;  // node ids, u < v
  std::uint32_t ring;
  int dir;  // +1 when the ring runs u -> v
};

struct Weight {
  std::uint32_t ring;
  int delta;  // net count of the ring running along the segment from u to v
};

/** A segment between input vertices u < v, with its per-ring counts. */
struct Segment {
  std::uint32_t u, v;
  std::uint32_t w_begin, w_end;
};

/** A piece of segment `seg` between two nodes of the final graph, running like the segment. */
struct GraphEdge {
  std::uint32_t a, b;
  std::uint32_t seg;
};

class Rebuilder {
 public:
  Rebuilder(const std::vector<RingInput>& rings, const std::vector<EdgeMeet>& meets, FillRule rule)
      : rings_(rings), meets_(meets), rule_(rule) {}

  std::optional<Instance> Run() {
    BuildSegments();
    if (segments_.empty()) return Instance{};
    if (!NodeCrossings()) return std::nullopt;
    SortAroundNodes();
    TraceFaces();
    if (!LabelFaces()) return std::nullopt;
    return Extract();
  }

 private:
  // ---- 1. Exact noding at touches and overlaps -------------------------------------------
  void BuildSegments() {
    const std::size_t ring_count = rings_.size();
    std::vector<std::uint32_t> first_edge(ring_count + 1, 0);
    for (std::size_t r = 0; r < ring_count; ++r) {
      first_edge[r + 1] = first_edge[r] + static_cast<std::uint32_t>(rings_[r].pts.size());
    }
    const std::uint32_t edge_count = first_edge[ring_count];
    std::vector<std::uint32_t> edge_ring(edge_count);
    for (std::uint32_t r = 0; r < ring_count; ++r) {
      std::fill(edge_ring.begin() + first_edge[r], edge_ring.begin() + first_edge[r + 1], r);
    }
    auto from = [&](std::uint32_t e) -> const Point& {
      const std::uint32_t r = edge_ring[e];
      return rings_[r].pts[e - first_edge[r]];
    };
    auto to = [&](std::uint32_t e) -> const Point& {
      const std::uint32_t r = edge_ring[e];
      const std::uint32_t k = e - first_edge[r] + 1;
      return rings_[r].pts[k == rings_[r].pts.size() ? 0 : k];
    };

    // Touch and overlap points are input vertices, so these splits are exact. Proper crossings
    // are found again between the merged segments in step 2.
    std::vector<std::pair<std::uint32_t, Point>> splits;
    auto add_split = [&](std::uint32_t e, const Point& p) {
      if (p != from(e) && p != to(e)) splits.emplace_back(e, p);
    };
    for (const EdgeMeet& m : meets_) {
      if (m.meet.kind == Contact::kCross) continue;
      add_split(m.e1, m.meet.at);
      add_split(m.e2, m.meet.at);
      if (m.meet.kind == Contact::kOverlap) {
        add_split(m.e1, m.meet.to);
        add_split(m.e2, m.meet.to);
      }
    }
    std::sort(splits.begin(), splits.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      // On a segment, lexicographic order is the order along it.
      return LexLess(from(a.first), to(a.first)) ? LexLess(a.second, b.second)
                                                 : LexLess(b.second, a.second);
    });
    splits.erase(std::unique(splits.begin(), splits.end()), splits.end());

    std::vector<std::pair<Point, Point>> piece_pts;
    std::vector<std::uint32_t> piece_ring;
    piece_pts.reserve(edge_count + splits.size());
    std::size_t s = 0;
    for (std::uint32_t e = 0; e < edge_count; ++e) {
      Point a = from(e);
      for (; s < splits.size() && splits[s].first == e; ++s) {
        piece_pts.emplace_back(a, splits[s].second);
        piece_ring.push_back(edge_ring[e]);
        a = splits[s].second;
      }
      piece_pts.emplace_back(a, to(e));
      piece_ring.push_back(edge_ring[e]);
    }

    // Input vertices sorted lexicographically: node 0 is the lowest-left.
    pts_.reserve(2 * piece_pts.size());
    for (const auto& pp : piece_pts) {
      pts_.push_back(pp.first);
      pts_.push_back(pp.second);
    }
    std::sort(pts_.begin(), pts_.end(), LexLess);
    pts_.erase(std::unique(pts_.begin(), pts_.end()), pts_.end());
    vertex_count_ = static_cast<std::uint32_t>(pts_.size());
    auto node_id = [&](const Point& p) {
      return static_cast<std::uint32_t>(std::lower_bound(pts_.begin(), pts_.end(), p, LexLess) -
                                        pts_.begin());
    };
    std::vector<Piece> pieces;
    pieces.reserve(piece_pts.size());
    for (std::size_t i = 0; i < piece_pts.size(); ++i) {
      const std::uint32_t a = node_id(piece_pts[i].first), b = node_id(piece_pts[i].second);
      pieces.push_back(a < b ? Piece{a, b, piece_ring[i], 1} : Piece{b, a, piece_ring[i], -1});
    }
    std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) {
      if (a.u != b.u) return a.u < b.u;
      if (a.v != b.v) return a.v < b.v;
      return a.ring < b.ring;
    });
    for (std::size_t i = 0; i < pieces.size();) {
      const auto w_begin = static_cast<std::uint32_t>(weights_.size());
      std::size_t j = i;
      while (j < pieces.size() && pieces[j].u == pieces[i].u && pieces[j].v == pieces[i].v) {
        const std::uint32_t ring = pieces[j].ring;
        int sum = 0;
        for (; j < pieces.size() && pieces[j].u == pieces[i].u && pieces[j].v == pieces[i].v &&
               pieces[j].ring == ring;
             ++j) {
          sum += pieces[j].dir;
        }
        if (sum != 0) weights_.push_back({ring, sum});
      }
      // Pieces that every ring retraces out and back separate nothing: drop them.
      if (weights_.size() > w_begin) {
        segments_.push_back(
            {pieces[i].u, pieces[i].v, w_begin, static_cast<std::uint32_t>(weights_.size())});
      }
      i = j;
    }
  }

  // ---- 2. Proper crossings, as nodes identified by the segments through them ---------------
  bool NodeCrossings() {
    const auto seg_count = static_cast<std::uint32_t>(segments_.size());
    std::vector<SegmentBox> boxes, active;
    boxes.reserve(seg_count);
    for (std::uint32_t i = 0; i < seg_count; ++i) {
      const Point& a = pts_[segments_[i].u];
      const Point& b = pts_[segments_[i].v];
      boxes.push_back(BoxOf(a.x, a.y, b.x, b.y, i));
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> crossings;
    bool consistent = true;
    ForEachOverlap(boxes, active, [&](std::uint32_t s, std::uint32_t t) {
      const Segment& a = segments_[s];
      const Segment& b = segments_[t];
      const SegmentMeet m = SegmentContact(pts_[a.u], pts_[a.v], pts_[b.u], pts_[b.v]);
      if (m.kind == Contact::kCross) {
        crossings.emplace_back(s, t);
      } else if (m.kind != Contact::kNone) {
        // After step 1 segments meet only at shared endpoints or by crossing properly.
        const bool shared = a.u == b.u || a.u == b.v || a.v == b.u || a.v == b.v;
        if (!(m.kind == Contact::kTouch && shared)) consistent = false;
      }
    });
    if (!consistent) return false;

    // Crossings per segment, ordered along the segment from u to v.
    std::vector<std::uint32_t> begin(seg_count + 1, 0);
    for (const auto& c : crossings) {
      ++begin[c.first + 1];
      ++begin[c.second + 1];
    }
    for (std::uint32_t i = 0; i < seg_count; ++i) begin[i + 1] += begin[i];
    std::vector<std::uint32_t> along(begin.back());
    {
      std::vector<std::uint32_t> fill(begin.begin(), begin.end() - 1);
      for (std::uint32_t c = 0; c < crossings.size(); ++c) {
        along[fill[crossings[c].first]++] = c;
        along[fill[crossings[c].second]++] = c;
      }
    }
    auto other = [&](std::uint32_t c, std::uint32_t s) {
      return crossings[c].first == s ? crossings[c].second : crossings[c].first;
    };
    UnionFind same(crossings.size());
    for (std::uint32_t s = 0; s < seg_count; ++s) {
      const Point& p = pts_[segments_[s].u];
      const Point& q = pts_[segments_[s].v];
      auto cmp = [&](std::uint32_t c1, std::uint32_t c2) {
        const Segment& t1 = segments_[other(c1, s)];
        const Segment& t2 = segments_[other(c2, s)];
        return CompareCrossings(p, q, pts_[t1.u], pts_[t1.v], pts_[t2.u], pts_[t2.v]);
      };
      std::sort(along.begin() + begin[s], along.begin() + begin[s + 1],
                [&](std::uint32_t c1, std::uint32_t c2) { return cmp(c1, c2) < 0; });
      // Segments through one point: their pairwise crossings are one node.
      for (std::uint32_t k = begin[s] + 1; k < begin[s + 1]; ++k) {
        if (cmp(along[k - 1], along[k]) == 0) same.Unite(along[k - 1], along[k]);
      }
    }
    std::vector<std::uint32_t> node_of_crossing(crossings.size());
    std::vector<std::uint32_t> node_of_root(crossings.size(), UINT32_MAX);
    for (std::uint32_t c = 0; c < crossings.size(); ++c) {
      const std::uint32_t root = same.Find(c);
      if (node_of_root[root] == UINT32_MAX) {
        node_of_root[root] = static_cast<std::uint32_t>(pts_.size());
        const Segment& a = segments_[crossings[c].first];
        const Segment& b = segments_[crossings[c].second];
        pts_.push_back(CrossingPoint(pts_[a.u], pts_[a.v], pts_[b.u], pts_[b.v]));
      }
      node_of_crossing[c] = node_of_root[root];
    }

    // Graph edges: the pieces of each segment between consecutive nodes.
    for (std::uint32_t s = 0; s < seg_count; ++s) {
      std::uint32_t a = segments_[s].u;
      for (std::uint32_t k = begin[s]; k < begin[s + 1]; ++k) {
        const std::uint32_t n = node_of_crossing[along[k]];
        if (n == a) continue;
        edges_.push_back({a, n, s});
        a = n;
      }
      edges_.push_back({a, segments_[s].v, s});
    }
    return true;
  }

  // ---- 3. Angular order and faces -----------------------------------------------------------
  std::uint32_t Tail(std::uint32_t h) const {
    return (h & 1) ? edges_[h >> 1].b : edges_[h >> 1].a;
  }
  std::uint32_t Head(std::uint32_t h) const {
    return (h & 1) ? edges_[h >> 1].a : edges_[h >> 1].b;
  }
  // The direction of half-edge h, given exactly by input vertices: its segment, maybe reversed.
  const Point& DirFrom(std::uint32_t h) const {
    const Segment& s = segments_[edges_[h >> 1].seg];
    return pts_[(h & 1) ? s.v : s.u];
  }
  const Point& DirTo(std::uint32_t h) const {
    const Segment& s = segments_[edges_[h >> 1].seg];
    return pts_[(h & 1) ? s.u : s.v];
  }
  std::uint32_t Degree(std::uint32_t n) const { return out_begin_[n + 1] - out_begin_[n]; }
  // The face on the left of h continues with the first edge clockwise from h's twin.
  std::uint32_t Next(std::uint32_t h) const {
    const std::uint32_t n = Head(h), d = Degree(n);
    return out_[out_begin_[n] + (pos_[h ^ 1] + d - 1) % d];
  }

  void SortAroundNodes() {
    half_count_ = static_cast<std::uint32_t>(2 * edges_.size());
    out_begin_.assign(pts_.size() + 1, 0);
    for (std::uint32_t h = 0; h < half_count_; ++h) ++out_begin_[Tail(h) + 1];
    for (std::size_t n = 0; n < pts_.size(); ++n) out_begin_[n + 1] += out_begin_[n];
    out_.resize(half_count_);
    {
      std::vector<std::uint32_t> fill(out_begin_.begin(), out_begin_.end() - 1);
      for (std::uint32_t h = 0; h < half_count_; ++h) out_[fill[Tail(h)]++] = h;
    }
    pos_.resize(half_count_);
    for (std::uint32_t n = 0; n < pts_.size(); ++n) {
      const auto first = out_.begin() + out_begin_[n], last = out_.begin() + out_begin_[n + 1];
      // Directions around a node are distinct: equal ones would be overlapping segments, which
      // step 1 merged, or parallel segments, which do not cross.
      std::sort(first, last, [&](std::uint32_t a, std::uint32_t b) {
        return DirectionLess(DirFrom(a), DirTo(a), DirFrom(b), DirTo(b));
      });
      for (auto it = first; it != last; ++it) {
        pos_[*it] = static_cast<std::uint32_t>(it - first);
      }
    }
  }

  void TraceFaces() {
    face_.assign(half_count_, UINT32_MAX);
    for (std::uint32_t h = 0; h < half_count_; ++h) {
      if (face_[h] != UINT32_MAX) continue;
      const auto f = static_cast<std::uint32_t>(face_first_.size());
      face_first_.push_back(h);
      std::uint32_t x = h;
      do {
        face_[x] = f;
        x = Next(x);
      } while (x != h);
    }
  }

  // ---- 4. Winding numbers per face and ring ---------------------------------------------------
  bool LabelFaces() {
    const std::size_t R = rings_.size();
    const std::size_t face_count = face_first_.size();
    UnionFind uf(pts_.size());
    for (const GraphEdge& e : edges_) uf.Unite(e.a, e.b);
    // The lowest-left point of a component is an input vertex (crossings lie inside segments),
    // and input vertices are numbered in lexicographic order.
    std::vector<std::uint32_t> comp_of_root(pts_.size(), UINT32_MAX), comp_lowest;
    for (std::uint32_t n = 0; n < vertex_count_; ++n) {
      if (Degree(n) == 0) continue;
      const std::uint32_t root = uf.Find(n);
      if (comp_of_root[root] == UINT32_MAX) {
        comp_of_root[root] = static_cast<std::uint32_t>(comp_lowest.size());
        comp_lowest.push_back(n);
      }
    }
    const std::size_t comp_count = comp_lowest.size();
    std::vector<std::uint32_t> comp_of_segment(segments_.size());
    for (std::size_t s = 0; s < segments_.size(); ++s) {
      comp_of_segment[s] = comp_of_root[uf.Find(segments_[s].u)];
    }

    label_.assign(face_count * R, 0);
    std::vector<char> labelled(face_count, 0);
    std::vector<std::uint32_t> queue;
    std::vector<int> expect(R);
    for (std::uint32_t c = 0; c < comp_count; ++c) {
      // At the lowest-left vertex every edge points right or straight up; the outer face lies
      // left of the edge with the largest angle up to pi.
      const std::uint32_t n = comp_lowest[c];
      std::uint32_t outer_half = out_[out_begin_[n + 1] - 1];
      for (std::uint32_t k = out_begin_[n]; k < out_begin_[n + 1]; ++k) {
        const std::uint32_t h = out_[k];
        const Point& a = DirFrom(h);
        const Point& b = DirTo(h);
        if (b.y > a.y || (b.y == a.y && b.x > a.x)) outer_half = h;
      }
      const std::uint32_t f0 = face_[outer_half];
      int* base = &label_[f0 * R];
      if (comp_count > 1) {
        // Winding numbers of the other components at this vertex, which none of them touches.
        const Point& p = pts_[n];
        for (std::size_t s = 0; s < segments_.size(); ++s) {
          if (comp_of_segment[s] == c) continue;
          const Point& a = pts_[segments_[s].u];
          const Point& b = pts_[segments_[s].v];
          int step = 0;
          if (a.y <= p.y) {
            if (b.y > p.y && Orient(a, b, p) > 0) step = 1;
          } else if (b.y <= p.y && Orient(a, b, p) < 0) {
            step = -1;
          }
          if (step == 0) continue;
          for (std::uint32_t k = segments_[s].w_begin; k < segments_[s].w_end; ++k) {
            base[weights_[k].ring] += step * weights_[k].delta;
          }
        }
      }
      labelled[f0] = 1;
      queue.assign(1, f0);
      for (std::size_t qi = 0; qi < queue.size(); ++qi) {
        const std::uint32_t f = queue[qi];
        const std::uint32_t start = face_first_[f];
        std::uint32_t h = start;
        do {
          // Winding numbers drop by the edge's counts from its left face to its right face.
          const std::uint32_t g = face_[h ^ 1];
          std::copy(label_.begin() + f * R, label_.begin() + (f + 1) * R, expect.begin());
          const Segment& s = segments_[edges_[h >> 1].seg];
          const int sign = (h & 1) ? -1 : 1;
          for (std::uint32_t k = s.w_begin; k < s.w_end; ++k) {
            expect[weights_[k].ring] -= sign * weights_[k].delta;
          }
          if (!labelled[g]) {
            labelled[g] = 1;
            std::copy(expect.begin(), expect.end(), label_.begin() + g * R);
            queue.push_back(g);
          } else if (!std::equal(expect.begin(), expect.end(), label_.begin() + g * R)) {
            return false;  // cannot happen with exact predicates; kept as a guard
          }
          h = Next(h);
        } while (h != start);
      }
    }
    return true;
  }

  // ---- 5, 6. Inside faces, boundary rings, loops -------------------------------------------
  std::optional<Instance> Extract() {
    const std::size_t R = rings_.size();
    const std::size_t face_count = face_first_.size();
    std::size_t part_count = 0;
    for (const RingInput& r : rings_) part_count = std::max(part_count, r.part + 1);
    auto filled = [&](int w) { return rule_ == FillRule::kEvenOdd ? (w & 1) != 0 : w != 0; };
    std::vector<char> inside(face_count, 0), part_in(part_count), part_out(part_count);
    for (std::size_t f = 0; f < face_count; ++f) {
      std::fill(part_in.begin(), part_in.end(), 0);
      std::fill(part_out.begin(), part_out.end(), 0);
      for (std::size_t r = 0; r < R; ++r) {
        if (filled(label_[f * R + r])) (rings_[r].hole ? part_out : part_in)[rings_[r].part] = 1;
      }
      for (std::size_t p = 0; p < part_count; ++p) {
        if (part_in[p] && !part_out[p]) inside[f] = 1;
      }
    }
    std::vector<char> keep(half_count_);
    for (std::uint32_t h = 0; h < half_count_; ++h) {
      keep[h] = inside[face_[h]] && !inside[face_[h ^ 1]];
    }

    std::vector<char> used(half_count_, 0);
    std::vector<std::int64_t> where(pts_.size(), -1);
    std::vector<std::uint32_t> seq, stack;
    std::vector<Ring> outers, holes;
    auto emit = [&](std::size_t begin) {
      Ring loop;
      loop.reserve(stack.size() - begin);
      for (std::size_t i = begin; i < stack.size(); ++i) {
        // Crossing nodes a few ulps apart can round to the same point.
        if (loop.empty() || loop.back() != pts_[stack[i]]) loop.push_back(pts_[stack[i]]);
      }
      while (loop.size() > 1 && loop.front() == loop.back()) loop.pop_back();
      bool flat = true;
      for (std::size_t i = 2; i < loop.size() && flat; ++i) {
        flat = Orient(loop[0], loop[1], loop[i]) == 0;
      }
      // A sliver that rounding flattened has no area to keep.
      if (loop.size() < 3 || flat) return;
      (RingOrientation(loop) > 0 ? outers : holes).push_back(std::move(loop));
    };
    for (std::uint32_t h0 = 0; h0 < half_count_; ++h0) {
      if (!keep[h0] || used[h0]) continue;
      // From each kept half-edge continue with the first kept one clockwise from its twin.
      seq.clear();
      std::uint32_t h = h0;
      do {
        if (used[h]) return std::nullopt;
        used[h] = 1;
        seq.push_back(Tail(h));
        const std::uint32_t n = Head(h), d = Degree(n);
        std::uint32_t k = pos_[h ^ 1], tries = 0;
        do {
          k = (k + d - 1) % d;
          if (++tries > d) return std::nullopt;
        } while (!keep[out_[out_begin_[n] + k]]);
        h = out_[out_begin_[n] + k];
      } while (h != h0);

      stack.clear();
      for (const std::uint32_t n : seq) {
        if (where[n] >= 0) {
          const auto k = static_cast<std::size_t>(where[n]);
          emit(k);
          for (std::size_t i = k + 1; i < stack.size(); ++i) where[stack[i]] = -1;
          stack.resize(k + 1);
        } else {
          where[n] = static_cast<std::int64_t>(stack.size());
          stack.push_back(n);
        }
      }
      emit(0);
      for (const std::uint32_t n : stack) where[n] = -1;
    }

    Instance result;
    std::vector<Bounds> outer_box;
    std::vector<double> outer_area;
    for (Ring& o : outers) {
      outer_box.push_back(BoundsOf(o));
      outer_area.push_back(SignedArea(o));
      result.parts.push_back(Polygon{std::move(o), {}});
    }
    for (Ring& hole : holes) {
      const Bounds hb = BoundsOf(hole);
      std::size_t best = SIZE_MAX;
      for (std::size_t o = 0; o < result.parts.size(); ++o) {
        const Bounds& ob = outer_box[o];
        if (hb.x0 < ob.x0 || hb.x1 > ob.x1 || hb.y0 < ob.y0 || hb.y1 > ob.y1) continue;
        Location loc = Location::kBoundary;
        for (std::size_t i = 0; i < hole.size() && loc == Location::kBoundary; ++i) {
          loc = Locate(hole[i], result.parts[o].outer);
        }
        if (loc == Location::kBoundary) {
          // Every vertex on the outer ring: decide by a point inside the hole's first edge.
          const Point mid{0.5 * (hole[0].x + hole[1].x), 0.5 * (hole[0].y + hole[1].y)};
          loc = Locate(mid, result.parts[o].outer);
        }
        if (loc != Location::kInside) continue;
        if (best == SIZE_MAX || outer_area[o] < outer_area[best]) best = o;
      }
      if (best == SIZE_MAX) return std::nullopt;
      result.parts[best].holes.push_back(std::move(hole));
    }
    return result;
  }

  const std::vector<RingInput>& rings_;
  const std::vector<EdgeMeet>& meets_;
  const FillRule rule_;

  std::vector<Point> pts_;  // input vertices [0, vertex_count_), then crossing nodes
  std::uint32_t vertex_count_ = 0;
  std::vector<Segment> segments_;
  std::vector<Weight> weights_;
  std::vector<GraphEdge> edges_;
  std::uint32_t half_count_ = 0;
  std::vector<std::uint32_t> out_begin_, out_, pos_;
  std::vector<std::uint32_t> face_, face_first_;
  std::vector<int> label_;
};

}  // namespace

std::optional<Instance> RebuildRegion(const std::vector<RingInput>& rings,
                                      const std::vector<EdgeMeet>& meets, FillRule rule) {
  return Rebuilder(rings, meets, rule).Run();
}

}  // namespace understudy::geometry
