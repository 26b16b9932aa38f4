#include "rewards/clicks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rewards/iou.h"
#include "rewards/matching.h"
#include "rewards/ring_nesting.h"
#include "rewards/segment_index.h"

namespace understudy {
namespace {

// The kept proposal vertices, in proposal order from a rotation start, with their snapped
// positions along the human ring relative to the start's (w, in [-slack, L - slack)).
struct KeptVertices {
  std::vector<std::size_t> index;
  std::vector<double> w;
};

// Maximum over index ranges with range increments (a lazy segment tree); ties go to the lowest
// payload so results are deterministic.
class MaxTree {
 public:
  static constexpr long kInactive = -(1L << 40);
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  void Reset(std::size_t n) {
    n_ = n;
    value_.assign(4 * n, kInactive);
    arg_.assign(4 * n, kNone);
    lazy_.assign(4 * n, 0);
  }
  void Add(std::size_t lo, std::size_t hi, long delta) { Add(1, 0, n_, lo, hi, delta); }
  void Set(std::size_t pos, long value, std::size_t arg) { Set(1, 0, n_, pos, value, arg); }
  std::pair<long, std::size_t> Max(std::size_t lo, std::size_t hi) { return Max(1, 0, n_, lo, hi); }

 private:
  static bool Better(long v, std::size_t a, long w, std::size_t b) {
    return v > w || (v == w && a < b);
  }
  void Pull(std::size_t node) {
    const std::size_t l = 2 * node, r = l + 1;
    const bool left = Better(value_[l], arg_[l], value_[r], arg_[r]);
    value_[node] = (left ? value_[l] : value_[r]) + lazy_[node];
    arg_[node] = left ? arg_[l] : arg_[r];
  }
  void Add(std::size_t node, std::size_t b, std::size_t e, std::size_t lo, std::size_t hi,
           long delta) {
    if (hi <= b || e <= lo) return;
    if (lo <= b && e <= hi) {
      value_[node] += delta;
      lazy_[node] += delta;
      return;
    }
    const std::size_t m = (b + e) / 2;
    Add(2 * node, b, m, lo, hi, delta);
    Add(2 * node + 1, m, e, lo, hi, delta);
    Pull(node);
  }
  // Sets a leaf so that its value, including the increments pending above it, is `value`.
  void Set(std::size_t node, std::size_t b, std::size_t e, std::size_t pos, long value,
           std::size_t arg) {
    if (e - b == 1) {
      value_[node] = value;
      lazy_[node] = 0;
      arg_[node] = arg;
      return;
    }
    const std::size_t m = (b + e) / 2;
    if (pos < m) {
      Set(2 * node, b, m, pos, value - lazy_[node], arg);
    } else {
      Set(2 * node + 1, m, e, pos, value - lazy_[node], arg);
    }
    Pull(node);
  }
  std::pair<long, std::size_t> Max(std::size_t node, std::size_t b, std::size_t e, std::size_t lo,
                                   std::size_t hi) {
    if (hi <= b || e <= lo) return {kInactive, kNone};
    if (lo <= b && e <= hi) return {value_[node], arg_[node]};
    const std::size_t m = (b + e) / 2;
    auto l = Max(2 * node, b, m, lo, hi), r = Max(2 * node + 1, m, e, lo, hi);
    auto best = Better(l.first, l.second, r.first, r.second) ? l : r;
    best.first += lazy_[node];
    return best;
  }

  std::size_t n_ = 0;
  std::vector<long> value_, lazy_;
  std::vector<std::size_t> arg_;
};

// The largest set of proposal vertices (read cyclically) that goes round the human ring at most
// once without turning back visibly: each kept vertex's snapped position may fall behind the
// farthest position reached so far by at most `slack` (a back-step that short stays within the
// tolerance). With slack 0 this is the longest non-decreasing subsequence; with slack > 0 it is
// the longest "almost increasing" subsequence, found per rotation by a DP over "the vertex
// holding the running maximum" in O(n log n) with a segment tree.
KeptVertices LongestTolerantRun(const std::vector<double>& s, double perimeter, double slack) {
  const std::size_t n = s.size();
  auto relative = [&](std::size_t r, std::size_t k) {
    double w = s[(r + k) % n] - s[r];
    if (w < -slack) w += perimeter;
    if (w >= perimeter - slack) w -= perimeter;
    return w;
  };
  KeptVertices best;
  // Fast path: start after the largest drop and check that nothing falls back too far.
  std::size_t start = 0;
  double drop = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] - s[(i + 1) % n] > drop) {
      drop = s[i] - s[(i + 1) % n];
      start = (i + 1) % n;
    }
  }
  bool valid = true;
  double reached = -perimeter;
  for (std::size_t k = 0; k < n && valid; ++k) {
    const double w = relative(start, k);
    valid = w >= reached - slack;
    reached = std::max(reached, w);
  }
  if (valid) {
    for (std::size_t k = 0; k < n; ++k) {
      best.index.push_back((start + k) % n);
      best.w.push_back(relative(start, k));
    }
    return best;
  }
  // Otherwise every rotation: f[j] = 1 + max over earlier i with w_i <= w_j of (f[i] + the
  // number of vertices between i and j within [w_i - slack, w_i]), which those vertices never
  // change the maximum and so are always worth keeping. The first best rotation wins.
  std::vector<double> w(n), sorted(n);
  std::vector<std::size_t> order(n), rank(n), parent(n);
  MaxTree tree;
  long best_total = 0;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t k = 0; k < n; ++k) {
      w[k] = relative(r, k);
      order[k] = k;
    }
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return w[a] < w[b] || (w[a] == w[b] && a < b); });
    for (std::size_t i = 0; i < n; ++i) {
      sorted[i] = w[order[i]];
      rank[order[i]] = i;
    }
    tree.Reset(n);
    for (std::size_t k = 0; k < n; ++k) {
      const auto at_most = static_cast<std::size_t>(
          std::upper_bound(sorted.begin(), sorted.end(), w[k]) - sorted.begin());
      const auto [value, from] = tree.Max(0, at_most);
      const bool chained = from != MaxTree::kNone && value > MaxTree::kInactive / 2;
      parent[k] = chained ? from : MaxTree::kNone;
      const long f = chained ? value + 1 : 1;
      const auto lo = static_cast<std::size_t>(
          std::lower_bound(sorted.begin(), sorted.end(), w[k]) - sorted.begin());
      const auto hi = static_cast<std::size_t>(
          std::upper_bound(sorted.begin(), sorted.end(), w[k] + slack) - sorted.begin());
      tree.Add(lo, hi, 1);
      tree.Set(rank[k], f, k);
    }
    const auto [total, last] = tree.Max(0, n);
    if (total <= best_total) continue;
    best_total = total;
    // Rebuild: the chain of maximum holders, plus the vertices each one lets through.
    std::vector<std::size_t> holders;
    for (std::size_t k = last; k != MaxTree::kNone; k = parent[k]) holders.push_back(k);
    std::reverse(holders.begin(), holders.end());
    best.index.clear();
    best.w.clear();
    for (std::size_t h = 0; h < holders.size(); ++h) {
      const std::size_t a = holders[h];
      const std::size_t b = h + 1 < holders.size() ? holders[h + 1] : n;
      best.index.push_back((r + a) % n);
      best.w.push_back(w[a]);
      for (std::size_t k = a + 1; k < b; ++k) {
        if (w[k] <= w[a] && w[k] >= w[a] - slack) {
          best.index.push_back((r + k) % n);
          best.w.push_back(w[k]);
        }
      }
    }
  }
  return best;
}

// Adds needed so that the human ring between two consecutive kept vertices stays within
// `tolerance` of the corrected edge: recursive farthest-point insertion (Douglas-Peucker). The
// distance to a segment is convex along each straight stretch of the ring, so the farthest point
// is a human vertex or a stretch end, and the ends lie within tolerance of the edge. Appends the
// positions in `inner` of the inserted vertices to `inserted`, unordered.
struct StretchTask {
  std::size_t lo, hi;  // inner[lo, hi) lie between the chord's ends
  Point a, b;
};

void AddsForStretch(const Point& from, const Point& to, const std::vector<Point>& inner,
                    double tolerance, std::vector<std::size_t>& inserted,
                    std::vector<StretchTask>& work) {
  using Task = StretchTask;
  work.assign(1, Task{0, inner.size(), from, to});
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

// True when `p` lies strictly inside the region of `ring` (not on its boundary).
bool StrictlyInside(const Point& p, const Ring& ring) {
  if (!PointInRing(p, ring)) return false;
  for (std::size_t i = 0; i < ring.size(); ++i) {
    if (DistanceToSegment(p, Segment{ring[i], ring[(i + 1) % ring.size()]}) == 0.0) return false;
  }
  return true;
}

// Whether two regions (positive rings) overlap with positive area. A vertex of one strictly
// inside the other settles it in O(n); otherwise the exact intersection decides.
bool RegionsOverlap(const Instance& a, const Instance& b) {
  if (!BoxesMeet(BoundsOf(a), BoundsOf(b))) return false;
  const Ring& ra = a.parts[0].outer;
  const Ring& rb = b.parts[0].outer;
  if (StrictlyInside(ra[0], rb) || StrictlyInside(rb[0], ra)) return true;
  return IntersectionArea(a, b) > 0.0;
}

// Pairs a's items with b's by maximum total IoU, keeping pairs with IoU > 0. One item on each
// side (the common case) only needs to know whether they overlap at all.
template <typename MakeRegion, typename Item>
std::vector<int> PairByIou(const std::vector<Item>& a, const std::vector<Item>& b,
                           MakeRegion make_region) {
  std::vector<int> pair_of(a.size(), Assignment::kUnassigned);
  if (a.empty() || b.empty()) return pair_of;
  std::vector<Instance> ra, rb;
  for (const Item& x : a) ra.push_back(make_region(x));
  for (const Item& x : b) rb.push_back(make_region(x));
  if (a.size() == 1 && b.size() == 1) {
    if (RegionsOverlap(ra[0], rb[0])) pair_of[0] = 0;
    return pair_of;
  }
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
  // Back-steps shorter than the tolerance are invisible at that tolerance; more than a quarter
  // of the ring would make "behind" ambiguous.
  const KeptVertices kept =
      LongestTolerantRun(position, perimeter, std::min(tolerance, 0.25 * perimeter));
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

  // Step 3: insert human vertices where a corrected edge strays from the stretch of the human
  // ring between its ends' snapped positions (backwards for a tolerated back-step; the closing
  // edge goes forward round to the first kept vertex). Every stretch then lies within tolerance
  // of its edge and vice versa, and the stretches cover the ring.
  std::vector<Point> inner;
  std::vector<std::size_t> inserted;
  std::vector<StretchTask> work;
  const std::size_t kn = kept.index.size();
  for (std::size_t k = 0; k < kn; ++k) {
    const std::size_t next = (k + 1) % kn;
    double from = kept.w[k], to = kept.w[next];
    if (kn == 1) {
      to = from + perimeter;
    } else if (next == 0) {
      to += perimeter;
    }
    const bool backwards = to < from;
    const double start = position[kept.index[backwards ? next : k]];
    const double length = std::abs(to - from);
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
    if (backwards) std::reverse(inner.begin(), inner.end());
    inserted.clear();
    AddsForStretch(corrected[k], corrected[next], inner, tolerance, inserted, work);
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
