#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace understudy {

/** What an image file's header says, read without decoding any pixels. */
struct ImageInfo {
  std::string format;  // "png", "jpeg", "bmp"
  int width = 0;       // as displayed: after the EXIF orientation, as cv::imdecode returns it
  int height = 0;
  int orientation = 1;      // EXIF orientation 1..8 (JPEG only); 5..8 swap width and height
  int png_color_type = -1;  // PNG IHDR colour type (3 = palette); -1 for other formats
  int bit_depth = 8;
};

/**
 * Reads the size of a PNG, JPEG or BMP image from its first bytes, so data sets can be sized (and
 * oversized images refused) without decoding. Returns nullopt for other formats (the caller then
 * decodes); throws std::invalid_argument when the bytes claim a known format but are corrupt.
 */
std::optional<ImageInfo> ReadImageInfo(const std::uint8_t* data, std::size_t size);
inline std::optional<ImageInfo> ReadImageInfo(const std::vector<std::uint8_t>& bytes) {
  return ReadImageInfo(bytes.data(), bytes.size());
}

/** The whole file's bytes; throws std::runtime_error naming the path when it cannot be read. */
std::vector<std::uint8_t> ReadFileBytes(const std::filesystem::path& path);

/** "jpg", "png", "bmp", "webp", "tif" from the magic bytes, or "" when unknown. */
std::string ImageExtension(const std::vector<std::uint8_t>& bytes);

}  // namespace understudy
