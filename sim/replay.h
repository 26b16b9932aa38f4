#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/agent_request.h"
#include "sim/effort_model.h"
#include "sim/engine_driver.h"
#include "sim/session.h"

// The replay: a session's events through an engine, in order, scoring every blind proposal
// against the human polygon that follows it and pricing what the annotator would have done with
// what was shown. docs/sim.md describes every field.

namespace understudy {

/** The order in which a session's assets are replayed. */
enum class AssetOrder {
  kSession,  // as recorded
  kRandom,   // a seeded permutation of the assets (each asset's events stay together)
  kActive,   // least confidence first: the asset whose prompts the value head rates lowest
};
const char* ToString(AssetOrder order);
/** "session", "random", "active"; throws std::invalid_argument naming the value. */
AssetOrder ParseAssetOrder(const std::string& text);

/** Knobs of a replay. */
struct ReplayOptions {
  EffortModelConfig effort;
  /** Pace events at this multiple of the session's own clock; 0: as fast as possible. */
  double speed = 0.0;
  std::string agent = "?";  // for the summary
  std::uint64_t seed = 0;   // for the summary and the random and active orders
  LearningBudget budget;
  AssetOrder order = AssetOrder::kSession;
  /** Active order: how many remaining assets (a seeded sample) are ranked at each pick. */
  std::size_t active_pool = 64;
  /** Window of the "last N" statistics. */
  std::size_t last_n = 100;
  /** Called after every event with (done, total); e.g. a progress bar. */
  std::function<void(std::size_t, std::size_t)> progress;
  /** Throws std::invalid_argument naming the field and value. */
  void Validate() const;
};

/** One row of the per-event CSV. */
struct EventRow {
  std::size_t index = 0;  // 0-based position in the replay
  std::uint64_t lsn = 0;  // the event's lsn in the session
  std::string type;
  std::string project;
  std::string asset;
  std::string prompt;
  double sim_seconds = 0.0;          // on the session clock, from its first event
  std::size_t annotation_index = 0;  // prompt annotations so far, this one included (1-based)
  // Prompt annotations only (NaN / empty otherwise):
  double blind_iou = std::numeric_limits<double>::quiet_NaN();
  double reward = std::numeric_limits<double>::quiet_NaN();
  std::string model_version;
  double predicted = std::numeric_limits<double>::quiet_NaN();
  bool shown = false;
  std::string withheld_reason;
  std::string decision;  // drawn, accepted, edited, rejected
  std::size_t clicks_spent = 0;
  std::size_t clicks_draw = 0;
  double seconds_spent = 0.0;
  double seconds_draw = 0.0;
  // Every event:
  std::string gate_mode;   // the event's project's mode after it
  std::string gate_event;  // "shadow->live" when this event moved the gate
  std::string error;       // the engine call failed
};

/** A gate transition in a summary. */
struct GateTransition {
  std::string project;
  std::size_t annotation_index = 0;          // over the whole stream (1-based)
  std::size_t project_annotation_index = 0;  // within the project (1-based)
  GateEvent event;
};

/** The effort and quality figures of a set of prompts (the whole stream or one project). */
struct StreamStats {
  std::size_t annotations = 0;  // annotations answering a prompt
  std::size_t scored = 0;       // of those, with a blind score
  std::vector<double> blind_iou;
  std::vector<double> blind_reward;
  std::size_t shown = 0;  // suggestions published (and answered)
  std::size_t withheld = 0;
  std::size_t accepted_unchanged = 0;
  std::size_t edited = 0;
  std::size_t rejected = 0;
  std::size_t clicks_hand = 0;
  std::size_t clicks_spent = 0;
  double seconds_hand = 0.0;
  double seconds_spent = 0.0;
  std::optional<std::size_t> gate_opened_at;  // annotation index (this stream's own count)
  std::size_t gate_closed_count = 0;
  bool gated = false;  // the engine reported gate transitions
  std::vector<GateTransition> gate_history;
};

/** Everything summary.json holds. */
struct ReplaySummary {
  std::string agent;
  std::string path;  // in-process or zmq
  std::uint64_t seed = 0;
  std::string order;
  SessionManifest session;
  std::string session_dir;
  double session_seconds = 0.0;  // the session's own duration (real or modelled)
  std::size_t events = 0;
  std::size_t assets = 0;
  std::size_t prompts = 0;
  std::size_t annotations = 0;  // all annotation events
  std::size_t feedback = 0;
  std::map<std::string, std::size_t> feedback_verdicts;  // what people did with suggestions
  /** Annotations that carried a drawing time (real in a recorded session, modelled in an
   *  import), its sum, and what the effort model says the same polygons take: the check of the
   *  model against real timings. */
  std::size_t recorded_draw_count = 0;
  double recorded_draw_seconds = 0.0;
  double modelled_draw_seconds_for_recorded = 0.0;
  std::size_t unmatched_annotations = 0;  // for a prompt never seen, or for the whole asset
  std::size_t engine_errors = 0;
  StreamStats all;
  std::map<std::string, StreamStats> projects;
  std::map<std::string, std::size_t> withheld_reasons;
  std::vector<std::string> model_versions;  // in order of first appearance
  std::map<std::string, double> learner;    // the engine's learner progress at the end
  LearningBudget budget;
  EffortModelConfig effort;
  std::size_t last_n = 100;
  double wall_seconds = 0.0;
};

/** summary.json: every field of docs/sim.md. */
nlohmann::json SummaryToJson(const ReplaySummary& summary);
/** The summary without what depends on the machine or the path (wall time, speedup, events
 *  per second, the path, engine error counts): what two replays of one seed must agree on. */
nlohmann::json ComparableSummary(const nlohmann::json& summary);

/** What a replay returns. */
struct ReplayResult {
  ReplaySummary summary;
  std::vector<EventRow> rows;
};

/**
 * Replays `session` through `driver`. Each prompt's proposal is kept until its annotation
 * arrives; then the blind IoU is the engine's reported score or, when it reports none, the
 * exact IoU of the proposal against the human instance it matches best, and the prompt is
 * priced by the effort model: drawn from scratch when nothing was shown, otherwise accepted,
 * edited or rejected (EffortModel::Shown). Throws std::invalid_argument for bad options or an
 * order the session or engine cannot support.
 */
ReplayResult Replay(const Session& session, EngineDriver& driver, const ReplayOptions& options);

/** Writes the per-event CSV (a header, then one row per event). */
void WriteEventsCsv(const std::filesystem::path& path, const std::vector<EventRow>& rows);
/** Writes summary.json (pretty-printed). */
void WriteSummaryJson(const std::filesystem::path& path, const ReplaySummary& summary);

/** A markdown table, one row per summary: the figures to compare agents side by side. */
std::string SummaryTable(const std::vector<ReplaySummary>& summaries);

}  // namespace understudy
