#pragma once

// Clients, builders and engines shared by the transport tests.

#include <chrono>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "env/proposer.h"
#include "transport/codec.h"
#include "transport/engine.h"
#include "transport/zmq_context.h"

namespace understudy::testing {

// A liveness bound, not a speed check: a loaded machine can take seconds to fdatasync.
inline constexpr std::chrono::milliseconds kReplyTimeout{30000};

/** The smallest real baseline: the prompt's box as the outline. */
class BoxProposer : public Proposer {
 public:
  std::string name() const override { return "box"; }
  Proposal Propose(const cv::Mat&, const Prompt& p) override {
    const Box& b = p.box;
    return Proposal{MakeInstance({{b.x0, b.y0}, {b.x1, b.y0}, {b.x1, b.y1}, {b.x0, b.y1}}), 0.5,
                    "box"};
  }
};

/** An engine whose answers the test scripts. Calls arrive on the server's worker thread. */
class ScriptedEngine : public Engine {
 public:
  std::function<EngineResult(const PromptEvent&)> on_prompt = [](const PromptEvent& e) {
    EngineResult r;
    Suggestion s;
    s.shape = BoxProposer().Propose(cv::Mat(), e.prompt).shape;
    s.model_version = "v1";
    s.source = "scripted";
    r.suggestion = s;
    return r;
  };
  std::function<EngineResult(const AnnotationEvent&)> on_annotation = [](const AnnotationEvent&) {
    return EngineResult{};
  };
  EngineResult OnAsset(const AssetEvent&) override { return {}; }
  EngineResult OnPrompt(const PromptEvent& e) override { return on_prompt(e); }
  EngineResult OnAnnotation(const AnnotationEvent& e) override { return on_annotation(e); }
  /** Empty: the Engine default, which refuses control actions. */
  std::function<EngineResult(const ControlEvent&)> on_control;
  EngineResult OnFeedback(const FeedbackEvent&) override { return {}; }
  EngineResult OnControl(const ControlEvent& e) override {
    return on_control ? on_control(e) : Engine::OnControl(e);
  }
  EngineStatus Status() const override {
    EngineStatus st;
    st.engine = "scripted";
    st.model_version = "v1";
    st.projects.push_back(ProjectStatus{"proj", "shadow", false, 3, 0.5, 0.4, 0.75, {}});
    return st;
  }
};

inline AssetEvent Asset(const std::string& id, const std::string& asset,
                        const std::string& project = "proj") {
  AssetEvent e;
  e.meta.id = id;
  e.meta.project = project;
  e.meta.ts = 1.0;
  e.asset = asset;
  e.width = 640;
  e.height = 480;
  return e;
}

inline PromptEvent PromptFor(const std::string& id, const std::string& asset,
                             const std::string& prompt, const std::string& project = "proj") {
  PromptEvent e;
  e.meta.id = id;
  e.meta.project = project;
  e.meta.ts = 1.0;
  e.asset = asset;
  e.prompt_id = prompt;
  e.prompt.box = Box{10, 20, 110, 220};
  return e;
}

inline AnnotationEvent AnnotationFor(const std::string& id, const std::string& asset,
                                     const std::string& prompt, bool complete = false,
                                     const std::string& project = "proj") {
  AnnotationEvent e;
  e.meta.id = id;
  e.meta.project = project;
  e.meta.ts = 1.0;
  e.asset = asset;
  e.prompt_id = prompt;
  e.instances = {{MakeInstance({{12, 22}, {100, 25}, {105, 210}, {15, 200}}), "thing"}};
  e.annotator = "ann-1";
  e.draw_seconds = 4.5;
  e.complete = complete;
  return e;
}

inline ControlEvent RollbackTo(const std::string& id, std::uint64_t version,
                               const std::string& project = "proj") {
  ControlEvent e;
  e.meta.id = id;
  e.meta.project = project;
  e.meta.ts = 1.0;
  e.action = "rollback";
  e.version = version;
  e.note = "operator";
  return e;
}

inline std::string StatusQueryBytes(const std::string& id, const std::string& query,
                                    const std::string& project = "proj") {
  Message m;
  m.header.id = id;
  m.header.project = project;
  m.header.ts = 1.0;
  m.body = StatusQuery{query, 0};
  return Encode(m);
}

/** A DEALER with a chosen routing id (empty: let libzmq pick one), as a client would use. */
class TestClient {
 public:
  explicit TestClient(const std::string& endpoint, const std::string& routing_id = "client-1",
                      zmq::socket_type type = zmq::socket_type::dealer)
      : socket_(ProcessContext(), type) {
    if (!routing_id.empty()) socket_.set(zmq::sockopt::routing_id, routing_id);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  void Send(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::none); }

  std::optional<std::string> ReceiveRaw(std::chrono::milliseconds timeout = kReplyTimeout) {
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, timeout) == 0) return std::nullopt;
    zmq::message_t m;
    if (!socket_.recv(m, zmq::recv_flags::none)) return std::nullopt;
    return m.to_string();
  }

  std::optional<Message> Receive(std::chrono::milliseconds timeout = kReplyTimeout) {
    std::optional<std::string> raw = ReceiveRaw(timeout);
    if (!raw) return std::nullopt;
    DecodeLimits big;
    big.max_message_bytes = 1u << 30;
    return Decode(*raw, big);
  }

  /** Sends and waits for one reply; throws on timeout. */
  Message Request(const std::string& bytes, std::chrono::milliseconds timeout = kReplyTimeout) {
    Send(bytes);
    std::optional<Message> m = Receive(timeout);
    if (!m) throw std::runtime_error("no reply within the timeout");
    return *m;
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

/** A SUB socket; Receive returns the topic frame and the decoded message. */
class TestSubscriber {
 public:
  TestSubscriber(const std::string& endpoint, const std::vector<std::string>& topics)
      : socket_(ProcessContext(), zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    for (const std::string& t : topics) socket_.set(zmq::sockopt::subscribe, t);
    socket_.connect(endpoint);
  }

  std::optional<std::pair<std::string, Message>> Receive(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames))) return std::nullopt;
    if (frames.size() != 2) throw std::runtime_error("expected [topic, message] frames");
    return std::make_pair(frames[0].to_string(), Decode(frames[1].to_string(), DecodeLimits{}));
  }

 private:
  zmq::socket_t socket_;
};

template <typename T>
T BodyAs(const Message& m) {
  const T* p = std::get_if<T>(&m.body);
  if (p == nullptr) {
    std::string what = "unexpected reply type '" + std::string(ToString(m.header.type)) + "'";
    if (const auto* e = std::get_if<ErrorReply>(&m.body))
      what += ": " + e->code + ": " + e->message;
    throw std::runtime_error(what);
  }
  return *p;
}

}  // namespace understudy::testing
