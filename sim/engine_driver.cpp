#include "sim/engine_driver.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <variant>

#include "agent/agent_engine.h"
#include "transport/sendable.h"
#include "transport/server_config.h"

namespace understudy {
namespace {

template <typename T>
void Stamp(T& event, const SessionEvent& e) {
  event.meta.client = e.client;
  event.meta.lsn = e.lsn;
  event.meta.received_ns = e.time_ns;
}

}  // namespace

std::optional<ReportedScore> FindScore(const std::vector<BlindScore>& scores,
                                       const std::string& asset, const std::string& prompt_id) {
  for (const BlindScore& b : scores) {
    if (b.asset != asset || b.prompt_id != prompt_id) continue;
    ReportedScore r;
    r.reward = b.reward;
    const auto iou = b.components.find("iou");
    if (iou != b.components.end()) r.iou = iou->second;
    r.components = b.components;
    r.model_version = b.model_version;
    r.predicted = b.predicted_reward;
    r.published = b.published;
    r.decision = b.decision;
    return r;
  }
  return std::nullopt;
}

InProcessDriver::InProcessDriver(const EngineFactory& factory) {
  if (!factory) throw std::invalid_argument("InProcessDriver: no engine factory");
  engine_ = factory();
  if (!engine_) throw std::invalid_argument("InProcessDriver: the factory made no engine");
}

EventOutcome InProcessDriver::Process(const SessionEvent& e, const Message& message) {
  EventOutcome out;
  EngineResult r;
  const PromptEvent* prompt = nullptr;
  const AnnotationEvent* annotation = nullptr;
  Message m = message;
  try {
    if (auto* a = std::get_if<AssetEvent>(&m.body)) {
      Stamp(*a, e);
      r = engine_->OnAsset(*a);
    } else if (auto* p = std::get_if<PromptEvent>(&m.body)) {
      Stamp(*p, e);
      prompt = p;
      r = engine_->OnPrompt(*p);
    } else if (auto* n = std::get_if<AnnotationEvent>(&m.body)) {
      Stamp(*n, e);
      annotation = n;
      r = engine_->OnAnnotation(*n);
    } else if (auto* f = std::get_if<FeedbackEvent>(&m.body)) {
      Stamp(*f, e);
      r = engine_->OnFeedback(*f);
    } else {
      throw std::invalid_argument("not an event");
    }
  } catch (const std::exception& error) {
    out.error = error.what();
    return out;
  }
  if (r.suggestion) {
    Suggestion s = std::move(*r.suggestion);
    if (s.project.empty()) s.project = e.project;
    if (prompt != nullptr) {
      if (s.asset.empty()) s.asset = prompt->asset;
      if (s.prompt_id.empty()) s.prompt_id = prompt->prompt_id;
    }
    bool withheld = r.withheld;
    std::string reason = r.withheld_reason;
    if (s.asset.empty() || s.prompt_id.empty() ||
        !ShapeIsSendable(s.shape, ServerConfig{}.max_vertices)) {
      withheld = true;
      reason = "invalid suggestion from the engine";
    } else {
      // Through the codec, as over the wire: the shape and numbers arrive exactly as a
      // subscriber would read them.
      if (s.id.empty()) s.id = "s" + std::to_string(e.lsn);
      const Message wire = Decode(EncodeSuggestion(SuggestionRecord{s, withheld, reason}, e.ts),
                                  SessionDecodeLimits());
      s = std::get<SuggestionRecord>(wire.body).suggestion;
    }
    out.published = !withheld;
    out.withheld_reason = withheld ? reason : std::string();
    out.suggestion = std::move(s);
  } else if (prompt != nullptr) {
    out.withheld_reason = r.withheld ? r.withheld_reason : std::string("no suggestion");
  }
  if (annotation != nullptr) {
    // As a subscriber reads it off `<project>/_score`: through the codec.
    std::vector<BlindScore> wire;
    for (const BlindScore& sc : r.scores) {
      const Message decoded = Decode(EncodeScore(sc, "r", e.ts), DecodeLimits{});
      wire.push_back(std::get<BlindScore>(decoded.body));
    }
    out.score = FindScore(wire, annotation->asset, annotation->prompt_id);
  }
  for (GateEvent& g : r.gate_events) {
    if (g.project.empty()) g.project = e.project;
    const Message wire = Decode(EncodeGate(g, "g", e.ts), DecodeLimits{});
    out.gate_events.push_back(std::get<GateEvent>(wire.body));
  }
  return out;
}

std::optional<double> InProcessDriver::PredictReward(const AssetEvent& asset,
                                                     const PromptEvent& prompt) {
  // The agent (cli/agent_factory's engines) ranks with its serving policy's value head.
  if (const auto* agent = dynamic_cast<const AgentEngine*>(engine_.get())) {
    return agent->PredictReward(asset, prompt);
  }
  auto* probe = dynamic_cast<ValueProbe*>(engine_.get());
  if (probe == nullptr) return std::nullopt;
  return probe->PredictReward(asset, prompt);
}

}  // namespace understudy
