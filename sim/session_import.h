#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "env/dataset.h"
#include "sim/effort_model.h"
#include "sim/session.h"

namespace understudy {

/** How a dataset becomes a session (docs/sim.md, "Importing"). */
struct ImportSessionOptions {
  std::uint64_t seed = 1;  // the asset order, the box jitter and the drawing-time noise
  std::string project = "default";
  /** Human-like box jitter: each side moves by normal noise of this fraction of the box size
   *  (env/prompt_sampler.h). People drawing a box are off by a few per cent. */
  double box_jitter = 0.05;
  /** Drawing times come from the effort model (DrawSeconds of the human polygon's vertex count)
   *  times a log-normal factor with this sigma and mean 1: people are not metronomes. 0: exact. */
  double draw_time_sigma = 0.25;
  EffortModelConfig effort;
  /** The session clock starts here (seconds since the epoch). Fixed, so that the same inputs
   *  give a byte-identical session: 2024-01-01T00:00:00Z. */
  double start_ts = 1704067200.0;
  /** Seconds between finishing one asset and announcing the next (loading it). An assumption. */
  double asset_gap_seconds = 2.0;
  /** At most this many prompts (annotations), in session order; 0: all. */
  std::size_t limit = 0;
  std::string annotator = "importer";
  /** Recorded in the manifest: what the dataset is ("via:/data/balloon/balloon"). */
  std::string source;
  /** Throws std::invalid_argument naming the field and value. */
  void Validate() const;
};

/**
 * Writes `dataset` as a session into the empty (or new) folder `out`: every asset in a seeded
 * order as an `asset` event (uri relative to the dataset's image root, which the manifest records
 * as the data root; inline images as bytes), then for each non-crowd instance a `prompt` (its
 * bounding box with seeded jitter) after the modelled box time, and its `annotation` after the
 * modelled drawing time, the asset's last one `complete`. Crowd regions and assets without a
 * usable instance are skipped and counted in the manifest's notes. Returns the manifest written.
 * Throws std::invalid_argument for bad options and std::runtime_error when `out` holds files.
 */
SessionManifest ImportSession(const Dataset& dataset, const std::filesystem::path& out,
                              const ImportSessionOptions& options);

/**
 * Interleaves sessions into one mixed stream in `out`: each input's own order is kept, and at
 * each step the next asset's events come from input k with probability proportional to the
 * assets it has left (seeded). Times are rebased onto one clock keeping each input's gaps and
 * durations; asset uris are rewritten relative to the inputs' common data root. Two inputs with
 * the same (project, asset) are an error.
 */
SessionManifest MergeSessions(const std::vector<std::filesystem::path>& inputs,
                              const std::filesystem::path& out, std::uint64_t seed);

/** True for a valid protocol project name: 1-64 bytes of [A-Za-z0-9._-]. */
bool IsValidProjectName(const std::string& name);

}  // namespace understudy
