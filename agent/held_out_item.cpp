#include "agent/held_out_item.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>

#include "agent/policy.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

Ring Shift(const Ring& ring, double dx, double dy) {
  Ring out;
  out.reserve(ring.size());
  for (const Point& p : ring) out.push_back(Point{p.x + dx, p.y + dy});
  return out;
}

}  // namespace

Instance Translated(const Instance& instance, double dx, double dy) {
  Instance out;
  out.parts.reserve(instance.parts.size());
  for (const Polygon& p : instance.parts) {
    Polygon q;
    q.outer = Shift(p.outer, dx, dy);
    for (const Ring& h : p.holes) q.holes.push_back(Shift(h, dx, dy));
    out.parts.push_back(std::move(q));
  }
  return out;
}

HeldOutItem MakeHeldOutItem(const AnnotationKey& key, const cv::Mat& image, const Prompt& prompt,
                            const Instance& human, double margin) {
  HeldOutItem item;
  item.key = key;
  item.prompt = prompt;
  item.human = human;
  if (image.empty()) return item;
  const Box& b = prompt.box;
  const double mx = margin * std::max(b.width(), 0.0), my = margin * std::max(b.height(), 0.0);
  auto clamp = [](double v, int hi) {
    if (!(v > 0)) return 0;  // also NaN
    return v >= hi ? hi : static_cast<int>(v);
  };
  const int x0 = clamp(std::floor(b.x0 - mx), image.cols);
  const int y0 = clamp(std::floor(b.y0 - my), image.rows);
  const int x1 = clamp(std::ceil(b.x1 + mx), image.cols);
  const int y1 = clamp(std::ceil(b.y1 + my), image.rows);
  if (x1 <= x0 || y1 <= y0) {
    // The box lies off the image: keep the whole image rather than nothing.
    item.image = image.clone();
    return item;
  }
  item.image = image(cv::Rect(x0, y0, x1 - x0, y1 - y0)).clone();
  const double dx = -static_cast<double>(x0), dy = -static_cast<double>(y0);
  item.prompt.box = Box{b.x0 + dx, b.y0 + dy, b.x1 + dx, b.y1 + dy};
  for (Click& c : item.prompt.clicks) c.at = Point{c.at.x + dx, c.at.y + dy};
  item.human = Translated(human, dx, dy);
  return item;
}

double HeldOutReward(Policy& policy, const HeldOutItem& item, const RewardSpec& spec) {
  try {
    const Proposal p = policy.Propose(item.image, item.prompt);
    return spec.Evaluate(Validate(p.shape), item.human).value;
  } catch (const std::exception&) {
    return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace understudy
