#include "sim/zmq_driver.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <variant>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "transport/messages.h"
#include "transport/zmq_context.h"

namespace understudy {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kLatestLimit = 10000;  // the server's most (docs/protocol.md)

DecodeLimits ReplyLimits() {
  DecodeLimits limits;
  limits.max_message_bytes = std::size_t{1} << 30;
  return limits;
}

std::string EncodeEventAny(const Message& m) {
  if (const auto* a = std::get_if<AssetEvent>(&m.body)) return EncodeEvent(*a);
  if (const auto* p = std::get_if<PromptEvent>(&m.body)) return EncodeEvent(*p);
  if (const auto* n = std::get_if<AnnotationEvent>(&m.body)) return EncodeEvent(*n);
  if (const auto* f = std::get_if<FeedbackEvent>(&m.body)) return EncodeEvent(*f);
  throw std::invalid_argument("not an event");
}

void SetId(Message& m, const std::string& id) {
  m.header.id = id;
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, AssetEvent> || std::is_same_v<T, PromptEvent> ||
                      std::is_same_v<T, AnnotationEvent> || std::is_same_v<T, FeedbackEvent>) {
          body.meta.id = id;
        }
      },
      m.body);
}

std::string Query(const std::string& id, const std::string& project, double ts,
                  const std::string& query, std::uint64_t limit) {
  Message m;
  m.header.id = id;
  m.header.project = project;
  m.header.ts = ts;
  m.body = StatusQuery{query, limit};
  return Encode(m);
}

double OrNan(const std::optional<double>& v) {
  return v ? *v : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

struct ZmqDriver::Sockets {
  zmq::socket_t dealer;
  zmq::socket_t sub;
};

void ZmqDriverOptions::Validate() const {
  if (ingest.empty()) throw std::invalid_argument("replay over ZeroMQ: no ingest endpoint");
  if (publish.empty()) throw std::invalid_argument("replay over ZeroMQ: no publish endpoint");
  if (client_id.size() > 255 || (!client_id.empty() && client_id[0] == '\0')) {
    throw std::invalid_argument(
        "replay over ZeroMQ: client_id must be 1-255 bytes, not "
        "starting with a zero byte");
  }
  if (timeout.count() <= 0) throw std::invalid_argument("replay over ZeroMQ: timeout must be > 0");
  if (retries < 0) throw std::invalid_argument("replay over ZeroMQ: retries must be >= 0");
}

ZmqDriverOptions ReadReadyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read ready file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  ZmqDriverOptions o;
  try {
    const nlohmann::json j = nlohmann::json::parse(text.str());
    o.ingest = j.at("ingest").get<std::string>();
    o.publish = j.at("publish").get<std::string>();
  } catch (const std::exception& e) {
    throw std::runtime_error("ready file '" + path + "': " + e.what());
  }
  return o;
}

ZmqDriver::ZmqDriver(ZmqDriverOptions options) : options_(std::move(options)) {
  if (options_.client_id.empty()) {
    options_.client_id =
        "understudy-replay-" + std::to_string(::getpid()) + "-" +
        std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  }
  options_.Validate();
  sockets_ =
      std::make_unique<Sockets>(Sockets{zmq::socket_t(ProcessContext(), zmq::socket_type::dealer),
                                        zmq::socket_t(ProcessContext(), zmq::socket_type::sub)});
  sockets_->sub.set(zmq::sockopt::linger, 0);
  sockets_->sub.set(zmq::sockopt::rcvhwm, 0);  // never drop a gate event while busy
  for (const std::string& p : options_.projects)
    sockets_->sub.set(zmq::sockopt::subscribe, p + "/");
  sockets_->sub.connect(options_.publish);
  sockets_->dealer.set(zmq::sockopt::routing_id, options_.client_id);
  sockets_->dealer.set(zmq::sockopt::linger, 0);
  sockets_->dealer.connect(options_.ingest);
}

ZmqDriver::~ZmqDriver() = default;

Message ZmqDriver::Request(const std::string& id, const std::string& bytes, std::string* raw) {
  for (int attempt = 0; attempt <= options_.retries; ++attempt) {
    sockets_->dealer.send(zmq::buffer(bytes), zmq::send_flags::none);
    const auto deadline = Clock::now() + options_.timeout;
    while (Clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      std::vector<zmq::pollitem_t> items = {{sockets_->dealer.handle(), 0, ZMQ_POLLIN, 0}};
      if (zmq::poll(items, std::max(left, std::chrono::milliseconds(1))) == 0) continue;
      zmq::message_t reply;
      if (!sockets_->dealer.recv(reply, zmq::recv_flags::none)) continue;
      std::string text = reply.to_string();
      Message m = Decode(text, ReplyLimits());
      if (m.header.id != id) continue;  // a late reply to an earlier, retried request
      if (raw != nullptr) *raw = std::move(text);
      return m;
    }
    // Lazy Pirate: a fresh socket with the same routing id, then the same bytes again.
    ++retried_;
    sockets_->dealer.close();
    sockets_->dealer = zmq::socket_t(ProcessContext(), zmq::socket_type::dealer);
    sockets_->dealer.set(zmq::sockopt::routing_id, options_.client_id);
    sockets_->dealer.set(zmq::sockopt::linger, 0);
    sockets_->dealer.connect(options_.ingest);
  }
  throw std::runtime_error("the server at " + options_.ingest + " did not answer request '" + id +
                           "' after " + std::to_string(options_.retries) + " retries of " +
                           std::to_string(options_.timeout.count()) + " ms");
}

void ZmqDriver::Drain(std::vector<GateEvent>& gates, std::vector<BlindScore>& scores,
                      std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::vector<zmq::pollitem_t> items = {{sockets_->sub.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, std::max(left, std::chrono::milliseconds(0))) == 0) return;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(sockets_->sub, std::back_inserter(frames))) return;
    if (frames.size() != 2) continue;
    try {
      Message m = Decode(frames[1].to_string(), ReplyLimits());
      if (auto* g = std::get_if<GateEvent>(&m.body)) {
        if (g->project.empty()) g->project = m.header.project;
        ++gate_seen_[g->project];
        gates.push_back(std::move(*g));
      } else if (auto* sc = std::get_if<BlindScore>(&m.body)) {
        if (sc->project.empty()) sc->project = m.header.project;
        ++score_seen_[sc->project];
        scores.push_back(std::move(*sc));
      }
    } catch (const ProtocolError&) {
      // A message type this build does not know (a newer server): not ours to judge.
    }
    if (Clock::now() >= deadline && wait.count() > 0) return;
  }
}

EngineStatus ZmqDriver::Summary(const std::string& project) {
  const std::string id = "q" + std::to_string(++serial_);
  std::string raw;
  const Message reply = Request(id, Query(id, project, 0.0, "summary", 0), &raw);
  if (const auto* error = std::get_if<ErrorReply>(&reply.body)) {
    throw std::runtime_error("summary query refused: " + error->code + ": " + error->message);
  }
  // The codec does not read a summary's body; the wire structs do.
  wire::Envelope<wire::StatusSummary> envelope;
  try {
    const msgpack::object_handle h = msgpack::unpack(raw.data(), raw.size());
    h.get().convert(envelope);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("summary reply does not decode: ") + e.what());
  }
  const wire::EngineSummary& w = envelope.payload.engine;
  EngineStatus st;
  st.engine = w.engine;
  st.model_version = w.model;
  st.reward_window = w.reward_window;
  for (const wire::ProjectSummary& p : w.projects) {
    st.projects.push_back(ProjectStatus{p.project, p.mode, p.publishing, p.n, OrNan(p.mean),
                                        OrNan(p.lower_bound), OrNan(p.threshold), p.counters});
  }
  st.learner = w.learner;
  return st;
}

EventOutcome ZmqDriver::Process(const SessionEvent& e, const Message& message) {
  EventOutcome out;
  Message m = message;
  const std::string eid = "e" + std::to_string(++serial_);
  SetId(m, eid);
  const Message ack = Request(eid, EncodeEventAny(m));
  if (const auto* error = std::get_if<ErrorReply>(&ack.body)) {
    out.error = "server rejected the event: " + error->code + ": " + error->message;
    return out;
  }
  if (e.type == MessageType::kPrompt) {
    const std::string qid = "q" + std::to_string(++serial_);
    const Message reply = Request(qid, Query(qid, e.project, e.ts, "latest", kLatestLimit));
    if (const auto* latest = std::get_if<StatusReply>(&reply.body)) {
      for (const SuggestionRecord& r : latest->suggestions) {
        if (r.suggestion.asset == e.asset && r.suggestion.prompt_id == e.prompt) {
          out.suggestion = r.suggestion;
          out.published = true;
        }
      }
    }
    if (!out.published) out.withheld_reason = "not published";
  }
  // Gate modes and score counts after the event; a change must come with its gate events and
  // scores on PUB.
  const EngineStatus st = Summary(e.project);
  std::map<std::string, std::size_t> expected_gates;
  std::map<std::string, std::size_t> expected_scores;
  for (const ProjectStatus& p : st.projects) {
    const auto it = modes_.find(p.project);
    if (it != modes_.end() && it->second != p.mode) ++expected_gates[p.project];
    modes_[p.project] = p.mode;
    const auto scored = p.counters.find("scored");
    if (scored != p.counters.end()) {
      const double before = scored_[p.project];
      if (scored->second > before) {
        expected_scores[p.project] = static_cast<std::size_t>(scored->second - before);
      }
      scored_[p.project] = scored->second;
    }
  }
  const std::map<std::string, std::size_t> gates_before = gate_seen_;
  const std::map<std::string, std::size_t> scores_before = score_seen_;
  std::vector<BlindScore> scores;
  Drain(out.gate_events, scores, std::chrono::milliseconds(0));
  auto wait_for = [&](const std::map<std::string, std::size_t>& expected,
                      std::map<std::string, std::size_t>& seen,
                      const std::map<std::string, std::size_t>& before, const char* what) {
    for (const auto& [project, count] : expected) {
      const std::size_t had = before.count(project) ? before.at(project) : 0;
      const auto deadline = Clock::now() + options_.timeout;
      while (seen[project] - had < count && Clock::now() < deadline) {
        Drain(out.gate_events, scores, std::chrono::milliseconds(50));
      }
      if (seen[project] - had < count) {
        throw std::runtime_error(
            "project '" + project + "': the engine reported " + std::to_string(count) + " new " +
            what + " after event lsn " + std::to_string(e.lsn) + " but " +
            std::to_string(seen[project] - had) + " arrived on " + options_.publish + " within " +
            std::to_string(options_.timeout.count()) + " ms");
      }
    }
  };
  wait_for(expected_gates, gate_seen_, gates_before, "gate events");
  wait_for(expected_scores, score_seen_, scores_before, "blind scores");
  if (e.type == MessageType::kAnnotation) {
    const auto& n = std::get<AnnotationEvent>(message.body);
    out.score = FindScore(scores, n.asset, n.prompt_id);
  }
  return out;
}

EngineStatus ZmqDriver::Status() {
  return Summary(options_.projects.empty() ? std::string("_") : options_.projects.front());
}

}  // namespace understudy
