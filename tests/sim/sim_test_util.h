#pragma once

// Small synthetic sessions for the simulator's tests.

#include <filesystem>
#include <string>

#include "env/synthetic.h"
#include "sim/session_import.h"

namespace understudy::testing {

/** A few small default-preset scenes. */
inline Dataset TinySynthetic(int assets = 8, std::uint64_t seed = 3) {
  SyntheticConfig c = SyntheticPreset("default");
  c.seed = seed;
  c.num_assets = assets;
  c.width = 160;
  c.height = 120;
  return GenerateSynthetic(c);
}

/** Imports `dataset` into `dir` with the given seed and project. */
inline SessionManifest ImportTiny(const Dataset& dataset, const std::filesystem::path& dir,
                                  std::uint64_t seed = 1, const std::string& project = "synth") {
  ImportSessionOptions o;
  o.seed = seed;
  o.project = project;
  o.source = "synthetic:test";
  return ImportSession(dataset, dir, o);
}

}  // namespace understudy::testing
