#include "env/polygon_env.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "env/contour.h"
#include "env/proposer_factory.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {

void EnvConfig::Validate() const {
  if (num_vertices < 3 || num_vertices > 1024) {
    throw std::invalid_argument("EnvConfig.num_vertices = " + std::to_string(num_vertices) +
                                " (must be in [3, 1024])");
  }
  if (mode == EpisodeMode::kRefinement && (refinement_steps < 1 || refinement_steps > 1000)) {
    throw std::invalid_argument("EnvConfig.refinement_steps = " + std::to_string(refinement_steps) +
                                " (must be in [1, 1000])");
  }
  if (!(max_offset > 0.0 && max_offset <= 1.0)) {
    throw std::invalid_argument("EnvConfig.max_offset = " + std::to_string(max_offset) +
                                " (must be in (0, 1])");
  }
  MakeProposer(initial_proposer);  // throws, naming the valid proposers
  observation.Validate();
}

PolygonEnv::PolygonEnv(EnvConfig config)
    : config_((config.Validate(), std::move(config))),
      builder_(config_.observation),
      initial_(MakeProposer(config_.initial_proposer)) {}

PolygonEnv::~PolygonEnv() = default;
PolygonEnv::PolygonEnv(PolygonEnv&&) noexcept = default;
PolygonEnv& PolygonEnv::operator=(PolygonEnv&&) noexcept = default;

double PolygonEnv::ContourIou(const Ring& image_contour) const {
  Instance shape;
  try {
    shape = Validate(MakeInstance(image_contour));
  } catch (const GeometryError&) {
    return 0.0;  // the contour collapsed to no area: it covers nothing of the object
  }
  return ExactIou(shape, human_);
}

Ring PolygonEnv::Contour() const {
  Ring ring;
  ring.reserve(contour_.size());
  for (const Point& p : contour_) ring.push_back(observation_.transform.FromNormalized(p));
  return ring;
}

TimeStep PolygonEnv::MakeTimeStep(StepType type, double reward, double discount) {
  TimeStep ts;
  ts.step_type = type;
  ts.reward = reward;
  ts.discount = discount;
  ts.observation = observation_;
  ts.iou = iou_;
  ts.step = step_;
  return ts;
}

TimeStep PolygonEnv::Reset(const cv::Mat& image, const Prompt& prompt, const Instance& human) {
  if (image.empty() || image.type() != CV_8UC3) {
    throw std::invalid_argument("PolygonEnv::Reset: image must be a non-empty CV_8UC3 matrix");
  }
  human_ = Validate(human);
  image_ = image;
  const Proposal start = initial_->Propose(image_, prompt);
  initial_source_ = start.source;
  const Ring initial = CanonicalContour(LargestOuter(start.shape), config_.num_vertices);
  observation_ = builder_.Build(image_, prompt, &initial);
  contour_.clear();
  contour_.reserve(initial.size());
  for (const Point& p : initial) {
    const Point n = observation_.transform.ToNormalized(p);
    // Clamped like every moved vertex, so Contour() is exactly what the reward scores.
    contour_.push_back({std::clamp(n.x, 0.0, 1.0), std::clamp(n.y, 0.0, 1.0)});
  }
  const Ring image_contour = Contour();
  builder_.SetContour(observation_, image_contour);
  iou_ = initial_iou_ = ContourIou(image_contour);
  step_ = 0;
  started_ = true;
  done_ = false;
  return MakeTimeStep(StepType::kFirst, 0.0, 1.0);
}

TimeStep PolygonEnv::Step(const float* action, std::size_t size) {
  if (!started_) throw std::logic_error("PolygonEnv::Step before Reset");
  if (done_) throw std::logic_error("PolygonEnv::Step after the last step: call Reset");
  if (size != config_.ActionSize()) {
    throw std::invalid_argument("PolygonEnv::Step: action has " + std::to_string(size) +
                                " values, expected " + std::to_string(config_.ActionSize()) +
                                " (K = " + std::to_string(config_.num_vertices) + " vertices x 2)");
  }
  for (std::size_t i = 0; i < size; ++i) {
    if (!std::isfinite(action[i])) {
      throw std::invalid_argument("PolygonEnv::Step: action[" + std::to_string(i) + "] (vertex " +
                                  std::to_string(i / 2) + (i % 2 == 0 ? " x" : " y") +
                                  ") is not finite");
    }
  }
  const double clip = config_.max_offset;
  for (std::size_t k = 0; k < contour_.size(); ++k) {
    Point& v = contour_[k];
    v.x = std::clamp(v.x + std::clamp(static_cast<double>(action[2 * k]), -clip, clip), 0.0, 1.0);
    v.y =
        std::clamp(v.y + std::clamp(static_cast<double>(action[2 * k + 1]), -clip, clip), 0.0, 1.0);
  }
  const Ring image_contour = Contour();
  builder_.SetContour(observation_, image_contour);
  const double previous = iou_;
  iou_ = ContourIou(image_contour);
  ++step_;
  if (config_.mode == EpisodeMode::kOneShot) {
    done_ = true;
    return MakeTimeStep(StepType::kLast, iou_, 0.0);
  }
  done_ = step_ >= config_.refinement_steps;
  return MakeTimeStep(done_ ? StepType::kLast : StepType::kMid, iou_ - previous, done_ ? 0.0 : 1.0);
}

}  // namespace understudy
