#include "env/mask_polygon.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace understudy {
namespace {

// Directions on the vertex grid in image coordinates (y down): E, S, W, N. Turning right on
// screen is +1. Every boundary edge keeps the inside pixel on its left (on screen).
constexpr int kDx[4] = {1, 0, -1, 0};
constexpr int kDy[4] = {0, 1, 0, -1};
constexpr double kCut = 1.0 / 64.0;

}  // namespace

Instance TraceMask(const cv::Mat& mask_in) {
  if (mask_in.empty()) return {};
  if (mask_in.type() != CV_8U) throw std::invalid_argument("TraceMask: mask must be CV_8U");
  cv::Mat mask = mask_in != 0;  // 255 inside
  const int w = mask.cols, h = mask.rows;
  cv::Mat labels;
  const int n = cv::connectedComponents(mask, labels, 8, CV_32S);
  if (n <= 1) return {};

  const int gw = w + 1;
  std::vector<std::uint8_t> out(static_cast<std::size_t>(gw) * (h + 1), 0);
  auto in = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < w && y < h && mask.at<std::uint8_t>(y, x) != 0;
  };
  auto vid = [&](int x, int y) { return static_cast<std::size_t>(y) * gw + x; };
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* row = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      if (row[x] == 0) continue;
      if (!in(x, y - 1)) out[vid(x + 1, y)] |= 1 << 2;      // top side, heading W
      if (!in(x - 1, y)) out[vid(x, y)] |= 1 << 1;          // left side, heading S
      if (!in(x, y + 1)) out[vid(x, y + 1)] |= 1 << 0;      // bottom side, heading E
      if (!in(x + 1, y)) out[vid(x + 1, y + 1)] |= 1 << 3;  // right side, heading N
    }
  }
  const std::vector<std::uint8_t> degree_bits = out;  // saddles have two outgoing edges
  // The pixel on the left of the edge leaving (x, y) in direction d.
  auto left_pixel = [&](int x, int y, int d) {
    switch (d) {
      case 0:
        return cv::Point(x, y - 1);
      case 1:
        return cv::Point(x, y);
      case 2:
        return cv::Point(x - 1, y);
      default:
        return cv::Point(x - 1, y - 1);
    }
  };

  Instance result;
  result.parts.resize(static_cast<std::size_t>(n - 1));
  std::vector<bool> has_outer(static_cast<std::size_t>(n - 1), false);
  for (int sy = 0; sy <= h; ++sy) {
    for (int sx = 0; sx <= w; ++sx) {
      while (out[vid(sx, sy)] != 0) {
        const std::uint8_t bits0 = out[vid(sx, sy)];
        int start_dir = 0;
        while (!(bits0 & (1 << start_dir))) ++start_dir;
        out[vid(sx, sy)] &= static_cast<std::uint8_t>(~(1 << start_dir));
        const cv::Point lp = left_pixel(sx, sy, start_dir);
        const int label = labels.at<int>(lp.y, lp.x);
        Ring ring;
        int x = sx + kDx[start_dir], y = sy + kDy[start_dir], d = start_dir;
        for (;;) {
          std::uint8_t avail = out[vid(x, y)];
          const bool at_start = x == sx && y == sy;
          if (at_start) avail |= static_cast<std::uint8_t>(1 << start_dir);
          int next;
          const bool saddle = __builtin_popcount(degree_bits[vid(x, y)]) == 2;
          if (saddle) {
            next = (d + 1) % 4;  // turn right: keeps diagonal neighbours in one 8-connected part
            if (!(avail & (1 << next))) throw std::logic_error("TraceMask: inconsistent saddle");
          } else {
            next = 0;
            while (next < 4 && !(avail & (1 << next))) ++next;
            if (next == 4) throw std::logic_error("TraceMask: open boundary");
          }
          if (saddle) {
            ring.push_back({x - kCut * kDx[d], y - kCut * kDy[d]});
            ring.push_back({x + kCut * kDx[next], y + kCut * kDy[next]});
          } else if (next != d) {
            ring.push_back({static_cast<double>(x), static_cast<double>(y)});
          }
          if (at_start && next == start_dir) break;
          out[vid(x, y)] &= static_cast<std::uint8_t>(~(1 << next));
          d = next;
          x += kDx[d];
          y += kDy[d];
        }
        Polygon& part = result.parts[static_cast<std::size_t>(label - 1)];
        // With the inside on the left on screen, outer rings have negative shoelace area.
        if (SignedArea(ring) < 0) {
          if (has_outer[static_cast<std::size_t>(label - 1)])
            throw std::logic_error("TraceMask: two outer rings");
          has_outer[static_cast<std::size_t>(label - 1)] = true;
          part.outer = std::move(ring);
        } else {
          part.holes.push_back(std::move(ring));
        }
      }
    }
  }
  return result;
}

cv::Mat RasterizeInstance(const Instance& instance, int cols, int rows, double sample_offset) {
  if (cols < 0 || rows < 0) throw std::invalid_argument("RasterizeInstance: negative size");
  cv::Mat mask(rows, cols, CV_8U, cv::Scalar(0));
  if (rows == 0 || cols == 0) return mask;
  struct Crossing {
    double x;
    int winding;
  };
  std::vector<std::vector<Crossing>> by_row(static_cast<std::size_t>(rows));
  auto add_ring = [&](const Ring& ring, bool hole) {
    if (ring.size() < 3) return;
    const double area = SignedArea(ring);
    if (area == 0.0) return;
    // Outer rings wind +1 and holes -1 whatever order their vertices come in.
    const int sign = ((area > 0) != hole) ? 1 : -1;
    for (std::size_t i = 0; i < ring.size(); ++i) {
      const Point& a = ring[i];
      const Point& b = ring[(i + 1) % ring.size()];
      if (a.y == b.y) continue;
      const bool down = b.y > a.y;
      const double y0 = std::min(a.y, b.y), y1 = std::max(a.y, b.y);
      // Rows whose sample line y = row + offset lies in [y0, y1).
      const double first = std::ceil(y0 - sample_offset), last = std::ceil(y1 - sample_offset) - 1;
      const int r0 = static_cast<int>(std::max(0.0, first));
      const int r1 = static_cast<int>(std::min(static_cast<double>(rows - 1), last));
      for (int r = r0; r <= r1; ++r) {
        const double yc = r + sample_offset;
        const double x = a.x + (yc - a.y) * (b.x - a.x) / (b.y - a.y);
        by_row[static_cast<std::size_t>(r)].push_back({x, down ? -sign : sign});
      }
    }
  };
  for (const Polygon& p : instance.parts) {
    add_ring(p.outer, false);
    for (const Ring& hole : p.holes) add_ring(hole, true);
  }
  for (int r = 0; r < rows; ++r) {
    auto& xs = by_row[static_cast<std::size_t>(r)];
    if (xs.empty()) continue;
    std::sort(xs.begin(), xs.end(), [](const Crossing& a, const Crossing& b) { return a.x < b.x; });
    std::uint8_t* row = mask.ptr<std::uint8_t>(r);
    int winding = 0;
    for (std::size_t i = 0; i + 1 < xs.size(); ++i) {
      winding += xs[i].winding;
      if (winding <= 0) continue;
      // Pixels whose sample x = col + offset lies in [xs[i], xs[i+1]).
      const double c0 = std::ceil(xs[i].x - sample_offset),
                   c1 = std::ceil(xs[i + 1].x - sample_offset) - 1;
      const int a = static_cast<int>(std::max(0.0, c0));
      const int b = static_cast<int>(std::min(static_cast<double>(cols - 1), c1));
      for (int c = a; c <= b; ++c) row[c] = 1;
    }
  }
  return mask;
}

}  // namespace understudy
