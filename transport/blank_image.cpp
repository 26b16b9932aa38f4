#include "transport/blank_image.h"

#include <opencv2/core.hpp>

namespace understudy {

cv::Mat BlankImage(int width, int height) {
  if (width <= 0 || height <= 0) return cv::Mat();
  if (static_cast<std::int64_t>(width) * height > kMaxBlankPixels) return cv::Mat();
  // One per thread, reused while the size stays the same (consecutive assets usually share it).
  thread_local cv::Mat blank;
  if (blank.cols != width || blank.rows != height) blank = cv::Mat::zeros(height, width, CV_8UC3);
  return blank;
}

}  // namespace understudy
