#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "transport/codec.h"

// A recorded session is an event log (transport/event_log.h): the server's own log, or one
// written offline by `understudy import`. Besides the log's segments, an imported session has a
// small manifest, session.json, saying where it came from and that its timings are modelled; a
// server's log has none and its timings are the real ones. docs/sim.md describes both.

namespace understudy {

/** Where a session came from and how to read it. */
struct SessionManifest {
  /** "imported" (a dataset turned into a session), "merged" (several sessions interleaved), or
   *  "recorded" (a server's event log; no manifest file). */
  std::string kind = "recorded";
  /** "modelled" (imported: times from the effort model), "real" (what people took), or "mixed"
   *  (a merge of both). */
  std::string timings = "real";
  /** What it was made from, one line each: "via:/data/balloon/balloon", "synthetic:default". */
  std::vector<std::string> sources;
  /** Folder that relative asset uris are read from; empty: images are inline (or absent). */
  std::filesystem::path data_root;
  std::uint64_t seed = 0;  // asset order and prompt jitter of an import
  /** Counts written by the importer (for a recorded log, filled when loaded). */
  std::size_t assets = 0;
  std::size_t prompts = 0;
  std::size_t annotations = 0;
  /** Everything else the importer wants to say (its options, the effort model, skips). */
  std::map<std::string, std::string> notes;
  std::string written_by;  // "understudy import 0.1.0"
};

nlohmann::json SessionManifestToJson(const SessionManifest& manifest);
/** Throws std::invalid_argument naming the field. */
SessionManifest SessionManifestFromJson(const nlohmann::json& json);

/** Limits for reading events back from a session: generous, since a server (or the importer)
 *  accepted them once already under its own limits. */
DecodeLimits SessionDecodeLimits();

/** The manifest's file name inside a session folder. */
inline constexpr const char* kSessionManifestFile = "session.json";

/** One inbound event of a session: the logged envelope and what replay needs to order it. */
struct SessionEvent {
  std::uint64_t lsn = 0;
  std::int64_t time_ns = 0;  // the recording server's (or importer's) clock
  std::string client;        // the original sender's routing id
  std::string bytes;         // the envelope, exactly as logged
  MessageType type = MessageType::kAsset;
  std::string project;
  std::string asset;
  std::string prompt;  // prompt id for prompts and prompt annotations
  double ts = 0.0;     // the envelope's ts: the session's clock (simulated for imports)
};

/** What loading skipped: counted, never silent. */
struct SessionLoadReport {
  std::size_t out_records = 0;        // suggestions and gate events a server logged (not replayed)
  std::size_t rejected = 0;           // records that do not decode as protocol events
  std::vector<std::string> problems;  // the first few rejections: lsn and why
  bool torn_tail = false;             // the log ended in a torn record (a live or crashed log)
};

/** A session in memory: its manifest and its inbound events in log order. */
struct Session {
  std::filesystem::path dir;
  SessionManifest manifest;
  std::vector<SessionEvent> events;
  SessionLoadReport report;

  /** Seconds from the first event's ts to the last one's: the session's real (or modelled)
   *  duration. 0 for fewer than two events. */
  double DurationSeconds() const;
  /** Project names in order of first appearance. */
  std::vector<std::string> Projects() const;
};

/**
 * Reads a session folder: the manifest if there is one (otherwise a "recorded" manifest with
 * counts filled in), then every `in` record, decoded and validated with `limits`. Undecodable
 * records are counted in the report (and skipped); `out` records are counted. Throws
 * EventLogError for a damaged log and std::runtime_error for a bad manifest, naming the file.
 */
Session LoadSession(const std::filesystem::path& dir, const DecodeLimits& limits = {});

/** Writes the manifest into `dir` (atomically: a temporary file, then a rename). */
void WriteSessionManifest(const std::filesystem::path& dir, const SessionManifest& manifest);

}  // namespace understudy
