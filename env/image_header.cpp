#include "env/image_header.h"

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace understudy {
namespace {

std::uint32_t Be16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t Be32(const std::uint8_t* p) { return (Be16(p) << 16) | Be16(p + 2); }
std::uint32_t Le16(const std::uint8_t* p) { return (std::uint32_t{p[1]} << 8) | p[0]; }
std::uint32_t Le32(const std::uint8_t* p) { return (Le16(p + 2) << 16) | Le16(p); }

[[noreturn]] void Corrupt(const std::string& format, const std::string& what) {
  throw std::invalid_argument(format + " header: " + what);
}

ImageInfo ReadPng(const std::uint8_t* d, std::size_t n) {
  // signature(8) + IHDR length(4) + "IHDR"(4) + width(4) + height(4) + depth(1) + colour type(1)
  if (n < 26) Corrupt("PNG", "truncated before IHDR");
  if (std::memcmp(d + 12, "IHDR", 4) != 0) Corrupt("PNG", "first chunk is not IHDR");
  ImageInfo info;
  info.format = "png";
  const std::uint32_t w = Be32(d + 16), h = Be32(d + 20);
  if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu) Corrupt("PNG", "invalid size");
  info.width = static_cast<int>(w);
  info.height = static_cast<int>(h);
  info.bit_depth = d[24];
  info.png_color_type = d[25];
  return info;
}

// EXIF orientation from an APP1 payload ("Exif\0\0" + TIFF), or 1 when absent or unreadable:
// a broken EXIF block does not make the image unusable, and decoders ignore it the same way.
int ExifOrientation(const std::uint8_t* p, std::size_t n) {
  if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0) return 1;
  const std::uint8_t* t = p + 6;
  const std::size_t tn = n - 6;
  const bool le = t[0] == 'I' && t[1] == 'I';
  const bool be = t[0] == 'M' && t[1] == 'M';
  if (!le && !be) return 1;
  auto u16 = [&](std::size_t off) { return le ? Le16(t + off) : Be16(t + off); };
  auto u32 = [&](std::size_t off) { return le ? Le32(t + off) : Be32(t + off); };
  if (u16(2) != 42) return 1;
  const std::size_t ifd = u32(4);
  if (ifd + 2 > tn) return 1;
  const std::size_t count = u16(ifd);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    if (e + 12 > tn) return 1;
    if (u16(e) == 0x0112 && u16(e + 2) == 3) {
      const int v = static_cast<int>(u16(e + 8));
      return (v >= 1 && v <= 8) ? v : 1;
    }
  }
  return 1;
}

ImageInfo ReadJpeg(const std::uint8_t* d, std::size_t n) {
  ImageInfo info;
  info.format = "jpeg";
  std::size_t i = 2;
  bool have_size = false;
  while (i < n) {
    if (d[i] != 0xFF) Corrupt("JPEG", "expected a marker at byte " + std::to_string(i));
    while (i < n && d[i] == 0xFF) ++i;  // fill bytes
    if (i >= n) break;
    const std::uint8_t m = d[i++];
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // markers without a length
    if (m == 0xD9 || m == 0xDA) break;  // end of image / start of scan: no more headers
    if (i + 2 > n) break;
    const std::size_t len = Be16(d + i);
    if (len < 2) Corrupt("JPEG", "segment length below 2 at byte " + std::to_string(i));
    const std::uint8_t* seg = d + i + 2;
    const std::size_t avail = std::min(len - 2, n - std::min(n, i + 2));
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (avail < 5) Corrupt("JPEG", "truncated frame header");
      info.height = static_cast<int>(Be16(seg + 1));
      info.width = static_cast<int>(Be16(seg + 3));
      info.bit_depth = seg[0];
      if (info.width == 0 || info.height == 0) Corrupt("JPEG", "zero size in the frame header");
      have_size = true;
      break;  // EXIF (APP1) always precedes the frame header
    }
    if (m == 0xE1 && info.orientation == 1) info.orientation = ExifOrientation(seg, avail);
    i += len;
  }
  if (!have_size) Corrupt("JPEG", "no frame header before the scan data or the end");
  if (info.orientation >= 5) std::swap(info.width, info.height);
  return info;
}

ImageInfo ReadBmp(const std::uint8_t* d, std::size_t n) {
  if (n < 26) Corrupt("BMP", "truncated");
  ImageInfo info;
  info.format = "bmp";
  const std::uint32_t header = Le32(d + 14);
  if (header == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    info.width = static_cast<int>(Le16(d + 18));
    info.height = static_cast<int>(Le16(d + 20));
  } else {
    const auto w = static_cast<std::int32_t>(Le32(d + 18));
    const auto h = static_cast<std::int32_t>(Le32(d + 22));
    if (w <= 0 || h == 0 || h == INT32_MIN) Corrupt("BMP", "invalid size");
    info.width = w;
    info.height = h < 0 ? -h : h;  // negative height: rows stored top-down
  }
  if (info.width <= 0 || info.height <= 0) Corrupt("BMP", "invalid size");
  return info;
}

}  // namespace

std::optional<ImageInfo> ReadImageInfo(const std::uint8_t* data, std::size_t size) {
  static const std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return ReadPng(data, size);
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return ReadJpeg(data, size);
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') return ReadBmp(data, size);
  return std::nullopt;
}

std::vector<std::uint8_t> ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path.string() + "'");
  in.seekg(0, std::ios::end);
  const std::streamoff n = in.tellg();
  if (n < 0) throw std::runtime_error("cannot read '" + path.string() + "'");
  in.seekg(0, std::ios::beg);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n));
  if (n > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), n)) {
    throw std::runtime_error("cannot read '" + path.string() + "'");
  }
  return bytes;
}

std::string ImageExtension(const std::vector<std::uint8_t>& b) {
  auto starts = [&](const char* magic, std::size_t n, std::size_t at = 0) {
    return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
  };
  if (starts("\x89PNG", 4)) return "png";
  if (starts("\xFF\xD8\xFF", 3)) return "jpg";
  if (starts("BM", 2)) return "bmp";
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return "webp";
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return "tif";
  return "";
}

}  // namespace understudy
