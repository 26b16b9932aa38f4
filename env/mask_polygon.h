#pragma once

#include "rewards/polygon.h"

namespace cv {
class Mat;
}

namespace understudy {

/**
 * Conversions between raster masks and polygons under one pixel convention: pixel (col, row)
 * covers the square [col, col+1) x [row, row+1), so its centre is (col+0.5, row+0.5). This is the
 * convention of COCO polygons and RLE.
 */

/**
 * Traces the boundary of a binary mask (CV_8U, non-zero inside) along pixel edges, so that the
 * polygon's area equals the pixel count and RasterizeInstance() gives the mask back exactly.
 * Components are 8-connected (holes 4-connected), as in cv::findContours: one part per component,
 * in raster order of the component's first pixel, each with its holes. Where a component touches
 * itself diagonally the ring is kept simple by cutting the shared corner by 1/64 pixel, which
 * changes no pixel. Vertices sit only where the boundary turns. Returns an empty instance for an
 * empty mask; the result is not passed through Validate().
 */
Instance TraceMask(const cv::Mat& mask);

/**
 * The mask of an instance (CV_8U: 1 inside, 0 outside) of `cols` x `rows` pixels: a pixel is
 * inside when the point (col + sample_offset, row + sample_offset) has non-zero winding number,
 * with outer rings counted +1 and holes -1 whatever their orientation. `sample_offset` 0.5 samples
 * pixel centres (COCO); 0 samples integer coordinates, as PIL (and so labelme's VOC export) does.
 */
cv::Mat RasterizeInstance(const Instance& instance, int cols, int rows, double sample_offset = 0.5);

}  // namespace understudy
