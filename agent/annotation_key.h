#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace understudy {

/** Identifies one prompt and the human annotation that answers it, stable across restarts. */
struct AnnotationKey {
  std::string project;
  std::string asset_id;
  std::string prompt_id;
};

bool operator==(const AnnotationKey& a, const AnnotationKey& b);
inline bool operator!=(const AnnotationKey& a, const AnnotationKey& b) { return !(a == b); }
bool operator<(const AnnotationKey& a, const AnnotationKey& b);

/**
 * A fixed 64-bit hash of the key mixed with `seed`: FNV-1a over each field's length and bytes
 * (so "ab"+"c" and "a"+"bc" differ), finished with SplitMix64. The same on every build and run.
 */
std::uint64_t StableHash(const AnnotationKey& key, std::uint64_t seed);

/** Hasher for unordered containers keyed by AnnotationKey. */
struct AnnotationKeyHash {
  std::size_t operator()(const AnnotationKey& key) const;
};

/** "project/asset#prompt", for messages. */
std::string ToString(const AnnotationKey& key);

}  // namespace understudy
