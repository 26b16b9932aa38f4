#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "env/prompt.h"
#include "rewards/polygon.h"

// The protocol's messages in domain types (rewards geometry, env prompts), as the Engine and the
// simulator see them. No msgpack here: transport/codec.h converts to and from the wire, whose
// exact layout is transport/messages.h and docs/protocol.md.

namespace understudy {

/** Where and when an inbound event arrived; filled by the server (or a log reader). */
struct EventMeta {
  std::string project;
  std::string id;                // the sender's message id, unique per client
  std::string client;            // the sender's ZeroMQ routing id; empty for offline writers
  double ts = 0.0;               // the sender's clock, seconds since the Unix epoch
  std::int64_t received_ns = 0;  // the server's clock at receipt, ns since the Unix epoch
  std::uint64_t lsn = 0;         // the event's log sequence number; 0 when not logged
};

/** An image announced for annotation. Prompts and annotations refer to it by `asset`. */
struct AssetEvent {
  EventMeta meta;
  std::string asset;
  int width = 0;
  int height = 0;
  std::string uri;                  // where the image lives (path or URL); may be empty
  std::vector<std::uint8_t> image;  // the encoded image (PNG, JPEG) when sent inline
};

/** A person pointed at one object: a box, optionally with clicks. */
struct PromptEvent {
  EventMeta meta;
  std::string asset;
  std::string prompt_id;  // unique within the asset; annotations answer it by this id
  Prompt prompt;
  std::string label;  // class name if the platform knows it; may be empty
};

/** One human polygon: a validated instance and its class name (may be empty). */
struct LabeledInstance {
  Instance shape;
  std::string label;
  bool repaired = false;  // the sent geometry was invalid (e.g. self-crossing) and was repaired
};

/** The human polygons for an asset or for one of its prompts. */
struct AnnotationEvent {
  EventMeta meta;
  std::string asset;
  std::string prompt_id;  // the prompt answered; empty when the annotation is for the asset
  std::vector<LabeledInstance> instances;
  std::string annotator;
  double draw_seconds = std::numeric_limits<double>::quiet_NaN();  // NaN: unknown
  bool complete = false;  // the annotator finished the asset: it is no longer open
};

/** What a person did with a published suggestion. */
enum class FeedbackVerdict { kAccepted, kEdited, kRejected };

/** Feedback on one published suggestion. */
struct FeedbackEvent {
  EventMeta meta;
  std::string asset;
  std::string suggestion_id;
  FeedbackVerdict verdict = FeedbackVerdict::kAccepted;
  double edit_seconds = std::numeric_limits<double>::quiet_NaN();  // NaN: unknown
  std::string annotator;
};

/** A proposed outline for one prompt. */
struct Suggestion {
  std::string id;  // unique; the server assigns one when the engine leaves it empty
  std::string project;
  std::string asset;
  std::string prompt_id;
  Instance shape;
  double confidence = std::numeric_limits<double>::quiet_NaN();  // predicted IoU; NaN: none
  std::string model_version;  // tag of the model or baseline that produced it
  std::string source;         // proposer name ("box", "agent", ...)
};

/** An operator's command to the engine, sent on the ingest socket and logged like an event. */
struct ControlEvent {
  EventMeta meta;
  std::string action;         // "rollback"
  std::uint64_t version = 0;  // rollback: the registry version to serve
  std::string note;           // free text, recorded with the action
};

/** A change of a project's gate mode, with the evidence it was taken on. */
struct GateEvent {
  std::string project;
  std::string from;  // mode names chosen by the engine, e.g. "shadow", "live"
  std::string to;
  std::uint64_t n = 0;       // rewards in the evidence window
  double mean = 0.0;         // their mean
  double lower_bound = 0.0;  // the confidence bound compared with the threshold
  double threshold = 0.0;
  std::string model_version;
  std::string reason;                     // the comparison in words
  std::map<std::string, double> details;  // further evidence (stddev, z, hysteresis, ...)
  std::string trigger;  // what caused it, e.g. "promote", "demote", "restart"; may be empty
};

/**
 * The score of one blind prediction once its human annotation arrived: the prediction was made
 * before the annotation existed, by `model_version`. Published on `<project>/_score` and logged,
 * so a replay over ZeroMQ sees exactly what an in-process engine returns.
 */
struct BlindScore {
  std::string project;
  std::string asset;
  std::string prompt_id;
  std::string model_version;  // tag of the model that made the prediction
  double reward = 0.0;        // the reward specification's scalar, in [0, 1]
  /** Metrics of the prediction against the human polygon: "iou", "clicks_to_fix",
   *  "clicks_to_draw", the reward's weighted terms, ... (at most 64). */
  std::map<std::string, double> components;
  double predicted_reward = std::numeric_limits<double>::quiet_NaN();  // what the gate used
  bool published = false;  // the prediction was published as a suggestion
  std::string decision;    // "published", or why it was withheld (e.g. "shadow_mode")
  bool held_out = false;   // the annotation went to the held-out pool, never to training
  bool evidence = false;   // the reward entered the gate's window (not stale, not rejected)
  std::uint64_t annotation_index = 0;  // the engine's count of annotations, 1-based; 0: none
  std::int64_t instance = -1;          // the matched instance of the annotation; -1: none
};

/** What the server does after an engine call. */
struct EngineResult {
  /** From OnPrompt: the outline the engine proposes, or nothing. */
  std::optional<Suggestion> suggestion;
  /** True when `suggestion` (if any) must not be published (e.g. the gate is in shadow mode).
   *  A withheld suggestion is still recorded in the event log, for replay and comparison. */
  bool withheld = false;
  std::string withheld_reason;
  /** Gate mode changes caused by this call; published on `<project>/_gate`. */
  std::vector<GateEvent> gate_events;
  /** Blind predictions scored by this call (an annotation); published on `<project>/_score`,
   *  before the gate events they caused. */
  std::vector<BlindScore> scores;
};

/** One project's gate as the engine reports it. */
struct ProjectStatus {
  std::string project;
  std::string mode;         // engine-defined mode name
  bool publishing = false;  // suggestions for this project are published now
  std::uint64_t n = 0;      // rewards in the evidence window
  double mean = std::numeric_limits<double>::quiet_NaN();
  double lower_bound = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();
  /** Engine-defined counts for /status and /metrics (published, withheld_below_floor, ...). */
  std::map<std::string, double> counters;
};

/** The engine's state for /status and /metrics. */
struct EngineStatus {
  std::string engine;  // e.g. "proposer:box", "agent"
  std::string model_version;
  std::uint64_t reward_window = 0;  // capacity of each project's evidence window
  std::vector<ProjectStatus> projects;
  std::map<std::string, double> learner;  // learner progress (steps, loss, ...); may be empty
  /** Optional: one JSON object with engine-specific detail, shown verbatim in /status as
   *  `engine.detail` (gate configs, held-out scores, the learning schedule, ...). */
  std::string detail_json;
};

const char* ToString(FeedbackVerdict verdict);

}  // namespace understudy
