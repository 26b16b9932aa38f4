#include "env/asset_image.h"

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>
#include <string>

namespace understudy {

cv::Mat LoadAssetImage(const Dataset& dataset, const AssetRecord& asset) {
  // IMREAD_COLOR gives BGR from grey and RGBA files alike, and applies the EXIF orientation,
  // as browsers do when people draw polygons on photos.
  cv::Mat bgr;
  std::string where;
  if (!asset.data.empty()) {
    where = "asset '" + asset.id + "' (inline image)";
    bgr = cv::imdecode(asset.data, cv::IMREAD_COLOR);
  } else {
    const std::filesystem::path file = std::filesystem::path(dataset.image_root) / asset.path;
    where = "asset '" + asset.id + "' (" + file.string() + ")";
    if (asset.path.empty()) throw std::runtime_error(where + ": no image path and no inline data");
    bgr = cv::imread(file.string(), cv::IMREAD_COLOR);
  }
  if (bgr.empty()) throw std::runtime_error(where + ": cannot read or decode the image");
  if ((asset.width > 0 && bgr.cols != asset.width) ||
      (asset.height > 0 && bgr.rows != asset.height)) {
    throw std::runtime_error(where + ": image is " + std::to_string(bgr.cols) + "x" +
                             std::to_string(bgr.rows) + " but the record says " +
                             std::to_string(asset.width) + "x" + std::to_string(asset.height));
  }
  return bgr;
}

}  // namespace understudy
