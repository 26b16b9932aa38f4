#include "env/context_crop.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>

namespace understudy {

CropTransform CutContext(const cv::Mat& image, const Box& box, double margin, int max_side,
                         cv::Mat& out, int min_side) {
  if (image.empty()) throw std::invalid_argument("CutContext: empty image");
  if (!(margin >= 0.0) || max_side < 8) {
    throw std::invalid_argument("CutContext: margin = " + std::to_string(margin) + ", max_side = " +
                                std::to_string(max_side) + " (need margin >= 0, max_side >= 8)");
  }
  if (!(box.x0 >= 0.0 && box.y0 >= 0.0 && box.x1 <= image.cols && box.y1 <= image.rows &&
        box.x1 > box.x0 && box.y1 > box.y0)) {
    throw std::invalid_argument("CutContext: box (" + std::to_string(box.x0) + ", " +
                                std::to_string(box.y0) + ")-(" + std::to_string(box.x1) + ", " +
                                std::to_string(box.y1) + ") is not a non-empty box inside the " +
                                std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                " image");
  }
  const double mx = margin * box.width(), my = margin * box.height();
  const int x0 = std::max(0, static_cast<int>(std::floor(box.x0 - mx)));
  const int y0 = std::max(0, static_cast<int>(std::floor(box.y0 - my)));
  const int x1 = std::min(image.cols, static_cast<int>(std::ceil(box.x1 + mx)));
  const int y1 = std::min(image.rows, static_cast<int>(std::ceil(box.y1 + my)));
  const cv::Rect roi(x0, y0, x1 - x0, y1 - y0);
  const int longer = std::max(roi.width, roi.height);
  double scale = 1.0;
  if (longer > max_side) scale = static_cast<double>(max_side) / longer;
  if (longer < min_side) scale = static_cast<double>(std::min(min_side, max_side)) / longer;
  CropTransform t;
  t.x0 = x0;
  t.y0 = y0;
  if (scale != 1.0) {
    t.width = std::max(1, static_cast<int>(std::lround(roi.width * scale)));
    t.height = std::max(1, static_cast<int>(std::lround(roi.height * scale)));
    cv::resize(image(roi), out, cv::Size(t.width, t.height), 0, 0,
               scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  } else {
    t.width = roi.width;
    t.height = roi.height;
    image(roi).copyTo(out);
  }
  // The exact per-axis scales of the resize, so ToImage(ToCrop(p)) == p up to rounding.
  t.scale_x = static_cast<double>(t.width) / roi.width;
  t.scale_y = static_cast<double>(t.height) / roi.height;
  return t;
}

}  // namespace understudy
