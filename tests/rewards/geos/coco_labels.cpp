#include "tests/rewards/geos/coco_labels.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace understudy::testing {

bool JpegSize(const std::filesystem::path& file, int& width, int& height) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
  if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return false;
  std::size_t i = 2;
  while (i + 9 < b.size()) {
    if (b[i] != 0xFF) return false;
    const unsigned char m = b[i + 1];
    if (m == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // markers without a length
      i += 2;
      continue;
    }
    const std::size_t len = (std::size_t{b[i + 2]} << 8) | b[i + 3];
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      height = (b[i + 5] << 8) | b[i + 6];
      width = (b[i + 7] << 8) | b[i + 8];
      return width > 0 && height > 0;
    }
    i += 2 + len;
  }
  return false;
}

std::vector<CocoPolygon> ReadCocoPolygons(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(root / "labels" / "train2017")) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<CocoPolygon> out;
  for (const auto& file : files) {
    const auto image = root / "images" / "train2017" / (file.stem().string() + ".jpg");
    int w = 0, h = 0;
    if (!JpegSize(image, w, h))
      throw std::runtime_error("cannot read JPEG size of " + image.string());
    std::ifstream in(file);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      std::istringstream fields(line);
      int cls = 0;
      if (!(fields >> cls)) continue;
      CocoPolygon poly;
      poly.where = file.filename().string() + ":" + std::to_string(number);
      std::vector<double> v;
      for (double c = 0.0; fields >> c;) v.push_back(c);
      if (!fields.eof() || v.size() % 2 != 0) {
        throw std::runtime_error("malformed coordinates at " + poly.where);
      }
      for (std::size_t i = 0; i < v.size(); i += 2) poly.ring.push_back({v[i] * w, v[i + 1] * h});
      out.push_back(std::move(poly));
    }
  }
  return out;
}

}  // namespace understudy::testing
