#include "agent/annotation_key.h"

#include <string_view>
#include <tuple>

#include "agent/stable_hash.h"

namespace understudy {
namespace {

std::uint64_t HashField(std::string_view field, std::uint64_t state) {
  std::uint64_t length = field.size();
  char bytes[8];
  for (char& b : bytes) {  // little-endian on every platform
    b = static_cast<char>(length & 0xff);
    length >>= 8;
  }
  state = Fnv1a64(std::string_view(bytes, sizeof bytes), state);
  return Fnv1a64(field, state);
}

}  // namespace

bool operator==(const AnnotationKey& a, const AnnotationKey& b) {
  return a.project == b.project && a.asset_id == b.asset_id && a.prompt_id == b.prompt_id;
}

bool operator<(const AnnotationKey& a, const AnnotationKey& b) {
  return std::tie(a.project, a.asset_id, a.prompt_id) <
         std::tie(b.project, b.asset_id, b.prompt_id);
}

std::uint64_t StableHash(const AnnotationKey& key, std::uint64_t seed) {
  std::uint64_t state = Fnv1a64({});
  state = HashField(key.project, state);
  state = HashField(key.asset_id, state);
  state = HashField(key.prompt_id, state);
  return SplitMix64(state ^ SplitMix64(seed));
}

std::size_t AnnotationKeyHash::operator()(const AnnotationKey& key) const {
  return static_cast<std::size_t>(StableHash(key, 0));
}

std::string ToString(const AnnotationKey& key) {
  return key.project + "/" + key.asset_id + "#" + key.prompt_id;
}

}  // namespace understudy
