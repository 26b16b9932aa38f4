#include "env/mask_tracing.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "env/contour.h"
#include "rewards/validation.h"

namespace understudy {

void TraceOptions::Validate() const {
  if (!(epsilon >= 0.0) || !std::isfinite(epsilon)) {
    throw std::invalid_argument("TraceOptions.epsilon = " + std::to_string(epsilon) +
                                " (must be finite and >= 0)");
  }
  if (max_vertices < 3) {
    throw std::invalid_argument("TraceOptions.max_vertices = " + std::to_string(max_vertices) +
                                " (must be >= 3)");
  }
  if (!(min_area >= 0.0)) {
    throw std::invalid_argument("TraceOptions.min_area = " + std::to_string(min_area) +
                                " (must be >= 0)");
  }
}

std::optional<Ring> TraceRegion(const cv::Mat& mask, const Point* prefer,
                                const TraceOptions& options) {
  options.Validate();
  if (mask.type() != CV_8UC1) {
    throw std::invalid_argument("TraceRegion: mask must be CV_8UC1, got type " +
                                std::to_string(mask.type()));
  }
  if (mask.empty()) return std::nullopt;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  int chosen = 0;
  if (prefer != nullptr) {
    const int px = static_cast<int>(std::floor(prefer->x));
    const int py = static_cast<int>(std::floor(prefer->y));
    if (px >= 0 && py >= 0 && px < mask.cols && py < mask.rows) chosen = labels.at<int>(py, px);
  }
  if (chosen == 0) {
    int best_area = 0;
    for (int i = 1; i < n; ++i) {
      const int area = stats.at<int>(i, cv::CC_STAT_AREA);
      if (area > best_area) {  // ties keep the lower label: deterministic
        best_area = area;
        chosen = i;
      }
    }
  }
  if (chosen == 0 || stats.at<int>(chosen, cv::CC_STAT_AREA) < options.min_area) {
    return std::nullopt;
  }
  // Trace only the chosen component, inside its own bounding box (plus a 1-pixel frame so that
  // findContours sees the region's border).
  const cv::Rect bbox(
      stats.at<int>(chosen, cv::CC_STAT_LEFT), stats.at<int>(chosen, cv::CC_STAT_TOP),
      stats.at<int>(chosen, cv::CC_STAT_WIDTH), stats.at<int>(chosen, cv::CC_STAT_HEIGHT));
  cv::Mat region = cv::Mat::zeros(bbox.height + 2, bbox.width + 2, CV_8UC1);
  cv::Mat inner = region(cv::Rect(1, 1, bbox.width, bbox.height));
  cv::compare(labels(bbox), chosen, inner, cv::CMP_EQ);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(region, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  if (contours.empty()) return std::nullopt;
  std::size_t longest = 0;
  for (std::size_t i = 1; i < contours.size(); ++i) {
    if (contours[i].size() > contours[longest].size()) longest = i;
  }
  Ring chain;
  chain.reserve(contours[longest].size());
  for (const cv::Point& p : contours[longest]) {
    // Pixel (i, j) has its centre at (i + 0.5, j + 0.5); undo the 1-pixel frame.
    chain.push_back({p.x - 1 + bbox.x + 0.5, p.y - 1 + bbox.y + 0.5});
  }
  if (chain.size() < 3) {
    // A one- or two-pixel-wide sliver: its outline is the pixels' own square hull.
    const double x0 = bbox.x, y0 = bbox.y, x1 = bbox.x + bbox.width, y1 = bbox.y + bbox.height;
    return Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
  }
  double epsilon = options.epsilon;
  Ring simple = SimplifyRing(chain, epsilon);
  while (simple.size() > options.max_vertices) {
    epsilon = std::max(epsilon * 1.5, 0.5);
    simple = SimplifyRing(chain, epsilon);
  }
  if (std::abs(SignedArea(simple)) == 0.0) return std::nullopt;
  return OffsetRing(simple, 0.5);
}

BoxOutline OutlineInBox(const cv::Mat& object, const CropTransform& t, const Box& box,
                        const TraceOptions& trace, double min_area_fraction) {
  BoxOutline out;
  const Point centre = t.ToCrop({0.5 * (box.x0 + box.x1), 0.5 * (box.y0 + box.y1)});
  const std::optional<Ring> traced = TraceRegion(object, &centre, trace);
  if (!traced) {
    out.failure = "empty";
    return out;
  }
  const Point c0 = t.ToCrop({box.x0, box.y0}), c1 = t.ToCrop({box.x1, box.y1});
  if (std::abs(SignedArea(*traced)) < min_area_fraction * (c1.x - c0.x) * (c1.y - c0.y)) {
    out.failure = "collapsed";
    return out;
  }
  Ring ring;
  ring.reserve(traced->size());
  for (const Point& p : *traced) {
    const Point q = t.ToImage(p);
    ring.push_back({std::clamp(q.x, box.x0, box.x1), std::clamp(q.y, box.y0, box.y1)});
  }
  try {
    out.shape = Validate(MakeInstance(std::move(ring)));
  } catch (const GeometryError&) {
    out.failure = "invalid outline";
  }
  return out;
}

}  // namespace understudy
