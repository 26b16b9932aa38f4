#include "rewards/reward_spec.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "rewards/clicks.h"
#include "rewards/contour_distance.h"
#include "rewards/iou.h"

namespace understudy {
namespace {

void CheckWeight(double w, const char* field) {
  if (!std::isfinite(w) || w < 0.0) {
    throw std::invalid_argument(std::string("RewardSpec: weight ") + field +
                                " must be finite and >= 0, got " + std::to_string(w));
  }
}

void CheckTolerance(double t, const char* field) {
  if (!std::isfinite(t) || t <= 0.0) {
    throw std::invalid_argument(std::string("RewardSpec: ") + field +
                                " must be finite and > 0, got " + std::to_string(t));
  }
}

double Term(const std::optional<double>& score, double weight, const char* name) {
  if (weight == 0.0) return 0.0;
  if (!score.has_value()) {
    throw std::invalid_argument(std::string("RewardSpec::Combine: term ") + name + " has weight " +
                                std::to_string(weight) + " but no score");
  }
  if (!(*score >= 0.0 && *score <= 1.0)) {
    throw std::invalid_argument(std::string("RewardSpec::Combine: term ") + name + " score " +
                                std::to_string(*score) + " is outside [0, 1]");
  }
  return weight * *score;
}

}  // namespace

RewardSpec::RewardSpec() : RewardSpec(RewardWeights{}) {}

RewardSpec::RewardSpec(const RewardWeights& weights, double boundary_tolerance,
                       double clicks_tolerance)
    : weights_(weights),
      boundary_tolerance_(boundary_tolerance),
      clicks_tolerance_(clicks_tolerance) {
  CheckWeight(weights.iou, "iou");
  CheckWeight(weights.boundary_f, "boundary_f");
  CheckWeight(weights.clicks, "clicks");
  CheckWeight(weights.hausdorff, "hausdorff");
  const double sum = weights.iou + weights.boundary_f + weights.clicks + weights.hausdorff;
  if (!(sum > 0.0) || !std::isfinite(sum)) {
    throw std::invalid_argument("RewardSpec: the weights must sum to a finite value > 0, got " +
                                std::to_string(sum));
  }
  CheckTolerance(boundary_tolerance, "boundary_tolerance");
  CheckTolerance(clicks_tolerance, "clicks_tolerance");
}

double RewardSpec::Combine(const RewardComponents& c) const {
  const double sum = weights_.iou + weights_.boundary_f + weights_.clicks + weights_.hausdorff;
  const double total = Term(c.iou, weights_.iou, "iou") +
                       Term(c.boundary_f, weights_.boundary_f, "boundary_f") +
                       Term(c.clicks_saved, weights_.clicks, "clicks") +
                       Term(c.hausdorff_score, weights_.hausdorff, "hausdorff");
  return std::clamp(total / sum, 0.0, 1.0);
}

Reward RewardSpec::Evaluate(const Instance& proposal, const Instance& human) const {
  Reward r;
  RewardComponents& c = r.components;
  if (weights_.iou > 0.0) c.iou = std::clamp(ExactIou(proposal, human), 0.0, 1.0);
  if (weights_.boundary_f > 0.0) {
    c.boundary_f = BoundaryFScore(proposal, human, boundary_tolerance_).f;
  }
  if (weights_.clicks > 0.0) {
    const double draw = static_cast<double>(ClicksToDraw(human));
    const double fix = static_cast<double>(ClicksToFix(proposal, human, clicks_tolerance_).Total());
    c.clicks_saved = draw > 0.0 ? std::clamp(1.0 - fix / draw, 0.0, 1.0) : (fix > 0.0 ? 0.0 : 1.0);
  }
  if (weights_.hausdorff > 0.0) {
    const Bounds b = BoundsOf(human);
    const double diagonal = std::hypot(b.width(), b.height());
    const double h = HausdorffDistance(proposal, human);
    c.hausdorff_score = diagonal > 0.0 && std::isfinite(h)
                            ? std::clamp(1.0 - h / diagonal, 0.0, 1.0)
                            : (h == 0.0 ? 1.0 : 0.0);
  }
  r.value = Combine(c);
  return r;
}

}  // namespace understudy
