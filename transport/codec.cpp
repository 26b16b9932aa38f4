#include "transport/codec.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <type_traits>
#include <utility>

#include "transport/messages.h"

namespace understudy {
namespace {

using msgpack::object;
namespace mt = msgpack::type;

constexpr std::array<const char*, kMessageTypeCount> kTypeNames = {
    wire::kTypeAsset,  wire::kTypePrompt,     wire::kTypeAnnotation, wire::kTypeFeedback,
    wire::kTypeStatus, wire::kTypeSuggestion, wire::kTypeGate,       wire::kTypeAck,
    wire::kTypeError,  wire::kTypeScore,      wire::kTypeControl};

constexpr std::array<const char*, kErrorCodeCount> kErrorNames = {
    "malformed",    "unsupported_version", "unknown_type", "missing_field",
    "bad_field",    "too_large",           "non_finite",   "too_many_vertices",
    "bad_geometry", "unknown_asset",       "no_client_id", "internal"};

// Where a field is, rendered only when an error is thrown: "payload.instances[2].shape[0][1]".
struct Path {
  const Path* parent = nullptr;
  const char* key = nullptr;  // nullptr: an array index
  std::size_t index = 0;

  Path Key(const char* k) const { return Path{this, k, 0}; }
  Path At(std::size_t i) const { return Path{this, nullptr, i}; }

  std::string Render() const {
    if (parent == nullptr) return key != nullptr ? key : "";  // the root: the envelope itself
    std::string head = parent->Render();
    if (key == nullptr) return head + "[" + std::to_string(index) + "]";
    if (head.empty()) return key;
    return head + "." + key;
  }
};

const Path kRoot{nullptr, "", 0};

[[noreturn]] void Fail(ErrorCode code, const Path& where, const std::string& what) {
  const std::string at = where.Render();
  throw ProtocolError(code, at.empty() ? what : "field '" + at + "': " + what);
}

const char* KindOf(const object& o) {
  switch (o.type) {
    case mt::NIL:
      return "nil";
    case mt::BOOLEAN:
      return "bool";
    case mt::POSITIVE_INTEGER:
    case mt::NEGATIVE_INTEGER:
      return "integer";
    case mt::FLOAT32:
    case mt::FLOAT64:
      return "float";
    case mt::STR:
      return "str";
    case mt::BIN:
      return "bin";
    case mt::ARRAY:
      return "array";
    case mt::MAP:
      return "map";
    case mt::EXT:
      return "ext";
  }
  return "unknown";
}

std::string_view KeyOf(const msgpack::object_kv& kv) {
  return kv.key.type == mt::STR ? std::string_view(kv.key.via.str.ptr, kv.key.via.str.size)
                                : std::string_view();
}

// A msgpack map read as named fields. Keys must be strings and unique; unknown keys are
// ignored (so newer clients can add optional fields); nil reads as absent.
class Fields {
 public:
  Fields(const object& o, const Path& path) : path_(path) {
    if (o.type != mt::MAP)
      Fail(ErrorCode::kBadField, path, std::string("expected a map, got ") + KindOf(o));
    map_ = &o.via.map;
    for (std::uint32_t i = 0; i < map_->size; ++i) {
      if (map_->ptr[i].key.type != mt::STR) {
        Fail(ErrorCode::kBadField, path,
             std::string("map key is a ") + KindOf(map_->ptr[i].key) + ", not a str");
      }
      for (std::uint32_t j = 0; j < i; ++j) {
        if (KeyOf(map_->ptr[j]) == KeyOf(map_->ptr[i])) {
          Fail(ErrorCode::kBadField, path,
               "duplicate key '" + std::string(KeyOf(map_->ptr[i])) + "'");
        }
      }
    }
  }

  const object* Get(std::string_view key) const {
    for (std::uint32_t i = 0; i < map_->size; ++i) {
      if (KeyOf(map_->ptr[i]) == key) {
        return map_->ptr[i].val.type == mt::NIL ? nullptr : &map_->ptr[i].val;
      }
    }
    return nullptr;
  }

  const object& Require(const char* key) const {
    const object* o = Get(key);
    if (o == nullptr) Fail(ErrorCode::kMissingField, path_.Key(key), "required field is missing");
    return *o;
  }

  const Path& path() const { return path_; }

 private:
  const msgpack::object_map* map_ = nullptr;
  const Path& path_;
};

// ---- scalar readers -------------------------------------------------------------------------

enum class TextRule { kAny, kNoControl, kProject, kName };

bool ValidUtf8NoControl(std::string_view s, bool allow_control) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (!allow_control && (c < 0x20 || c == 0x7F)) return false;
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    if (!allow_control && cp >= 0x80 && cp < 0xA0) return false;  // C1 controls
    i += n + 1;
  }
  return true;
}

bool ProjectChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string Text(const object& o, const Path& path, std::size_t min, std::size_t max,
                 TextRule rule) {
  if (o.type != mt::STR)
    Fail(ErrorCode::kBadField, path, std::string("expected a str, got ") + KindOf(o));
  const std::string_view s(o.via.str.ptr, o.via.str.size);
  if (s.size() < min || s.size() > max) {
    Fail(ErrorCode::kBadField, path,
         "length " + std::to_string(s.size()) + " bytes is outside " + std::to_string(min) + ".." +
             std::to_string(max));
  }
  switch (rule) {
    case TextRule::kAny:
      if (!ValidUtf8NoControl(s, true)) Fail(ErrorCode::kBadField, path, "not valid UTF-8");
      break;
    case TextRule::kNoControl:
      if (!ValidUtf8NoControl(s, false)) {
        Fail(ErrorCode::kBadField, path, "not valid UTF-8 or contains control characters");
      }
      break;
    case TextRule::kName:
      if (!ValidUtf8NoControl(s, false)) {
        Fail(ErrorCode::kBadField, path, "not valid UTF-8 or contains control characters");
      }
      if (s.front() == '_') Fail(ErrorCode::kBadField, path, "must not start with '_' (reserved)");
      break;
    case TextRule::kProject:
      if (!std::all_of(s.begin(), s.end(), ProjectChar)) {
        Fail(ErrorCode::kBadField, path,
             "'" + std::string(s) + "' has characters outside [A-Za-z0-9._-]");
      }
      break;
  }
  return std::string(s);
}

std::string OptionalText(const Fields& f, const char* key, std::size_t max, TextRule rule) {
  const object* o = f.Get(key);
  return o == nullptr ? std::string() : Text(*o, f.path().Key(key), 0, max, rule);
}

// Any msgpack number as a double; non-finite values fail with kNonFinite.
double Number(const object& o, const Path& path) {
  double v = 0.0;
  switch (o.type) {
    case mt::POSITIVE_INTEGER:
      v = static_cast<double>(o.via.u64);
      break;
    case mt::NEGATIVE_INTEGER:
      v = static_cast<double>(o.via.i64);
      break;
    case mt::FLOAT32:
    case mt::FLOAT64:
      v = o.via.f64;
      break;
    default:
      Fail(ErrorCode::kBadField, path, std::string("expected a number, got ") + KindOf(o));
  }
  if (!std::isfinite(v)) Fail(ErrorCode::kNonFinite, path, "number is not finite");
  return v;
}

double NonNegative(const object& o, const Path& path) {
  const double v = Number(o, path);
  if (v < 0) Fail(ErrorCode::kBadField, path, "must be >= 0, got " + std::to_string(v));
  return v;
}

double OptionalSeconds(const Fields& f, const char* key) {
  const object* o = f.Get(key);
  return o == nullptr ? std::numeric_limits<double>::quiet_NaN()
                      : NonNegative(*o, f.path().Key(key));
}

std::uint64_t Unsigned(const object& o, const Path& path) {
  if (o.type != mt::POSITIVE_INTEGER) {
    Fail(ErrorCode::kBadField, path,
         std::string("expected a non-negative integer, got ") + KindOf(o));
  }
  return o.via.u64;
}

bool Bool(const object& o, const Path& path) {
  if (o.type != mt::BOOLEAN)
    Fail(ErrorCode::kBadField, path, std::string("expected a bool, got ") + KindOf(o));
  return o.via.boolean;
}

bool OptionalBool(const Fields& f, const char* key, bool fallback) {
  const object* o = f.Get(key);
  return o == nullptr ? fallback : Bool(*o, f.path().Key(key));
}

const msgpack::object_array& Array(const object& o, const Path& path) {
  if (o.type != mt::ARRAY)
    Fail(ErrorCode::kBadField, path, std::string("expected an array, got ") + KindOf(o));
  return o.via.array;
}

// ---- geometry ---------------------------------------------------------------------------------

Point ReadPoint(const object& o, const Path& path) {
  const auto& a = Array(o, path);
  if (a.size != 2)
    Fail(ErrorCode::kBadField, path,
         "a vertex is [x, y], got " + std::to_string(a.size) + " elements");
  return Point{Number(a.ptr[0], path.At(0)), Number(a.ptr[1], path.At(1))};
}

Ring ReadRing(const object& o, const Path& path, std::size_t max_vertices) {
  const auto& a = Array(o, path);
  if (a.size > max_vertices) {
    Fail(ErrorCode::kTooManyVertices, path,
         std::to_string(a.size) + " vertices exceed the cap of " + std::to_string(max_vertices));
  }
  Ring ring;
  ring.reserve(a.size);
  for (std::uint32_t i = 0; i < a.size; ++i) ring.push_back(ReadPoint(a.ptr[i], path.At(i)));
  return ring;
}

// A GeoJSON-MultiPolygon-nested shape; structure and numbers only (no orientation checks).
Instance ReadShape(const object& o, const Path& path, std::size_t max_vertices) {
  const auto& parts = Array(o, path);
  if (parts.size == 0) Fail(ErrorCode::kBadField, path, "a shape needs at least one part");
  Instance inst;
  inst.parts.reserve(parts.size);
  std::size_t rings = 0;
  for (std::uint32_t p = 0; p < parts.size; ++p) {
    const Path pp = path.At(p);
    const auto& rs = Array(parts.ptr[p], pp);
    if (rs.size == 0) Fail(ErrorCode::kBadField, pp, "a part needs an outer ring");
    rings += rs.size;
    if (rings > wire::kMaxRingsPerShape) {
      Fail(ErrorCode::kBadField, path,
           "more than " + std::to_string(wire::kMaxRingsPerShape) + " rings in one shape");
    }
    Polygon poly;
    poly.outer = ReadRing(rs.ptr[0], pp.At(0), max_vertices);
    for (std::uint32_t r = 1; r < rs.size; ++r) {
      poly.holes.push_back(ReadRing(rs.ptr[r], pp.At(r), max_vertices));
    }
    inst.parts.push_back(std::move(poly));
  }
  return inst;
}

Instance ReadValidShape(const object& o, const Path& path, const ValidationOptions& options,
                        bool& repaired) {
  Instance raw = ReadShape(o, path, options.max_vertices);
  try {
    ValidationReport report;
    Instance valid = Validate(std::move(raw), options, &report);
    repaired = report.repaired;
    return valid;
  } catch (const GeometryError& e) {
    Fail(ErrorCode::kBadGeometry, path, e.what());
  }
}

wire::Shape ToWire(const Instance& inst) {
  wire::Shape shape;
  shape.reserve(inst.parts.size());
  auto ring = [](const Ring& r) {
    wire::Ring out;
    out.reserve(r.size());
    for (const Point& p : r) out.push_back({p.x, p.y});
    return out;
  };
  for (const Polygon& p : inst.parts) {
    wire::Part part;
    part.reserve(1 + p.holes.size());
    part.push_back(ring(p.outer));
    for (const Ring& h : p.holes) part.push_back(ring(h));
    shape.push_back(std::move(part));
  }
  return shape;
}

// ---- payloads -----------------------------------------------------------------------------------

AssetEvent ReadAsset(const Fields& f) {
  AssetEvent e;
  const Path& p = f.path();
  e.asset = Text(f.Require("asset"), p.Key("asset"), 1, wire::kMaxNameBytes, TextRule::kName);
  auto side = [&](const char* key) {
    const object& o = f.Require(key);
    if (o.type != mt::POSITIVE_INTEGER || o.via.u64 < 1 ||
        o.via.u64 > static_cast<std::uint64_t>(wire::kMaxImageSide)) {
      Fail(ErrorCode::kBadField, p.Key(key),
           "expected an integer in 1.." + std::to_string(wire::kMaxImageSide));
    }
    return static_cast<int>(o.via.u64);
  };
  e.width = side("width");
  e.height = side("height");
  e.uri = OptionalText(f, "uri", wire::kMaxUriBytes, TextRule::kNoControl);
  if (const object* img = f.Get("image")) {
    if (img->type != mt::BIN)
      Fail(ErrorCode::kBadField, p.Key("image"),
           std::string("expected a bin, got ") + KindOf(*img));
    const auto* b = reinterpret_cast<const std::uint8_t*>(img->via.bin.ptr);
    e.image.assign(b, b + img->via.bin.size);
  }
  return e;
}

PromptEvent ReadPrompt(const Fields& f) {
  PromptEvent e;
  const Path& p = f.path();
  e.asset = Text(f.Require("asset"), p.Key("asset"), 1, wire::kMaxNameBytes, TextRule::kName);
  e.prompt_id =
      Text(f.Require("prompt"), p.Key("prompt"), 1, wire::kMaxNameBytes, TextRule::kNoControl);
  const Path bp = p.Key("box");
  const auto& box = Array(f.Require("box"), bp);
  if (box.size != 4)
    Fail(ErrorCode::kBadField, bp,
         "a box is [x0, y0, x1, y1], got " + std::to_string(box.size) + " elements");
  e.prompt.box = Box{Number(box.ptr[0], bp.At(0)), Number(box.ptr[1], bp.At(1)),
                     Number(box.ptr[2], bp.At(2)), Number(box.ptr[3], bp.At(3))};
  if (!(e.prompt.box.x1 > e.prompt.box.x0) || !(e.prompt.box.y1 > e.prompt.box.y0)) {
    Fail(ErrorCode::kBadField, bp, "needs x0 < x1 and y0 < y1");
  }
  if (const object* clicks = f.Get("clicks")) {
    const Path cp = p.Key("clicks");
    const auto& a = Array(*clicks, cp);
    if (a.size > wire::kMaxClicks)
      Fail(ErrorCode::kBadField, cp, "more than " + std::to_string(wire::kMaxClicks) + " clicks");
    for (std::uint32_t i = 0; i < a.size; ++i) {
      const Path ci = cp.At(i);
      const Fields c(a.ptr[i], ci);
      Click click;
      click.at = Point{Number(c.Require("x"), ci.Key("x")), Number(c.Require("y"), ci.Key("y"))};
      click.positive = OptionalBool(c, "positive", true);
      e.prompt.clicks.push_back(click);
    }
  }
  e.label = OptionalText(f, "label", wire::kMaxShortText, TextRule::kNoControl);
  return e;
}

AnnotationEvent ReadAnnotation(const Fields& f, const DecodeLimits& limits) {
  AnnotationEvent e;
  const Path& p = f.path();
  e.asset = Text(f.Require("asset"), p.Key("asset"), 1, wire::kMaxNameBytes, TextRule::kName);
  if (const object* pr = f.Get("prompt")) {
    e.prompt_id = Text(*pr, p.Key("prompt"), 1, wire::kMaxNameBytes, TextRule::kNoControl);
  }
  const Path ip = p.Key("instances");
  const auto& inst = Array(f.Require("instances"), ip);
  if (inst.size > limits.max_instances) {
    Fail(ErrorCode::kBadField, ip,
         std::to_string(inst.size) + " instances exceed the limit of " +
             std::to_string(limits.max_instances));
  }
  e.instances.reserve(inst.size);
  for (std::uint32_t i = 0; i < inst.size; ++i) {
    const Path ii = ip.At(i);
    const Fields fi(inst.ptr[i], ii);
    LabeledInstance li;
    li.shape = ReadValidShape(fi.Require("shape"), ii.Key("shape"), limits.geometry, li.repaired);
    li.label = OptionalText(fi, "label", wire::kMaxShortText, TextRule::kNoControl);
    e.instances.push_back(std::move(li));
  }
  e.annotator = Text(f.Require("annotator"), p.Key("annotator"), 1, wire::kMaxShortText,
                     TextRule::kNoControl);
  e.draw_seconds = OptionalSeconds(f, "draw_seconds");
  e.complete = OptionalBool(f, "complete", false);
  return e;
}

FeedbackVerdict ParseVerdict(const std::string& s, const Path& path) {
  if (s == "accepted") return FeedbackVerdict::kAccepted;
  if (s == "edited") return FeedbackVerdict::kEdited;
  if (s == "rejected") return FeedbackVerdict::kRejected;
  Fail(ErrorCode::kBadField, path, "'" + s + "' is not one of accepted, edited, rejected");
}

FeedbackEvent ReadFeedback(const Fields& f) {
  FeedbackEvent e;
  const Path& p = f.path();
  e.asset = Text(f.Require("asset"), p.Key("asset"), 1, wire::kMaxNameBytes, TextRule::kName);
  e.suggestion_id = Text(f.Require("suggestion"), p.Key("suggestion"), 1, wire::kMaxIdBytes,
                         TextRule::kNoControl);
  e.verdict = ParseVerdict(
      Text(f.Require("verdict"), p.Key("verdict"), 1, 16, TextRule::kNoControl), p.Key("verdict"));
  e.edit_seconds = OptionalSeconds(f, "edit_seconds");
  e.annotator = OptionalText(f, "annotator", wire::kMaxShortText, TextRule::kNoControl);
  return e;
}

StatusQuery ReadStatusQuery(const Fields& f) {
  StatusQuery q;
  const Path& p = f.path();
  q.query = Text(f.Require("query"), p.Key("query"), 1, 32, TextRule::kNoControl);
  if (q.query != "latest" && q.query != "summary") {
    // A reply to a query (it has more keys) is decoded by ReadStatusReply instead.
    Fail(ErrorCode::kBadField, p.Key("query"), "'" + q.query + "' is not one of latest, summary");
  }
  if (const object* l = f.Get("limit")) q.limit = Unsigned(*l, p.Key("limit"));
  return q;
}

SuggestionRecord ReadSuggestion(const Fields& f, const Header& h, std::size_t max_vertices) {
  SuggestionRecord r;
  const Path& p = f.path();
  Suggestion& s = r.suggestion;
  s.id = h.id;
  s.project = h.project;
  s.asset = Text(f.Require("asset"), p.Key("asset"), 1, wire::kMaxNameBytes, TextRule::kName);
  s.prompt_id =
      Text(f.Require("prompt"), p.Key("prompt"), 1, wire::kMaxNameBytes, TextRule::kNoControl);
  s.shape = ReadShape(f.Require("shape"), p.Key("shape"), max_vertices);
  if (const object* c = f.Get("confidence")) s.confidence = Number(*c, p.Key("confidence"));
  s.model_version = OptionalText(f, "model", wire::kMaxShortText, TextRule::kNoControl);
  s.source = OptionalText(f, "source", wire::kMaxShortText, TextRule::kNoControl);
  r.withheld = OptionalBool(f, "withheld", false);
  r.reason = OptionalText(f, "reason", wire::kMaxTextBytes, TextRule::kAny);
  return r;
}

// A map of at most kMaxDetails str -> finite number entries (gate details, score components).
std::map<std::string, double> ReadNumberMap(const Fields& f, const char* key) {
  std::map<std::string, double> out;
  const object* d = f.Get(key);
  if (d == nullptr) return out;
  const Path dp = f.path().Key(key);
  const Fields entries(*d, dp);
  if (d->via.map.size > wire::kMaxDetails) Fail(ErrorCode::kBadField, dp, "too many entries");
  for (std::uint32_t i = 0; i < d->via.map.size; ++i) {
    const auto& kv = d->via.map.ptr[i];
    const std::string k(KeyOf(kv));
    out[k] = Number(kv.val, dp.Key(k.c_str()));
  }
  return out;
}

GateEvent ReadGate(const Fields& f, const Header& h) {
  GateEvent g;
  const Path& p = f.path();
  g.project = h.project;
  g.from = Text(f.Require("from"), p.Key("from"), 1, wire::kMaxShortText, TextRule::kNoControl);
  g.to = Text(f.Require("to"), p.Key("to"), 1, wire::kMaxShortText, TextRule::kNoControl);
  g.n = Unsigned(f.Require("n"), p.Key("n"));
  g.mean = Number(f.Require("mean"), p.Key("mean"));
  g.lower_bound = Number(f.Require("lower_bound"), p.Key("lower_bound"));
  g.threshold = Number(f.Require("threshold"), p.Key("threshold"));
  g.model_version = OptionalText(f, "model", wire::kMaxShortText, TextRule::kNoControl);
  g.reason = OptionalText(f, "reason", wire::kMaxTextBytes, TextRule::kAny);
  g.details = ReadNumberMap(f, "details");
  g.trigger = OptionalText(f, "trigger", wire::kMaxShortText, TextRule::kNoControl);
  return g;
}

BlindScore ReadScore(const Fields& f, const Header& h) {
  BlindScore s;
  const Path& p = f.path();
  s.project = h.project;
  s.asset = Text(f.Require("asset"), p.Key("asset"), 1, wire::kMaxNameBytes, TextRule::kName);
  s.prompt_id =
      Text(f.Require("prompt"), p.Key("prompt"), 1, wire::kMaxNameBytes, TextRule::kNoControl);
  s.model_version = OptionalText(f, "model", wire::kMaxShortText, TextRule::kNoControl);
  s.reward = Number(f.Require("reward"), p.Key("reward"));
  s.components = ReadNumberMap(f, "components");
  if (const object* o = f.Get("predicted")) s.predicted_reward = Number(*o, p.Key("predicted"));
  s.published = OptionalBool(f, "published", false);
  s.decision = OptionalText(f, "decision", wire::kMaxShortText, TextRule::kNoControl);
  s.held_out = OptionalBool(f, "held_out", false);
  s.evidence = OptionalBool(f, "evidence", false);
  if (const object* o = f.Get("annotation")) s.annotation_index = Unsigned(*o, p.Key("annotation"));
  if (const object* o = f.Get("instance")) {
    const std::uint64_t i = Unsigned(*o, p.Key("instance"));
    if (i > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
      Fail(ErrorCode::kBadField, p.Key("instance"), "out of range");
    s.instance = static_cast<std::int64_t>(i);
  }
  return s;
}

ControlEvent ReadControl(const Fields& f) {
  ControlEvent c;
  const Path& p = f.path();
  c.action = Text(f.Require("action"), p.Key("action"), 1, 32, TextRule::kNoControl);
  if (c.action != "rollback") {
    Fail(ErrorCode::kBadField, p.Key("action"), "'" + c.action + "' is not one of rollback");
  }
  const object& v = f.Require("version");
  c.version = Unsigned(v, p.Key("version"));
  if (c.version == 0) Fail(ErrorCode::kBadField, p.Key("version"), "versions start at 1");
  c.note = OptionalText(f, "note", wire::kMaxTextBytes, TextRule::kAny);
  return c;
}

AckReply ReadAck(const Fields& f) {
  AckReply a;
  a.lsn = Unsigned(f.Require("lsn"), f.path().Key("lsn"));
  a.duplicate = OptionalBool(f, "duplicate", false);
  return a;
}

ErrorReply ReadError(const Fields& f) {
  ErrorReply e;
  e.code = Text(f.Require("code"), f.path().Key("code"), 1, 64, TextRule::kNoControl);
  e.message = OptionalText(f, "message", wire::kMaxTextBytes, TextRule::kAny);
  return e;
}

msgpack::unpack_limit LimitsFor(const DecodeLimits& limits) {
  // Arrays are capped well above the vertex cap, so an over-long ring is reported as
  // too_many_vertices by ReadRing rather than as malformed; the cap bounds what a hostile
  // array header can make the decoder allocate.
  const std::size_t array = std::max<std::size_t>(16 * limits.geometry.max_vertices, 1u << 16);
  return msgpack::unpack_limit(array, 1024, limits.max_message_bytes, limits.max_message_bytes,
                               limits.max_message_bytes, 32);
}

// Strings and bins point into the caller's buffer instead of being copied into the zone.
bool ReferenceAll(mt::object_type, std::size_t, void*) { return true; }

msgpack::object_handle Unpack(std::string_view bytes, const msgpack::unpack_limit& limit) {
  std::size_t off = 0;
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(bytes.data(), bytes.size(), off, ReferenceAll, nullptr, limit);
  } catch (const msgpack::unpack_error& e) {
    throw ProtocolError(ErrorCode::kMalformed,
                        std::string("not a valid msgpack object: ") + e.what());
  }
  if (off != bytes.size()) {
    throw ProtocolError(ErrorCode::kMalformed,
                        std::to_string(bytes.size() - off) + " trailing bytes after the envelope");
  }
  if (oh.get().type != mt::MAP) {
    throw ProtocolError(ErrorCode::kMalformed,
                        std::string("the envelope must be a map, got ") + KindOf(oh.get()));
  }
  return oh;
}

Header ReadHeader(const Fields& env, Header* partial) {
  Header h;
  const Path& root = env.path();
  const object& v = env.Require("v");
  if (v.type != mt::POSITIVE_INTEGER)
    Fail(ErrorCode::kBadField, root.Key("v"), std::string("expected an integer, got ") + KindOf(v));
  if (v.via.u64 != wire::kProtocolVersion) {
    throw ProtocolError(ErrorCode::kUnsupportedVersion,
                        "protocol version " + std::to_string(v.via.u64) +
                            " is not supported (this server speaks " +
                            std::to_string(wire::kProtocolVersion) + ")");
  }
  h.v = wire::kProtocolVersion;
  // id and project first, so that later errors can be answered under the request's id. They
  // may be empty only in an error reply to a request whose own id could not be read.
  h.id = Text(env.Require("id"), root.Key("id"), 0, wire::kMaxIdBytes, TextRule::kNoControl);
  if (partial != nullptr) partial->id = h.id;
  h.project = Text(env.Require("project"), root.Key("project"), 0, wire::kMaxProjectBytes,
                   TextRule::kProject);
  if (partial != nullptr) partial->project = h.project;
  const std::string type = Text(env.Require("type"), root.Key("type"), 1, 32, TextRule::kNoControl);
  const std::optional<MessageType> t = ParseMessageType(type);
  if (!t) throw ProtocolError(ErrorCode::kUnknownType, "unknown message type '" + type + "'");
  h.type = *t;
  if (partial != nullptr) partial->type = h.type;
  if (h.type != MessageType::kError) {
    if (h.id.empty()) Fail(ErrorCode::kBadField, root.Key("id"), "must not be empty");
    if (h.project.empty()) Fail(ErrorCode::kBadField, root.Key("project"), "must not be empty");
  }
  h.ts = NonNegative(env.Require("ts"), root.Key("ts"));
  if (partial != nullptr) partial->ts = h.ts;
  return h;
}

template <typename Event>
void FillMeta(Event& e, const Header& h) {
  e.meta.project = h.project;
  e.meta.id = h.id;
  e.meta.ts = h.ts;
}

std::string Pack(const msgpack::sbuffer& buf) { return std::string(buf.data(), buf.size()); }

template <typename Payload>
std::string PackEnvelope(const char* type, const std::string& id, const std::string& project,
                         double ts, const Payload& payload) {
  msgpack::sbuffer buf;
  msgpack::pack(
      buf, wire::Envelope<const Payload&>{wire::kProtocolVersion, type, id, project, ts, payload});
  return Pack(buf);
}

std::optional<double> Opt(double v) {
  return std::isnan(v) ? std::nullopt : std::optional<double>(v);
}
std::optional<std::string> Opt(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

wire::Suggestion ToWire(const SuggestionRecord& r) {
  const Suggestion& s = r.suggestion;
  wire::Suggestion w;
  w.asset = s.asset;
  w.prompt = s.prompt_id;
  w.shape = ToWire(s.shape);
  w.confidence = Opt(s.confidence);
  w.model = s.model_version;
  w.source = s.source;
  w.withheld = r.withheld;
  w.reason = Opt(r.reason);
  return w;
}

wire::Gate ToWire(const GateEvent& g) {
  return wire::Gate{g.from,          g.to,     g.n,       g.mean,        g.lower_bound, g.threshold,
                    g.model_version, g.reason, g.details, Opt(g.trigger)};
}

wire::Score ToWire(const BlindScore& s) {
  wire::Score w;
  w.asset = s.asset;
  w.prompt = s.prompt_id;
  w.model = s.model_version;
  w.reward = s.reward;
  w.components = s.components;
  w.predicted = Opt(s.predicted_reward);
  w.published = s.published;
  w.decision = s.decision;
  w.held_out = s.held_out;
  w.evidence = s.evidence;
  if (s.annotation_index > 0) w.annotation = s.annotation_index;
  if (s.instance >= 0) w.instance = static_cast<std::uint64_t>(s.instance);
  return w;
}

wire::Control ToWire(const ControlEvent& c) {
  wire::Control w;
  w.action = c.action;
  w.version = c.version;
  w.note = Opt(c.note);
  return w;
}

wire::Asset ToWire(const AssetEvent& e) {
  wire::Asset w;
  w.asset = e.asset;
  w.width = e.width;
  w.height = e.height;
  w.uri = Opt(e.uri);
  if (!e.image.empty()) w.image = std::vector<unsigned char>(e.image.begin(), e.image.end());
  return w;
}

wire::Prompt ToWire(const PromptEvent& e) {
  wire::Prompt w;
  w.asset = e.asset;
  w.prompt = e.prompt_id;
  w.box = {e.prompt.box.x0, e.prompt.box.y0, e.prompt.box.x1, e.prompt.box.y1};
  if (!e.prompt.clicks.empty()) {
    w.clicks.emplace();
    for (const Click& c : e.prompt.clicks)
      w.clicks->push_back(wire::Click{c.at.x, c.at.y, c.positive});
  }
  w.label = Opt(e.label);
  return w;
}

wire::Annotation ToWire(const AnnotationEvent& e) {
  wire::Annotation w;
  w.asset = e.asset;
  w.prompt = Opt(e.prompt_id);
  for (const LabeledInstance& li : e.instances)
    w.instances.push_back({ToWire(li.shape), Opt(li.label)});
  w.annotator = e.annotator;
  w.draw_seconds = Opt(e.draw_seconds);
  if (e.complete) w.complete = true;
  return w;
}

wire::Feedback ToWire(const FeedbackEvent& e) {
  return wire::Feedback{e.asset, e.suggestion_id, ToString(e.verdict), Opt(e.edit_seconds),
                        Opt(e.annotator)};
}

}  // namespace

const char* ToString(MessageType type) { return kTypeNames[static_cast<std::size_t>(type)]; }

std::optional<MessageType> ParseMessageType(std::string_view text) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (text == kTypeNames[i]) return static_cast<MessageType>(i);
  }
  return std::nullopt;
}

bool IsEvent(MessageType type) {
  return type == MessageType::kAsset || type == MessageType::kPrompt ||
         type == MessageType::kAnnotation || type == MessageType::kFeedback ||
         type == MessageType::kControl;
}

const char* ToString(ErrorCode code) { return kErrorNames[static_cast<std::size_t>(code)]; }

std::optional<ErrorCode> ParseErrorCode(std::string_view text) {
  for (std::size_t i = 0; i < kErrorNames.size(); ++i) {
    if (text == kErrorNames[i]) return static_cast<ErrorCode>(i);
  }
  return std::nullopt;
}

const char* ToString(FeedbackVerdict verdict) {
  switch (verdict) {
    case FeedbackVerdict::kAccepted:
      return "accepted";
    case FeedbackVerdict::kEdited:
      return "edited";
    case FeedbackVerdict::kRejected:
      return "rejected";
  }
  return "accepted";
}

Message Decode(std::string_view bytes, const DecodeLimits& limits, Header* partial) {
  if (bytes.size() > limits.max_message_bytes) {
    throw ProtocolError(ErrorCode::kTooLarge, "message of " + std::to_string(bytes.size()) +
                                                  " bytes exceeds max_message_bytes " +
                                                  std::to_string(limits.max_message_bytes));
  }
  const msgpack::object_handle oh = Unpack(bytes, LimitsFor(limits));
  const Path& root = kRoot;
  const Fields env(oh.get(), root);
  Message m;
  m.header = ReadHeader(env, partial);
  const Path pp = root.Key("payload");
  const Fields payload(env.Require("payload"), pp);
  const Header& h = m.header;
  switch (h.type) {
    case MessageType::kAsset: {
      AssetEvent e = ReadAsset(payload);
      FillMeta(e, h);
      m.body = std::move(e);
      break;
    }
    case MessageType::kPrompt: {
      PromptEvent e = ReadPrompt(payload);
      FillMeta(e, h);
      m.body = std::move(e);
      break;
    }
    case MessageType::kAnnotation: {
      AnnotationEvent e = ReadAnnotation(payload, limits);
      FillMeta(e, h);
      m.body = std::move(e);
      break;
    }
    case MessageType::kFeedback: {
      FeedbackEvent e = ReadFeedback(payload);
      FillMeta(e, h);
      m.body = std::move(e);
      break;
    }
    case MessageType::kStatus: {
      // A query has only `query` and `limit`; a reply carries its results.
      if (payload.Get("suggestions") != nullptr || payload.Get("server") != nullptr) {
        StatusReply r;
        r.query = Text(payload.Require("query"), pp.Key("query"), 1, 32, TextRule::kNoControl);
        if (const object* list = payload.Get("suggestions")) {
          const Path sp = pp.Key("suggestions");
          const auto& a = Array(*list, sp);
          for (std::uint32_t i = 0; i < a.size; ++i) {
            const Path si = sp.At(i);
            const Fields inner(a.ptr[i], si);
            const Header ih = ReadHeader(inner, nullptr);
            if (ih.type != MessageType::kSuggestion)
              Fail(ErrorCode::kBadField, si, "not a suggestion");
            r.suggestions.push_back(
                ReadSuggestion(Fields(inner.Require("payload"), si.Key("payload")), ih,
                               limits.geometry.max_vertices));
          }
        }
        m.body = std::move(r);
      } else {
        m.body = ReadStatusQuery(payload);
      }
      break;
    }
    case MessageType::kSuggestion:
      m.body = ReadSuggestion(payload, h, limits.geometry.max_vertices);
      break;
    case MessageType::kGate:
      m.body = ReadGate(payload, h);
      break;
    case MessageType::kAck:
      m.body = ReadAck(payload);
      break;
    case MessageType::kError:
      m.body = ReadError(payload);
      break;
    case MessageType::kScore:
      m.body = ReadScore(payload, h);
      break;
    case MessageType::kControl: {
      ControlEvent e = ReadControl(payload);
      FillMeta(e, h);
      m.body = std::move(e);
      break;
    }
  }
  return m;
}

EnvelopeSummary Summarize(std::string_view bytes) {
  msgpack::unpack_limit unlimited;
  const msgpack::object_handle oh = Unpack(bytes, unlimited);
  const Path& root = kRoot;
  const Fields env(oh.get(), root);
  EnvelopeSummary s;
  const std::string type = Text(env.Require("type"), root.Key("type"), 1, 32, TextRule::kAny);
  const std::optional<MessageType> t = ParseMessageType(type);
  if (!t) throw ProtocolError(ErrorCode::kUnknownType, "unknown message type '" + type + "'");
  s.type = *t;
  s.id = Text(env.Require("id"), root.Key("id"), 1, wire::kMaxIdBytes, TextRule::kAny);
  s.project =
      Text(env.Require("project"), root.Key("project"), 1, wire::kMaxProjectBytes, TextRule::kAny);
  const Path pp = root.Key("payload");
  const Fields payload(env.Require("payload"), pp);
  if (const object* a = payload.Get("asset"))
    s.asset = Text(*a, pp.Key("asset"), 0, wire::kMaxNameBytes, TextRule::kAny);
  if (const object* p = payload.Get("prompt"))
    s.prompt = Text(*p, pp.Key("prompt"), 0, wire::kMaxNameBytes, TextRule::kAny);
  s.complete = OptionalBool(payload, "complete", false);
  s.withheld = OptionalBool(payload, "withheld", false);
  return s;
}

std::string Encode(const Message& m) {
  const Header& h = m.header;
  return std::visit(
      [&](const auto& body) -> std::string {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, AssetEvent>) {
          return PackEnvelope(wire::kTypeAsset, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, PromptEvent>) {
          return PackEnvelope(wire::kTypePrompt, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, AnnotationEvent>) {
          return PackEnvelope(wire::kTypeAnnotation, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, FeedbackEvent>) {
          return PackEnvelope(wire::kTypeFeedback, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, StatusQuery>) {
          wire::StatusQuery q{body.query, body.limit == 0
                                              ? std::nullopt
                                              : std::optional<std::uint64_t>(body.limit)};
          return PackEnvelope(wire::kTypeStatus, h.id, h.project, h.ts, q);
        } else if constexpr (std::is_same_v<T, SuggestionRecord>) {
          return PackEnvelope(wire::kTypeSuggestion, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, GateEvent>) {
          return PackEnvelope(wire::kTypeGate, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, AckReply>) {
          return PackEnvelope(wire::kTypeAck, h.id, h.project, h.ts,
                              wire::Ack{body.lsn, body.duplicate});
        } else if constexpr (std::is_same_v<T, ErrorReply>) {
          return PackEnvelope(wire::kTypeError, h.id, h.project, h.ts,
                              wire::Error{body.code, body.message});
        } else if constexpr (std::is_same_v<T, BlindScore>) {
          return PackEnvelope(wire::kTypeScore, h.id, h.project, h.ts, ToWire(body));
        } else if constexpr (std::is_same_v<T, ControlEvent>) {
          return PackEnvelope(wire::kTypeControl, h.id, h.project, h.ts, ToWire(body));
        } else {
          static_assert(std::is_same_v<T, StatusReply>);
          std::vector<std::string> encoded;
          std::vector<std::string_view> views;
          encoded.reserve(body.suggestions.size());
          for (const SuggestionRecord& r : body.suggestions) {
            encoded.push_back(PackEnvelope(wire::kTypeSuggestion, r.suggestion.id,
                                           r.suggestion.project, h.ts, ToWire(r)));
          }
          for (const std::string& e : encoded) views.emplace_back(e);
          return EncodeStatusLatest(h.id, h.project, h.ts, views);
        }
      },
      m.body);
}

std::string EncodeEvent(const AssetEvent& e) {
  return PackEnvelope(wire::kTypeAsset, e.meta.id, e.meta.project, e.meta.ts, ToWire(e));
}
std::string EncodeEvent(const PromptEvent& e) {
  return PackEnvelope(wire::kTypePrompt, e.meta.id, e.meta.project, e.meta.ts, ToWire(e));
}
std::string EncodeEvent(const AnnotationEvent& e) {
  return PackEnvelope(wire::kTypeAnnotation, e.meta.id, e.meta.project, e.meta.ts, ToWire(e));
}
std::string EncodeEvent(const FeedbackEvent& e) {
  return PackEnvelope(wire::kTypeFeedback, e.meta.id, e.meta.project, e.meta.ts, ToWire(e));
}

std::string EncodeEvent(const ControlEvent& e) {
  return PackEnvelope(wire::kTypeControl, e.meta.id, e.meta.project, e.meta.ts, ToWire(e));
}

std::string EncodeSuggestion(const SuggestionRecord& r, double ts) {
  return PackEnvelope(wire::kTypeSuggestion, r.suggestion.id, r.suggestion.project, ts, ToWire(r));
}

std::string EncodeGate(const GateEvent& g, const std::string& id, double ts) {
  return PackEnvelope(wire::kTypeGate, id, g.project, ts, ToWire(g));
}

std::string EncodeScore(const BlindScore& s, const std::string& id, double ts) {
  return PackEnvelope(wire::kTypeScore, id, s.project, ts, ToWire(s));
}

std::string EncodeAck(const std::string& id, const std::string& project, double ts,
                      std::uint64_t lsn, bool duplicate) {
  return PackEnvelope(wire::kTypeAck, id, project, ts, wire::Ack{lsn, duplicate});
}

std::string EncodeError(const std::string& id, const std::string& project, double ts,
                        ErrorCode code, const std::string& message) {
  return PackEnvelope(wire::kTypeError, id, project, ts, wire::Error{ToString(code), message});
}

std::string EncodeStatusLatest(const std::string& id, const std::string& project, double ts,
                               const std::vector<std::string_view>& suggestion_envelopes) {
  // Written by hand so the stored envelopes go in byte for byte (a msgpack object is a valid
  // msgpack value wherever a value may stand).
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(6);
  pk.pack("v");
  pk.pack(wire::kProtocolVersion);
  pk.pack("type");
  pk.pack(wire::kTypeStatus);
  pk.pack("id");
  pk.pack(id);
  pk.pack("project");
  pk.pack(project);
  pk.pack("ts");
  pk.pack(ts);
  pk.pack("payload");
  pk.pack_map(2);
  pk.pack("query");
  pk.pack("latest");
  pk.pack("suggestions");
  pk.pack_array(static_cast<std::uint32_t>(suggestion_envelopes.size()));
  for (std::string_view e : suggestion_envelopes) buf.write(e.data(), e.size());
  return Pack(buf);
}

std::string EncodeStatusSummary(const std::string& id, const std::string& project, double ts,
                                const ServerInfo& server, const EngineStatus& engine) {
  wire::StatusSummary s;
  s.query = "summary";
  s.server = wire::ServerSummary{server.version,        server.last_lsn,    server.durable_lsn,
                                 server.uptime_seconds, server.open_assets, server.known_assets};
  s.engine.engine = engine.engine;
  s.engine.model = engine.model_version;
  s.engine.reward_window = engine.reward_window;
  s.engine.learner = engine.learner;
  for (const ProjectStatus& p : engine.projects) {
    s.engine.projects.push_back(wire::ProjectSummary{p.project, p.mode, p.publishing, p.n,
                                                     Opt(p.mean), Opt(p.lower_bound),
                                                     Opt(p.threshold), p.counters});
  }
  return PackEnvelope(wire::kTypeStatus, id, project, ts, s);
}

std::string SuggestionTopic(const std::string& project, const std::string& asset) {
  std::string t;
  t.reserve(project.size() + 1 + asset.size());
  t += project;
  t += '/';
  t += asset;
  return t;
}

std::string GateTopic(const std::string& project) { return project + "/_gate"; }

std::string ScoreTopic(const std::string& project) { return project + "/_score"; }

std::string WithheldTopic(const std::string& project) { return project + ":withheld"; }

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace understudy
