#include "rewards/raster.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace understudy {
namespace {

// Lattice coordinates stay far below 2^53 so that ceil() and the int64 casts are exact.
constexpr double kMaxLatticeCoordinate = 1125899906842624.0;  // 2^50
// Rows are walked one by one; a resolution typo should fail, not run for minutes.
constexpr std::int64_t kMaxRows = std::int64_t{1} << 24;

void CheckRows(std::int64_t begin, std::int64_t end, double ppu, const char* where) {
  if (end - begin > kMaxRows) {
    throw std::invalid_argument(std::string(where) + ": " + std::to_string(end - begin) +
                                " pixel rows at pixels_per_unit " + std::to_string(ppu) +
                                " exceed the limit of " + std::to_string(kMaxRows));
  }
}

void CheckPixelsPerUnit(double ppu, const char* where) {
  if (!std::isfinite(ppu) || ppu <= 0.0) {
    throw std::invalid_argument(std::string(where) +
                                ": pixels_per_unit must be finite and positive, got " +
                                std::to_string(ppu));
  }
}

// A half-open column range [c0, c1) of set pixels in one row.
struct Span {
  std::int64_t c0;
  std::int64_t c1;
};

// An edge in lattice units, with the rows whose centre it crosses: rows j in [row0, row1), i.e.
// centre y = j + 0.5 in [min y, max y) so that a shared vertex is counted once.
struct Edge {
  double x0, y0;  // lower end (smaller y)
  double slope;   // dx / dy
  std::int64_t row0, row1;
  int winding;  // +1 when the ring goes down the image (y increasing), -1 going up
};

struct Crossing {
  double x;
  int winding;
};

// Walks the rows of one instance's rasterisation top to bottom as sorted spans.
class SpanWalker {
 public:
  SpanWalker(const Instance& instance, double ppu, const char* where) {
    for (const Polygon& p : instance.parts) {
      AddRing(p.outer, ppu, where);
      for (const Ring& h : p.holes) AddRing(h, ppu, where);
    }
    std::sort(edges_.begin(), edges_.end(),
              [](const Edge& a, const Edge& b) { return a.row0 < b.row0; });
    for (const Edge& e : edges_) {
      row_begin_ = std::min(row_begin_, e.row0);
      row_end_ = std::max(row_end_, e.row1);
    }
    if (edges_.empty()) row_begin_ = row_end_ = 0;
  }

  std::int64_t row_begin() const { return row_begin_; }  // first row that may have pixels
  std::int64_t row_end() const { return row_end_; }      // one past the last

  // Spans of row j; rows must be requested in increasing order.
  const std::vector<Span>& Row(std::int64_t j) {
    spans_.clear();
    while (next_ < edges_.size() && edges_[next_].row0 <= j) active_.push_back(next_++);
    // Retire finished edges in place; order among the survivors does not matter.
    std::size_t keep = 0;
    for (std::size_t k = 0; k < active_.size(); ++k) {
      if (edges_[active_[k]].row1 > j) active_[keep++] = active_[k];
    }
    active_.resize(keep);
    if (active_.empty()) return spans_;
    crossings_.clear();
    const double yc = static_cast<double>(j) + 0.5;
    for (std::size_t k : active_) {
      const Edge& e = edges_[k];
      crossings_.push_back({e.x0 + (yc - e.y0) * e.slope, e.winding});
    }
    std::sort(crossings_.begin(), crossings_.end(),
              [](const Crossing& a, const Crossing& b) { return a.x < b.x; });
    int winding = 0;
    double start = 0.0;
    for (const Crossing& c : crossings_) {
      const int before = winding;
      winding += c.winding;
      if (before == 0 && winding != 0) {
        start = c.x;
      } else if (before != 0 && winding == 0) {
        // Pixel c is set when its centre c + 0.5 lies in [start, end).
        const auto c0 = static_cast<std::int64_t>(std::ceil(start - 0.5));
        const auto c1 = static_cast<std::int64_t>(std::ceil(c.x - 0.5));
        if (c1 > c0) {
          if (!spans_.empty() && spans_.back().c1 >= c0) {
            spans_.back().c1 = std::max(spans_.back().c1, c1);
          } else {
            spans_.push_back({c0, c1});
          }
        }
      }
    }
    return spans_;
  }

 private:
  void AddRing(const Ring& ring, double ppu, const char* where) {
    const std::size_t n = ring.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Point& p = ring[i];
      const Point& q = ring[i + 1 == n ? 0 : i + 1];
      const double px = p.x * ppu, py = p.y * ppu, qx = q.x * ppu, qy = q.y * ppu;
      if (!(std::abs(px) < kMaxLatticeCoordinate && std::abs(py) < kMaxLatticeCoordinate &&
            std::abs(qx) < kMaxLatticeCoordinate && std::abs(qy) < kMaxLatticeCoordinate)) {
        throw std::invalid_argument(std::string(where) + ": vertex " + std::to_string(i) + " (" +
                                    std::to_string(p.x) + ", " + std::to_string(p.y) +
                                    ") is not finite or too far out at pixels_per_unit " +
                                    std::to_string(ppu));
      }
      if (py == qy) continue;  // horizontal edges cross no row centre
      Edge e;
      const bool down = qy > py;
      const double lx = down ? px : qx, ly = down ? py : qy, hy = down ? qy : py;
      e.x0 = lx;
      e.y0 = ly;
      e.slope = (qx - px) / (qy - py);
      e.row0 = static_cast<std::int64_t>(std::ceil(ly - 0.5));
      e.row1 = static_cast<std::int64_t>(std::ceil(hy - 0.5));
      e.winding = down ? 1 : -1;
      if (e.row1 > e.row0) edges_.push_back(e);
    }
  }

  std::vector<Edge> edges_;
  std::vector<std::size_t> active_;
  std::vector<Crossing> crossings_;
  std::vector<Span> spans_;
  std::size_t next_ = 0;
  std::int64_t row_begin_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t row_end_ = std::numeric_limits<std::int64_t>::min();
};

std::int64_t SpanLength(const std::vector<Span>& spans) {
  std::int64_t n = 0;
  for (const Span& s : spans) n += s.c1 - s.c0;
  return n;
}

// Pixels in both sorted, disjoint span lists.
std::int64_t SpanOverlap(const std::vector<Span>& a, const std::vector<Span>& b) {
  std::int64_t n = 0;
  std::size_t i = 0, k = 0;
  while (i < a.size() && k < b.size()) {
    const std::int64_t lo = std::max(a[i].c0, b[k].c0);
    const std::int64_t hi = std::min(a[i].c1, b[k].c1);
    if (hi > lo) n += hi - lo;
    if (a[i].c1 < b[k].c1) {
      ++i;
    } else {
      ++k;
    }
  }
  return n;
}

}  // namespace

double RasterOverlap::Iou() const {
  const std::int64_t u = Union();
  return u > 0 ? static_cast<double>(intersection) / static_cast<double>(u) : 0.0;
}

Mask Rasterize(const Instance& instance, double pixels_per_unit) {
  CheckPixelsPerUnit(pixels_per_unit, "Rasterize");
  SpanWalker walker(instance, pixels_per_unit, "Rasterize");
  CheckRows(walker.row_begin(), walker.row_end(), pixels_per_unit, "Rasterize");
  // First pass finds the columns actually set, so the window is tight.
  std::int64_t c_min = std::numeric_limits<std::int64_t>::max();
  std::int64_t c_max = std::numeric_limits<std::int64_t>::min();
  std::int64_t r_min = c_min, r_max = c_max;
  for (std::int64_t j = walker.row_begin(); j < walker.row_end(); ++j) {
    const std::vector<Span>& spans = walker.Row(j);
    if (spans.empty()) continue;
    c_min = std::min(c_min, spans.front().c0);
    c_max = std::max(c_max, spans.back().c1);
    r_min = std::min(r_min, j);
    r_max = std::max(r_max, j + 1);
  }
  if (r_min > r_max) return Mask(0, 0, 0, 0, pixels_per_unit);
  Mask mask(c_min, r_min, c_max - c_min, r_max - r_min, pixels_per_unit);
  RasterizeInto(instance, mask);
  return mask;
}

void RasterizeInto(const Instance& instance, Mask& mask) {
  SpanWalker walker(instance, mask.pixels_per_unit(), "RasterizeInto");
  CheckRows(walker.row_begin(), walker.row_end(), mask.pixels_per_unit(), "RasterizeInto");
  const std::int64_t r0 = std::max(walker.row_begin(), mask.origin_y());
  const std::int64_t r1 = std::min(walker.row_end(), mask.origin_y() + mask.height());
  for (std::int64_t j = walker.row_begin(); j < r1; ++j) {
    const std::vector<Span>& spans = walker.Row(j);
    if (j < r0) continue;
    std::uint8_t* row = mask.row(j - mask.origin_y());
    for (const Span& s : spans) {
      const std::int64_t c0 = std::max(s.c0, mask.origin_x());
      const std::int64_t c1 = std::min(s.c1, mask.origin_x() + mask.width());
      if (c1 > c0) std::fill(row + (c0 - mask.origin_x()), row + (c1 - mask.origin_x()), 1);
    }
  }
}

RasterOverlap CountRasterOverlap(const Instance& a, const Instance& b, double pixels_per_unit) {
  CheckPixelsPerUnit(pixels_per_unit, "RasterIou");
  SpanWalker wa(a, pixels_per_unit, "RasterIou (a)");
  SpanWalker wb(b, pixels_per_unit, "RasterIou (b)");
  RasterOverlap out;
  const std::int64_t begin = std::min(wa.row_begin(), wb.row_begin());
  const std::int64_t end = std::max(wa.row_end(), wb.row_end());
  CheckRows(begin, end, pixels_per_unit, "RasterIou");
  for (std::int64_t j = begin; j < end; ++j) {
    const bool in_a = j >= wa.row_begin() && j < wa.row_end();
    const bool in_b = j >= wb.row_begin() && j < wb.row_end();
    if (in_a && in_b) {
      const std::vector<Span>& sa = wa.Row(j);
      const std::vector<Span>& sb = wb.Row(j);
      out.a += SpanLength(sa);
      out.b += SpanLength(sb);
      out.intersection += SpanOverlap(sa, sb);
    } else if (in_a) {
      out.a += SpanLength(wa.Row(j));
    } else if (in_b) {
      out.b += SpanLength(wb.Row(j));
    }
  }
  return out;
}

double RasterIou(const Instance& a, const Instance& b, double pixels_per_unit) {
  return CountRasterOverlap(a, b, pixels_per_unit).Iou();
}

double RasterIou(const Instance& polygon, const Mask& mask) {
  SpanWalker walker(polygon, mask.pixels_per_unit(), "RasterIou (polygon vs mask)");
  CheckRows(walker.row_begin(), walker.row_end(), mask.pixels_per_unit(), "RasterIou");
  RasterOverlap out;
  out.b = mask.Count();
  const std::int64_t mx0 = mask.origin_x(), mx1 = mask.origin_x() + mask.width();
  const std::int64_t my0 = mask.origin_y(), my1 = mask.origin_y() + mask.height();
  for (std::int64_t j = walker.row_begin(); j < walker.row_end(); ++j) {
    const std::vector<Span>& spans = walker.Row(j);
    out.a += SpanLength(spans);
    if (j < my0 || j >= my1) continue;
    const std::uint8_t* row = mask.row(j - my0);
    for (const Span& s : spans) {
      const std::int64_t c0 = std::max(s.c0, mx0), c1 = std::min(s.c1, mx1);
      for (std::int64_t c = c0; c < c1; ++c) out.intersection += row[c - mx0];
    }
  }
  return out.Iou();
}

double RasterIouErrorBound(const Instance& a, const Instance& b, double pixels_per_unit) {
  CheckPixelsPerUnit(pixels_per_unit, "RasterIouErrorBound");
  const double h = 1.0 / pixels_per_unit;
  // Each edge enters at most 3 + (|dx| + |dy|) / h pixels, and each entry costs at most half a
  // pixel of area (see raster.h); intersection and union are each off by at most delta.
  double delta = 0.0;
  auto add_ring = [&](const Ring& r) {
    const std::size_t n = r.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Point& u = r[i];
      const Point& v = r[i + 1 == n ? 0 : i + 1];
      delta += 0.5 * h * (std::abs(v.x - u.x) + std::abs(v.y - u.y)) + 1.5 * h * h;
    }
  };
  for (const Instance* inst : {&a, &b}) {
    for (const Polygon& p : inst->parts) {
      add_ring(p.outer);
      for (const Ring& hole : p.holes) add_ring(hole);
    }
  }
  const double u = std::max(Area(a), Area(b));
  if (!(u > delta)) return 1.0;
  return std::min(1.0, 2.0 * delta / (u - delta));
}

}  // namespace understudy
