#pragma once

#include "env/crop_transform.h"
#include "rewards/polygon.h"

namespace cv {
class Mat;
}

namespace understudy {

/**
 * Fills `instance` (holes left empty) into the 8-bit single-channel `mask` with `value`, after
 * mapping it through `transform` (image -> mask pixels). A pixel is filled exactly when its centre
 * lies inside (even-odd rule), so the filled pixel count is an unbiased estimate of the area.
 */
void FillInstance(cv::Mat& mask, const Instance& instance, const CropTransform& transform,
                  int value = 255);

/** FillInstance for one ring. */
void FillRing(cv::Mat& mask, const Ring& ring, const CropTransform& transform, int value = 255);

}  // namespace understudy
