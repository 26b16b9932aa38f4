#include "env/click_seeds.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace understudy {

void PaintClickSeeds(const cv::Mat& crop, const CropTransform& transform,
                     const std::vector<Click>& clicks, int object_label, int background_label,
                     const ClickSeedOptions& options, cv::Mat& seeds) {
  const int reach = std::max(1, static_cast<int>(options.reach * std::max(crop.cols, crop.rows)));
  for (const bool positive : {true, false}) {
    for (const Click& click : clicks) {
      if (click.positive != positive) continue;
      const Point c = transform.ToCrop(click.at);
      const cv::Point at(static_cast<int>(std::floor(c.x)), static_cast<int>(std::floor(c.y)));
      if (at.x < 0 || at.y < 0 || at.x >= crop.cols || at.y >= crop.rows) continue;
      const cv::Scalar label(positive ? object_label : background_label);
      // The flood, limited to a window around the click so one click cannot take the image.
      const cv::Rect window = cv::Rect(at.x - reach, at.y - reach, 2 * reach + 1, 2 * reach + 1) &
                              cv::Rect(0, 0, crop.cols, crop.rows);
      cv::Mat flood = cv::Mat::zeros(window.height + 2, window.width + 2, CV_8UC1);
      const cv::Scalar tol = cv::Scalar::all(options.tolerance);
      cv::floodFill(crop(window), flood, at - window.tl(), cv::Scalar(), nullptr, tol, tol,
                    4 | cv::FLOODFILL_MASK_ONLY | cv::FLOODFILL_FIXED_RANGE | (255 << 8));
      seeds(window).setTo(label, flood(cv::Rect(1, 1, window.width, window.height)));
      cv::circle(seeds, at, options.radius, label, cv::FILLED);
    }
  }
}

}  // namespace understudy
