#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>

#include "env/dataset.h"

namespace understudy {

/** What an export could not express in the target format: counted, never silent. */
struct ExportReport {
  std::size_t rle_instances = 0;          // COCO: instances with holes, written as RLE
  std::size_t dropped_holes = 0;          // labelme: holes, which labelme cannot express
  std::size_t dropped_ignore = 0;         // COCO: ignore regions, which COCO cannot express
  std::size_t inline_images_written = 0;  // inline assets written out as image files
};

/** A dataset that cannot be written; the message names the asset or file. */
class ExportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/**
 * Writes `dataset` as one COCO instance-segmentation JSON file. Hole-free instances become
 * polygons (one list per part); instances with holes become compressed RLE of their pixel-centre
 * raster. `file_name` is the asset id, which for path assets is their path under the dataset's
 * image root (re-import with that root as the images folder); inline assets are written as image
 * files beside `out_json` under their id. Categories get ids 1..N in class order.
 */
void ExportCoco(const Dataset& dataset, const std::filesystem::path& out_json,
                ExportReport* report = nullptr);

/**
 * Writes one labelme JSON per asset under `out_dir` (the asset id with a .json extension). Parts of
 * a multi-part instance share a group_id; crowd instances carry flags {"crowd": true}; ignore
 * regions become "__ignore__" shapes; holes are dropped (counted). imagePath points at the image
 * relative to the JSON file; inline assets are embedded as imageData.
 */
void ExportLabelme(const Dataset& dataset, const std::filesystem::path& out_dir,
                   ExportReport* report = nullptr);

}  // namespace understudy
