#include "rewards/segment_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

double Cross(double ax, double ay, double bx, double by) { return ax * by - ay * bx; }

// Orientation of c relative to the line a->b: >0 left, <0 right, 0 on it.
double Orient(const Point& a, const Point& b, const Point& c) {
  return Cross(b.x - a.x, b.y - a.y, c.x - a.x, c.y - a.y);
}

bool OnSegmentBox(const Point& a, const Point& b, const Point& c) {
  return std::min(a.x, b.x) <= c.x && c.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= c.y &&
         c.y <= std::max(a.y, b.y);
}

bool SegmentsMeet(const Segment& s, const Segment& u) {
  const double d1 = Orient(u.a, u.b, s.a), d2 = Orient(u.a, u.b, s.b);
  const double d3 = Orient(s.a, s.b, u.a), d4 = Orient(s.a, s.b, u.b);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    return true;
  }
  return (d1 == 0 && OnSegmentBox(u.a, u.b, s.a)) || (d2 == 0 && OnSegmentBox(u.a, u.b, s.b)) ||
         (d3 == 0 && OnSegmentBox(s.a, s.b, u.a)) || (d4 == 0 && OnSegmentBox(s.a, s.b, u.b));
}

double BoxDistanceSquared(double x0, double y0, double x1, double y1, const Point& p) {
  const double dx = p.x < x0 ? x0 - p.x : (p.x > x1 ? p.x - x1 : 0.0);
  const double dy = p.y < y0 ? y0 - p.y : (p.y > y1 ? p.y - y1 : 0.0);
  return dx * dx + dy * dy;
}

}  // namespace

double DistanceBetweenSegments(const Segment& s, const Segment& u) {
  if (SegmentsMeet(s, u)) return 0.0;
  const double d = std::min(std::min(ProjectOntoSegment(s.a, u).squared_distance,
                                     ProjectOntoSegment(s.b, u).squared_distance),
                            std::min(ProjectOntoSegment(u.a, s).squared_distance,
                                     ProjectOntoSegment(u.b, s).squared_distance));
  return std::sqrt(d);
}

SegmentIndex::SegmentIndex(const Instance& instance) {
  for (const Polygon& p : instance.parts) {
    AddRing(p.outer);
    for (const Ring& h : p.holes) AddRing(h);
  }
  Finish();
}

SegmentIndex::SegmentIndex(const Ring& ring) {
  AddRing(ring);
  Finish();
}

void SegmentIndex::Clear() {
  segments_.clear();
  ring_of_.clear();
  ring_first_.clear();
  order_.clear();
  nodes_.clear();
  total_length_ = 0.0;
}

void SegmentIndex::AddRing(const Ring& ring) {
  const std::size_t n = ring.size();
  if (n < 2) return;
  const std::size_t ring_index = ring_first_.size();
  ring_first_.push_back(segments_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Segment s{ring[i], ring[i + 1 == n ? 0 : i + 1]};
    segments_.push_back(s);
    ring_of_.push_back(ring_index);
    total_length_ += std::hypot(s.b.x - s.a.x, s.b.y - s.a.y);
  }
}

void SegmentIndex::Finish() {
  if (segments_.size() >= std::numeric_limits<std::uint32_t>::max() / 2) {
    throw std::length_error("SegmentIndex: " + std::to_string(segments_.size()) +
                            " segments exceed the index's capacity");
  }
  order_.resize(segments_.size());
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<std::uint32_t>(i);
  nodes_.clear();
  if (segments_.empty()) return;
  nodes_.reserve(2 * (segments_.size() / kLeafSize + 1));
  BuildNode(0, static_cast<std::uint32_t>(order_.size()), 0);
}

std::uint32_t SegmentIndex::BuildNode(std::uint32_t begin, std::uint32_t end, int depth) {
  const std::uint32_t index = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(Node{});
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  double cx0 = x0, cy0 = x0, cx1 = -x0, cy1 = -x0;  // box of segment midpoints, to pick a split
  for (std::uint32_t k = begin; k < end; ++k) {
    const Segment& s = segments_[order_[k]];
    x0 = std::min({x0, s.a.x, s.b.x});
    x1 = std::max({x1, s.a.x, s.b.x});
    y0 = std::min({y0, s.a.y, s.b.y});
    y1 = std::max({y1, s.a.y, s.b.y});
    const double mx = 0.5 * (s.a.x + s.b.x), my = 0.5 * (s.a.y + s.b.y);
    cx0 = std::min(cx0, mx);
    cx1 = std::max(cx1, mx);
    cy0 = std::min(cy0, my);
    cy1 = std::max(cy1, my);
  }
  nodes_[index].x0 = x0;
  nodes_[index].y0 = y0;
  nodes_[index].x1 = x1;
  nodes_[index].y1 = y1;
  if (end - begin <= kLeafSize || depth >= kMaxDepth - 1) {
    nodes_[index].first = begin;
    nodes_[index].count = end - begin;
    return index;
  }
  // Median split along the wider spread of midpoints keeps the tree balanced (depth ~ log2 n).
  const bool split_x = (cx1 - cx0) >= (cy1 - cy0);
  const std::uint32_t mid = begin + (end - begin) / 2;
  std::nth_element(order_.begin() + begin, order_.begin() + mid, order_.begin() + end,
                   [this, split_x](std::uint32_t i, std::uint32_t j) {
                     const Segment& s = segments_[i];
                     const Segment& u = segments_[j];
                     return split_x ? (s.a.x + s.b.x) < (u.a.x + u.b.x)
                                    : (s.a.y + s.b.y) < (u.a.y + u.b.y);
                   });
  BuildNode(begin, mid, depth + 1);  // the left child is always index + 1
  const std::uint32_t right = BuildNode(mid, end, depth + 1);
  nodes_[index].first = right;
  nodes_[index].count = 0;
  return index;
}

std::size_t SegmentIndex::NextInRing(std::size_t i) const {
  const std::size_t r = ring_of_[i];
  const std::size_t end = r + 1 < ring_first_.size() ? ring_first_[r + 1] : segments_.size();
  return i + 1 < end ? i + 1 : ring_first_[r];
}

std::optional<EdgeConflict> FindEdgeConflict(const SegmentIndex& index) {
  std::optional<EdgeConflict> found;
  for (std::size_t i = 0; i < index.size() && !found; ++i) {
    const Segment& s = index.segment(i);
    Bounds box;
    box.x0 = std::min(s.a.x, s.b.x);
    box.x1 = std::max(s.a.x, s.b.x);
    box.y0 = std::min(s.a.y, s.b.y);
    box.y1 = std::max(s.a.y, s.b.y);
    std::size_t best = index.size();
    index.ForEachInBox(box, [&](std::size_t j) {
      if (j <= i || j >= best || !SegmentsMeet(s, index.segment(j))) return;
      const Segment& u = index.segment(j);
      // Consecutive edges share a vertex and meet nowhere else unless the second doubles back
      // along the first.
      const bool i_then_j = index.NextInRing(i) == j;
      if (i_then_j || index.NextInRing(j) == i) {
        const Segment& first = i_then_j ? s : u;
        const Segment& second = i_then_j ? u : s;
        const double ax = first.b.x - first.a.x, ay = first.b.y - first.a.y;
        const double bx = second.b.x - second.a.x, by = second.b.y - second.a.y;
        if (!(Cross(ax, ay, bx, by) == 0.0 && ax * bx + ay * by < 0.0)) return;
      }
      best = j;
    });
    if (best < index.size()) found = EdgeConflict{i, best};
  }
  return found;
}

NearestPoint SegmentIndex::Nearest(const Point& p, std::size_t hint) const {
  NearestPoint best;
  if (nodes_.empty()) return best;
  double best_d2 = std::numeric_limits<double>::infinity();
  std::size_t best_i = static_cast<std::size_t>(-1);
  double best_t = 0.0;
  auto consider = [&](std::size_t i) {
    const SegmentProjection pr = ProjectOntoSegment(p, segments_[i]);
    // Ties go to the lower segment index, so answers do not depend on the traversal order.
    if (pr.squared_distance < best_d2 || (pr.squared_distance == best_d2 && i < best_i)) {
      best_d2 = pr.squared_distance;
      best_i = i;
      best_t = pr.t;
    }
  };
  if (hint < segments_.size()) consider(hint);

  std::uint32_t stack[kMaxDepth + 2];
  int top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const Node& n = nodes_[stack[--top]];
    const std::uint32_t ni = static_cast<std::uint32_t>(&n - nodes_.data());
    if (BoxDistanceSquared(n.x0, n.y0, n.x1, n.y1, p) > best_d2) continue;
    if (n.count > 0) {
      for (std::uint32_t k = n.first; k < n.first + n.count; ++k) consider(order_[k]);
      continue;
    }
    const Node& left = nodes_[ni + 1];
    const Node& right = nodes_[n.first];
    const double dl = BoxDistanceSquared(left.x0, left.y0, left.x1, left.y1, p);
    const double dr = BoxDistanceSquared(right.x0, right.y0, right.x1, right.y1, p);
    // Visit the nearer child first: it usually tightens best_d2 enough to skip the other.
    if (dl <= dr) {
      stack[top++] = n.first;
      stack[top++] = ni + 1;
    } else {
      stack[top++] = ni + 1;
      stack[top++] = n.first;
    }
  }
  best.distance = std::sqrt(best_d2);
  best.segment = best_i;
  best.t = best_t;
  best.point = PointOnSegment(segments_[best_i], best_t);
  return best;
}

}  // namespace understudy
