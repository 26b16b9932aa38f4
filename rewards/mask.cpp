#include "rewards/mask.h"

#include <algorithm>
#include <cmath>

namespace understudy {

Mask::Mask(std::int64_t origin_x, std::int64_t origin_y, std::int64_t width, std::int64_t height,
           double pixels_per_unit)
    : origin_x_(origin_x),
      origin_y_(origin_y),
      width_(width),
      height_(height),
      pixels_per_unit_(pixels_per_unit) {
  if (!std::isfinite(pixels_per_unit) || pixels_per_unit <= 0.0) {
    throw std::invalid_argument("Mask: pixels_per_unit must be finite and positive, got " +
                                std::to_string(pixels_per_unit));
  }
  if (width < 0 || height < 0) {
    throw std::invalid_argument("Mask: negative size " + std::to_string(width) + "x" +
                                std::to_string(height));
  }
  if (width != 0 && height > kMaxPixels / width) {
    throw std::invalid_argument("Mask: " + std::to_string(width) + "x" + std::to_string(height) +
                                " pixels exceed the limit of " + std::to_string(kMaxPixels));
  }
  bits_.assign(static_cast<std::size_t>(width * height), 0);
}

std::int64_t Mask::Count() const {
  std::int64_t n = 0;
  for (std::uint8_t b : bits_) n += b;
  return n;
}

double Mask::Area() const {
  return static_cast<double>(Count()) / (pixels_per_unit_ * pixels_per_unit_);
}

Bounds Mask::WindowBounds() const {
  Bounds b;
  if (width_ == 0 || height_ == 0) return b;
  b.x0 = static_cast<double>(origin_x_) / pixels_per_unit_;
  b.y0 = static_cast<double>(origin_y_) / pixels_per_unit_;
  b.x1 = static_cast<double>(origin_x_ + width_) / pixels_per_unit_;
  b.y1 = static_cast<double>(origin_y_ + height_) / pixels_per_unit_;
  return b;
}

double MaskIou(const Mask& a, const Mask& b) {
  if (a.pixels_per_unit() != b.pixels_per_unit()) {
    throw std::invalid_argument("MaskIou: masks on different lattices (pixels_per_unit " +
                                std::to_string(a.pixels_per_unit()) + " and " +
                                std::to_string(b.pixels_per_unit()) + ")");
  }
  const std::int64_t ca = a.Count(), cb = b.Count();
  // Overlap of the two windows in lattice coordinates.
  const std::int64_t x0 = std::max(a.origin_x(), b.origin_x());
  const std::int64_t x1 = std::min(a.origin_x() + a.width(), b.origin_x() + b.width());
  const std::int64_t y0 = std::max(a.origin_y(), b.origin_y());
  const std::int64_t y1 = std::min(a.origin_y() + a.height(), b.origin_y() + b.height());
  std::int64_t inter = 0;
  for (std::int64_t y = y0; x0 < x1 && y < y1; ++y) {
    const std::uint8_t* ra = a.row(y - a.origin_y()) + (x0 - a.origin_x());
    const std::uint8_t* rb = b.row(y - b.origin_y()) + (x0 - b.origin_x());
    for (std::int64_t x = 0; x < x1 - x0; ++x) inter += ra[x] & rb[x];
  }
  const std::int64_t uni = ca + cb - inter;
  return uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 0.0;
}

}  // namespace understudy
