#pragma once

#include <filesystem>
#include <string>

namespace understudy::testing {

/** Root of ../shared/data, or empty when absent; honours $UNDERSTUDY_SHARED_DATA. */
std::filesystem::path SharedDataRoot();

/** True when $CI is set: missing shared data is then a failure, not a skip. */
bool RunningInCi();

/** The project's source and build folders, for tests that run scripts or the CLI. */
std::filesystem::path SourceDir();
std::filesystem::path BinaryDir();

}  // namespace understudy::testing

// Resolves `var` to ../shared/data/<sub>. When it is missing: skips the test with a clear message
// on a user's machine, and fails it under CI, where the data is always present.
#define UNDERSTUDY_REQUIRE_SHARED_DATA(var, sub)                                               \
  const std::filesystem::path var = ::understudy::testing::SharedDataRoot() / (sub);          \
  do {                                                                                         \
    if (::understudy::testing::SharedDataRoot().empty() || !std::filesystem::exists(var)) {    \
      const std::string msg_ = "shared data not found at '" + var.string() +                   \
                               "' (set UNDERSTUDY_SHARED_DATA to the shared/data folder)";     \
      if (::understudy::testing::RunningInCi()) {                                              \
        FAIL() << msg_ << "; CI must have it";                                                 \
      }                                                                                        \
      GTEST_SKIP() << msg_;                                                                    \
    }                                                                                          \
  } while (0)
