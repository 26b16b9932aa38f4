#pragma once

// Sort-and-sweep over axis-aligned boxes (internal to rewards/): reports every pair of boxes
// that overlap (closed: touching counts), in O((n + k) log n + total active-list scans). Used to
// prune segment pairs before the exact tests.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace understudy::geometry {

/** The bounding box of one segment and the segment's index. */
struct SegmentBox {
  double x0, x1, y0, y1;
  std::uint32_t id;
};

inline SegmentBox BoxOf(double ax, double ay, double bx, double by, std::uint32_t id) {
  return SegmentBox{std::min(ax, bx), std::max(ax, bx), std::min(ay, by), std::max(ay, by), id};
}

inline bool XOverlap(const SegmentBox& a, const SegmentBox& b) {
  return a.x0 <= b.x1 && b.x0 <= a.x1;
}

inline void SortByY0(std::vector<SegmentBox>& boxes) {
  std::sort(boxes.begin(), boxes.end(),
            [](const SegmentBox& a, const SegmentBox& b) { return a.y0 < b.y0; });
}

/** Calls f(id_a, id_b) for every overlapping pair within one set; sorts `boxes`. */
template <class F>
void ForEachOverlap(std::vector<SegmentBox>& boxes, std::vector<SegmentBox>& active, F&& f) {
  SortByY0(boxes);
  active.clear();
  for (const SegmentBox& b : boxes) {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (active[i].y1 < b.y0) continue;  // ended below the sweep line: drop
      active[keep++] = active[i];
      if (XOverlap(active[i], b)) f(active[i].id, b.id);
    }
    active.resize(keep);
    active.push_back(b);
  }
}

/**
 * Calls f(id_a, id_b) for every overlapping pair with one box from `a` and one from `b`; sorts
 * both sets.
 */
template <class F>
void ForEachOverlap(std::vector<SegmentBox>& a, std::vector<SegmentBox>& b,
                    std::vector<SegmentBox>& active_a, std::vector<SegmentBox>& active_b, F&& f) {
  SortByY0(a);
  SortByY0(b);
  active_a.clear();
  active_b.clear();
  std::size_t i = 0, j = 0;
  auto scan = [](std::vector<SegmentBox>& active, const SegmentBox& box, auto&& report) {
    std::size_t keep = 0;
    for (std::size_t k = 0; k < active.size(); ++k) {
      if (active[k].y1 < box.y0) continue;
      active[keep++] = active[k];
      if (XOverlap(active[k], box)) report(active[k]);
    }
    active.resize(keep);
  };
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].y0 <= b[j].y0)) {
      const SegmentBox& box = a[i++];
      scan(active_b, box, [&](const SegmentBox& other) { f(box.id, other.id); });
      active_a.push_back(box);
    } else {
      const SegmentBox& box = b[j++];
      scan(active_a, box, [&](const SegmentBox& other) { f(other.id, box.id); });
      active_b.push_back(box);
    }
  }
}

}  // namespace understudy::geometry
