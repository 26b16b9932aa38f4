#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "rewards/polygon.h"

namespace understudy {

/** One straight edge of a ring, from a to b. */
struct Segment {
  Point a;
  Point b;
};

/** The closest point of a segment to a query point: squared distance and position t in [0,1]. */
struct SegmentProjection {
  double squared_distance = 0.0;
  double t = 0.0;
};

/** Projects p onto the segment; a zero-length segment projects onto its start. */
inline SegmentProjection ProjectOntoSegment(const Point& p, const Segment& s) {
  const double dx = s.b.x - s.a.x, dy = s.b.y - s.a.y;
  const double px = p.x - s.a.x, py = p.y - s.a.y;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0.0 ? (px * dx + py * dy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double ex = px - t * dx, ey = py - t * dy;
  return {ex * ex + ey * ey, t};
}

/** Euclidean distance from p to the segment. */
inline double DistanceToSegment(const Point& p, const Segment& s) {
  return std::sqrt(ProjectOntoSegment(p, s).squared_distance);
}

/** The point at position t along the segment. */
inline Point PointOnSegment(const Segment& s, double t) {
  return {s.a.x + t * (s.b.x - s.a.x), s.a.y + t * (s.b.y - s.a.y)};
}

/** Distance between two closed segments: 0 when they meet. */
double DistanceBetweenSegments(const Segment& s, const Segment& u);

/** The closest point of an indexed boundary to a query point. */
struct NearestPoint {
  double distance = std::numeric_limits<double>::infinity();
  Point point;
  std::size_t segment = static_cast<std::size_t>(-1);  // index into SegmentIndex::segment()
  double t = 0.0;                                      // position along that segment
  bool found() const { return segment != static_cast<std::size_t>(-1); }
};

/**
 * A bounding-volume hierarchy over the edges of closed rings (the implicit closing edge
 * included), for nearest-point and box queries on polygon boundaries. Segments keep the order in
 * which rings were added: ring r's edge i (from vertex i to i+1) follows all edges of earlier
 * rings. Queries allocate nothing and are safe to run concurrently on a built index.
 */
class SegmentIndex {
 public:
  SegmentIndex() = default;
  /** Indexes every ring of the instance: each part's outer ring, then its holes. */
  explicit SegmentIndex(const Instance& instance);
  /** Indexes one ring. */
  explicit SegmentIndex(const Ring& ring);

  /** Forgets all segments but keeps the storage, for reuse. */
  void Clear();
  /** Appends a ring's edges; call Finish() before querying. Rings with < 2 vertices add none. */
  void AddRing(const Ring& ring);
  /** Builds the hierarchy over everything added since Clear(). */
  void Finish();

  std::size_t size() const { return segments_.size(); }
  /** Which ring (in the order added) segment i belongs to, and its edge number there. */
  std::size_t RingOf(std::size_t i) const { return ring_of_[i]; }
  std::size_t EdgeInRing(std::size_t i) const { return i - ring_first_[ring_of_[i]]; }
  /** The segment after i in its ring (the closing edge is followed by the first). */
  std::size_t NextInRing(std::size_t i) const;
  bool empty() const { return segments_.empty(); }
  const Segment& segment(std::size_t i) const { return segments_[i]; }
  /** Sum of the segment lengths. */
  double TotalLength() const { return total_length_; }

  /**
   * The closest boundary point to p. `hint` (a segment index, e.g. the previous answer for a
   * nearby query) only speeds the search up. Returns found() == false on an empty index.
   */
  NearestPoint Nearest(const Point& p, std::size_t hint = static_cast<std::size_t>(-1)) const;

  /** Calls visit(i) once for every segment whose bounding box meets `box` (closed). */
  template <typename Visit>
  void ForEachInBox(const Bounds& box, Visit&& visit) const;

 private:
  struct Node {
    double x0, y0, x1, y1;  // bounding box of the node's segments
    std::uint32_t first;    // leaf: first position in order_; inner: index of the right child
    std::uint32_t count;    // leaf: number of segments; inner: 0 (left child is the next node)
  };
  static constexpr int kMaxDepth = 64;
  static constexpr std::uint32_t kLeafSize = 4;

  std::uint32_t BuildNode(std::uint32_t begin, std::uint32_t end, int depth);

  std::vector<Segment> segments_;
  std::vector<std::size_t> ring_of_;     // ring of each segment
  std::vector<std::size_t> ring_first_;  // first segment of each ring
  std::vector<std::uint32_t> order_;     // segment indices, grouped by leaf
  std::vector<Node> nodes_;
  double total_length_ = 0.0;
};

/** Two edges that cross, overlap or touch other than where consecutive edges of a ring meet. */
struct EdgeConflict {
  std::size_t first = 0;  // segment indices, first < second
  std::size_t second = 0;
};

/**
 * The first conflict (lowest first, then second) among the indexed rings, or none when every
 * ring is simple and the rings are pairwise disjoint, as the metrics assume. O(n log n) typical.
 */
std::optional<EdgeConflict> FindEdgeConflict(const SegmentIndex& index);

template <typename Visit>
void SegmentIndex::ForEachInBox(const Bounds& box, Visit&& visit) const {
  if (nodes_.empty() || box.empty()) return;
  std::uint32_t stack[kMaxDepth + 2];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const std::uint32_t ni = stack[--top];
    const Node& n = nodes_[ni];
    if (n.x0 > box.x1 || n.x1 < box.x0 || n.y0 > box.y1 || n.y1 < box.y0) continue;
    if (n.count > 0) {
      for (std::uint32_t k = n.first; k < n.first + n.count; ++k) {
        const Segment& s = segments_[order_[k]];
        if (std::min(s.a.x, s.b.x) > box.x1 || std::max(s.a.x, s.b.x) < box.x0 ||
            std::min(s.a.y, s.b.y) > box.y1 || std::max(s.a.y, s.b.y) < box.y0) {
          continue;
        }
        visit(static_cast<std::size_t>(order_[k]));
      }
      continue;
    }
    stack[top++] = n.first;  // right child
    stack[top++] = ni + 1;   // left child
  }
}

}  // namespace understudy
