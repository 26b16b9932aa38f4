#include "agent/registry_json.h"

#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

using nlohmann::json;

std::string Hex(std::uint64_t v) {
  std::ostringstream os;
  os << std::hex << std::setw(16) << std::setfill('0') << v;
  return os.str();
}

const json& At(const json& j, const char* what, const char* field) {
  if (!j.is_object()) throw std::invalid_argument(std::string(what) + ": not a JSON object");
  const auto it = j.find(field);
  if (it == j.end()) {
    throw std::invalid_argument(std::string(what) + ": missing field \"" + field + "\"");
  }
  return *it;
}

template <typename T>
T Get(const json& j, const char* what, const char* field) {
  const json& v = At(j, what, field);
  try {
    return v.get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(std::string(what) + "." + field + " = " + v.dump() +
                                ": wrong type");
  }
}

std::uint64_t GetHex(const json& j, const char* what, const char* field) {
  const std::string text = Get<std::string>(j, what, field);
  if (text.empty() || text.size() > 16 ||
      text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw std::invalid_argument(std::string(what) + "." + field + " = \"" + text +
                                "\": expected up to 16 lowercase hex digits");
  }
  return std::stoull(text, nullptr, 16);
}

json OptionalId(const std::optional<std::uint64_t>& id) { return id ? json(*id) : json(nullptr); }

std::optional<std::uint64_t> GetOptionalId(const json& j, const char* what, const char* field) {
  if (At(j, what, field).is_null()) return std::nullopt;
  return Get<std::uint64_t>(j, what, field);
}

RegistryAction ParseAction(const std::string& text) {
  if (text == "register") return RegistryAction::kRegister;
  if (text == "promote") return RegistryAction::kPromote;
  if (text == "rollback") return RegistryAction::kRollback;
  throw std::invalid_argument("RegistryEvent.action = \"" + text +
                              "\": expected register, promote or rollback");
}

}  // namespace

void to_json(json& j, const ModelMeta& m) {
  json held_out = nullptr;
  if (m.held_out) {
    held_out = json{{"mean", m.held_out->mean},
                    {"n", m.held_out->n},
                    {"pool_fingerprint", Hex(m.held_out->pool_fingerprint)}};
  }
  j = json{{"id", m.id},
           {"parent", OptionalId(m.parent)},
           {"created_unix_ms", m.created_unix_ms},
           {"held_out", held_out},
           {"examples_seen", m.examples_seen},
           {"updates", m.updates},
           {"note", m.note},
           {"checkpoint",
            {{"file", "checkpoint.bin"},
             {"bytes", m.checkpoint_bytes},
             {"fnv1a64", Hex(m.checkpoint_fnv1a64)}}}};
}

void from_json(const json& j, ModelMeta& m) {
  constexpr const char* kWhat = "meta";
  m.id = Get<std::uint64_t>(j, kWhat, "id");
  m.parent = GetOptionalId(j, kWhat, "parent");
  m.created_unix_ms = Get<std::int64_t>(j, kWhat, "created_unix_ms");
  const json& h = At(j, kWhat, "held_out");
  m.held_out.reset();
  if (!h.is_null()) {
    constexpr const char* kHeld = "meta.held_out";
    m.held_out = HeldOutScore{Get<double>(h, kHeld, "mean"), Get<std::size_t>(h, kHeld, "n"),
                              GetHex(h, kHeld, "pool_fingerprint")};
  }
  m.examples_seen = Get<std::uint64_t>(j, kWhat, "examples_seen");
  m.updates = Get<std::uint64_t>(j, kWhat, "updates");
  m.note = Get<std::string>(j, kWhat, "note");
  const json& c = At(j, kWhat, "checkpoint");
  m.checkpoint_bytes = Get<std::uint64_t>(c, "meta.checkpoint", "bytes");
  m.checkpoint_fnv1a64 = GetHex(c, "meta.checkpoint", "fnv1a64");
}

void to_json(json& j, const RegistryEvent& e) {
  j = json{{"seq", e.seq},
           {"at_unix_ms", e.at_unix_ms},
           {"action", ToString(e.action)},
           {"id", e.id},
           {"previous_serving", OptionalId(e.previous_serving)},
           {"note", e.note}};
}

void from_json(const json& j, RegistryEvent& e) {
  constexpr const char* kWhat = "history";
  e.seq = Get<std::uint64_t>(j, kWhat, "seq");
  e.at_unix_ms = Get<std::int64_t>(j, kWhat, "at_unix_ms");
  e.action = ParseAction(Get<std::string>(j, kWhat, "action"));
  e.id = Get<std::uint64_t>(j, kWhat, "id");
  e.previous_serving = GetOptionalId(j, kWhat, "previous_serving");
  e.note = Get<std::string>(j, kWhat, "note");
}

}  // namespace understudy
