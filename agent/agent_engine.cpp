#include "agent/agent_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "agent/gate_json.h"
#include "rewards/iou.h"
#include "rewards/matching.h"
#include "rewards/validation.h"
#include "transport/blank_image.h"
#include "transport/scoring.h"

namespace understudy {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Finite(double v) { return std::isfinite(v) ? v : 0.0; }

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

Instance BoxInstance(const Box& b) {
  return MakeInstance({{b.x0, b.y0}, {b.x1, b.y0}, {b.x1, b.y1}, {b.x0, b.y1}});
}

Prompt PromptAround(const Instance& human) {
  const Bounds b = BoundsOf(human);
  Prompt p;
  p.box = Box{b.x0, b.y0, b.x1, b.y1};
  return p;
}

// Pairs prompt boxes with human instances, one to one, by the IoU of the box with the instance:
// a pairing that does not depend on any model's prediction, so a poor model cannot mislabel its
// own training data. Returns, per prompt, its instance or -1.
std::vector<int> PairPromptsWithInstances(const std::vector<const Prompt*>& prompts,
                                          const std::vector<Instance>& humans) {
  std::vector<int> out(prompts.size(), -1);
  if (prompts.empty() || humans.empty()) return out;
  std::vector<double> w(prompts.size() * humans.size(), 0.0);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const Instance box = BoxInstance(prompts[i]->box);
    for (std::size_t j = 0; j < humans.size(); ++j) {
      w[i * humans.size() + j] = ExactIou(box, humans[j]);
    }
  }
  const Assignment a = MaxWeightAssignment(w, prompts.size(), humans.size());
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const int j = a.row_to_col[i];
    if (j != Assignment::kUnassigned && w[i * humans.size() + static_cast<std::size_t>(j)] > 0.0)
      out[i] = j;
  }
  return out;
}

AgentConfig Validated(AgentConfig config) {
  config.Validate();
  return config;
}

}  // namespace

AgentEngine::AgentEngine(AgentConfig config, std::unique_ptr<Policy> initial,
                         std::unique_ptr<Learner> learner, PolicyLoader loader, std::string name)
    : config_(Validated(std::move(config))),
      name_(std::move(name)),
      keeper_(config_.registry_dir, std::move(loader)),
      gates_(config_.gate, [this](const GateDecision& d) { decisions_.push_back(d); }),
      ledger_(config_.ledger),
      pool_(config_.held_out.pool),
      assets_([this] {
        AssetStoreOptions o;
        o.data_root = config_.data_root;
        o.cache_bytes = config_.assets.cache_bytes;
        return o;
      }()),
      has_learner_(learner != nullptr) {
  keeper_.Start(std::move(initial), "initial model of agent '" + name_ + "'");
  if (!learner) return;
  auto loop = std::make_unique<LearningLoop>(config_, std::move(learner), keeper_, pool_);
  if (config_.learning.mode == LearningMode::kBackground) {
    background_ = std::make_unique<BackgroundLearner>(
        std::move(loop), config_.learning.queue_capacity, config_.learning.batch_updates);
  } else {
    sync_loop_ = std::move(loop);
  }
}

AgentEngine::~AgentEngine() {
  if (background_) background_->Stop();
}

std::string AgentEngine::serving_tag() const {
  const auto served = keeper_.Get();
  return served ? served->model->tag() : std::string();
}

std::string AgentEngine::schedule() const {
  if (!has_learner_) return "none: a fixed policy without a learner";
  return DescribeSchedule(config_.learning);
}

LearningProgress AgentEngine::learning_progress() const {
  if (background_) return background_->Progress();
  if (sync_loop_) return sync_loop_->Progress();
  return {};
}

// ---- clocks, assets, prompts ------------------------------------------------------------------

std::int64_t AgentEngine::EventMs(const EventMeta& meta) {
  // The server's receive clock orders events as the log does; an event no server stamped (an
  // in-process replay) carries the sender's clock only.
  if (meta.received_ns > 0) return meta.received_ns / 1000000;
  return static_cast<std::int64_t>(std::llround(meta.ts * 1000.0));
}

std::string AgentEngine::AssetId(const std::string& project, const std::string& asset) {
  return project + "/" + asset;  // project names cannot contain '/'
}

cv::Mat AgentEngine::ImageFor(const std::string& project, const std::string& asset) {
  const std::string id = AssetId(project, asset);
  if (assets_.Contains(id)) {
    try {
      return assets_.Get(id);
    } catch (const AssetError& e) {
      ++assets_rejected_;
      last_error_ = e.what();
      assets_.Remove(id);
    }
  }
  // No usable image: a blank frame of the announced size (proposers clip outlines to it).
  const auto it = asset_info_.find(id);
  return it == asset_info_.end() ? cv::Mat() : BlankImage(it->second.width, it->second.height);
}

void AgentEngine::ForgetAsset(const std::string& id) {
  assets_.Remove(id);
  const auto it = asset_info_.find(id);
  if (it != asset_info_.end()) {
    inline_bytes_ -= it->second.inline_bytes;
    asset_info_.erase(it);
  }
}

void AgentEngine::RememberAsset(const std::string& id, const AssetInfo& info) {
  const auto it = asset_info_.find(id);
  if (it == asset_info_.end()) {
    asset_order_.push_back(id);
    asset_info_.emplace(id, info);
  } else {
    inline_bytes_ -= it->second.inline_bytes;
    it->second = info;
  }
  inline_bytes_ += info.inline_bytes;
  // The newest asset always stays: a prompt for it is about to come.
  while (asset_order_.size() > 1 && (asset_order_.size() > config_.assets.max_assets ||
                                     inline_bytes_ > config_.assets.max_inline_bytes)) {
    const std::string victim = asset_order_.front();
    asset_order_.pop_front();
    if (victim == id) {
      asset_order_.push_back(victim);
      continue;
    }
    ForgetAsset(victim);
    ++assets_evicted_;
  }
}

void AgentEngine::RememberPrompt(const AnnotationKey& key, const Prompt& prompt) {
  auto it = prompts_.find(key);
  if (it != prompts_.end()) {
    it->second.prompt = prompt;  // a prompt sent again: the newest box trains
    return;
  }
  prompt_order_.push_back(key);
  prompts_.emplace(key, PromptInfo{prompt, std::prev(prompt_order_.end())});
  asset_prompts_[AssetId(key.project, key.asset_id)].push_back(key.prompt_id);
  while (prompts_.size() > config_.ledger.capacity) {
    ForgetPrompt(prompt_order_.front());
    ++prompts_evicted_;
  }
}

void AgentEngine::ForgetPrompt(const AnnotationKey& key) {
  const auto it = prompts_.find(key);
  if (it == prompts_.end()) return;
  prompt_order_.erase(it->second.order);
  prompts_.erase(it);
  const std::string aid = AssetId(key.project, key.asset_id);
  auto ap = asset_prompts_.find(aid);
  if (ap != asset_prompts_.end()) {
    auto& ids = ap->second;
    ids.erase(std::remove(ids.begin(), ids.end(), key.prompt_id), ids.end());
    if (ids.empty()) asset_prompts_.erase(ap);
  }
}

double AgentEngine::FallbackPrediction(const std::string& project) const {
  switch (config_.predicted_reward.fallback) {
    case PredictedRewardFallback::kWindowMean:
      return gates_.stats(project).mean;  // NaN with an empty window
    case PredictedRewardFallback::kConstant:
      return config_.predicted_reward.value;
    case PredictedRewardFallback::kNone:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void AgentEngine::AdvanceSimClock(const EventMeta& meta) {
  if (!sync_loop_ || config_.learning.mode != LearningMode::kPerSimSecond) return;
  const double ts = meta.ts;
  if (!std::isfinite(ts)) return;
  if (sim_last_ts_ && ts > *sim_last_ts_) {
    sim_credit_ += (ts - *sim_last_ts_) * config_.learning.updates_per_second;
  }
  if (!sim_last_ts_ || ts > *sim_last_ts_) sim_last_ts_ = ts;  // time never runs back
  const double whole = std::floor(sim_credit_);
  if (whole < 1.0) return;
  sim_credit_ -= whole;
  double left = whole;
  while (left >= 1.0) {
    const int n = static_cast<int>(std::min(left, 1e9));
    sync_loop_->Run(n);
    left -= n;
  }
}

void AgentEngine::TakeDecisions(EngineResult& result) {
  for (const GateDecision& d : decisions_) {
    GateEvent g;
    g.project = d.project;
    g.from = ToString(d.from);
    g.to = ToString(d.to);
    g.trigger = ToString(d.trigger);
    g.n = d.n;
    // Undefined statistics (a restart that discards fewer than two rewards) travel as 0: the
    // wire needs numbers, and n says how many rewards there were.
    g.mean = Finite(d.mean);
    g.lower_bound = Finite(d.lcb);
    g.threshold = d.threshold;
    g.model_version = keeper_.TagOf(d.model_version);
    g.reason = d.reason;
    g.details = {{"stddev", Finite(d.stddev)},
                 {"z", d.z},
                 {"hysteresis", d.hysteresis},
                 {"min_samples", static_cast<double>(d.min_samples)},
                 {"annotation_index", static_cast<double>(d.annotation_index)},
                 {"model_version_id", static_cast<double>(d.model_version)}};
    if (d.trigger == GateTrigger::kRestart) {
      g.details["newest_version_id"] = static_cast<double>(keeper_.newest_version());
    }
    result.gate_events.push_back(std::move(g));
  }
  decisions_.clear();
}

std::optional<double> AgentEngine::PredictReward(const AssetEvent& asset,
                                                 const PromptEvent& prompt) const {
  const auto served = keeper_.Get();
  const ServingPolicy& policy = *served->model;
  if (!policy.has_value_head()) return std::nullopt;
  // A store of its own, so that ranking leaves the engine's images and cache as they were.
  AssetStore store(assets_.options());
  const std::string id = AssetId(asset.meta.project, asset.asset);
  cv::Mat image;
  try {
    if (!asset.image.empty()) {
      store.Put(id, asset.image);
      image = store.Get(id);
    } else if (!asset.uri.empty() && !config_.data_root.empty()) {
      store.AddPath(id, asset.uri);
      image = store.Get(id);
    }
  } catch (const AssetError&) {
    image = cv::Mat();  // as OnPrompt sees an unusable image: a blank frame
  }
  if (image.empty()) image = BlankImage(asset.width, asset.height);
  return policy.Propose(image, prompt.prompt).confidence;
}

// ---- events -----------------------------------------------------------------------------------

EngineResult AgentEngine::OnAsset(const AssetEvent& e) {
  AdvanceSimClock(e.meta);
  const std::string id = AssetId(e.meta.project, e.asset);
  AssetInfo info{e.width, e.height, 0};
  bool has_image = false;
  if (!e.image.empty()) {
    info.inline_bytes = e.image.size();
    assets_.Put(id, e.image);
    has_image = true;
  } else if (!e.uri.empty() && !config_.data_root.empty()) {
    try {
      assets_.AddPath(id, e.uri);
      has_image = true;
    } catch (const AssetError& ex) {
      ++assets_rejected_;
      last_error_ = ex.what();
      assets_.Remove(id);
    }
  } else {
    assets_.Remove(id);  // announced again without an image: the old one no longer applies
  }
  RememberAsset(id, info);
  // Decode now, off the prompt's path: the first prompt of an asset then finds it cached.
  if (has_image) ImageFor(e.meta.project, e.asset);
  return {};
}

EngineResult AgentEngine::OnPrompt(const PromptEvent& e) {
  AdvanceSimClock(e.meta);
  ProjectCounts& counts = counts_[e.meta.project];
  ++counts.prompts;
  const AnnotationKey key{e.meta.project, e.asset, e.prompt_id};
  EngineResult r;
  if (ledger_.WasAnnotated(key)) {
    // The human polygon exists already: a prediction now would not be blind, and the annotator
    // has no use for a suggestion.
    ++counts.withheld_already_annotated;
    r.withheld = true;
    r.withheld_reason = "already_annotated";
    return r;
  }
  RememberPrompt(key, e.prompt);

  // One read of the slot: the model that predicts is the model whose version is stored.
  const auto served = keeper_.Get();
  const ServingPolicy& policy = *served->model;
  BlindPrediction prediction;
  prediction.model_version = served->version;
  prediction.predicted_at_ms = EventMs(e.meta);
  Proposal proposal;
  bool usable = true;
  try {
    proposal = policy.Propose(ImageFor(e.meta.project, e.asset), e.prompt);
  } catch (const std::exception& ex) {
    // Stored as an empty prediction: when the annotation comes it scores 0, because a model that
    // cannot answer a prompt has failed it.
    usable = false;
    ++counts.predict_errors;
    last_error_ = std::string("predict: ") + ex.what();
    prediction.decision = "predict_error";
  }
  if (usable) {
    try {
      prediction.shape = Validate(proposal.shape);
    } catch (const std::invalid_argument& ex) {
      usable = false;
      ++counts.invalid_proposals;
      last_error_ = std::string("invalid proposal: ") + ex.what();
      prediction.decision = "invalid_proposal";
    }
  }
  double predicted = std::numeric_limits<double>::quiet_NaN();
  if (usable) {
    predicted = policy.has_value_head() ? proposal.confidence : FallbackPrediction(e.meta.project);
    const SuggestionVerdict verdict = gates_.Decide(e.meta.project, predicted);
    prediction.published = verdict.publish;
    prediction.decision = ToString(verdict.reason);
  }
  prediction.predicted_reward = predicted;
  const bool published = prediction.published;
  const std::string decision = prediction.decision;
  if (ledger_.Put(key, prediction) == PutResult::kDuplicate) ++counts.duplicate_prompts;

  r.withheld = !published;
  r.withheld_reason = published ? std::string() : decision;
  if (usable) {
    Suggestion s;
    s.project = e.meta.project;
    s.asset = e.asset;
    s.prompt_id = e.prompt_id;
    s.shape = std::move(prediction.shape);
    if (policy.has_value_head() && std::isfinite(proposal.confidence))
      s.confidence = std::clamp(proposal.confidence, 0.0, 1.0);
    s.model_version = policy.tag();
    s.source = proposal.source.empty() ? policy.name() : proposal.source;
    r.suggestion = std::move(s);
  }
  return r;
}

bool AgentEngine::Route(const AnnotationKey& key, const cv::Mat& image, const Prompt& prompt,
                        const Instance& human, Clock::time_point arrived) {
  ProjectCounts& counts = counts_[key.project];
  if (pool_.IsHeldOut(key)) {
    // Only an engine that learns needs the item itself (to score challengers).
    pool_.Offer(key, has_learner_
                         ? MakeHeldOutItem(key, image, prompt, human, config_.held_out.crop_margin)
                         : HeldOutItem{key, cv::Mat(), prompt, human});
    ++counts.held_out;
    return true;
  }
  pool_.Offer(key, HeldOutItem{});  // counted as trainable; nothing is stored
  ++counts.trained;
  TrainingExample example{key, image, prompt, human};
  if (background_) {
    background_->Add(std::move(example), arrived);
  } else if (sync_loop_) {
    sync_loop_->Add(std::move(example), arrived);
  } else {
    ++examples_without_learner_;
  }
  return false;
}

EngineResult AgentEngine::OnAnnotation(const AnnotationEvent& e) {
  const Clock::time_point arrived = Clock::now();
  AdvanceSimClock(e.meta);
  const std::uint64_t index = ++annotations_;
  ProjectCounts& counts = counts_[e.meta.project];
  ++counts.annotations;
  const std::string& project = e.meta.project;
  const std::int64_t at_ms = EventMs(e.meta);

  // The prompts it answers: the one it names, or every pending prompt of the asset.
  std::vector<std::string> prompt_ids;
  const bool asset_level = e.prompt_id.empty();
  if (asset_level) {
    const auto it = asset_prompts_.find(AssetId(project, e.asset));
    if (it != asset_prompts_.end()) prompt_ids = it->second;
  } else {
    prompt_ids.push_back(e.prompt_id);
  }

  // Take the blind predictions first: from here on the prompts count as annotated, and nothing
  // predicted later can be scored as blind.
  struct Blind {
    AnnotationKey key;
    BlindPrediction prediction;
  };
  std::vector<Blind> blind;
  for (const std::string& pid : prompt_ids) {
    const AnnotationKey key{project, e.asset, pid};
    TakeResult t = ledger_.Take(key, at_ms);
    if (t.status == TakeStatus::kBlind) {
      blind.push_back(Blind{key, std::move(*t.prediction)});
    } else if (t.status == TakeStatus::kNotBlind) {
      ++counts.not_blind;
    } else {
      ++counts.missing_predictions;
    }
  }

  std::vector<Instance> humans;
  humans.reserve(e.instances.size());
  for (const LabeledInstance& li : e.instances) humans.push_back(li.shape);

  EngineResult r;
  if (humans.empty()) {
    // Nothing to compare with or learn from: the predictions are consumed unscored.
    ++counts.annotations_empty;
    for (const std::string& pid : prompt_ids) ForgetPrompt({project, e.asset, pid});
    return r;
  }

  // Training pairs, chosen without looking at any prediction.
  std::vector<const Prompt*> known;
  std::vector<std::string> known_ids;
  for (const std::string& pid : prompt_ids) {
    const auto it = prompts_.find(AnnotationKey{project, e.asset, pid});
    if (it != prompts_.end()) {
      known.push_back(&it->second.prompt);
      known_ids.push_back(pid);
    }
  }
  struct Pair {
    AnnotationKey key;
    Prompt prompt;
    std::size_t instance;
  };
  std::vector<Pair> pairs;
  if (!asset_level && known.empty()) {
    // A prompt the engine never saw (or forgot): its instance's bounding box stands in for it.
    ++counts.prompts_unknown;
    pairs.push_back(Pair{{project, e.asset, e.prompt_id}, PromptAround(humans[0]), 0});
    counts.instances_unused += humans.size() - 1;
  } else {
    const std::vector<int> paired = PairPromptsWithInstances(known, humans);
    std::vector<bool> used(humans.size(), false);
    for (std::size_t i = 0; i < known.size(); ++i) {
      // A prompt-level answer whose boxes miss every instance still answers that prompt.
      const int j = paired[i] >= 0 ? paired[i] : (asset_level ? -1 : 0);
      if (j < 0) continue;
      used[static_cast<std::size_t>(j)] = true;
      pairs.push_back(
          Pair{{project, e.asset, known_ids[i]}, *known[i], static_cast<std::size_t>(j)});
    }
    for (std::size_t j = 0; j < humans.size(); ++j) {
      if (used[j]) continue;
      if (asset_level) {
        // An object drawn without a prompt: its bounding box is the prompt it would have had.
        pairs.push_back(
            Pair{{project, e.asset, "_instance/" + std::to_string(j)}, PromptAround(humans[j]), j});
      } else {
        ++counts.instances_unused;
      }
    }
  }

  // Route every pair: held-out items to the pool, the rest to the learner.
  const cv::Mat image = ImageFor(project, e.asset);
  std::map<std::string, bool> held_out;  // by prompt id
  for (const Pair& p : pairs) {
    held_out[p.key.prompt_id] = Route(p.key, image, p.prompt, humans[p.instance], arrived);
  }

  // Score the blind predictions against the instances (Hungarian on the reward) and record
  // them with the gate.
  if (!blind.empty()) {
    std::vector<Instance> proposals;
    proposals.reserve(blind.size());
    for (const Blind& b : blind) proposals.push_back(b.prediction.shape);
    const std::vector<MatchedScore> matched =
        MatchAndScore(config_.reward, proposals, humans, config_.score_clicks);
    for (std::size_t i = 0; i < blind.size(); ++i) {
      const BlindPrediction& p = blind[i].prediction;
      BlindScore s;
      s.project = project;
      s.asset = e.asset;
      s.prompt_id = blind[i].key.prompt_id;
      s.model_version = keeper_.TagOf(p.model_version);
      s.reward = matched[i].score.reward;
      s.components = matched[i].score.components;
      s.predicted_reward = p.predicted_reward;
      s.published = p.published;
      s.decision = p.decision;
      const auto h = held_out.find(s.prompt_id);
      s.held_out = h != held_out.end() ? h->second : pool_.IsHeldOut(blind[i].key);
      s.annotation_index = index;
      s.instance = matched[i].instance;
      s.evidence = gates_.Accepts(project, p.model_version);
      gates_.Record(project, s.reward, p.model_version, index);
      ++counts.scored;
      if (!s.evidence) ++counts.stale_scores;
      r.scores.push_back(std::move(s));
    }
  }
  TakeDecisions(r);
  for (const std::string& pid : prompt_ids) ForgetPrompt({project, e.asset, pid});

  if (sync_loop_ && config_.learning.mode == LearningMode::kPerAnnotation) {
    sync_loop_->Run(config_.learning.updates_per_annotation);
  }
  return r;
}

EngineResult AgentEngine::OnFeedback(const FeedbackEvent& e) {
  AdvanceSimClock(e.meta);
  ProjectCounts& counts = counts_[e.meta.project];
  switch (e.verdict) {
    case FeedbackVerdict::kAccepted:
      ++counts.feedback_accepted;
      break;
    case FeedbackVerdict::kEdited:
      ++counts.feedback_edited;
      break;
    case FeedbackVerdict::kRejected:
      ++counts.feedback_rejected;
      break;
  }
  if (std::isfinite(e.edit_seconds)) {
    counts.edit_seconds_sum += e.edit_seconds;
    ++counts.edit_seconds_n;
  }
  return {};
}

EngineResult AgentEngine::OnControl(const ControlEvent& e) {
  AdvanceSimClock(e.meta);
  if (e.action != "rollback") {
    ++controls_failed_;
    throw std::invalid_argument("unknown control action '" + e.action + "'");
  }
  RollbackOutcome out;
  try {
    out = keeper_.Rollback(e.version, e.note.empty() ? "rollback by control message" : e.note);
  } catch (const std::exception& ex) {
    ++controls_failed_;
    last_control_ =
        std::string("rollback to v") + std::to_string(e.version) + " failed: " + ex.what();
    throw;
  }
  ++controls_applied_;
  last_control_ = "rollback from " + keeper_.TagOf(out.previous) + " to " +
                  keeper_.TagOf(out.serving) + " (newest v" + std::to_string(out.newest) + ")";
  // The window described another model; docs/gate.md, "When the serving model changes".
  gates_.RestartAll(out.serving, out.newest);
  EngineResult r;
  TakeDecisions(r);
  return r;
}

// ---- status -----------------------------------------------------------------------------------

std::string AgentEngine::DetailJson(const LearningProgress& p) const {
  json gate;
  to_json(gate, config_.gate);
  json challenge = nullptr;
  if (p.last_challenge) {
    const ChallengeResult& c = *p.last_challenge;
    challenge = json{{"n", c.n},
                     {"champion_mean", Number(c.champion_mean)},
                     {"challenger_mean", Number(c.challenger_mean)},
                     {"tolerance", c.tolerance},
                     {"replace", c.replace},
                     {"reason", c.reason}};
  }
  const HeldOutCounters hc = pool_.counters();
  const LedgerCounters lc = ledger_.counters();
  const AssetCacheStats ac = assets_.cache_stats();
  json out{
      {"agent", name_},
      {"model",
       {{"serving", serving_tag()},
        {"serving_version", keeper_.serving_version()},
        {"newest_version", keeper_.newest_version()},
        {"registry", config_.registry_dir.string()},
        {"resumed_from_registry", keeper_.resumed()},
        {"promotions", keeper_.promotions()},
        {"rollbacks", keeper_.rollbacks()}}},
      {"gate", std::move(gate)},
      {"schedule", schedule()},
      {"held_out",
       {{"fraction", config_.held_out.pool.fraction},
        {"seed", config_.held_out.pool.seed},
        {"stored", pool_.size()},
        {"fingerprint", pool_.fingerprint()},
        {"held_out", hc.held_out},
        {"trainable", hc.trainable},
        {"champion_mean", Number(p.champion_held_out)},
        {"champion_n", p.champion_held_out_n},
        {"champion_pool_fingerprint", p.champion_pool_fingerprint},
        {"last_challenge", std::move(challenge)}}},
      {"ledger",
       {{"pending", ledger_.pending()},
        {"stored", lc.stored},
        {"duplicates", lc.duplicates},
        {"refused_after_annotation", lc.refused_after_annotation},
        {"taken_blind", lc.taken_blind},
        {"missing", lc.missing},
        {"not_blind", lc.not_blind},
        {"evicted_capacity", lc.evicted_capacity},
        {"evicted_age", lc.evicted_age}}},
      {"assets",
       {{"known", asset_order_.size()},
        {"inline_bytes", inline_bytes_},
        {"evicted", assets_evicted_},
        {"rejected", assets_rejected_},
        {"cache_hits", ac.hits},
        {"cache_misses", ac.misses},
        {"cache_bytes", ac.bytes}}},
      {"controls",
       {{"applied", controls_applied_}, {"failed", controls_failed_}, {"last", last_control_}}},
      {"last_error", last_error_.empty() ? json(nullptr) : json(last_error_)},
      {"learner_last_error", p.last_error.empty() ? json(nullptr) : json(p.last_error)}};
  return out.dump();
}

EngineStatus AgentEngine::Status() const {
  EngineStatus st;
  st.engine = "agent:" + name_;
  st.model_version = serving_tag();
  st.reward_window = config_.gate.window;
  for (const GateStatus& g : gates_.Snapshot()) {
    ProjectStatus p;
    p.project = g.project;
    p.mode = ToString(g.mode);
    p.publishing = g.mode == GateMode::kLive;
    p.n = g.stats.n;
    p.mean = g.stats.mean;
    p.lower_bound = g.stats.lcb;
    p.threshold = g.config.threshold;
    const GateCounters& c = g.counters;
    auto& m = p.counters;
    m["stddev"] = g.stats.stddev;
    m["last_model_version"] = static_cast<double>(g.last_model_version);
    m["rewards_recorded"] = static_cast<double>(c.rewards_recorded);
    m["rewards_rejected"] = static_cast<double>(c.rewards_rejected);
    m["rewards_stale"] = static_cast<double>(c.rewards_stale);
    m["promotions"] = static_cast<double>(c.promotions);
    m["demotions"] = static_cast<double>(c.demotions);
    m["restarts"] = static_cast<double>(c.restarts);
    m["published"] = static_cast<double>(c.published);
    m["withheld_shadow"] = static_cast<double>(c.withheld_shadow);
    m["withheld_below_floor"] = static_cast<double>(c.withheld_below_floor);
    m["withheld_no_prediction"] = static_cast<double>(c.withheld_no_prediction);
    const auto it = counts_.find(g.project);
    if (it != counts_.end()) {
      const ProjectCounts& k = it->second;
      m["prompts"] = static_cast<double>(k.prompts);
      m["duplicate_prompts"] = static_cast<double>(k.duplicate_prompts);
      m["withheld_already_annotated"] = static_cast<double>(k.withheld_already_annotated);
      m["predict_errors"] = static_cast<double>(k.predict_errors);
      m["invalid_proposals"] = static_cast<double>(k.invalid_proposals);
      m["annotations"] = static_cast<double>(k.annotations);
      m["annotations_empty"] = static_cast<double>(k.annotations_empty);
      m["scored"] = static_cast<double>(k.scored);
      m["stale_scores"] = static_cast<double>(k.stale_scores);
      m["missing_predictions"] = static_cast<double>(k.missing_predictions);
      m["not_blind"] = static_cast<double>(k.not_blind);
      m["prompts_unknown"] = static_cast<double>(k.prompts_unknown);
      m["instances_unused"] = static_cast<double>(k.instances_unused);
      m["held_out"] = static_cast<double>(k.held_out);
      m["trained"] = static_cast<double>(k.trained);
      m["feedback_accepted"] = static_cast<double>(k.feedback_accepted);
      m["feedback_edited"] = static_cast<double>(k.feedback_edited);
      m["feedback_rejected"] = static_cast<double>(k.feedback_rejected);
      m["edit_seconds_mean"] = k.edit_seconds_n == 0
                                   ? std::numeric_limits<double>::quiet_NaN()
                                   : k.edit_seconds_sum / static_cast<double>(k.edit_seconds_n);
    }
    st.projects.push_back(std::move(p));
  }
  const LearningProgress lp = learning_progress();
  auto& l = st.learner;
  l["serving_version"] = static_cast<double>(keeper_.serving_version());
  l["newest_version"] = static_cast<double>(keeper_.newest_version());
  l["examples_added"] = static_cast<double>(lp.examples_added);
  l["updates"] = static_cast<double>(lp.updates);
  l["update_calls"] = static_cast<double>(lp.update_calls);
  l["skipped_non_finite"] = static_cast<double>(lp.skipped_non_finite);
  l["non_finite_reports"] = static_cast<double>(lp.non_finite_reports);
  l["updates_forgone_empty"] = static_cast<double>(lp.updates_forgone_empty);
  l["updates_forgone_ratio"] = static_cast<double>(lp.updates_forgone_ratio);
  l["challenges"] = static_cast<double>(lp.challenges);
  l["promotions"] = static_cast<double>(lp.promotions);
  l["rejections"] = static_cast<double>(lp.rejections);
  l["challenges_pool_too_small"] = static_cast<double>(lp.challenges_pool_too_small);
  l["challenges_non_finite_loss"] = static_cast<double>(lp.challenges_non_finite_loss);
  l["challenges_superseded"] = static_cast<double>(lp.challenges_superseded);
  l["champion_failed_items"] = static_cast<double>(lp.champion_failed_items);
  l["learner_errors"] = static_cast<double>(lp.learner_errors);
  l["loss"] = lp.last_loss;
  l["sampled_reward"] = lp.last_sampled_reward;
  l["greedy_reward"] = lp.last_greedy_reward;
  l["value_error"] = lp.last_value_error;
  l["held_out_champion_mean"] = lp.champion_held_out;
  l["held_out_champion_n"] = static_cast<double>(lp.champion_held_out_n);
  l["held_out_stored"] = static_cast<double>(pool_.size());
  l["annotation_to_serving_count"] = static_cast<double>(lp.annotation_to_serving.count);
  l["annotation_to_serving_last_seconds"] = lp.annotation_to_serving.last_s;
  l["annotation_to_serving_p50_seconds"] = lp.annotation_to_serving.p50_s;
  l["annotation_to_serving_p99_seconds"] = lp.annotation_to_serving.p99_s;
  l["examples_without_learner"] = static_cast<double>(examples_without_learner_);
  l["controls_applied"] = static_cast<double>(controls_applied_);
  l["controls_failed"] = static_cast<double>(controls_failed_);
  l["ledger_pending"] = static_cast<double>(ledger_.pending());
  if (background_) {
    const LearnerQueueStats q = background_->Queue();
    l["queue_depth"] = static_cast<double>(q.depth);
    l["queue_full_waits"] = static_cast<double>(q.full_waits);
    l["queue_wait_seconds"] = q.wait_seconds;
  }
  for (const auto& [k, v] : lp.learner) l["learner." + k] = v;
  st.detail_json = DetailJson(lp);
  return st;
}

}  // namespace understudy
