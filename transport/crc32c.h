#pragma once

#include <cstddef>
#include <cstdint>

namespace understudy {

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and LevelDB.
 * `crc` is the value returned for the bytes before these, so Crc32c(b, Crc32c(a)) equals the
 * CRC of a followed by b. Uses the SSE4.2 `crc32` instruction when the CPU has it, otherwise a
 * slicing-by-8 table; both give identical results.
 */
std::uint32_t Crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

/** The table-driven path alone, for tests and for machines without SSE4.2. */
std::uint32_t Crc32cPortable(const void* data, std::size_t size, std::uint32_t crc = 0);

/** True when Crc32c uses the SSE4.2 instruction on this machine. */
bool Crc32cIsHardwareAccelerated();

}  // namespace understudy
