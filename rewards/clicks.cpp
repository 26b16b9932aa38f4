#include "rewards/clicks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rewards/iou.h"
#include "rewards/matching.h"
#include "rewards/segment_index.h"

namespace understudy {
namespace {

// The kept proposal vertices, in proposal order from a rotation start, with their snapped
// positions along the human ring measured from the first one's (w, non-decreasing, in [0, L)).
struct KeptVertices {
  std::vector<std::size_t> index;
  std::vector<double> w;
};

// Longest subsequence of the proposal's vertices (read cyclically) whose positions along the
// human ring are non-decreasing, i.e. go round at most once without turning back.
KeptVertices LongestCyclicRun(const std::vector<double>& s, double perimeter) {
  const std::size_t n = s.size();
  KeptVertices best;
  auto relative = [&](std::size_t r, std::size_t k) {
    const double w = s[(r + k) % n] - s[r];
    return w < 0.0 ? w + perimeter : w;
  };
  // Fast path: already cyclically sorted (at most one descent, at the wrap).
  std::size_t descents = 0, start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[(i + 1) % n] < s[i]) {
      ++descents;
      start = (i + 1) % n;
    }
  }
  if (descents <= 1) {
    for (std::size_t k = 0; k < n; ++k) {
      best.index.push_back((start + k) % n);
      best.w.push_back(relative(start, k));
    }
    return best;
  }
  // Otherwise try every rotation: O(n^2 log n), patience sorting with upper_bound for
  // non-decreasing runs; the first rotation reaching the longest run wins (deterministic).
  std::vector<double> w(n), tail_value;
  std::vector<std::size_t> tail_at, parent(n);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t k = 0; k < n; ++k) w[k] = relative(r, k);
    tail_value.clear();
    tail_at.clear();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t pos = static_cast<std::size_t>(
          std::upper_bound(tail_value.begin(), tail_value.end(), w[k]) - tail_value.begin());
      parent[k] = pos > 0 ? tail_at[pos - 1] : n;
      if (pos == tail_value.size()) {
        tail_value.push_back(w[k]);
        tail_at.push_back(k);
      } else {
        tail_value[pos] = w[k];
        tail_at[pos] = k;
      }
    }
    if (tail_value.size() <= best.index.size()) continue;
    best.index.assign(tail_value.size(), 0);
    best.w.assign(tail_value.size(), 0.0);
    std::size_t k = tail_at.back();
    for (std::size_t pos = tail_value.size(); pos-- > 0; k = parent[k]) {
      best.index[pos] = (r + k) % n;
      best.w[pos] = w[k];
    }
    // Re-express w relative to the first kept vertex so the closing stretch is L - w.back().
    const double w0 = best.w.front();
    for (double& v : best.w) v -= w0;
  }
  return best;
}

// Adds needed so that the human ring between two consecutive kept vertices stays within
// `tolerance` of the corrected edge: recursive farthest-point insertion (Douglas-Peucker). The
// distance to a segment is convex along each straight stretch of the ring, so the farthest point
// is a human vertex or a stretch end, and the ends lie within tolerance of the edge. Appends the
// positions in `inner` of the inserted vertices to `inserted`, unordered.
void AddsForStretch(const Point& from, const Point& to, const std::vector<Point>& inner,
                    double tolerance, std::vector<std::size_t>& inserted) {
  struct Task {
    std::size_t lo, hi;  // inner[lo, hi) lie between the chord's ends
    Point a, b;
  };
  std::vector<Task> work{{0, inner.size(), from, to}};
  while (!work.empty()) {
    const Task t = work.back();
    work.pop_back();
    double worst = tolerance;
    std::size_t at = t.hi;
    for (std::size_t k = t.lo; k < t.hi; ++k) {
      const double d = DistanceToSegment(inner[k], Segment{t.a, t.b});
      if (d > worst) {
        worst = d;
        at = k;
      }
    }
    if (at == t.hi) continue;
    inserted.push_back(at);
    work.push_back({at + 1, t.hi, inner[at], t.b});
    work.push_back({t.lo, at, t.a, inner[at]});
  }
}

void CheckTolerance(double tolerance) {
  if (!std::isfinite(tolerance) || tolerance <= 0.0) {
    throw std::invalid_argument("ClicksToFix: tolerance must be finite and positive, got " +
                                std::to_string(tolerance));
  }
}

Instance SinglePart(const Ring& outer) { return MakeInstance(outer); }

Instance HoleAsRegion(const Ring& hole) {
  Ring r(hole.rbegin(), hole.rend());  // holes run negative; as a region it must run positive
  return MakeInstance(std::move(r));
}

bool BoxesMeet(const Bounds& a, const Bounds& b) {
  return !a.empty() && !b.empty() && a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
}

// Pairs a's items with b's by maximum total IoU, keeping pairs with IoU > 0.
template <typename MakeRegion, typename Item>
std::vector<int> PairByIou(const std::vector<Item>& a, const std::vector<Item>& b,
                           MakeRegion make_region) {
  std::vector<int> pair_of(a.size(), Assignment::kUnassigned);
  if (a.empty() || b.empty()) return pair_of;
  std::vector<Instance> ra, rb;
  for (const Item& x : a) ra.push_back(make_region(x));
  for (const Item& x : b) rb.push_back(make_region(x));
  std::vector<double> iou(a.size() * b.size(), 0.0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Bounds bi = BoundsOf(ra[i]);
    for (std::size_t k = 0; k < b.size(); ++k) {
      if (BoxesMeet(bi, BoundsOf(rb[k]))) iou[i * b.size() + k] = ExactIou(ra[i], rb[k]);
    }
  }
  const Assignment match = MaxWeightAssignment(iou, a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const int k = match.row_to_col[i];
    if (k != Assignment::kUnassigned && iou[i * b.size() + static_cast<std::size_t>(k)] > 0.0) {
      pair_of[i] = k;
    }
  }
  return pair_of;
}

std::size_t PartVertices(const Polygon& p) {
  std::size_t n = p.outer.size();
  for (const Ring& h : p.holes) n += h.size();
  return n;
}

void Accumulate(ClickCount& total, const ClickCount& more) {
  total.moves += more.moves;
  total.adds += more.adds;
  total.deletes += more.deletes;
}

}  // namespace

RingFix FixRing(const Ring& proposal, const Ring& human, double tolerance) {
  CheckTolerance(tolerance);
  RingFix fix;
  ClickCount& clicks = fix.clicks;
  const std::size_t n = proposal.size(), m = human.size();
  if (m == 0) {
    clicks.deletes = n;
    return fix;
  }
  if (n == 0) {
    clicks.adds = m;
    fix.corrected = human;
    return fix;
  }
  const SegmentIndex index(human);
  // Arc length of each human vertex from vertex 0; edge k runs from vertex k to k + 1.
  std::vector<double> cum(m + 1, 0.0);
  for (std::size_t k = 0; k < m; ++k) {
    const Segment& e = index.segment(k);
    cum[k + 1] = cum[k] + std::hypot(e.b.x - e.a.x, e.b.y - e.a.y);
  }
  const double perimeter = cum[m];

  // Step 1: snap every vertex; drop folds.
  std::vector<double> distance(n), position(n);
  std::vector<Point> snapped(n);
  std::size_t hint = static_cast<std::size_t>(-1);
  for (std::size_t i = 0; i < n; ++i) {
    const NearestPoint q = index.Nearest(proposal[i], hint);
    hint = q.segment;
    distance[i] = q.distance;
    snapped[i] = q.point;
    double s = cum[q.segment] + q.t * (cum[q.segment + 1] - cum[q.segment]);
    if (s >= perimeter) s -= perimeter;
    position[i] = s;
  }
  const KeptVertices kept = LongestCyclicRun(position, perimeter);
  clicks.deletes = n - kept.index.size();

  // Step 2: Polygon-RNN's loop moves the farthest vertex beyond tolerance onto the contour until
  // none is left; moves are independent, so that is exactly the kept vertices beyond tolerance.
  std::vector<Point> corrected(kept.index.size());
  for (std::size_t k = 0; k < kept.index.size(); ++k) {
    const std::size_t i = kept.index[k];
    if (distance[i] > tolerance) {
      ++clicks.moves;
      corrected[k] = snapped[i];
    } else {
      corrected[k] = proposal[i];
    }
  }

  // Step 3: insert human vertices where a corrected edge strays from the stretch it stands for.
  std::vector<Point> inner;
  std::vector<std::size_t> inserted;
  const std::size_t kn = kept.index.size();
  for (std::size_t k = 0; k < kn; ++k) {
    const std::size_t next = (k + 1) % kn;
    const double start = position[kept.index[k]];
    const double length = kn == 1     ? perimeter
                          : next == 0 ? perimeter - (kept.w[k] - kept.w[0])
                                      : kept.w[next] - kept.w[k];
    // Human vertices strictly inside (start, start + length), in order along the ring.
    inner.clear();
    const std::size_t first = static_cast<std::size_t>(
        std::upper_bound(cum.begin(), cum.begin() + static_cast<std::ptrdiff_t>(m), start) -
        cum.begin());
    for (std::size_t c = 0; c < m; ++c) {
      const std::size_t v = (first + c) % m;
      const double at = cum[v] + (first + c >= m ? perimeter : 0.0);
      if (at - start >= length) break;
      inner.push_back(human[v]);
    }
    inserted.clear();
    AddsForStretch(corrected[k], corrected[next], inner, tolerance, inserted);
    clicks.adds += inserted.size();
    std::sort(inserted.begin(), inserted.end());
    fix.corrected.push_back(corrected[k]);
    for (std::size_t i : inserted) fix.corrected.push_back(inner[i]);
  }
  return fix;
}

ClickCount ClicksToFix(const Instance& proposal, const Instance& human, double tolerance) {
  CheckTolerance(tolerance);
  ClickCount clicks;
  const std::vector<int> part_of =
      PairByIou(proposal.parts, human.parts, [](const Polygon& p) { return SinglePart(p.outer); });
  std::vector<char> human_used(human.parts.size(), 0);
  for (std::size_t i = 0; i < proposal.parts.size(); ++i) {
    const Polygon& p = proposal.parts[i];
    if (part_of[i] == Assignment::kUnassigned) {
      clicks.deletes += PartVertices(p);
      continue;
    }
    const Polygon& h = human.parts[static_cast<std::size_t>(part_of[i])];
    human_used[static_cast<std::size_t>(part_of[i])] = 1;
    Accumulate(clicks, FixRing(p.outer, h.outer, tolerance).clicks);
    const std::vector<int> hole_of = PairByIou(p.holes, h.holes, HoleAsRegion);
    std::vector<char> hole_used(h.holes.size(), 0);
    for (std::size_t k = 0; k < p.holes.size(); ++k) {
      if (hole_of[k] == Assignment::kUnassigned) {
        clicks.deletes += p.holes[k].size();
        continue;
      }
      hole_used[static_cast<std::size_t>(hole_of[k])] = 1;
      const Ring& target = h.holes[static_cast<std::size_t>(hole_of[k])];
      Accumulate(clicks, FixRing(p.holes[k], target, tolerance).clicks);
    }
    for (std::size_t k = 0; k < h.holes.size(); ++k) {
      if (!hole_used[k]) clicks.adds += h.holes[k].size();
    }
  }
  for (std::size_t k = 0; k < human.parts.size(); ++k) {
    if (!human_used[k]) clicks.adds += PartVertices(human.parts[k]);
  }
  return clicks;
}

std::size_t ClicksToDraw(const Instance& human) { return VertexCount(human); }

}  // namespace understudy
