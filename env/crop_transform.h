#pragma once

#include "rewards/polygon.h"

namespace understudy {

/**
 * The affine map between image pixel coordinates and the pixels of a crop: an axis-aligned
 * rectangle [x0, x0 + width / scale_x) x [y0, y0 + height / scale_y) of the image resampled to
 * width x height crop pixels. Both frames use continuous coordinates with pixel corners at
 * integers (pixel (i, j) covers [i, i+1) x [j, j+1)), the convention of polygon annotations and
 * of cv::resize; the rectangle may extend past the image border.
 */
struct CropTransform {
  double x0 = 0.0;       // image x of the crop's left edge
  double y0 = 0.0;       // image y of the crop's top edge
  double scale_x = 1.0;  // crop pixels per image pixel, horizontally
  double scale_y = 1.0;  // crop pixels per image pixel, vertically
  int width = 0;         // crop size in pixels
  int height = 0;

  /** Image pixel coordinates to crop pixel coordinates. */
  Point ToCrop(const Point& image) const {
    return {(image.x - x0) * scale_x, (image.y - y0) * scale_y};
  }
  /** Crop pixel coordinates back to image pixel coordinates (the inverse of ToCrop). */
  Point ToImage(const Point& crop) const { return {x0 + crop.x / scale_x, y0 + crop.y / scale_y}; }
  /** Image coordinates to crop-normalised coordinates: [0, 1] across the crop. */
  Point ToNormalized(const Point& image) const {
    const Point c = ToCrop(image);
    return {c.x / width, c.y / height};
  }
  /** Crop-normalised coordinates back to image coordinates. */
  Point FromNormalized(const Point& normalized) const {
    return ToImage({normalized.x * width, normalized.y * height});
  }
  /** The identity for an image of the given size: crop = image. */
  static CropTransform Identity(int image_width, int image_height) {
    return {0.0, 0.0, 1.0, 1.0, image_width, image_height};
  }
};

}  // namespace understudy
