#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "sim/agent_request.h"
#include "sim/replay.h"
#include "sim/session.h"

namespace understudy {

/** One configuration of `understudy bench replay`. */
struct ReplayBenchCase {
  std::string label;     // e.g. "rl, learning on"
  AgentRequest request;  // empty agent: the decode-only floor (no engine)
};

/** What one case measured. */
struct ReplayBenchRow {
  std::string label;
  std::size_t events = 0;
  std::size_t annotations = 0;
  double wall_seconds = 0.0;  // best of the repetitions
  double events_per_second = 0.0;
  double session_seconds = 0.0;  // the session's own (real or modelled) duration
  double speedup_vs_real_time = 0.0;
  double ratio_to_floor = 0.0;  // wall / the decode-only floor's wall, same run
  /** Wall seconds this configuration would take for a 1,000-annotation session, at its rate. */
  double seconds_per_1000_annotations = 0.0;
  std::string learning;  // the budget statement
};

/**
 * Replays `session` once per case, `repeat` times each, interleaved (case 1, 2, ..., 1, 2, ...)
 * so that the machine's other load falls on every case alike, and keeps each case's fastest
 * run. The first case should be the floor: an empty agent only decodes the events.
 */
std::vector<ReplayBenchRow> RunReplayBench(const Session& session,
                                           const std::vector<ReplayBenchCase>& cases,
                                           const EngineFactoryMaker& make, int repeat);

/** The rows as a markdown table with the 10-minute verdict for 1,000 annotations. */
std::string FormatReplayBench(const std::vector<ReplayBenchRow>& rows);

}  // namespace understudy
