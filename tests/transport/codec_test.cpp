#include "transport/codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "transport/messages.h"

namespace understudy {
namespace {

Instance Square(double x, double y, double s) {
  return MakeInstance({{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}});
}

Header H(MessageType type, const std::string& id = "m-1", const std::string& project = "proj") {
  Header h;
  h.type = type;
  h.id = id;
  h.project = project;
  h.ts = 1700000000.25;
  return h;
}

// By value: the message is usually a temporary.
template <typename T>
T As(const Message& m) {
  const T* p = std::get_if<T>(&m.body);
  if (p == nullptr) throw std::runtime_error("unexpected body type");
  return *p;
}

Message RoundTrip(const Message& m) { return Decode(Encode(m), DecodeLimits{}); }

void ExpectHeader(const Message& got, MessageType type) {
  EXPECT_EQ(got.header.v, 1u);
  EXPECT_EQ(got.header.type, type);
  EXPECT_EQ(got.header.id, "m-1");
  EXPECT_EQ(got.header.project, "proj");
  EXPECT_DOUBLE_EQ(got.header.ts, 1700000000.25);
}

TEST(Codec, AssetRoundTrip) {
  AssetEvent a;
  a.asset = "img/001.jpg";
  a.width = 640;
  a.height = 480;
  a.uri = "s3://bucket/img/001.jpg";
  a.image = {0x89, 'P', 'N', 'G', 0, 255};
  const Message got = RoundTrip({H(MessageType::kAsset), a});
  ExpectHeader(got, MessageType::kAsset);
  const auto& e = As<AssetEvent>(got);
  EXPECT_EQ(e.meta.id, "m-1");
  EXPECT_EQ(e.meta.project, "proj");
  EXPECT_EQ(e.asset, a.asset);
  EXPECT_EQ(e.width, 640);
  EXPECT_EQ(e.height, 480);
  EXPECT_EQ(e.uri, a.uri);
  EXPECT_EQ(e.image, a.image);
}

TEST(Codec, PromptRoundTripWithClicks) {
  PromptEvent p;
  p.asset = "a";
  p.prompt_id = "p7";
  p.prompt.box = Box{1.5, 2, 30, 40.25};
  p.prompt.clicks = {Click{{5, 6}, true}, Click{{7, 8}, false}};
  p.label = "balloon";
  const auto& e = As<PromptEvent>(RoundTrip({H(MessageType::kPrompt), p}));
  EXPECT_EQ(e.asset, "a");
  EXPECT_EQ(e.prompt_id, "p7");
  EXPECT_EQ(e.prompt.box.x0, 1.5);
  EXPECT_EQ(e.prompt.box.y1, 40.25);
  ASSERT_EQ(e.prompt.clicks.size(), 2u);
  EXPECT_EQ(e.prompt.clicks[1].at, (Point{7, 8}));
  EXPECT_FALSE(e.prompt.clicks[1].positive);
  EXPECT_EQ(e.label, "balloon");
}

TEST(Codec, AnnotationRoundTripWithHoleAndTwoParts) {
  AnnotationEvent a;
  a.asset = "a";
  a.prompt_id = "p7";
  Instance inst = Square(0, 0, 10);
  inst.parts[0].holes.push_back({{2, 2}, {2, 4}, {4, 4}, {4, 2}});
  inst.parts.push_back(Square(20, 20, 5).parts[0]);
  a.instances = {{inst, "balloon"}, {Square(50, 50, 3), ""}};
  a.annotator = "ann-3";
  a.draw_seconds = 12.5;
  a.complete = true;
  const auto& e = As<AnnotationEvent>(RoundTrip({H(MessageType::kAnnotation), a}));
  ASSERT_EQ(e.instances.size(), 2u);
  ASSERT_EQ(e.instances[0].shape.parts.size(), 2u);
  ASSERT_EQ(e.instances[0].shape.parts[0].holes.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(e.instances[0].shape), 100 - 4 + 25);
  EXPECT_EQ(e.instances[0].label, "balloon");
  EXPECT_EQ(e.instances[1].label, "");
  EXPECT_EQ(e.annotator, "ann-3");
  EXPECT_EQ(e.draw_seconds, 12.5);
  EXPECT_TRUE(e.complete);
  EXPECT_EQ(e.prompt_id, "p7");
}

TEST(Codec, AnnotationOptionalFieldsDefault) {
  AnnotationEvent a;
  a.asset = "a";
  a.instances = {{Square(0, 0, 1), ""}};
  a.annotator = "x";
  const auto& e = As<AnnotationEvent>(RoundTrip({H(MessageType::kAnnotation), a}));
  EXPECT_TRUE(std::isnan(e.draw_seconds));
  EXPECT_FALSE(e.complete);
  EXPECT_EQ(e.prompt_id, "");
}

TEST(Codec, FeedbackRoundTrip) {
  FeedbackEvent f;
  f.asset = "a";
  f.suggestion_id = "s-1";
  f.verdict = FeedbackVerdict::kEdited;
  f.edit_seconds = 3;
  f.annotator = "ann";
  const auto& e = As<FeedbackEvent>(RoundTrip({H(MessageType::kFeedback), f}));
  EXPECT_EQ(e.suggestion_id, "s-1");
  EXPECT_EQ(e.verdict, FeedbackVerdict::kEdited);
  EXPECT_EQ(e.edit_seconds, 3);
  EXPECT_EQ(e.annotator, "ann");
}

TEST(Codec, SuggestionGateAckErrorStatusRoundTrip) {
  SuggestionRecord r;
  r.suggestion.id = "m-1";
  r.suggestion.project = "proj";
  r.suggestion.asset = "a";
  r.suggestion.prompt_id = "p";
  r.suggestion.shape = Square(1, 1, 2);
  r.suggestion.confidence = 0.75;
  r.suggestion.model_version = "v3";
  r.suggestion.source = "box";
  r.withheld = true;
  r.reason = "shadow";
  const auto& s = As<SuggestionRecord>(RoundTrip({H(MessageType::kSuggestion), r}));
  EXPECT_EQ(s.suggestion.id, "m-1");
  EXPECT_EQ(s.suggestion.project, "proj");
  EXPECT_EQ(s.suggestion.prompt_id, "p");
  EXPECT_DOUBLE_EQ(Area(s.suggestion.shape), 4);
  EXPECT_EQ(s.suggestion.confidence, 0.75);
  EXPECT_EQ(s.suggestion.model_version, "v3");
  EXPECT_EQ(s.suggestion.source, "box");
  EXPECT_TRUE(s.withheld);
  EXPECT_EQ(s.reason, "shadow");

  GateEvent g{"proj", "shadow",           "live",         40,       0.8, 0.77, 0.75,
              "v3",   "lcb 0.77 >= 0.75", {{"z", 1.645}}, "promote"};
  const auto& gg = As<GateEvent>(RoundTrip({H(MessageType::kGate), g}));
  EXPECT_EQ(gg.project, "proj");
  EXPECT_EQ(gg.from, "shadow");
  EXPECT_EQ(gg.to, "live");
  EXPECT_EQ(gg.n, 40u);
  EXPECT_EQ(gg.lower_bound, 0.77);
  EXPECT_EQ(gg.details.at("z"), 1.645);
  EXPECT_EQ(gg.trigger, "promote");

  const auto& ack = As<AckReply>(RoundTrip({H(MessageType::kAck), AckReply{42, true}}));
  EXPECT_EQ(ack.lsn, 42u);
  EXPECT_TRUE(ack.duplicate);

  const auto& err =
      As<ErrorReply>(RoundTrip({H(MessageType::kError), ErrorReply{"bad_field", "x"}}));
  EXPECT_EQ(err.code, "bad_field");
  EXPECT_EQ(err.message, "x");

  const auto& q = As<StatusQuery>(RoundTrip({H(MessageType::kStatus), StatusQuery{"latest", 5}}));
  EXPECT_EQ(q.query, "latest");
  EXPECT_EQ(q.limit, 5u);

  StatusReply reply{"latest", {r, r}};
  reply.suggestions[1].suggestion.id = "m-2";
  const auto& got = As<StatusReply>(RoundTrip({H(MessageType::kStatus), reply}));
  ASSERT_EQ(got.suggestions.size(), 2u);
  EXPECT_EQ(got.suggestions[1].suggestion.id, "m-2");
  EXPECT_EQ(got.suggestions[0].suggestion.asset, "a");
}

TEST(Codec, LatestReplyEmbedsStoredEnvelopesByteForByte) {
  SuggestionRecord r;
  r.suggestion.id = "s1";
  r.suggestion.project = "proj";
  r.suggestion.asset = "a";
  r.suggestion.prompt_id = "p";
  r.suggestion.shape = Square(0, 0, 1);
  const std::string stored = EncodeSuggestion(r, 5.0);
  const std::string reply = EncodeStatusLatest("q1", "proj", 6.0, {stored, stored});
  EXPECT_NE(reply.find(stored), std::string::npos);
  const auto& got = As<StatusReply>(Decode(reply, DecodeLimits{}));
  ASSERT_EQ(got.suggestions.size(), 2u);
  EXPECT_EQ(got.suggestions[0].suggestion.id, "s1");
}

// A client in another language sends ints where floats are expected, float32, and omits optional
// keys instead of sending nil; all of that is valid.
TEST(Codec, AcceptsIntegersFloat32AndAbsentOptionals) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(6);
  pk.pack("v"), pk.pack(1);
  pk.pack("type"), pk.pack("annotation");
  pk.pack("id"), pk.pack("42");
  pk.pack("project"), pk.pack("p-1.x_y");
  pk.pack("ts"), pk.pack(17);
  pk.pack("payload");
  pk.pack_map(3);
  pk.pack("asset"), pk.pack("a");
  pk.pack("annotator"), pk.pack("z");
  pk.pack("instances");
  pk.pack_array(1);
  pk.pack_map(1);
  pk.pack("shape");
  pk.pack_array(1);
  pk.pack_array(1);
  pk.pack_array(3);
  pk.pack_array(2), pk.pack(0), pk.pack(0);
  pk.pack_array(2), pk.pack_float(4.5f), pk.pack(0);
  pk.pack_array(2), pk.pack(0), pk.pack(-3);
  const Message m = Decode(std::string_view(buf.data(), buf.size()), DecodeLimits{});
  const auto& e = As<AnnotationEvent>(m);
  EXPECT_EQ(m.header.ts, 17.0);
  ASSERT_EQ(e.instances.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(e.instances[0].shape), 4.5 * 3 / 2);
}

// ---- rejections ---------------------------------------------------------------------------------

std::string Envelope(const std::map<std::string, msgpack::object>& fields, msgpack::zone&) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, fields);
  return std::string(buf.data(), buf.size());
}

struct Built {
  msgpack::zone zone;
  std::map<std::string, msgpack::object> env;
  std::map<std::string, msgpack::object> payload;
  std::string Bytes() {
    env["payload"] = msgpack::object(payload, zone);
    return Envelope(env, zone);
  }
};

Built ValidPrompt() {
  Built b;
  b.env["v"] = msgpack::object(1, b.zone);
  b.env["type"] = msgpack::object("prompt", b.zone);
  b.env["id"] = msgpack::object("m-9", b.zone);
  b.env["project"] = msgpack::object("proj", b.zone);
  b.env["ts"] = msgpack::object(1.0, b.zone);
  b.payload["asset"] = msgpack::object("a", b.zone);
  b.payload["prompt"] = msgpack::object("p", b.zone);
  b.payload["box"] = msgpack::object(std::vector<double>{0, 0, 10, 10}, b.zone);
  return b;
}

ErrorCode CodeOf(const std::string& bytes, std::string* what = nullptr,
                 const DecodeLimits& limits = DecodeLimits{}) {
  try {
    Decode(bytes, limits);
  } catch (const ProtocolError& e) {
    if (what != nullptr) *what = e.what();
    return e.code();
  }
  ADD_FAILURE() << "decoded without error";
  return ErrorCode::kInternal;
}

TEST(Codec, ScoreRoundTrip) {
  BlindScore s;
  s.project = "proj";
  s.asset = "img-1";
  s.prompt_id = "p";
  s.model_version = "rl:v000003";
  s.reward = 0.8125;
  s.components = {{"iou", 0.8125}, {"clicks_to_fix", 3}, {"clicks_to_draw", 11}};
  s.predicted_reward = 0.7;
  s.published = false;
  s.decision = "shadow_mode";
  s.held_out = true;
  s.evidence = true;
  s.annotation_index = 17;
  s.instance = 2;
  const Message got = RoundTrip({H(MessageType::kScore), s});
  ExpectHeader(got, MessageType::kScore);
  const auto& r = As<BlindScore>(got);
  EXPECT_EQ(r.project, "proj");
  EXPECT_EQ(r.asset, "img-1");
  EXPECT_EQ(r.prompt_id, "p");
  EXPECT_EQ(r.model_version, "rl:v000003");
  EXPECT_EQ(r.reward, 0.8125);
  EXPECT_EQ(r.components, s.components);
  EXPECT_EQ(r.predicted_reward, 0.7);
  EXPECT_FALSE(r.published);
  EXPECT_EQ(r.decision, "shadow_mode");
  EXPECT_TRUE(r.held_out);
  EXPECT_TRUE(r.evidence);
  EXPECT_EQ(r.annotation_index, 17u);
  EXPECT_EQ(r.instance, 2);
  // Without a prediction or a match the optional fields are absent and read back as such.
  s.predicted_reward = std::numeric_limits<double>::quiet_NaN();
  s.instance = -1;
  s.annotation_index = 0;
  const auto& bare = As<BlindScore>(Decode(EncodeScore(s, "r-1", 2.0), DecodeLimits{}));
  EXPECT_TRUE(std::isnan(bare.predicted_reward));
  EXPECT_EQ(bare.instance, -1);
  EXPECT_EQ(bare.annotation_index, 0u);
  EXPECT_EQ(ScoreTopic("proj"), "proj/_score");
}

TEST(Codec, ControlRoundTripAndRules) {
  ControlEvent c;
  c.action = "rollback";
  c.version = 4;
  c.note = "v5 misbehaves";
  const Message got = RoundTrip({H(MessageType::kControl), c});
  ExpectHeader(got, MessageType::kControl);
  const auto& r = As<ControlEvent>(got);
  EXPECT_EQ(r.action, "rollback");
  EXPECT_EQ(r.version, 4u);
  EXPECT_EQ(r.note, "v5 misbehaves");
  EXPECT_EQ(r.meta.id, "m-1");
  EXPECT_TRUE(IsEvent(MessageType::kControl));
  EXPECT_FALSE(IsEvent(MessageType::kScore));

  auto code_of = [](const ControlEvent& bad) -> std::string {
    try {
      Decode(Encode({H(MessageType::kControl), bad}), DecodeLimits{});
    } catch (const ProtocolError& e) {
      return std::string(ToString(e.code())) + ": " + e.what();
    }
    return "accepted";
  };
  ControlEvent unknown = c;
  unknown.action = "promote";
  EXPECT_EQ(code_of(unknown).rfind("bad_field: field 'payload.action'", 0), 0u) << code_of(unknown);
  ControlEvent zero = c;
  zero.version = 0;
  EXPECT_EQ(code_of(zero).rfind("bad_field: field 'payload.version'", 0), 0u) << code_of(zero);
}

TEST(Codec, WithheldTopicIsOutsideTheProjectPrefix) {
  // A frontend subscribes to "<project>/": withheld suggestions must never match it, and one
  // project's withheld topic must not match another project's prefix.
  EXPECT_EQ(WithheldTopic("proj"), "proj:withheld");
  EXPECT_NE(WithheldTopic("proj").rfind("proj/", 0), 0u);
  EXPECT_NE(WithheldTopic("proj2").rfind(WithheldTopic("proj"), 0), 0u);
}

TEST(CodecRejects, TheValidBaselineDecodes) {
  Built b = ValidPrompt();
  EXPECT_NO_THROW(Decode(b.Bytes(), DecodeLimits{}));
}

TEST(CodecRejects, Malformed) {
  EXPECT_EQ(CodeOf(""), ErrorCode::kMalformed);
  EXPECT_EQ(CodeOf("\xc1"), ErrorCode::kMalformed);  // never-used msgpack byte
  EXPECT_EQ(CodeOf("hello world"), ErrorCode::kMalformed);
  Built b = ValidPrompt();
  const std::string good = b.Bytes();
  EXPECT_EQ(CodeOf(good.substr(0, good.size() - 3)), ErrorCode::kMalformed);  // truncated
  EXPECT_EQ(CodeOf(good + "x"), ErrorCode::kMalformed);                       // trailing
  msgpack::sbuffer arr;
  msgpack::pack(arr, std::vector<int>{1, 2, 3});
  EXPECT_EQ(CodeOf(std::string(arr.data(), arr.size())), ErrorCode::kMalformed);  // not a map
  // An array header claiming 4 billion elements must not make the decoder allocate them.
  EXPECT_EQ(CodeOf(std::string("\xdd\xff\xff\xff\xff", 5)), ErrorCode::kMalformed);
}

TEST(CodecRejects, VersionAndType) {
  Built b = ValidPrompt();
  b.env["v"] = msgpack::object(2, b.zone);
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kUnsupportedVersion);
  b = ValidPrompt();
  b.env["type"] = msgpack::object("teleport", b.zone);
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kUnknownType);
}

TEST(CodecRejects, EveryMissingEnvelopeFieldIsNamed) {
  for (const char* field : {"v", "type", "id", "project", "ts", "payload"}) {
    Built b = ValidPrompt();
    std::string bytes;
    if (std::string(field) == "payload") {
      bytes = Envelope(b.env, b.zone);
    } else {
      b.env.erase(field);
      bytes = b.Bytes();
    }
    std::string what;
    EXPECT_EQ(CodeOf(bytes, &what), ErrorCode::kMissingField) << field;
    EXPECT_NE(what.find("field '" + std::string(field) + "'"), std::string::npos) << what;
  }
}

TEST(CodecRejects, EveryMissingPromptFieldIsNamed) {
  for (const char* field : {"asset", "prompt", "box"}) {
    Built b = ValidPrompt();
    b.payload.erase(field);
    std::string what;
    EXPECT_EQ(CodeOf(b.Bytes(), &what), ErrorCode::kMissingField) << field;
    EXPECT_NE(what.find("field 'payload." + std::string(field) + "'"), std::string::npos) << what;
  }
  Built b = ValidPrompt();
  b.payload["asset"] = msgpack::object();  // nil counts as missing
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kMissingField);
}

TEST(CodecRejects, WrongTypesAndValues) {
  auto with = [](const char* key, msgpack::object (*make)(msgpack::zone&)) {
    Built b = ValidPrompt();
    b.payload[key] = make(b.zone);
    return b.Bytes();
  };
  EXPECT_EQ(CodeOf(with("asset", [](msgpack::zone& z) { return msgpack::object(5, z); })),
            ErrorCode::kBadField);
  EXPECT_EQ(CodeOf(with("box", [](msgpack::zone& z) { return msgpack::object("box", z); })),
            ErrorCode::kBadField);
  EXPECT_EQ(CodeOf(with("box",
                        [](msgpack::zone& z) {
                          return msgpack::object(std::vector<double>{0, 0, 1}, z);
                        })),
            ErrorCode::kBadField);
  EXPECT_EQ(CodeOf(with("box",
                        [](msgpack::zone& z) {
                          return msgpack::object(std::vector<double>{5, 0, 1, 9}, z);
                        })),
            ErrorCode::kBadField);  // x0 > x1
  EXPECT_EQ(CodeOf(with("asset", [](msgpack::zone& z) { return msgpack::object("_gate", z); })),
            ErrorCode::kBadField);  // reserved topic prefix
  EXPECT_EQ(
      CodeOf(with("asset",
                  [](msgpack::zone& z) { return msgpack::object(std::string(257, 'a'), z); })),
      ErrorCode::kBadField);
  EXPECT_EQ(CodeOf(with("asset", [](msgpack::zone& z) { return msgpack::object("a\nb", z); })),
            ErrorCode::kBadField);
  EXPECT_EQ(CodeOf(with("asset", [](msgpack::zone& z) { return msgpack::object("\xff\xfe", z); })),
            ErrorCode::kBadField);  // not UTF-8

  Built b = ValidPrompt();
  b.env["project"] = msgpack::object("proj/2", b.zone);  // '/' would break topic filtering
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kBadField);
  b = ValidPrompt();
  b.env["ts"] = msgpack::object(-1, b.zone);
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kBadField);
  b = ValidPrompt();
  b.env["id"] = msgpack::object("", b.zone);
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kBadField);
}

TEST(CodecRejects, NonFiniteNumbers) {
  Built b = ValidPrompt();
  b.payload["box"] = msgpack::object(
      std::vector<double>{0, 0, std::numeric_limits<double>::infinity(), 3}, b.zone);
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kNonFinite);
  b = ValidPrompt();
  b.env["ts"] = msgpack::object(std::nan(""), b.zone);
  EXPECT_EQ(CodeOf(b.Bytes()), ErrorCode::kNonFinite);

  AnnotationEvent a;
  a.meta.id = "x";
  a.meta.project = "proj";
  a.asset = "a";
  a.annotator = "z";
  a.instances = {{Square(0, 0, 1), ""}};
  a.instances[0].shape.parts[0].outer[2].y = std::nan("");
  std::string what;
  EXPECT_EQ(CodeOf(EncodeEvent(a), &what), ErrorCode::kNonFinite);
  EXPECT_NE(what.find("field 'payload.instances[0].shape[0][0][2][1]'"), std::string::npos) << what;
}

TEST(CodecRejects, VertexCapInstanceCapAndGeometry) {
  AnnotationEvent a;
  a.meta.id = "x";
  a.meta.project = "proj";
  a.asset = "a";
  a.annotator = "z";
  Ring ring;
  for (int i = 0; i < 50; ++i) {
    const double t = 2 * M_PI * i / 50;
    ring.push_back({std::cos(t), std::sin(t)});
  }
  a.instances = {{MakeInstance(ring), ""}};
  DecodeLimits limits;
  limits.geometry.max_vertices = 50;
  EXPECT_NO_THROW(Decode(EncodeEvent(a), limits));
  limits.geometry.max_vertices = 49;
  EXPECT_EQ(CodeOf(EncodeEvent(a), nullptr, limits), ErrorCode::kTooManyVertices);

  limits = DecodeLimits{};
  limits.max_instances = 2;
  a.instances.assign(3, {Square(0, 0, 1), ""});
  EXPECT_EQ(CodeOf(EncodeEvent(a), nullptr, limits), ErrorCode::kBadField);

  a.instances = {{MakeInstance({{0, 0}, {1, 1}, {2, 2}}), ""}};  // zero area
  EXPECT_EQ(CodeOf(EncodeEvent(a)), ErrorCode::kBadGeometry);
  a.instances = {{MakeInstance({{0, 0}, {1, 1}}), ""}};
  EXPECT_EQ(CodeOf(EncodeEvent(a)), ErrorCode::kBadGeometry);
}

TEST(CodecRejects, TooLargeBeforeParsing) {
  DecodeLimits limits;
  limits.max_message_bytes = 100;
  EXPECT_EQ(CodeOf(std::string(101, 'x'), nullptr, limits), ErrorCode::kTooLarge);
}

TEST(CodecRejects, DuplicateKeys) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(2);
  pk.pack("v"), pk.pack(1);
  pk.pack("v"), pk.pack(1);
  EXPECT_EQ(CodeOf(std::string(buf.data(), buf.size())), ErrorCode::kBadField);
}

TEST(CodecRejects, PartialHeaderEchoesTheId) {
  Built b = ValidPrompt();
  b.payload.erase("box");
  Header partial;
  EXPECT_THROW(Decode(b.Bytes(), DecodeLimits{}, &partial), ProtocolError);
  EXPECT_EQ(partial.id, "m-9");
  EXPECT_EQ(partial.project, "proj");
  EXPECT_EQ(partial.type, MessageType::kPrompt);
}

TEST(Codec, ErrorRepliesMayHaveEmptyIdAndProjectOtherMessagesMayNot) {
  const Message e = Decode(EncodeError("", "", 1.0, ErrorCode::kMalformed, "x"), DecodeLimits{});
  EXPECT_EQ(e.header.id, "");
  EXPECT_EQ(As<ErrorReply>(e).code, "malformed");
  EXPECT_THROW(Decode(EncodeAck("", "proj", 1.0, 1, false), DecodeLimits{}), ProtocolError);
  EXPECT_THROW(Decode(EncodeAck("x", "", 1.0, 1, false), DecodeLimits{}), ProtocolError);
}

TEST(Codec, ErrorCodeNamesRoundTrip) {
  for (std::size_t i = 0; i < kErrorCodeCount; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    ASSERT_EQ(ParseErrorCode(ToString(code)), code);
  }
  EXPECT_EQ(ParseErrorCode("nope"), std::nullopt);
  EXPECT_EQ(ParseMessageType("gate"), MessageType::kGate);
  EXPECT_TRUE(IsEvent(MessageType::kFeedback));
  EXPECT_FALSE(IsEvent(MessageType::kStatus));
}

TEST(Codec, SummarizeReadsTheRebuildFields) {
  AnnotationEvent a;
  a.meta.id = "x";
  a.meta.project = "proj";
  a.asset = "a";
  a.prompt_id = "p";
  a.annotator = "z";
  a.complete = true;
  a.instances = {{Square(0, 0, 1), ""}};
  const EnvelopeSummary s = Summarize(EncodeEvent(a));
  EXPECT_EQ(s.type, MessageType::kAnnotation);
  EXPECT_EQ(s.id, "x");
  EXPECT_EQ(s.project, "proj");
  EXPECT_EQ(s.asset, "a");
  EXPECT_EQ(s.prompt, "p");
  EXPECT_TRUE(s.complete);
}

TEST(Codec, Topics) {
  EXPECT_EQ(SuggestionTopic("proj", "img/1.jpg"), "proj/img/1.jpg");
  EXPECT_EQ(GateTopic("proj"), "proj/_gate");
}

}  // namespace
}  // namespace understudy
