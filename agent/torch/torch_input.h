#pragma once

// Torch-free: what the libtorch agent's nets are fed, made the same way for serving and for
// training so the two never see different pixels.

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "agent/torch_agent.h"
#include "env/crop_transform.h"
#include "env/observation.h"
#include "env/prompt.h"
#include "env/proposer.h"
#include "env/rng.h"
#include "rewards/polygon.h"

namespace understudy {

/**
 * One prompt as the agent keeps it: an 8-bit crop around the box with a generous margin (so box
 * jitter can re-crop without the whole image) and every candidate proposer's polygon, computed
 * once. This is what the replay buffer stores; serving goes through the same crop.
 */
struct PromptCrop {
  cv::Mat crop;                        // store_size x store_size, 8-bit BGR
  CropTransform store;                 // image pixels <-> crop pixels
  Box box;                             // the prompt box in crop pixels
  std::vector<Instance> candidates;    // each candidate's polygon in crop pixels
  std::vector<Instance> image_shapes;  // the same polygons in image pixels (serving fallback)
  std::vector<std::string> sources;    // each candidate's Proposal::source

  /** Bytes this crop holds (pixels and vertices), for memory accounting. */
  std::size_t Bytes() const;
};

/** A random change to a stored prompt: each box side moved by a fraction of the box's width
 *  (left, right) or height (top, bottom), then an optional horizontal flip. */
struct Augmentation {
  double left = 0.0;
  double top = 0.0;
  double right = 0.0;
  double bottom = 0.0;
  bool flip = false;
};

/** Draws an augmentation: normal side shifts of std config.box_jitter truncated at 2 sigmas,
 *  a flip with probability 1/2 when config.flip. */
Augmentation DrawAugmentation(const TorchAgentConfig& config, Rng& rng);

/** The nets' input for one prompt and the way back from crop-normalised to image coordinates. */
struct TorchInput {
  std::vector<float> planes;    // PlaneCount() x crop_size x crop_size, CHW
  std::vector<float> contours;  // candidates x K x 2: initial contours, crop-normalised [0, 1]
  CropTransform view;           // observation crop pixels <-> (flipped) stored-crop pixels
  CropTransform store;          // stored-crop pixels <-> image pixels
  bool flipped = false;
  int store_width = 0;
  std::vector<Instance> image_shapes;  // the candidates' own polygons, image pixels
  std::vector<std::string> sources;

  /** Crop-normalised (x, y) pairs to an image-pixel ring. */
  Ring ToImage(const float* xy, int count) const;
  /** An image-pixel point to crop-normalised coordinates (the inverse of ToImage). */
  Point ToNormalized(const Point& image) const;
};

/**
 * Makes PromptCrops and TorchInputs. Holds the candidate proposers and two observation builders,
 * so it is not thread-safe: one per thread. Deterministic.
 */
class InputMaker {
 public:
  /** `config` must be valid. */
  explicit InputMaker(const TorchAgentConfig& config);

  /** Runs every candidate proposer on the image and keeps the crop. Throws
   *  std::invalid_argument on a bad image or box. */
  PromptCrop Crop(const cv::Mat& image, const Prompt& prompt);

  /** The nets' input for a stored prompt, as served (no augmentation) or augmented. Box and
   *  ellipse candidates follow a jittered box; image-based ones (GrabCut, watershed) keep their
   *  stored polygons, as a proposer run costs too much per training sample. */
  TorchInput Input(const PromptCrop& crop, const Augmentation* augmentation = nullptr);

  /** `ring` (stored-crop pixels) as a crop-normalised contour of `input` with `count` points
   *  (CanonicalContour in that frame); count 0 means K. */
  std::vector<float> Contour(const TorchInput& input, const Ring& ring, int count = 0) const;

 private:
  TorchAgentConfig config_;
  std::vector<std::unique_ptr<Proposer>> proposers_;
  ObservationBuilder store_builder_;  // only its Placement: where the stored crop lies
  ObservationBuilder view_builder_;   // the observation, built from a stored crop
  int grabcut_ = -1;                  // candidate indices with a mask plane, or -1
  int watershed_ = -1;
};

/** `instance` mapped through an affine image -> crop transform (and, with `flip`, mirrored in
 *  a crop `width` pixels wide). */
Instance MapInstance(const Instance& instance, const CropTransform& t, bool flip = false,
                     int width = 0);

}  // namespace understudy
