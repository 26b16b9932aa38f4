#include "env/rle.h"

#include <opencv2/core.hpp>
#include <stdexcept>

namespace understudy {

Rle RleFromString(const std::string& s, int height, int width) {
  if (height < 0 || width < 0) throw std::invalid_argument("RLE: negative size");
  Rle rle{height, width, {}};
  std::size_t p = 0;
  while (p < s.size()) {
    std::int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= s.size())
        throw std::invalid_argument("RLE string: truncated run at offset " + std::to_string(p));
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63)
        throw std::invalid_argument("RLE string: invalid character at offset " + std::to_string(p));
      if (k >= 12)
        throw std::invalid_argument("RLE string: run too long at offset " + std::to_string(p));
      x |= static_cast<std::int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10) != 0) x -= std::int64_t{1} << (5 * k);  // sign-extend the last group
    }
    const std::size_t m = rle.counts.size();
    if (m > 2) x += rle.counts[m - 2];
    if (x < 0 || x > 0xffffffffLL) {
      throw std::invalid_argument("RLE string: run " + std::to_string(m) + " is " +
                                  std::to_string(x));
    }
    rle.counts.push_back(static_cast<std::uint32_t>(x));
  }
  return rle;
}

std::string RleToString(const Rle& rle) {
  std::string s;
  for (std::size_t i = 0; i < rle.counts.size(); ++i) {
    std::int64_t x = rle.counts[i];
    if (i > 2) x -= rle.counts[i - 2];
    bool more = true;
    while (more) {
      int c = static_cast<int>(x & 0x1f);
      x >>= 5;  // arithmetic shift: negative differences end in all-ones
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s += static_cast<char>(c + 48);
    }
  }
  return s;
}

void CheckRle(const Rle& rle) {
  if (rle.height < 0 || rle.width < 0) throw std::invalid_argument("RLE: negative size");
  std::uint64_t total = 0;
  for (std::uint32_t c : rle.counts) total += c;
  const std::uint64_t expect =
      static_cast<std::uint64_t>(rle.height) * static_cast<std::uint64_t>(rle.width);
  if (total != expect) {
    throw std::invalid_argument("RLE: runs cover " + std::to_string(total) + " pixels, the " +
                                std::to_string(rle.height) + "x" + std::to_string(rle.width) +
                                " mask has " + std::to_string(expect));
  }
}

cv::Mat RleDecode(const Rle& rle) {
  CheckRle(rle);
  // Fill the transpose row by row: column-major runs become contiguous.
  cv::Mat t(rle.width, rle.height, CV_8U, cv::Scalar(0));
  std::uint8_t* p = t.ptr<std::uint8_t>();
  std::size_t at = 0;
  for (std::size_t i = 0; i < rle.counts.size(); ++i) {
    if (i % 2 == 1) std::fill(p + at, p + at + rle.counts[i], std::uint8_t{1});
    at += rle.counts[i];
  }
  cv::Mat mask;
  cv::transpose(t, mask);
  return mask;
}

Rle RleEncode(const cv::Mat& mask) {
  if (mask.type() != CV_8U) throw std::invalid_argument("RleEncode: mask must be CV_8U");
  cv::Mat t;
  cv::transpose(mask, t);  // column-major order becomes row-major
  if (!t.isContinuous()) t = t.clone();
  Rle rle{mask.rows, mask.cols, {}};
  const std::uint8_t* p = t.ptr<std::uint8_t>();
  const std::size_t n = t.total();
  bool value = false;
  std::uint32_t run = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool v = p[i] != 0;
    if (v != value) {
      rle.counts.push_back(run);
      run = 0;
      value = v;
    }
    ++run;
  }
  rle.counts.push_back(run);
  return rle;
}

}  // namespace understudy
