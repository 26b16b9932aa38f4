#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rewards/polygon.h"

namespace understudy {

/**
 * A binary mask on a square pixel lattice. Lattice pixel (i, j) covers
 * [i/ppu, (i+1)/ppu) x [j/ppu, (j+1)/ppu) in image units (ppu = pixels per unit) and is sampled
 * at its centre; a mask stores the width x height window whose first pixel is lattice pixel
 * (origin_x, origin_y). With ppu = 1 and origin (0, 0), mask pixel (x, y) is image pixel (x, y),
 * which is what an instance-id PNG holds.
 */
class Mask {
 public:
  /** The most pixels one mask may hold (2^31), so a typo in a resolution cannot exhaust memory. */
  static constexpr std::int64_t kMaxPixels = std::int64_t{1} << 31;

  Mask() = default;
  /** An all-false mask; throws std::invalid_argument on a negative size, too many pixels or a
   * non-finite or non-positive pixels_per_unit. */
  Mask(std::int64_t origin_x, std::int64_t origin_y, std::int64_t width, std::int64_t height,
       double pixels_per_unit = 1.0);

  /**
   * The pixels of a label image (e.g. a decoded instance-id PNG, row-major, `row_stride` labels
   * per row) that equal `label`, at one pixel per image unit with origin (0, 0).
   */
  template <typename Label>
  static Mask FromLabelImage(const Label* labels, std::int64_t width, std::int64_t height,
                             Label label, std::int64_t row_stride = -1);

  std::int64_t origin_x() const { return origin_x_; }
  std::int64_t origin_y() const { return origin_y_; }
  std::int64_t width() const { return width_; }
  std::int64_t height() const { return height_; }
  double pixels_per_unit() const { return pixels_per_unit_; }

  /** Window coordinates: 0 <= x < width, 0 <= y < height (unchecked). */
  bool at(std::int64_t x, std::int64_t y) const { return bits_[Offset(x, y)] != 0; }
  void set(std::int64_t x, std::int64_t y, bool value) { bits_[Offset(x, y)] = value ? 1 : 0; }
  /** The window's row y, width bytes of 0 or 1. */
  const std::uint8_t* row(std::int64_t y) const { return bits_.data() + Offset(0, y); }
  std::uint8_t* row(std::int64_t y) { return bits_.data() + Offset(0, y); }

  /** Number of set pixels. */
  std::int64_t Count() const;
  /** Area of the set pixels in image units (Count() / ppu^2). */
  double Area() const;
  /** The window's extent in image units. */
  Bounds WindowBounds() const;

 private:
  std::size_t Offset(std::int64_t x, std::int64_t y) const {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) +
           static_cast<std::size_t>(x);
  }

  std::int64_t origin_x_ = 0;
  std::int64_t origin_y_ = 0;
  std::int64_t width_ = 0;
  std::int64_t height_ = 0;
  double pixels_per_unit_ = 1.0;
  std::vector<std::uint8_t> bits_;
};

/**
 * Intersection-over-union of two masks on the same lattice (equal pixels_per_unit; their windows
 * may differ). 0 when both are empty. Throws std::invalid_argument when the lattices differ.
 */
double MaskIou(const Mask& a, const Mask& b);

template <typename Label>
Mask Mask::FromLabelImage(const Label* labels, std::int64_t width, std::int64_t height, Label label,
                          std::int64_t row_stride) {
  if (row_stride < 0) row_stride = width;
  if (row_stride < width) {
    throw std::invalid_argument("Mask::FromLabelImage: row_stride " + std::to_string(row_stride) +
                                " is less than width " + std::to_string(width));
  }
  Mask m(0, 0, width, height, 1.0);
  for (std::int64_t y = 0; y < height; ++y) {
    const Label* in = labels + y * row_stride;
    std::uint8_t* out = m.row(y);
    for (std::int64_t x = 0; x < width; ++x) out[x] = in[x] == label ? 1 : 0;
  }
  return m;
}

}  // namespace understudy
