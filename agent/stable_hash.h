#pragma once

#include <cstdint>
#include <string_view>

namespace understudy {

/**
 * Fixed, platform-independent 64-bit hashes. Unlike std::hash these never change between
 * builds, standard libraries or runs, so anything derived from them (the held-out split, stored
 * checksums) is reproducible from a seed.
 */

/** The SplitMix64 output function applied to `x + 0x9e3779b97f4a7c15` (SplitMix64(0) is the
 *  generator's first output from state 0, 0xe220a8397b1dcdaf). */
std::uint64_t SplitMix64(std::uint64_t x);

/** 64-bit FNV-1a of `bytes`, continuing from `state` (the offset basis by default). */
std::uint64_t Fnv1a64(std::string_view bytes, std::uint64_t state = 0xcbf29ce484222325ULL);

}  // namespace understudy
