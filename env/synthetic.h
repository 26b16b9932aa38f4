#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "env/dataset.h"
#include "rewards/polygon.h"

namespace understudy {

/**
 * The knobs of the built-in synthetic scenes: textured objects (ellipses, Fourier blobs, stars,
 * concave shapes) on cluttered, textured backgrounds. Sizes are in pixels or fractions as noted;
 * the same config (seed included) gives byte-identical images and polygons.
 */
struct SyntheticConfig {
  std::uint64_t seed = 1;
  int num_assets = 200;
  int width = 320;  // image size in pixels
  int height = 240;
  int min_objects = 1;  // annotated objects per image
  int max_objects = 4;
  /** Object size: its longer side as a fraction of the image's shorter side. */
  double min_size = 0.2;
  double max_size = 0.5;
  /** Relative frequency of each shape kind (class ids 0..3 in this order). */
  double ellipse_weight = 1.0;
  double blob_weight = 1.0;
  double star_weight = 1.0;
  double concave_weight = 1.0;
  /** Colour distance between an object and the background behind it: 0 invisible, 1 stark. */
  double contrast = 0.5;
  /** Density of unannotated distractors (lines, boxes, discs, blobs) behind the objects: 0..1. */
  double clutter = 0.5;
  /** Amplitude of the patterns on objects and background (stripes, spots, shading): 0..1. */
  double texture = 0.4;
  double blur_sigma = 0.8;   // Gaussian blur of the whole image, pixels; 0 turns it off
  double noise_sigma = 4.0;  // per-pixel noise, grey levels
  double min_gap = 2.0;      // pixels between objects' boxes; negative lets boxes overlap (never
                             // the shapes themselves, so each polygon stays fully visible)
  /** The "human" polygon: the true outline simplified by Douglas-Peucker at this tolerance ... */
  double simplify_epsilon = 1.5;
  /** ... then each vertex moved by normal noise of this many pixels, as a person clicks. */
  double click_jitter = 0.7;

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** Named presets: "easy", "default", "hard". Throws std::invalid_argument listing them. */
SyntheticConfig SyntheticPreset(const std::string& name);
std::vector<std::string> SyntheticPresetNames();

/** The class names of synthetic instances, indexed by AnnotatedInstance::class_id. */
std::vector<std::string> SyntheticClassNames();

/** One rendered scene before encoding, with the true outlines the human polygons come from. */
struct SyntheticScene {
  cv::Mat image;                             // CV_8UC3, BGR
  std::vector<AnnotatedInstance> instances;  // the "human" polygons
  std::vector<Ring> truth;                   // dense true outlines, one per instance
};

/** Scene `index` of the config: depends only on (config, index), so scenes can be made in any
 *  order. Throws std::invalid_argument on a bad config or index. */
SyntheticScene RenderSyntheticScene(const SyntheticConfig& config, int index);

/** All config.num_assets scenes as a Dataset, images inline as PNG bytes in AssetRecord::data
 *  (ids "synthetic-00000", ...), so they go through the same pipeline as real data. Scenes are
 *  rendered on `threads` threads; the bytes do not depend on the thread count. */
Dataset GenerateSynthetic(const SyntheticConfig& config, int threads = 1);

}  // namespace understudy
