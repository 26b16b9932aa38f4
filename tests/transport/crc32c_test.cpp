#include "transport/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace understudy {
namespace {

std::uint32_t Both(const std::vector<std::uint8_t>& v) {
  const std::uint32_t hw = Crc32c(v.data(), v.size());
  EXPECT_EQ(hw, Crc32cPortable(v.data(), v.size()));
  return hw;
}

// RFC 3720 (iSCSI) appendix B.4 test vectors.
TEST(Crc32c, Rfc3720Vectors) {
  EXPECT_EQ(Both(std::vector<std::uint8_t>(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(Both(std::vector<std::uint8_t>(32, 0xFF)), 0x62A8AB43u);
  std::vector<std::uint8_t> up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<std::uint8_t>(i);
    down[i] = static_cast<std::uint8_t>(31 - i);
  }
  EXPECT_EQ(Both(up), 0x46DD794Eu);
  EXPECT_EQ(Both(down), 0x113FDB5Cu);
}

TEST(Crc32c, CheckValueAndEmpty) {
  const std::string s = "123456789";
  EXPECT_EQ(Crc32c(s.data(), s.size()), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(s.data(), s.size()), 0xE3069283u);
  EXPECT_EQ(Crc32c(s.data(), 0), 0u);
}

TEST(Crc32c, ExtendsAcrossSplitsAndMatchesPortableOnEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  std::vector<std::uint8_t> buf(300);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t len = 0; len + offset <= buf.size(); len += 7) {
      const std::uint8_t* p = buf.data() + offset;
      const std::uint32_t whole = Crc32c(p, len);
      ASSERT_EQ(whole, Crc32cPortable(p, len)) << "offset " << offset << " len " << len;
      const std::size_t cut = len / 3;
      ASSERT_EQ(whole, Crc32c(p + cut, len - cut, Crc32c(p, cut)));
      ASSERT_EQ(whole, Crc32cPortable(p + cut, len - cut, Crc32cPortable(p, cut)));
    }
  }
}

TEST(Crc32c, DetectsSingleBitFlips) {
  std::vector<std::uint8_t> v(64, 0x5A);
  const std::uint32_t base = Crc32c(v.data(), v.size());
  for (std::size_t i = 0; i < v.size() * 8; ++i) {
    v[i / 8] ^= static_cast<std::uint8_t>(1u << (i % 8));
    ASSERT_NE(Crc32c(v.data(), v.size()), base) << "bit " << i;
    v[i / 8] ^= static_cast<std::uint8_t>(1u << (i % 8));
  }
}

}  // namespace
}  // namespace understudy
