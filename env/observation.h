#pragma once

#include <memory>
#include <string>
#include <vector>

#include "env/crop_transform.h"
#include "env/prompt.h"
#include "env/proposer.h"
#include "rewards/polygon.h"

namespace cv {
class Mat;
}

namespace understudy {

/** One kind of observation channel; kRgb and kClicks take more than one plane. */
enum class ChannelKind {
  kRgb,            // 3 planes, R, G, B
  kGray,           // luminance
  kSobel,          // Sobel gradient magnitude of the crop's luminance, in [0, 1]
  kCanny,          // Canny edges of the crop, 0 or 1
  kInside,         // 1 where the crop shows the image, 0 where it is padding past the border
  kBoxMask,        // the prompt box, filled
  kEllipseMask,    // the ellipse proposer's polygon, filled
  kGrabCutMask,    // the GrabCut proposer's polygon, filled (costly: a GrabCut run per build)
  kWatershedMask,  // the watershed proposer's polygon, filled
  kClicks,         // 2 planes: Gaussian bumps at the positive, then the negative clicks
  kContour,        // the current contour (the env's), filled; zeros when there is none
};

/** Planes a channel kind takes. */
int PlaneCount(ChannelKind kind);
/** "rgb", "gray", "sobel", "canny", "inside", "box", "ellipse", "grabcut", "watershed", "clicks",
 *  "contour". */
std::string ChannelName(ChannelKind kind);
/** The inverse of ChannelName; throws std::invalid_argument listing the valid names. */
ChannelKind ParseChannel(const std::string& name);

/** How image planes (rgb, gray) are scaled; masks and edges are always in [0, 1]. */
enum class Normalization {
  kUnit,      // value / 255
  kImageNet,  // (value / 255 - mean) / std with the ImageNet statistics (gray: their average)
};

/**
 * What an observation holds and how the crop is cut. The crop is the prompt box grown by
 * `context_margin` x its width on the left and right and x its height on the top and bottom,
 * at least `min_crop_side` image pixels a side, resampled to size x size. With keep_aspect the
 * crop is made square first (longer side), so shapes are not stretched.
 */
struct ObservationSpec {
  int size = 64;
  double context_margin = 0.25;
  double min_crop_side = 8.0;  // image pixels: tiny boxes are not blown up past this
  bool keep_aspect = false;
  std::vector<ChannelKind> channels = {ChannelKind::kRgb, ChannelKind::kSobel,
                                       ChannelKind::kContour};
  Normalization normalization = Normalization::kImageNet;
  double pad_value = 0.0;    // image value (0..255) shown past the image border
  double click_sigma = 2.0;  // crop pixels

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
  /** Total planes over all channels. */
  int PlaneCountTotal() const;
  /** Index of the first plane of `kind`, or -1 when the spec does not have it. */
  int PlaneOf(ChannelKind kind) const;
};

/** An observation: planes x size x size floats, contiguous, channel-major (CHW). */
struct Observation {
  std::vector<float> pixels;  // planes * height * width
  int planes = 0;
  int height = 0;
  int width = 0;
  std::vector<float> contour;  // K x 2 crop-normalised (x, y) of the current contour, or empty
  CropTransform transform;     // image <-> crop pixels

  const float* plane(int index) const {
    return pixels.data() + static_cast<std::size_t>(index) * height * width;
  }
};

/**
 * The 8-bit crop that CropTransform `t` describes, resampled from `image` (any channel count) the
 * way ObservationBuilder samples its image planes (pyramid steps, area reduction, an exact
 * bilinear placement), showing `pad_value` past the border.
 */
void ResampleCrop(const cv::Mat& image, const CropTransform& t, double pad_value, cv::Mat& out);

/**
 * Proposals already computed for a prompt (image coordinates), for the mask channels: a caller that
 * has run GrabCut or watershed for the prompt anyway (the agent's candidates) passes them here so
 * the builder does not run them again (GrabCut costs tens of milliseconds). A null member is
 * computed by the builder as usual. The pointed-to instances must outlive the call.
 */
struct PrecomputedProposals {
  const Instance* grabcut = nullptr;
  const Instance* watershed = nullptr;
};

/**
 * Builds observations for prompts. Holds the proposers its mask channels need, so it is not
 * thread-safe: use one builder per thread. Deterministic: the same image, prompt and contour give
 * bit-identical buffers.
 */
class ObservationBuilder {
 public:
  /** Validates the spec; throws std::invalid_argument naming the bad field. */
  explicit ObservationBuilder(ObservationSpec spec);
  ~ObservationBuilder();
  ObservationBuilder(ObservationBuilder&&) noexcept;
  ObservationBuilder& operator=(ObservationBuilder&&) noexcept;

  const ObservationSpec& spec() const { return spec_; }
  /** Floats one observation takes. */
  std::size_t FloatCount() const;

  /** Where the crop for `box` lies in the image. Throws std::invalid_argument on a non-finite
   *  box. */
  CropTransform Placement(const Box& box) const;

  /**
   * Every channel for `prompt` on the 8-bit BGR `image`, with the contour channel drawn from
   * `contour` (image coordinates; zeros when null). Throws std::invalid_argument on a bad image
   * or box.
   */
  Observation Build(const cv::Mat& image, const Prompt& prompt, const Ring* contour = nullptr,
                    const PrecomputedProposals& precomputed = {});

  /** Build() into a caller's buffer of FloatCount() floats (e.g. one slot of a batch). */
  CropTransform BuildInto(const cv::Mat& image, const Prompt& prompt, const Ring* contour,
                          float* out, const PrecomputedProposals& precomputed = {});

  /** Redraws only the contour plane (if the spec has one) and the contour vertex list. */
  void SetContour(Observation& observation, const Ring& contour) const;

 private:
  void DrawContour(const CropTransform& t, const Ring* contour, float* plane) const;

  ObservationSpec spec_;
  std::unique_ptr<Proposer> grabcut_;
  std::unique_ptr<Proposer> watershed_;
};

}  // namespace understudy
