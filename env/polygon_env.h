#pragma once

#include <cstddef>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "env/observation.h"
#include "env/prompt.h"
#include "env/proposer.h"
#include "env/time_step.h"
#include "rewards/polygon.h"

namespace understudy {

/** How an episode is scored. */
enum class EpisodeMode {
  kOneShot,     // one step; the reward is the IoU of the moved contour with the human polygon
  kRefinement,  // refinement_steps steps; each reward is the change in IoU, so the return is
                // the final IoU minus the initial contour's IoU
};

/** The env's settings. */
struct EnvConfig {
  EpisodeMode mode = EpisodeMode::kOneShot;
  int num_vertices = 32;     // K: the contour's vertex count; an action is K x 2 floats
  int refinement_steps = 4;  // kRefinement only
  /** Each action component is clipped to [-max_offset, max_offset], in crop-normalised units
   *  (1 = the crop's full width or height). */
  double max_offset = 0.5;
  std::string initial_proposer = "ellipse";  // a MakeProposer name: where the contour starts
  ObservationSpec observation;

  /** Throws std::invalid_argument naming the bad field (unknown proposer names included). */
  void Validate() const;
  /** K x 2. */
  std::size_t ActionSize() const { return static_cast<std::size_t>(num_vertices) * 2; }
};

/**
 * One polygon episode, Gym/dm_env style. Reset takes an image, a prompt and the human polygon;
 * the contour starts as the initial proposer's polygon resampled to K vertices (CanonicalContour)
 * and the observation is the crop around the prompt (see ObservationSpec) with that contour.
 *
 * Step(action): the action is K x 2 floats (dx0, dy0, dx1, dy1, ...), offsets of each vertex in
 * crop-normalised units (x / crop width, y / crop height). Each component is clipped to
 * [-max_offset, max_offset], added to the vertex, and the vertex is clamped to the crop [0, 1]^2.
 * Non-finite components are an error. The contour's IoU with the human polygon is exact
 * (rewards/iou.h) after Validate's repair; a contour that collapses to no area scores 0.
 *
 * Deterministic: the same inputs and actions give the same time steps, bit for bit.
 */
class PolygonEnv {
 public:
  explicit PolygonEnv(EnvConfig config);
  ~PolygonEnv();
  PolygonEnv(PolygonEnv&&) noexcept;
  PolygonEnv& operator=(PolygonEnv&&) noexcept;

  /** Starts an episode. `image` is 8-bit BGR and is kept (shared, not copied) until the next
   *  Reset; `human` must be a validated instance. Throws std::invalid_argument on bad input. */
  TimeStep Reset(const cv::Mat& image, const Prompt& prompt, const Instance& human);

  /** Moves the contour. Throws std::logic_error before Reset or after the last step, and
   *  std::invalid_argument when the action has the wrong size or a non-finite value. */
  TimeStep Step(const float* action, std::size_t size);
  TimeStep Step(const std::vector<float>& action) { return Step(action.data(), action.size()); }

  const EnvConfig& config() const { return config_; }
  /** The current contour in image pixel coordinates. */
  Ring Contour() const;
  /** The current contour in crop-normalised coordinates (what actions move). */
  const Ring& NormalizedContour() const { return contour_; }
  double iou() const { return iou_; }
  double initial_iou() const { return initial_iou_; }
  bool done() const { return done_; }
  /** The initial proposer's source tag for this episode (e.g. a GrabCut fallback). */
  const std::string& initial_source() const { return initial_source_; }

 private:
  double ContourIou(const Ring& image_contour) const;
  TimeStep MakeTimeStep(StepType type, double reward, double discount);

  EnvConfig config_;
  ObservationBuilder builder_;
  std::unique_ptr<Proposer> initial_;
  cv::Mat image_;
  Instance human_;
  Observation observation_;
  Ring contour_;  // crop-normalised
  double iou_ = 0.0;
  double initial_iou_ = 0.0;
  std::string initial_source_;
  int step_ = 0;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace understudy
