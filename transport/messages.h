#pragma once

// The understudy wire protocol, version 1: every message is one msgpack map, the envelope
// {v, type, id, project, ts, payload}, whose payload is one of the structs below. Field names
// are the msgpack map keys. docs/protocol.md is the prose version of this file (types, limits,
// error codes, endpoints) and is enough to write a client in any language.
//
// This header includes msgpack (about a second of compile time per file): include it only where
// messages are packed or unpacked. Everything else uses the domain types of transport/events.h
// through transport/codec.h.

#include <array>
#include <cstdint>
#include <map>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <vector>

namespace understudy::wire {

/** The `v` every message carries; a server rejects any other with `unsupported_version`. */
inline constexpr std::uint32_t kProtocolVersion = 1;

// Message types (the envelope's `type`).
inline constexpr const char* kTypeAsset = "asset";            // client -> server, acked
inline constexpr const char* kTypePrompt = "prompt";          // client -> server, acked
inline constexpr const char* kTypeAnnotation = "annotation";  // client -> server, acked
inline constexpr const char* kTypeFeedback = "feedback";      // client -> server, acked
inline constexpr const char* kTypeStatus = "status";          // query and its reply
inline constexpr const char* kTypeSuggestion = "suggestion";  // server -> PUB, and in the log
inline constexpr const char* kTypeGate = "gate";              // server -> PUB, and in the log
inline constexpr const char* kTypeAck = "ack";                // server -> client
inline constexpr const char* kTypeError = "error";            // server -> client
inline constexpr const char* kTypeScore = "score";            // server -> PUB, and in the log
inline constexpr const char* kTypeControl = "control";        // client -> server, acked

// Fixed limits (bytes are UTF-8 bytes). Configurable ones (message size, vertices per ring,
// instances per annotation) are in ServerConfig.
inline constexpr std::size_t kMaxProjectBytes = 64;  // [A-Za-z0-9._-]+
inline constexpr std::size_t kMaxIdBytes = 128;      // message, suggestion ids
inline constexpr std::size_t kMaxNameBytes = 256;    // asset and prompt ids
inline constexpr std::size_t kMaxShortText = 128;    // annotator, label, model, source
inline constexpr std::size_t kMaxUriBytes = 4096;
inline constexpr std::size_t kMaxTextBytes = 4096;  // reasons and error messages
inline constexpr std::size_t kMaxRingsPerShape = 256;
inline constexpr std::size_t kMaxClicks = 64;
inline constexpr std::size_t kMaxDetails = 64;  // entries of a gate event's `details`, and of
                                                // a score's `components`
inline constexpr std::int64_t kMaxImageSide = 1 << 20;

/** A vertex: [x, y] in image pixels, x to the right, y down. Finite numbers (int or float). */
using Coord = std::array<double, 2>;
/** A closed ring; the closing edge is implicit (repeating the first vertex is allowed). */
using Ring = std::vector<Coord>;
/** One part: the outer ring, then its holes. */
using Part = std::vector<Ring>;
/** An object outline, nested as GeoJSON MultiPolygon coordinates: parts of rings of [x, y]. */
using Shape = std::vector<Part>;

/** Announces an image. Prompts, annotations and feedback may only name announced assets. */
struct Asset {
  std::string asset;       // 1..256 bytes, not starting with '_'
  std::int64_t width = 0;  // pixels, 1..2^20
  std::int64_t height = 0;
  std::optional<std::string> uri;                   // where the image is; <= 4096 bytes
  std::optional<std::vector<unsigned char>> image;  // bin: encoded PNG/JPEG, when inline
  MSGPACK_DEFINE_MAP(asset, width, height, uri, image)
};

/** A click inside (positive) or outside the object. */
struct Click {
  double x = 0.0;
  double y = 0.0;
  std::optional<bool> positive;  // default true
  MSGPACK_DEFINE_MAP(x, y, positive)
};

/** A box around one object, optionally with clicks: the agent predicts its outline. */
struct Prompt {
  std::string asset;
  std::string prompt;           // 1..256 bytes, unique within the asset
  std::array<double, 4> box{};  // [x0, y0, x1, y1], x0 < x1 and y0 < y1
  std::optional<std::vector<Click>> clicks;
  std::optional<std::string> label;  // class name, <= 128 bytes
  MSGPACK_DEFINE_MAP(asset, prompt, box, clicks, label)
};

/** One human polygon. */
struct AnnotatedInstance {
  Shape shape;
  std::optional<std::string> label;
  MSGPACK_DEFINE_MAP(shape, label)
};

/** The human polygons for an asset, or for one prompt of it. */
struct Annotation {
  std::string asset;
  std::optional<std::string> prompt;         // the prompt answered, if any
  std::vector<AnnotatedInstance> instances;  // 0..max_instances
  std::string annotator;                     // 1..128 bytes
  std::optional<double> draw_seconds;        // time spent drawing, if known; >= 0
  std::optional<bool> complete;              // default false; true closes the asset
  MSGPACK_DEFINE_MAP(asset, prompt, instances, annotator, draw_seconds, complete)
};

/** What a person did with a published suggestion. */
struct Feedback {
  std::string asset;
  std::string suggestion;              // the suggestion's envelope id
  std::string verdict;                 // "accepted", "edited" or "rejected"
  std::optional<double> edit_seconds;  // time spent editing, if known; >= 0
  std::optional<std::string> annotator;
  MSGPACK_DEFINE_MAP(asset, suggestion, verdict, edit_seconds, annotator)
};

/** A proposed outline. Its envelope id is the suggestion id that feedback refers to. */
struct Suggestion {
  std::string asset;
  std::string prompt;
  Shape shape;
  std::optional<double> confidence;   // predicted IoU in [0, 1], when the model has one
  std::string model;                  // model version tag
  std::string source;                 // proposer name
  bool withheld = false;              // true only in the event log: predicted, not published
  std::optional<std::string> reason;  // why it was withheld
  MSGPACK_DEFINE_MAP(asset, prompt, shape, confidence, model, source, withheld, reason)
};

/** A change of a project's gate mode and the evidence for it (the envelope names the project). */
struct Gate {
  std::string from;
  std::string to;
  std::uint64_t n = 0;
  double mean = 0.0;
  double lower_bound = 0.0;
  double threshold = 0.0;
  std::string model;
  std::string reason;
  std::map<std::string, double> details;
  std::optional<std::string> trigger;  // "promote", "demote", "restart"
  MSGPACK_DEFINE_MAP(from, to, n, mean, lower_bound, threshold, model, reason, details, trigger)
};

/** A blind prediction scored against its human annotation (the envelope names the project). */
struct Score {
  std::string asset;
  std::string prompt;
  std::string model;                         // version tag of the model that made the prediction
  double reward = 0.0;                       // the reward specification's scalar, in [0, 1]
  std::map<std::string, double> components;  // iou, clicks_to_fix, clicks_to_draw, ...
  std::optional<double> predicted;           // the predicted reward the gate decided on; nil: none
  bool published = false;                    // the prediction was published as a suggestion
  std::string decision;                      // "published" or why it was withheld
  bool held_out = false;  // the annotation is in the held-out pool (never trained on)
  bool evidence = false;  // the reward entered the gate's evidence window
  std::optional<std::uint64_t> annotation;  // the engine's annotation index (1-based)
  std::optional<std::uint64_t> instance;    // the annotation's instance it was matched to
  MSGPACK_DEFINE_MAP(asset, prompt, model, reward, components, predicted, published, decision,
                     held_out, evidence, annotation, instance)
};

/** An operator's command; acked and logged like an event. */
struct Control {
  std::string action;                    // "rollback"
  std::optional<std::uint64_t> version;  // rollback: the registry version to serve
  std::optional<std::string> note;
  MSGPACK_DEFINE_MAP(action, version, note)
};

/** The event is durably logged (or was already: `duplicate`). Its id is the event's id. */
struct Ack {
  std::uint64_t lsn = 0;  // the event's log sequence number
  bool duplicate = false;
  MSGPACK_DEFINE_MAP(lsn, duplicate)
};

/** The message was rejected; nothing was logged. Its id is the request's id when readable. */
struct Error {
  std::string code;  // see docs/protocol.md, "Error codes"
  std::string message;
  MSGPACK_DEFINE_MAP(code, message)
};

/** A query: "latest" (the late joiner's catch-up) or "summary" (server and engine state). */
struct StatusQuery {
  std::string query;
  std::optional<std::uint64_t> limit;  // "latest": at most this many suggestions (default 1000)
  MSGPACK_DEFINE_MAP(query, limit)
};

/** Reply to "latest": full suggestion envelopes, as they were published, oldest first. */
struct StatusLatest {
  std::string query;                         // "latest"
  std::vector<msgpack::object> suggestions;  // each a complete `suggestion` envelope
  MSGPACK_DEFINE_MAP(query, suggestions)
};

/** One project's gate in a summary. */
struct ProjectSummary {
  std::string project;
  std::string mode;
  bool publishing = false;
  std::uint64_t n = 0;
  std::optional<double> mean;  // nil when unknown
  std::optional<double> lower_bound;
  std::optional<double> threshold;
  std::map<std::string, double> counters;  // engine-defined counts (published, withheld, ...)
  MSGPACK_DEFINE_MAP(project, mode, publishing, n, mean, lower_bound, threshold, counters)
};

/** The engine part of a summary. */
struct EngineSummary {
  std::string engine;
  std::string model;
  std::uint64_t reward_window = 0;
  std::vector<ProjectSummary> projects;
  std::map<std::string, double> learner;
  MSGPACK_DEFINE_MAP(engine, model, reward_window, projects, learner)
};

/** The server part of a summary. */
struct ServerSummary {
  std::string version;            // understudy version
  std::uint64_t last_lsn = 0;     // last record appended to the log
  std::uint64_t durable_lsn = 0;  // last record known to be on disk
  double uptime_seconds = 0.0;
  std::uint64_t open_assets = 0;   // in the queried project
  std::uint64_t known_assets = 0;  // in all projects
  MSGPACK_DEFINE_MAP(version, last_lsn, durable_lsn, uptime_seconds, open_assets, known_assets)
};

/** Reply to "summary". */
struct StatusSummary {
  std::string query;  // "summary"
  ServerSummary server;
  EngineSummary engine;
  MSGPACK_DEFINE_MAP(query, server, engine)
};

/** The envelope around every payload. */
template <typename Payload>
struct Envelope {
  std::uint32_t v = kProtocolVersion;
  std::string type;
  std::string id;       // 1..128 bytes; unique per client for events
  std::string project;  // 1..64 bytes of [A-Za-z0-9._-]
  double ts = 0.0;      // sender's clock, seconds since the Unix epoch, finite, >= 0
  Payload payload;
  MSGPACK_DEFINE_MAP(v, type, id, project, ts, payload)
};

/**
 * The body of one event-log record (docs/transport.md, "Event log"): a message as the server
 * received or emitted it, with where and when. `msg` is the envelope itself, inline and
 * byte-identical to what was on the wire, so a log is a recording that replays as is.
 */
template <typename Msg>
struct LogRecord {
  std::uint64_t lsn = 0;              // log sequence number, 1, 2, ... across segments
  std::int64_t rts = 0;               // server clock at receipt or emission, ns since the epoch
  std::string dir;                    // "in": from a client; "out": emitted by the server
  std::vector<unsigned char> client;  // bin: the sender's routing id ("in"); empty otherwise
  std::uint64_t ref = 0;              // "out": lsn of the event that caused it; 0 otherwise
  Msg msg;
  MSGPACK_DEFINE_MAP(lsn, rts, dir, client, ref, msg)
};

}  // namespace understudy::wire
