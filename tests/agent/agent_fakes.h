#pragma once

// Torch-free stand-ins for the torch engineer's Policy and Learner, and event builders, for the
// agent engine's tests. The fakes are deterministic: the same calls give the same outputs.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <istream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/held_out_split.h"
#include "agent/learner.h"
#include "agent/policy.h"
#include "transport/events.h"

namespace understudy::testing {

/** The prompt box shrunk about its centre by `scale` per side: IoU with the box = scale^2. */
inline Instance ShrunkBox(const Box& b, double scale) {
  const double cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
  const double hw = b.width() / 2 * scale, hh = b.height() / 2 * scale;
  return MakeInstance(
      {{cx - hw, cy - hh}, {cx + hw, cy - hh}, {cx + hw, cy + hh}, {cx - hw, cy + hh}});
}

/** ShrunkBox with an extra vertex on its top edge, 0.01 * (mark + 1) px from its left end: the
 *  same region (so the same rewards), but the outline tells which `mark` made it (up to a few
 *  thousand on the test boxes). */
inline Instance MarkedBox(const Box& b, double scale, int mark) {
  Instance i = ShrunkBox(b, scale);
  Ring& r = i.parts[0].outer;
  r.insert(r.begin() + 1, Point{r[0].x + 0.01 * (mark + 1), r[0].y});
  return i;
}

/** The mark of a MarkedBox outline (after validation, whatever its vertex order); -1: none. */
inline int MarkOf(const Instance& shape) {
  const Ring& r = shape.parts.at(0).outer;
  double x0 = r[0].x, x1 = r[0].x, y0 = r[0].y;
  for (const Point& q : r) {
    x0 = std::min(x0, q.x);
    x1 = std::max(x1, q.x);
    y0 = std::min(y0, q.y);
  }
  for (const Point& q : r) {
    if (q.y == y0 && q.x > x0 && q.x < x1)
      return static_cast<int>(std::lround((q.x - x0) / 0.01)) - 1;
  }
  return -1;
}

/**
 * A policy whose outline is the prompt box shrunk by `scale` (so its IoU with a box-shaped human
 * polygon is scale^2), marked with its `generation` (MarkedBox), so a reader can tell which
 * generation made a proposal from the proposal alone. Its value head predicts `*confidence`
 * (shared with its clones, so a test can change it). `poisoned` proposes NaN coordinates.
 */
class FakePolicy : public Policy {
 public:
  FakePolicy(int generation, double scale, std::shared_ptr<double> confidence = nullptr,
             bool poisoned = false)
      : generation_(generation),
        scale_(scale),
        confidence_(confidence ? std::move(confidence) : std::make_shared<double>(0.9)),
        poisoned_(poisoned) {}

  std::string name() const override { return "fake"; }
  Proposal Propose(const cv::Mat&, const Prompt& p) override {
    Proposal out;
    out.shape = MarkedBox(p.box, scale_, generation_);
    if (poisoned_) out.shape.parts[0].outer[1].x = std::numeric_limits<double>::quiet_NaN();
    out.confidence = *confidence_;
    out.source = "fake-g" + std::to_string(generation_);
    return out;
  }
  std::unique_ptr<Policy> Clone() const override {
    return std::make_unique<FakePolicy>(generation_, scale_, confidence_, poisoned_);
  }
  void Save(std::ostream& out) const override {
    out << "fake " << generation_ << " " << scale_ << " " << (poisoned_ ? 1 : 0) << "\n";
  }

  int generation() const { return generation_; }

 private:
  int generation_;
  double scale_;
  std::shared_ptr<double> confidence_;
  bool poisoned_;
};

inline PolicyLoader FakePolicyLoader() {
  return [](std::istream& in) -> std::unique_ptr<Policy> {
    std::string magic;
    int generation = 0, poisoned = 0;
    double scale = 0;
    if (!(in >> magic >> generation >> scale >> poisoned) || magic != "fake")
      throw std::runtime_error("not a fake checkpoint");
    return std::make_unique<FakePolicy>(generation, scale, nullptr, poisoned != 0);
  };
}

/** What a FakeLearner saw, shared with the test (the learner itself moves into the engine). */
struct LearnerLog {
  std::mutex mu;
  std::vector<AnnotationKey> added;
  std::atomic<int> updates{0};
  std::atomic<int> policies_made{0};
};

/**
 * A learner that learns nothing real but behaves like one to the engine: it keeps what it is
 * given, counts updates, and makes challengers whose quality the test scripts by challenger
 * number (1, 2, ...): `scales[k - 1]`, the last one repeating. `nan_loss_from` > 0 makes every
 * update from that call on report a NaN loss; `poison_from` > 0 makes challengers from that
 * number on propose NaN coordinates. `split`, when given, makes Add throw HeldOutViolation for a
 * held-out key, as the torch learner's TrainingBuffer does.
 */
class FakeLearner : public Learner {
 public:
  FakeLearner(std::shared_ptr<LearnerLog> log, std::vector<double> scales,
              std::optional<HeldOutSplit> split = std::nullopt)
      : log_(std::move(log)), scales_(std::move(scales)), split_(std::move(split)) {}

  int nan_loss_from = 0;
  int poison_from = 0;

  void Add(TrainingExample example) override {
    if (split_) split_->CheckTrainable(example.key);
    std::lock_guard<std::mutex> lock(log_->mu);
    log_->added.push_back(example.key);
    ++size_;
  }
  std::size_t size() const override { return size_; }
  UpdateReport Update(int steps) override {
    UpdateReport r;
    if (size_ == 0) return r;
    ++calls_;
    r.steps = steps;
    log_->updates += steps;
    r.loss = (nan_loss_from > 0 && calls_ >= nan_loss_from)
                 ? std::numeric_limits<double>::quiet_NaN()
                 : 1.0 / (1.0 + log_->updates);
    r.greedy_reward = 0.5;
    return r;
  }
  std::unique_ptr<Policy> MakePolicy() const override {
    const int k = ++log_->policies_made;
    const double scale =
        scales_.empty() ? 1.0 : scales_[std::min<std::size_t>(k, scales_.size()) - 1];
    return std::make_unique<FakePolicy>(k, scale, nullptr, poison_from > 0 && k >= poison_from);
  }
  std::map<std::string, double> Progress() const override {
    return {{"buffer", static_cast<double>(size_)}, {"fake_updates", log_->updates.load()}};
  }

 private:
  std::shared_ptr<LearnerLog> log_;
  std::vector<double> scales_;
  std::optional<HeldOutSplit> split_;
  std::size_t size_ = 0;
  int calls_ = 0;
};

// ---- events ------------------------------------------------------------------------------------

inline EventMeta Meta(const std::string& id, double ts, const std::string& project = "proj") {
  EventMeta m;
  m.id = id;
  m.project = project;
  m.ts = ts;
  return m;
}

inline AssetEvent AssetAt(const std::string& asset, double ts,
                          const std::string& project = "proj") {
  AssetEvent e;
  e.meta = Meta("a-" + asset, ts, project);
  e.asset = asset;
  e.width = 640;
  e.height = 480;
  return e;
}

/** A prompt whose box is 100 x 80 at a position derived from `i`. */
inline Box BoxFor(int i) {
  const double x = 10 + (i % 5) * 110, y = 10 + ((i / 5) % 5) * 90;
  return Box{x, y, x + 100, y + 80};
}

inline PromptEvent PromptAt(const std::string& asset, const std::string& prompt, const Box& box,
                            double ts, const std::string& project = "proj") {
  PromptEvent e;
  e.meta = Meta("p-" + asset + "-" + prompt, ts, project);
  e.asset = asset;
  e.prompt_id = prompt;
  e.prompt.box = box;
  return e;
}

/** The human answer to one prompt: an outline of `scale` x the box (1: the box itself). */
inline AnnotationEvent AnnotationAt(const std::string& asset, const std::string& prompt,
                                    const Box& box, double ts, double scale = 1.0,
                                    const std::string& project = "proj") {
  AnnotationEvent e;
  e.meta = Meta("n-" + asset + "-" + prompt, ts, project);
  e.asset = asset;
  e.prompt_id = prompt;
  e.instances.push_back({ShrunkBox(box, scale), "thing", false});
  e.annotator = "ann";
  return e;
}

}  // namespace understudy::testing
