// base64, COCO RLE and image-header readers.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "env/base64.h"
#include "env/image_header.h"
#include "env/rle.h"

namespace understudy {
namespace {

std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Base64, Rfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"", ""},
                                                                  {"f", "Zg=="},
                                                                  {"fo", "Zm8="},
                                                                  {"foo", "Zm9v"},
                                                                  {"foob", "Zm9vYg=="},
                                                                  {"fooba", "Zm9vYmE="},
                                                                  {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(Bytes(plain)), encoded);
    EXPECT_EQ(Base64Decode(encoded), Bytes(plain)) << encoded;
  }
}

TEST(Base64, IgnoresLineBreaksAndAcceptsMissingPadding) {
  EXPECT_EQ(Base64Decode("Zm9v\nYmE=\r\n"), Bytes("fooba"));
  EXPECT_EQ(Base64Decode("Zm9vYmE"), Bytes("fooba"));
}

TEST(Base64, RoundTripsAllByteValues) {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  for (std::size_t n = 0; n < 7; ++n) {
    std::vector<std::uint8_t> v(all.begin(), all.end() - static_cast<long>(n));
    EXPECT_EQ(Base64Decode(Base64Encode(v)), v);
  }
}

TEST(Base64, RejectsBadInput) {
  EXPECT_THROW(Base64Decode("Zm9v!"), std::invalid_argument);     // bad character
  EXPECT_THROW(Base64Decode("Zm9vY"), std::invalid_argument);     // one dangling sextet
  EXPECT_THROW(Base64Decode("Zg==Zg=="), std::invalid_argument);  // data after padding
  EXPECT_THROW(Base64Decode("Zg==="), std::invalid_argument);     // too much padding
  EXPECT_THROW(Base64Decode("Zm8=="), std::invalid_argument);     // padding past the group
}

TEST(Rle, ColumnMajorCountsOfASmallMask) {
  // 2 rows x 3 columns; column-major pixel order: (0,0) (1,0) (0,1) (1,1) (0,2) (1,2).
  cv::Mat m = (cv::Mat_<std::uint8_t>(2, 3) << 0, 1, 1, 0, 1, 0);
  const Rle rle = RleEncode(m);
  EXPECT_EQ(rle.counts, (std::vector<std::uint32_t>{2, 3, 1}));
  EXPECT_EQ(cv::countNonZero(RleDecode(rle) != m), 0);
  // A mask starting inside begins with an empty background run.
  cv::Mat full(2, 2, CV_8U, cv::Scalar(1));
  EXPECT_EQ(RleEncode(full).counts, (std::vector<std::uint32_t>{0, 4}));
}

TEST(Rle, DecodesAStringWrittenByPycocotools) {
  // A 50x70 mask encoded by pycocotools, quoted in the README of armengot/COCOtoolsFORK.
  const std::string counts =
      "0g05b08J4M2N2NA^O1`0OCO=0E090H080IO68DH;>@C>a0_O_O`0j0OWOF<:CM72I24NL43JM92FN;"
      "1ENKO72L0LO91J0MO92"
      "INO0NO122OO0M031O000NO31OO11MO40N011MO41MO21L06OL021L06OL021L06OL021L060J040L060J040L060J040"
      "L060J"
      "040L060J040L060J040L060KO31L060KO31L06OL021L06OL021L06OL021MO41MO21MO40N100NO310O00M0310O00N"
      "O1220"
      "NO92IONO91KOMO72M0<1EO:2GN63KM34OLM73JF<;=1G_O_Ob0=AC`07EH=1IO71H090F0:1DO>1_O1b0>2N2N3L6H]"
      "O";
  const Rle rle = RleFromString(counts, 50, 70);
  EXPECT_NO_THROW(CheckRle(rle));  // the runs cover exactly 50*70 pixels
  EXPECT_EQ(RleToString(rle), counts);
  const cv::Mat mask = RleDecode(rle);
  EXPECT_EQ(mask.rows, 50);
  EXPECT_EQ(mask.cols, 70);
  const int inside = cv::countNonZero(mask);
  EXPECT_GT(inside, 200);
  EXPECT_LT(inside, 50 * 70 - 200);
  EXPECT_EQ(RleToString(RleEncode(mask)), counts);
}

TEST(Rle, RandomMasksRoundTripThroughTheString) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int h = 1 + static_cast<int>(rng() % 40), w = 1 + static_cast<int>(rng() % 40);
    cv::Mat m(h, w, CV_8U);
    // Long runs as well as single pixels, so both small and multi-character runs occur.
    const int run_scale = 1 + static_cast<int>(rng() % 300);
    std::uint8_t v = rng() % 2;
    for (int i = 0; i < h * w;) {
      const int run = 1 + static_cast<int>(rng() % run_scale);
      for (int k = 0; k < run && i < h * w; ++k, ++i) m.at<std::uint8_t>(i % h, i / h) = v;
      v = 1 - v;
    }
    const Rle rle = RleEncode(m);
    const Rle back = RleFromString(RleToString(rle), h, w);
    EXPECT_EQ(back.counts, rle.counts);
    EXPECT_EQ(cv::countNonZero(RleDecode(back) != m), 0);
  }
}

TEST(Rle, RejectsBadCountsAndStrings) {
  EXPECT_THROW(RleDecode(Rle{2, 2, {1, 2}}), std::invalid_argument);     // 3 of 4 pixels
  EXPECT_THROW(RleDecode(Rle{2, 2, {1, 2, 5}}), std::invalid_argument);  // too many
  EXPECT_THROW(RleFromString("0 1", 2, 2), std::invalid_argument);       // character below '0'
  EXPECT_THROW(RleFromString("0g", 2, 2), std::invalid_argument);        // run continues past end
  EXPECT_THROW(RleFromString("0\x7f", 2, 2), std::invalid_argument);
}

std::vector<std::uint8_t> Encode(const std::string& ext, const cv::Mat& m) {
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, m, out));
  return out;
}

TEST(ImageHeader, ReadsPngJpegBmpSizes) {
  const cv::Mat m(37, 53, CV_8UC3, cv::Scalar(10, 20, 30));
  for (const std::string ext : {".png", ".jpg", ".bmp"}) {
    const auto info = ReadImageInfo(Encode(ext, m));
    ASSERT_TRUE(info.has_value()) << ext;
    EXPECT_EQ(info->width, 53) << ext;
    EXPECT_EQ(info->height, 37) << ext;
  }
  EXPECT_EQ(ReadImageInfo(Encode(".png", cv::Mat(5, 5, CV_16U, cv::Scalar(0))))->bit_depth, 16);
  EXPECT_FALSE(ReadImageInfo(Bytes("GIF89a....")).has_value());
}

// Inserts an APP1 EXIF segment with the given orientation right after the JPEG's SOI marker.
std::vector<std::uint8_t> WithOrientation(std::vector<std::uint8_t> jpeg, int orientation) {
  std::vector<std::uint8_t> tiff = {'I',
                                    'I',
                                    42,
                                    0,
                                    8,
                                    0,
                                    0,
                                    0,  // little-endian, IFD at 8
                                    1,
                                    0,  // one entry
                                    0x12,
                                    0x01,
                                    3,
                                    0,
                                    1,
                                    0,
                                    0,
                                    0,  // tag 0x0112, SHORT, count 1
                                    static_cast<std::uint8_t>(orientation),
                                    0,
                                    0,
                                    0,
                                    0,
                                    0,
                                    0,
                                    0};  // no next IFD
  std::vector<std::uint8_t> payload = {'E', 'x', 'i', 'f', 0, 0};
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  const std::size_t len = payload.size() + 2;
  std::vector<std::uint8_t> seg = {0xFF, 0xE1, static_cast<std::uint8_t>(len >> 8),
                                   static_cast<std::uint8_t>(len)};
  seg.insert(seg.end(), payload.begin(), payload.end());
  jpeg.insert(jpeg.begin() + 2, seg.begin(), seg.end());
  return jpeg;
}

TEST(ImageHeader, ExifOrientationSwapsTheSizeAsTheDecoderDoes) {
  const cv::Mat m(20, 60, CV_8UC3, cv::Scalar(0, 0, 255));
  const std::vector<std::uint8_t> rotated = WithOrientation(Encode(".jpg", m), 6);
  const auto info = ReadImageInfo(rotated);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->orientation, 6);
  EXPECT_EQ(info->width, 20);
  EXPECT_EQ(info->height, 60);
  const cv::Mat decoded = cv::imdecode(rotated, cv::IMREAD_COLOR);
  EXPECT_EQ(decoded.cols, info->width);
  EXPECT_EQ(decoded.rows, info->height);
  const auto upright = ReadImageInfo(WithOrientation(Encode(".jpg", m), 1));
  EXPECT_EQ(upright->width, 60);
}

TEST(ImageHeader, CorruptHeadersThrowAndTruncationsNeverCrash) {
  std::vector<std::uint8_t> png = Encode(".png", cv::Mat(8, 8, CV_8U, cv::Scalar(1)));
  png[12] = 'X';  // IHDR renamed
  EXPECT_THROW(ReadImageInfo(png), std::invalid_argument);
  const std::vector<std::uint8_t> jpeg = Encode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(1)));
  for (std::size_t n = 0; n < jpeg.size(); ++n) {
    try {
      const auto info = ReadImageInfo(jpeg.data(), n);
      if (info) {
        EXPECT_EQ(info->width, 8) << n;
      }
    } catch (const std::invalid_argument&) {
      // a clean refusal is the expected outcome for most prefixes
    }
  }
}

}  // namespace
}  // namespace understudy
