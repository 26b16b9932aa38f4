#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>

namespace understudy {

/** Largest blank image BlankImage makes (16 Mpx, 48 MiB); beyond it, an empty image. */
inline constexpr std::int64_t kMaxBlankPixels = std::int64_t{1} << 24;

/**
 * A black 8-bit BGR image of the asset's announced size, for an asset that came without a usable
 * image: proposers clip their outlines to the image, so the box and ellipse baselines still work
 * on the announced frame, and image-based ones see nothing (GrabCut falls back to the ellipse).
 * The pixels are shared with later calls of the same size on this thread (read-only; callers
 * must not write). Empty when a side is not positive or the size exceeds kMaxBlankPixels.
 */
cv::Mat BlankImage(int width, int height);

}  // namespace understudy
