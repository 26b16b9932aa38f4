#include "rewards/panoptic_quality.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "rewards/iou.h"
#include "rewards/matching.h"

namespace understudy {
namespace {

double Denominator(const PanopticCounts& c) {
  return static_cast<double>(c.true_positives) + 0.5 * static_cast<double>(c.false_positives) +
         0.5 * static_cast<double>(c.false_negatives);
}

bool Nothing(const PanopticCounts& c) {
  return c.true_positives == 0 && c.false_positives == 0 && c.false_negatives == 0;
}

bool BoxesMeet(const Bounds& a, const Bounds& b) {
  return !a.empty() && !b.empty() && a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
}

}  // namespace

void PanopticOptions::Validate() const {
  if (!(match_iou >= 0.0 && match_iou < 1.0)) {
    throw std::invalid_argument("PanopticOptions.match_iou must be in [0, 1), got " +
                                std::to_string(match_iou));
  }
}

double PanopticCounts::Pq() const {
  return Nothing(*this) ? 1.0 : matched_iou / Denominator(*this);
}

double PanopticCounts::Sq() const {
  if (Nothing(*this)) return 1.0;
  return true_positives > 0 ? matched_iou / static_cast<double>(true_positives) : 0.0;
}

double PanopticCounts::Rq() const {
  return Nothing(*this) ? 1.0 : static_cast<double>(true_positives) / Denominator(*this);
}

PanopticResult PanopticQualityFromIou(const std::vector<int>& predicted_classes,
                                      const std::vector<int>& reference_classes,
                                      const std::function<double(std::size_t, std::size_t)>& iou,
                                      const PanopticOptions& options) {
  options.Validate();
  std::map<int, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> by_class;
  for (std::size_t p = 0; p < predicted_classes.size(); ++p) {
    by_class[predicted_classes[p]].first.push_back(p);
  }
  for (std::size_t r = 0; r < reference_classes.size(); ++r) {
    by_class[reference_classes[r]].second.push_back(r);
  }
  PanopticResult out;
  std::vector<double> weight;
  for (const auto& [cls, members] : by_class) {
    const std::vector<std::size_t>& preds = members.first;
    const std::vector<std::size_t>& refs = members.second;
    weight.assign(preds.size() * refs.size(), 0.0);
    for (std::size_t i = 0; i < preds.size(); ++i) {
      for (std::size_t k = 0; k < refs.size(); ++k) {
        const double v = iou(preds[i], refs[k]);
        if (!(v >= 0.0 && v <= 1.0)) {
          throw std::invalid_argument(
              "PanopticQuality: IoU of predicted " + std::to_string(preds[i]) + " and reference " +
              std::to_string(refs[k]) + " is " + std::to_string(v) + ", outside [0, 1]");
        }
        // Pairs at or below the threshold can never be matches, so they weigh nothing.
        weight[i * refs.size() + k] = v > options.match_iou ? v : 0.0;
      }
    }
    const Assignment a = MaxWeightAssignment(weight, preds.size(), refs.size());
    PanopticCounts counts;
    for (std::size_t i = 0; i < preds.size(); ++i) {
      const int k = a.row_to_col[i];
      const double v = k == Assignment::kUnassigned
                           ? 0.0
                           : weight[i * refs.size() + static_cast<std::size_t>(k)];
      if (v > 0.0) {
        ++counts.true_positives;
        counts.matched_iou += v;
        out.matches.push_back({preds[i], refs[static_cast<std::size_t>(k)], v});
      } else {
        ++counts.false_positives;
      }
    }
    counts.false_negatives = refs.size() - counts.true_positives;
    out.per_class[cls] = counts;
    out.overall.true_positives += counts.true_positives;
    out.overall.false_positives += counts.false_positives;
    out.overall.false_negatives += counts.false_negatives;
    out.overall.matched_iou += counts.matched_iou;
  }
  if (!out.per_class.empty()) {
    double sum = 0.0;
    for (const auto& entry : out.per_class) sum += entry.second.Pq();
    out.class_mean_pq = sum / static_cast<double>(out.per_class.size());
  }
  std::sort(
      out.matches.begin(), out.matches.end(),
      [](const PanopticMatch& a, const PanopticMatch& b) { return a.reference < b.reference; });
  return out;
}

PanopticResult PanopticQuality(const std::vector<LabelledInstance>& predicted,
                               const std::vector<LabelledInstance>& reference,
                               const PanopticOptions& options) {
  std::vector<int> pc(predicted.size()), rc(reference.size());
  std::vector<Bounds> pb(predicted.size()), rb(reference.size());
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    pc[i] = predicted[i].class_id;
    pb[i] = BoundsOf(predicted[i].instance);
  }
  for (std::size_t i = 0; i < reference.size(); ++i) {
    rc[i] = reference[i].class_id;
    rb[i] = BoundsOf(reference[i].instance);
  }
  return PanopticQualityFromIou(
      pc, rc,
      [&](std::size_t p, std::size_t r) {
        return BoxesMeet(pb[p], rb[r]) ? ExactIou(predicted[p].instance, reference[r].instance)
                                       : 0.0;
      },
      options);
}

}  // namespace understudy
