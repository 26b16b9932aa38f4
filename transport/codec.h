#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rewards/validation.h"
#include "transport/events.h"

// Bytes <-> domain messages. The wire layout is transport/messages.h (docs/protocol.md); this
// header keeps msgpack out of its includers.

namespace understudy {

/** The envelope's `type`. */
enum class MessageType : std::uint8_t {
  kAsset,
  kPrompt,
  kAnnotation,
  kFeedback,
  kStatus,
  kSuggestion,
  kGate,
  kAck,
  kError,
  kScore,
  kControl,
};
/** How many MessageType values there are. */
inline constexpr std::size_t kMessageTypeCount = 11;
const char* ToString(MessageType type);
std::optional<MessageType> ParseMessageType(std::string_view text);
/** asset, prompt, annotation, feedback, control: the events a server acks and logs. */
bool IsEvent(MessageType type);

/** Why a message was rejected; the wire form is the snake_case name (docs/protocol.md). */
enum class ErrorCode : std::uint8_t {
  kMalformed,           // not msgpack, trailing bytes, or the envelope is not a map
  kUnsupportedVersion,  // `v` is not 1
  kUnknownType,         // `type` unknown, or not one a client may send
  kMissingField,        // a required field is absent (or nil)
  kBadField,            // a field has the wrong type, length, characters or range
  kTooLarge,            // the message exceeds max_message_bytes
  kNonFinite,           // a number that must be finite is NaN or infinite
  kTooManyVertices,     // a ring has more than max_vertices points
  kBadGeometry,         // a ring has < 3 distinct points or zero area
  kUnknownAsset,        // a prompt, annotation or feedback names an asset never announced
  kNoClientId,          // an event from a socket without a client-chosen routing id
  kInternal,            // the server failed; the message was not logged
};
inline constexpr std::size_t kErrorCodeCount = 12;
const char* ToString(ErrorCode code);
std::optional<ErrorCode> ParseErrorCode(std::string_view text);

/** A message that breaks the protocol; what() says which field and why. */
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

/** The envelope fields other than the payload. */
struct Header {
  std::uint32_t v = 1;
  MessageType type = MessageType::kAsset;
  std::string id;
  std::string project;
  double ts = 0.0;
};

/** Limits a decoder enforces (the configurable part of docs/protocol.md, "Limits"). */
struct DecodeLimits {
  std::size_t max_message_bytes = 8u << 20;
  std::size_t max_instances = 256;  // per annotation
  ValidationOptions geometry;       // max_vertices per ring, self-intersection policy
};

/** A `status` request. */
struct StatusQuery {
  std::string query;        // "latest" or "summary"
  std::uint64_t limit = 0;  // "latest": at most this many; 0: the default (1000)
};

/** A suggestion as published (withheld = false) or recorded in shadow mode. */
struct SuggestionRecord {
  Suggestion suggestion;
  bool withheld = false;
  std::string reason;
};

/** `ack` */
struct AckReply {
  std::uint64_t lsn = 0;
  bool duplicate = false;
};

/** `error` (the code as text, so codes from a newer server still decode). */
struct ErrorReply {
  std::string code;
  std::string message;
};

/** A `status` reply. "latest" fills `suggestions`; a "summary" is not decoded here. */
struct StatusReply {
  std::string query;
  std::vector<SuggestionRecord> suggestions;
};

/** One decoded message of any type. Events carry the header again in their EventMeta. */
struct Message {
  using Body = std::variant<AssetEvent, PromptEvent, AnnotationEvent, FeedbackEvent, StatusQuery,
                            SuggestionRecord, GateEvent, AckReply, ErrorReply, StatusReply,
                            BlindScore, ControlEvent>;
  Header header;
  Body body;
};

/**
 * Decodes and validates one message: envelope, payload schema, limits and geometry (annotation
 * shapes pass rewards' Validate, so they arrive normalised). Throws ProtocolError. When
 * `partial` is given it receives the envelope fields read before any error, so that an error
 * reply can echo the request's id.
 */
Message Decode(std::string_view bytes, const DecodeLimits& limits, Header* partial = nullptr);

/** Encodes any message with the header's id, project and ts; `type` follows the body. */
std::string Encode(const Message& message);

/** Encodes an event with the id, project and ts of its EventMeta (for clients and writers). */
std::string EncodeEvent(const AssetEvent& event);
std::string EncodeEvent(const PromptEvent& event);
std::string EncodeEvent(const AnnotationEvent& event);
std::string EncodeEvent(const FeedbackEvent& event);
std::string EncodeEvent(const ControlEvent& event);
/** Encodes a suggestion with its own id and project. */
std::string EncodeSuggestion(const SuggestionRecord& record, double ts);
/** Encodes a gate event under envelope id `id`. */
std::string EncodeGate(const GateEvent& event, const std::string& id, double ts);
/** Encodes a blind score under envelope id `id` and its own project. */
std::string EncodeScore(const BlindScore& score, const std::string& id, double ts);

/** The few fields of a logged envelope the server needs when it rebuilds state on restart. */
struct EnvelopeSummary {
  MessageType type = MessageType::kAsset;
  std::string id;
  std::string project;
  std::string asset;      // asset, prompt, annotation, feedback, suggestion
  std::string prompt;     // prompt, annotation (may be empty), suggestion
  bool complete = false;  // annotation
  bool withheld = false;  // suggestion
};
/** Reads just those fields, without validating the rest. Throws ProtocolError. */
EnvelopeSummary Summarize(std::string_view bytes);

// Builders for the server's replies.
std::string EncodeAck(const std::string& id, const std::string& project, double ts,
                      std::uint64_t lsn, bool duplicate);
std::string EncodeError(const std::string& id, const std::string& project, double ts,
                        ErrorCode code, const std::string& message);
/** A "latest" reply embedding stored suggestion envelopes byte for byte. */
std::string EncodeStatusLatest(const std::string& id, const std::string& project, double ts,
                               const std::vector<std::string_view>& suggestion_envelopes);

/** The server half of a "summary" reply. */
struct ServerInfo {
  std::string version;
  std::uint64_t last_lsn = 0;
  std::uint64_t durable_lsn = 0;
  double uptime_seconds = 0.0;
  std::uint64_t open_assets = 0;
  std::uint64_t known_assets = 0;
};
std::string EncodeStatusSummary(const std::string& id, const std::string& project, double ts,
                                const ServerInfo& server, const EngineStatus& engine);

/** `<project>/<asset>`: the PUB topic of a suggestion. */
std::string SuggestionTopic(const std::string& project, const std::string& asset);
/** `<project>/_gate`: the PUB topic of a project's gate events. */
std::string GateTopic(const std::string& project);
/** `<project>/_score`: the PUB topic of a project's blind scores. */
std::string ScoreTopic(const std::string& project);
/**
 * `<project>:withheld`: the PUB topic of the suggestions a project's engine withheld. Outside the
 * `<project>/` prefix on purpose: a frontend subscribed to `<project>/` never receives them.
 */
std::string WithheldTopic(const std::string& project);

/** The clock that stamps `ts`: seconds since the Unix epoch. */
double WallSeconds();

}  // namespace understudy
