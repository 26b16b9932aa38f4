#pragma once

// A torch-free engine that learns, for the simulator's tests: it proposes the ellipse inscribed in
// the prompt box scaled by a per-project factor, learns that factor from every human polygon,
// keeps its blind proposals until their annotations, and gates with the real ShadowGate
// (agent/gate_book.h). So the gate, the withheld suggestions and the effort accounting are all
// exercised without the RL agent.

#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/gate_book.h"
#include "rewards/iou.h"
#include "rewards/polygon.h"
#include "sim/engine_driver.h"
#include "transport/engine.h"

namespace understudy::testing {

class FakeLearningEngine : public Engine, public ValueProbe {
 public:
  explicit FakeLearningEngine(ShadowGateConfig gate, double learning_rate = 0.2)
      : gates_(gate), rate_(learning_rate) {}

  EngineResult OnAsset(const AssetEvent&) override { return {}; }

  EngineResult OnPrompt(const PromptEvent& e) override {
    const std::string& project = e.meta.project;
    Suggestion s;
    s.shape = Propose(project, e.prompt.box);
    s.model_version = "fake-v" + std::to_string(version_);
    s.source = "fake";
    s.confidence = Predicted(project, e.prompt.box);
    EngineResult r;
    const SuggestionVerdict v = gates_.Decide(project, s.confidence);
    pending_[Key(e.meta.project, e.asset, e.prompt_id)] = {
        s.shape, version_, v.publish, v.publish ? "published" : ToString(v.reason)};
    r.withheld = !v.publish;
    r.withheld_reason = v.publish ? "" : ToString(v.reason);
    r.suggestion = std::move(s);
    return r;
  }

  EngineResult OnAnnotation(const AnnotationEvent& e) override {
    EngineResult r;
    const auto it = pending_.find(Key(e.meta.project, e.asset, e.prompt_id));
    if (it == pending_.end() || e.instances.empty()) return r;
    const Instance& human = e.instances.front().shape;
    const double iou = ExactIou(it->second.shape, human);
    ++annotations_;
    // Reported as AgentEngine reports it (its EngineResult::scores).
    BlindScore score;
    score.project = e.meta.project;
    score.asset = e.asset;
    score.prompt_id = e.prompt_id;
    score.model_version = "fake-v" + std::to_string(it->second.version);
    score.reward = iou;
    score.components["iou"] = iou;
    score.published = it->second.published;
    score.decision = it->second.decision;
    score.annotation_index = annotations_;
    r.scores.push_back(score);
    const std::optional<GateDecision> d =
        gates_.Record(e.meta.project, iou, it->second.version, annotations_);
    pending_.erase(it);
    // Learn: the human outline's area over the unscaled ellipse's, as a linear scale.
    const Bounds b = BoundsOf(human);
    const double ellipse = M_PI * b.width() * b.height() / 4.0;
    if (ellipse > 0.0) {
      const double target = std::sqrt(std::max(0.05, Area(human) / ellipse));
      double& scale = scale_.try_emplace(e.meta.project, 1.0).first->second;
      scale += rate_ * (std::min(target, 1.5) - scale);
    }
    std::vector<double>& seen = ious_[e.meta.project];
    seen.push_back(iou);
    if (annotations_ % 10 == 0) ++version_;
    if (d) {
      GateEvent g;
      g.project = d->project;
      g.from = ToString(d->from);
      g.to = ToString(d->to);
      g.n = d->n;
      g.mean = d->mean;
      g.lower_bound = d->lcb;
      g.threshold = d->threshold;
      g.model_version = "fake-v" + std::to_string(d->model_version);
      g.reason = d->reason;
      g.details["annotation_index"] = static_cast<double>(d->annotation_index);
      r.gate_events.push_back(g);
    }
    return r;
  }

  EngineResult OnFeedback(const FeedbackEvent&) override { return {}; }

  EngineStatus Status() const override {
    EngineStatus st;
    st.engine = "fake";
    st.model_version = "fake-v" + std::to_string(version_);
    for (const GateStatus& g : gates_.Snapshot()) {
      st.projects.push_back(ProjectStatus{g.project,
                                          ToString(g.mode),
                                          g.mode == GateMode::kLive,
                                          g.stats.n,
                                          g.stats.mean,
                                          g.stats.lcb,
                                          g.config.threshold,
                                          {}});
    }
    st.learner["annotations"] = static_cast<double>(annotations_);
    return st;
  }

  double PredictReward(const AssetEvent& asset, const PromptEvent& prompt) override {
    (void)asset;
    return Predicted(prompt.meta.project, prompt.prompt.box);
  }

  /** The confidence the fake reports: its mean IoU so far, lowered for elongated boxes. */
  double Predicted(const std::string& project, const Box& box) const {
    const auto it = ious_.find(project);
    double mean = 0.6;
    if (it != ious_.end() && !it->second.empty()) {
      mean = 0.0;
      for (double v : it->second) mean += v;
      mean /= static_cast<double>(it->second.size());
    }
    const double w = box.width(), h = box.height();
    const double aspect = w > 0 && h > 0 ? std::min(w, h) / std::max(w, h) : 0.0;
    return mean * (0.8 + 0.2 * aspect);
  }

 private:
  static std::string Key(const std::string& p, const std::string& a, const std::string& q) {
    return p + '\0' + a + '\0' + q;
  }

  Instance Propose(const std::string& project, const Box& b) const {
    const auto it = scale_.find(project);
    const double s = it == scale_.end() ? 1.0 : it->second;
    const double cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
    const double rx = s * b.width() / 2, ry = s * b.height() / 2;
    Ring ring;
    for (int i = 0; i < 24; ++i) {
      const double t = -2.0 * M_PI * i / 24;
      ring.push_back({cx + rx * std::cos(t), cy - ry * std::sin(t)});
    }
    return MakeInstance(std::move(ring));
  }

  GateBook gates_;
  double rate_;
  std::map<std::string, double> scale_;
  std::map<std::string, std::vector<double>> ious_;
  struct Pending {
    Instance shape;
    std::uint64_t version = 0;
    bool published = false;
    std::string decision;
  };
  std::map<std::string, Pending> pending_;
  std::uint64_t annotations_ = 0;
  std::uint64_t version_ = 1;
};

}  // namespace understudy::testing
