#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rewards/polygon.h"

namespace understudy {

/** One human-annotated object in an asset. */
struct AnnotatedInstance {
  Instance shape;      // validated geometry, image pixel coordinates
  int class_id = 0;    // index into Dataset::class_names
  bool crowd = false;  // COCO iscrowd: a region of many objects, not one object
};

/** One image and its annotations. */
struct AssetRecord {
  std::string id;                  // unique within the dataset
  std::string path;                // relative to the dataset's image root; empty when inline
  std::vector<std::uint8_t> data;  // encoded image bytes when inline (labelme imageData)
  int width = 0;
  int height = 0;
  std::vector<AnnotatedInstance> instances;
  std::vector<Instance> ignore;  // regions left out of scoring (labelme __ignore__, mask void)
};

/** The one dataset model every importer produces and every exporter consumes. */
struct Dataset {
  std::string image_root;  // folder that AssetRecord::path is relative to
  std::vector<std::string> class_names;
  std::vector<AssetRecord> assets;
};

}  // namespace understudy
