#pragma once

#include "env/crop_transform.h"
#include "env/prompt.h"

namespace cv {
class Mat;
}

namespace understudy {

/**
 * The working copy of the image around a box that GrabCut and watershed model the background
 * from: `box` grown by `margin` x its width (left and right) and height (top and bottom), clipped
 * to the image, shrunk with area averaging so its longer side is at most `max_side` pixels, or
 * enlarged (bilinear) to `min_side` when it is shorter (0: never enlarged). Writes the crop to
 * `out` and returns the image <-> crop transform. `box` must lie inside the image (see UsableBox);
 * throws std::invalid_argument otherwise.
 */
CropTransform CutContext(const cv::Mat& image, const Box& box, double margin, int max_side,
                         cv::Mat& out, int min_side = 0);

}  // namespace understudy
