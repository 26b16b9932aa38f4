#include "tests/support/shared_data.h"

#include <cstdlib>

namespace understudy::testing {

std::filesystem::path SharedDataRoot() {
  const char* env = std::getenv("UNDERSTUDY_SHARED_DATA");
  std::filesystem::path root = (env != nullptr && *env != '\0') ? std::filesystem::path(env)
                                                                : UNDERSTUDY_SHARED_DATA_DEFAULT;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return {};
  return std::filesystem::weakly_canonical(root, ec);
}

bool RunningInCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "0" && std::string(ci) != "false";
}

std::filesystem::path SourceDir() { return UNDERSTUDY_SOURCE_DIR; }
std::filesystem::path BinaryDir() { return UNDERSTUDY_BINARY_DIR; }

}  // namespace understudy::testing
