#pragma once

#include <cstddef>
#include <optional>

#include "env/crop_transform.h"
#include "env/prompt.h"
#include "rewards/polygon.h"

namespace cv {
class Mat;
}

namespace understudy {

/** How a binary mask becomes one polygon. */
struct TraceOptions {
  double epsilon = 1.0;            // Douglas-Peucker tolerance, mask pixels
  std::size_t max_vertices = 128;  // the tolerance grows until the ring fits
  double min_area = 4.0;           // regions smaller than this (mask pixels) are no outline

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
};

/**
 * The outer outline of one 8-connected region of the non-zero pixels of the CV_8UC1 `mask`, in
 * mask pixel-corner coordinates (see CropTransform): the region under `prefer` when `prefer` is
 * given and lies on one, otherwise the largest. Holes are ignored. The traced pixel-centre chain
 * is pushed out by half a pixel so the ring's area matches the region's pixel count. Returns no
 * ring when there is no region of at least min_area pixels.
 *
 * Unlike TraceMask (env/mask_polygon.h), which follows pixel edges exactly for format conversion,
 * this traces pixel centres: the staircase of a pixel-edge outline survives simplification as
 * extra vertices, which cost a proposal clicks to fix (measured: GrabCut on balloons 19.7 instead
 * of 16.1 clicks at equal IoU).
 */
std::optional<Ring> TraceRegion(const cv::Mat& mask, const Point* prefer,
                                const TraceOptions& options = {});

/** The outline a mask-based proposer found, or why it found none. */
struct BoxOutline {
  std::optional<Instance> shape;  // validated, image coordinates, inside the box
  const char* failure = nullptr;  // "empty", "collapsed" or "invalid outline" when no shape
};

/**
 * The shared tail of the mask-based proposers (GrabCut, watershed): traces the region of the
 * crop mask `object` under the box centre (TraceRegion), refuses one smaller than
 * min_area_fraction of the box, maps it back to the image through `t`, clamps it to `box` and
 * validates it.
 */
BoxOutline OutlineInBox(const cv::Mat& object, const CropTransform& t, const Box& box,
                        const TraceOptions& trace, double min_area_fraction);

}  // namespace understudy
