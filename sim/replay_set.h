#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "sim/agent_request.h"
#include "sim/replay.h"
#include "sim/session.h"

namespace understudy {

/** One engine's replay of a session, written to <out>/<label>/. */
struct ReplayJob {
  std::string label;  // folder name and table row; usually the agent's name
  AgentRequest request;
};

/** Progress of a set of replays: (label, done, total). */
using ReplayProgress = std::function<void(const std::string&, std::size_t, std::size_t)>;

/**
 * Replays `session` in-process once per job (an agent and its baselines side by side), each
 * with `base` (its agent name and seed taken from the job), writes <out>/<label>/summary.json
 * and <out>/<label>/events.csv for each. Returns the summaries in job order (WriteComparison
 * puts them side by side).
 */
std::vector<ReplaySummary> ReplayJobs(const Session& session, const std::vector<ReplayJob>& jobs,
                                      const ReplayOptions& base, const EngineFactoryMaker& make,
                                      const std::filesystem::path& out,
                                      const ReplayProgress& progress = {});

/** Writes one job's outputs into <out>/<label>/. */
void WriteReplayOutputs(const std::filesystem::path& dir, const ReplayResult& result);

/** Writes <out>/comparison.md (SummaryTable) and <out>/comparison.csv (the same columns). */
void WriteComparison(const std::filesystem::path& out, const std::vector<ReplaySummary>& summaries);

/** A label usable as a folder name: [A-Za-z0-9._-], other characters replaced by '_'. */
std::string SafeLabel(const std::string& label);

}  // namespace understudy
