#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace understudy {

/**
 * A COCO run-length-encoded binary mask: alternating runs of 0s and 1s (starting with 0s, so the
 * first count may be 0) over the pixels in column-major order, as pycocotools stores it.
 */
struct Rle {
  int height = 0;
  int width = 0;
  std::vector<std::uint32_t> counts;
};

/** Parses the compressed `counts` string of pycocotools (6 bits a character, offset 48, runs
 *  after the second stored as differences). Throws std::invalid_argument naming the offset. */
Rle RleFromString(const std::string& counts, int height, int width);

/** The compressed `counts` string pycocotools writes for `rle`. */
std::string RleToString(const Rle& rle);

/** Checks that the counts cover height*width pixels exactly; throws std::invalid_argument. */
void CheckRle(const Rle& rle);

/** The mask as CV_8U (1 inside, 0 outside), height x width. Calls CheckRle. */
cv::Mat RleDecode(const Rle& rle);

/** Encodes a CV_8U mask (non-zero inside) column-major. */
Rle RleEncode(const cv::Mat& mask);

}  // namespace understudy
