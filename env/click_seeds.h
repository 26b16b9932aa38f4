#pragma once

#include <vector>

#include "env/crop_transform.h"
#include "env/prompt.h"

namespace cv {
class Mat;
}

namespace understudy {

/** How a click becomes a seed region for the image-based proposers. */
struct ClickSeedOptions {
  int radius = 3;           // crop pixels always seeded around the click
  double tolerance = 12.0;  // grey levels: the flood from the click takes neighbours this close
  double reach = 0.5;       // the flood stays within this share of the crop's longer side
};

/**
 * Paints each click into the CV_8UC1 `seeds` (crop pixels): a disc of `radius` plus the
 * colour-uniform region around the click (a flood fill on the 8-bit BGR `crop`, as a "magic wand"
 * would take it), labelled `object_label` for positive clicks and `background_label` for negative
 * ones. Negative clicks are painted last, so they win where the two overlap.
 */
void PaintClickSeeds(const cv::Mat& crop, const CropTransform& transform,
                     const std::vector<Click>& clicks, int object_label, int background_label,
                     const ClickSeedOptions& options, cv::Mat& seeds);

}  // namespace understudy
