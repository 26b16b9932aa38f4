#include "env/rasterize.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace understudy {
namespace {

// Scanline fill with the pixel-centre rule: pixel (i, j) is filled when its centre
// (i + 0.5, j + 0.5) lies inside the rings by the even-odd rule, each edge being half-open in y
// so shared vertices count once. Unlike cv::fillPoly, which also paints every pixel the outline
// touches, the filled area then matches the polygon's area without a perimeter-sized bias.
class ScanlineFill {
 public:
  explicit ScanlineFill(int rows) : rows_(rows) {}

  void AddRing(const Ring& ring, const CropTransform& t) {
    const std::size_t n = ring.size();
    if (n < 3) return;
    Point a = t.ToCrop(ring[n - 1]);
    for (std::size_t k = 0; k < n; ++k) {
      const Point b = t.ToCrop(ring[k]);
      if (a.y != b.y && std::isfinite(a.y) && std::isfinite(b.y)) {
        const Point& lo = a.y < b.y ? a : b;
        const Point& hi = a.y < b.y ? b : a;
        // Rows whose centre y = j + 0.5 satisfies lo.y <= y < hi.y.
        const int j0 = std::max(0, static_cast<int>(std::ceil(lo.y - 0.5)));
        const int j1 = std::min(rows_, static_cast<int>(std::ceil(hi.y - 0.5)));
        const double slope = (hi.x - lo.x) / (hi.y - lo.y);
        for (int j = j0; j < j1; ++j) crossings_.push_back({j, lo.x + (j + 0.5 - lo.y) * slope});
      }
      a = b;
    }
  }

  void Paint(cv::Mat& mask, int value) {
    const auto v = static_cast<std::uint8_t>(std::clamp(value, 0, 255));
    // One flat list sorted by (row, x): every row's crossings pair up in order.
    std::sort(crossings_.begin(), crossings_.end());
    for (std::size_t k = 0; k + 1 < crossings_.size(); k += 2) {
      const auto& [j, x0] = crossings_[k];
      const double x1 = crossings_[k + 1].second;
      // Columns whose centre x = i + 0.5 satisfies x0 <= x < x1.
      const double from = std::max(x0 - 0.5, -1.0);
      const double to = std::min(x1 - 0.5, static_cast<double>(mask.cols));
      const int i0 = std::max(0, static_cast<int>(std::ceil(from)));
      const int i1 = std::min(mask.cols, static_cast<int>(std::ceil(to)));
      auto* row = mask.ptr<std::uint8_t>(j);
      for (int i = i0; i < i1; ++i) row[i] = v;
    }
  }

 private:
  int rows_;
  std::vector<std::pair<int, double>> crossings_;
};

void Check(const cv::Mat& mask) {
  if (mask.type() != CV_8UC1) {
    throw std::invalid_argument("FillInstance: mask must be CV_8UC1, got type " +
                                std::to_string(mask.type()));
  }
}

}  // namespace

void FillInstance(cv::Mat& mask, const Instance& instance, const CropTransform& transform,
                  int value) {
  Check(mask);
  for (const Polygon& part : instance.parts) {
    ScanlineFill fill(mask.rows);
    fill.AddRing(part.outer, transform);
    for (const Ring& h : part.holes) fill.AddRing(h, transform);
    fill.Paint(mask, value);
  }
}

void FillRing(cv::Mat& mask, const Ring& ring, const CropTransform& transform, int value) {
  Check(mask);
  ScanlineFill fill(mask.rows);
  fill.AddRing(ring, transform);
  fill.Paint(mask, value);
}

}  // namespace understudy
