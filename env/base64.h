#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace understudy {

/**
 * Decodes standard base64 (RFC 4648 alphabet, '=' padding optional, ASCII whitespace ignored, as
 * labelme's `imageData` and pycocotools-free tools write it). Throws std::invalid_argument naming
 * the offset of the first bad character.
 */
std::vector<std::uint8_t> Base64Decode(std::string_view text);

/** Encodes bytes as standard padded base64 without line breaks. */
std::string Base64Encode(const std::vector<std::uint8_t>& bytes);

}  // namespace understudy
