#pragma once

// Reads coco128-seg's YOLO-seg labels at real pixel scale, for the GEOS cross-checks.

#include <filesystem>
#include <string>
#include <vector>

#include "rewards/polygon.h"

namespace understudy::testing {

/** One labelled polygon: where it came from and its ring in pixels. */
struct CocoPolygon {
  std::string where;  // "<label file>:<line>"
  Ring ring;
};

/** Width and height of a baseline or progressive JPEG, read from its SOF header. */
bool JpegSize(const std::filesystem::path& file, int& width, int& height);

/**
 * Every polygon of coco128-seg (root = the folder holding images/ and labels/), scaled from the
 * normalised YOLO coordinates to pixels with the size of the image each label file belongs to.
 * Throws std::runtime_error on a malformed file.
 */
std::vector<CocoPolygon> ReadCocoPolygons(const std::filesystem::path& root);

}  // namespace understudy::testing
