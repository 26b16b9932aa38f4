#include "agent/learning_loop.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

namespace understudy {
namespace {

constexpr std::size_t kLatencySamples = 1024;
constexpr std::size_t kMaxUnserved = 100000;

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

LearningLoop::LearningLoop(const AgentConfig& config, std::unique_ptr<Learner> learner,
                           ModelKeeper& keeper, HeldOutPool<HeldOutItem>& pool)
    : config_(config), learner_(std::move(learner)), keeper_(keeper), pool_(pool) {
  if (!learner_) throw std::invalid_argument("LearningLoop: null learner");
  config_.Validate();
}

void LearningLoop::Add(TrainingExample example, Clock::time_point arrived) {
  // The engine routed it through the pool already; a held-out example here is a bug.
  pool_.CheckTrainable(example.key);
  learner_->Add(std::move(example));
  ++progress_.examples_added;
  unserved_.emplace_back(++last_seq_, arrived);
  if (unserved_.size() > kMaxUnserved) unserved_.pop_front();  // no model for a very long time
}

std::int64_t LearningLoop::RatioBudget() const {
  if (config_.learning.max_replay_ratio <= 0.0) return std::numeric_limits<std::int64_t>::max();
  const double allowed =
      std::floor(config_.learning.max_replay_ratio * static_cast<double>(progress_.examples_added));
  return static_cast<std::int64_t>(allowed) -
         static_cast<std::int64_t>(progress_.updates_requested);
}

bool LearningLoop::CanLearn() const { return learner_->size() > 0 && RatioBudget() > 0; }

int LearningLoop::Run(int steps) {
  int done = 0;
  while (done < steps) {
    if (learner_->size() == 0) {
      progress_.updates_forgone_empty += static_cast<std::uint64_t>(steps - done);
      break;
    }
    int n = std::min(steps - done, config_.learning.batch_updates);
    const std::int64_t budget = RatioBudget();
    if (budget <= 0) {
      progress_.updates_forgone_ratio += static_cast<std::uint64_t>(steps - done);
      break;
    }
    n = static_cast<int>(std::min<std::int64_t>(n, budget));
    trained_through_ = last_seq_;
    const UpdateReport report = learner_->Update(n);
    done += n;
    ++progress_.update_calls;
    progress_.updates_requested += static_cast<std::uint64_t>(n);
    progress_.updates += static_cast<std::uint64_t>(std::max(report.steps, 0));
    progress_.skipped_non_finite +=
        static_cast<std::uint64_t>(std::max(report.skipped_non_finite, 0));
    if (report.steps > 0) {
      last_loss_non_finite_ = !std::isfinite(report.loss);
      if (last_loss_non_finite_) ++progress_.non_finite_reports;
      progress_.last_loss = report.loss;
      progress_.last_sampled_reward = report.sampled_reward;
      progress_.last_greedy_reward = report.greedy_reward;
      progress_.last_value_error = report.value_error;
      since_challenge_ += static_cast<std::uint64_t>(report.steps);
    }
    MaybeChallenge();
  }
  return done;
}

void LearningLoop::ScoreChampion(const HeldOutSnapshot<HeldOutItem>& snapshot,
                                 std::uint64_t pool_stamp) {
  const auto served = keeper_.Get();
  if (!champion_ || champion_version_ != served->version) {
    // First challenge, or a rollback swapped the serving model: follow the slot.
    champion_ = served->model->Clone();
    champion_version_ = served->version;
    champion_pool_stamp_.reset();
  }
  if (champion_pool_stamp_ == pool_stamp && champion_scores_.size() == snapshot.items.size()) {
    return;  // the same items as last time: the same scores
  }
  champion_scores_.clear();
  champion_scores_.reserve(snapshot.items.size());
  for (const auto& entry : snapshot.items) {
    // The rule is asymmetric on purpose: the champion's failure on an item (no valid proposal)
    // is its loss and scores 0, so it cannot lock every challenger out; a challenger's failure
    // stays NaN and disqualifies it (DecideChallenge keeps the champion).
    double r = HeldOutReward(*champion_, *entry.second, config_.reward);
    if (!std::isfinite(r)) {
      ++progress_.champion_failed_items;
      r = 0.0;
    }
    champion_scores_.push_back(r);
  }
  champion_pool_stamp_ = pool_stamp;
}

void LearningLoop::MaybeChallenge() {
  if (since_challenge_ < config_.champion.every_updates) return;
  since_challenge_ = 0;
  if (last_loss_non_finite_) {
    // The learner's weights may be poisoned: no challenger until a finite batch.
    ++progress_.challenges_non_finite_loss;
    return;
  }
  // Read before the snapshot: if it is unchanged next time, so is the pool (see ScoreChampion).
  const std::uint64_t pool_stamp = pool_.counters().held_out;
  const HeldOutSnapshot<HeldOutItem> snapshot = pool_.Snapshot();
  if (snapshot.items.size() < config_.champion.min_items) {
    ++progress_.challenges_pool_too_small;
    return;
  }
  ScoreChampion(snapshot, pool_stamp);
  const std::uint64_t covered = trained_through_;
  std::unique_ptr<Policy> challenger = learner_->MakePolicy();
  std::vector<double> challenger_scores;
  challenger_scores.reserve(snapshot.items.size());
  for (const auto& entry : snapshot.items) {
    challenger_scores.push_back(HeldOutReward(*challenger, *entry.second, config_.reward));
  }
  ChallengeConfig cc;
  cc.tolerance = config_.champion.tolerance;
  cc.min_items = config_.champion.min_items;
  const ChallengeResult result =
      DecideChallenge(champion_scores_, challenger_scores, snapshot.fingerprint, cc);
  ++progress_.challenges;
  progress_.last_challenge = result;
  progress_.champion_held_out = result.champion_mean;
  progress_.champion_held_out_n = result.n;
  progress_.champion_pool_fingerprint = result.pool_fingerprint;
  if (!result.replace) {
    ++progress_.rejections;
    return;
  }
  std::unique_ptr<Policy> evaluator = challenger->Clone();
  std::ostringstream note;
  note << "challenger after " << progress_.updates << " updates on " << progress_.examples_added
       << " examples: " << result.reason;
  const std::optional<std::uint64_t> version =
      keeper_.Promote(std::move(challenger), champion_version_,
                      HeldOutScore{result.challenger_mean, result.n, result.pool_fingerprint},
                      progress_.examples_added, progress_.updates, note.str());
  if (!version) {
    ++progress_.challenges_superseded;
    return;
  }
  ++progress_.promotions;
  champion_ = std::move(evaluator);
  champion_version_ = *version;
  champion_scores_ = std::move(challenger_scores);
  progress_.champion_held_out = result.challenger_mean;
  RecordServed(covered);
}

void LearningLoop::RecordServed(std::uint64_t covered_seq) {
  const Clock::time_point now = Clock::now();
  while (!unserved_.empty() && unserved_.front().first <= covered_seq) {
    const double s = std::chrono::duration<double>(now - unserved_.front().second).count();
    unserved_.pop_front();
    ++progress_.annotation_to_serving.count;
    progress_.annotation_to_serving.last_s = s;
    recent_latencies_.push_back(s);
    if (recent_latencies_.size() > kLatencySamples) recent_latencies_.pop_front();
  }
  AnnotationToServing& l = progress_.annotation_to_serving;
  l.recent_s.assign(recent_latencies_.begin(), recent_latencies_.end());
  l.p50_s = Quantile(l.recent_s, 0.5);
  l.p99_s = Quantile(l.recent_s, 0.99);
  if (!l.recent_s.empty()) l.max_s = *std::max_element(l.recent_s.begin(), l.recent_s.end());
}

LearningProgress LearningLoop::Progress() {
  progress_.learner = learner_->Progress();
  return progress_;
}

}  // namespace understudy
