#pragma once

#include <opencv2/core/mat.hpp>

#include "env/dataset.h"

namespace understudy {

/**
 * The asset's image as 8-bit BGR (CV_8UC3): decoded from AssetRecord::data when inline, else read
 * from dataset.image_root / asset.path. Grey and 4-channel images are converted and the EXIF
 * orientation is applied. Throws
 * std::runtime_error naming the asset and file when it cannot be read, or when its size differs
 * from the record's width and height (when those are set).
 */
cv::Mat LoadAssetImage(const Dataset& dataset, const AssetRecord& asset);

}  // namespace understudy
