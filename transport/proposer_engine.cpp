#include "transport/proposer_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>
#include <utility>

#include "rewards/reward_spec.h"
#include "transport/blank_image.h"
#include "transport/scoring.h"

namespace understudy {
namespace {

std::string Key(const std::string& project, const std::string& asset) {
  return project + '\0' + asset;
}

std::string PromptKey(const std::string& project, const std::string& asset,
                      const std::string& prompt) {
  return project + '\0' + asset + '\0' + prompt;
}

// Relative, and without any ".." step: a uri may not read outside image_root.
bool SafeRelative(const std::filesystem::path& p) {
  if (p.empty() || p.is_absolute()) return false;
  return std::none_of(p.begin(), p.end(),
                      [](const std::filesystem::path& part) { return part == ".."; });
}

}  // namespace

struct ProposerEngine::CachedImage {
  cv::Mat image;
  std::list<std::string>::iterator lru;
};

void ProposerEngineOptions::Validate() const {
  auto positive = [](const char* field, std::size_t v) {
    if (v == 0)
      throw std::invalid_argument(std::string("proposer engine: ") + field +
                                  " = 0 must be positive");
  };
  positive("max_images", max_images);
  positive("max_image_bytes", max_image_bytes);
  positive("max_assets", max_assets);
  positive("reward_window", reward_window);
  positive("max_pending", max_pending);
}

ProposerEngine::ProposerEngine(std::unique_ptr<Proposer> proposer, ProposerEngineOptions options)
    : proposer_(std::move(proposer)),
      options_(std::move(options)),
      empty_(std::make_unique<cv::Mat>()) {
  if (!proposer_) throw std::invalid_argument("ProposerEngine: proposer is null");
  options_.Validate();
}

ProposerEngine::~ProposerEngine() = default;

void ProposerEngine::Remember(const std::string& key, cv::Mat image) {
  auto bytes = [](const cv::Mat& m) { return m.total() * m.elemSize(); };
  auto it = images_.find(key);
  if (it != images_.end()) {
    image_bytes_ -= bytes(it->second->image);
    image_lru_.erase(it->second->lru);
    images_.erase(it);
  }
  if (image.empty()) return;
  image_bytes_ += bytes(image);
  image_lru_.push_front(key);
  auto cached = std::make_unique<CachedImage>();
  cached->image = std::move(image);
  cached->lru = image_lru_.begin();
  images_[key] = std::move(cached);
  // The newest image always stays: the caller is about to use it.
  while (images_.size() > 1 &&
         (images_.size() > options_.max_images || image_bytes_ > options_.max_image_bytes)) {
    const auto victim = images_.find(image_lru_.back());
    image_bytes_ -= bytes(victim->second->image);
    images_.erase(victim);
    image_lru_.pop_back();
  }
}

const cv::Mat& ProposerEngine::ImageFor(const std::string& key) {
  auto it = images_.find(key);
  if (it != images_.end()) {
    image_lru_.splice(image_lru_.begin(), image_lru_, it->second->lru);
    return it->second->image;
  }
  const auto info = assets_.find(key);
  if (info != assets_.end() && !options_.image_root.empty() && SafeRelative(info->second.uri)) {
    cv::Mat image = cv::imread((options_.image_root / info->second.uri).string(), cv::IMREAD_COLOR);
    if (!image.empty()) {
      Remember(key, std::move(image));
      return images_.at(key)->image;
    }
  }
  // No image: a blank frame of the announced size, so outlines are clipped to the asset.
  *empty_ = info != assets_.end() ? BlankImage(info->second.width, info->second.height) : cv::Mat();
  return *empty_;
}

EngineResult ProposerEngine::OnAsset(const AssetEvent& e) {
  const std::string key = Key(e.meta.project, e.asset);
  auto it = assets_.find(key);
  if (it == assets_.end()) {
    asset_order_.push_back(key);
    it = assets_.emplace(key, AssetInfo{}).first;
    it->second.order = std::prev(asset_order_.end());
    while (assets_.size() > options_.max_assets) {
      Remember(asset_order_.front(), cv::Mat());
      assets_.erase(asset_order_.front());
      asset_order_.pop_front();
    }
  }
  it->second.width = e.width;
  it->second.height = e.height;
  it->second.uri = e.uri;
  cv::Mat image;
  if (!e.image.empty()) {
    image = cv::imdecode(cv::Mat(1, static_cast<int>(e.image.size()), CV_8UC1,
                                 const_cast<std::uint8_t*>(e.image.data())),
                         cv::IMREAD_COLOR);
    if (image.empty())
      throw std::invalid_argument("asset '" + e.asset + "': inline image does not decode");
  }
  Remember(key, std::move(image));
  return {};
}

EngineResult ProposerEngine::OnPrompt(const PromptEvent& e) {
  ProjectStats& stats = projects_[e.meta.project];
  ++stats.prompts;
  const Proposal p = proposer_->Propose(ImageFor(Key(e.meta.project, e.asset)), e.prompt);
  EngineResult r;
  Suggestion s;
  s.project = e.meta.project;
  s.asset = e.asset;
  s.prompt_id = e.prompt_id;
  s.shape = p.shape;
  s.confidence = p.confidence;
  s.model_version = "baseline:" + proposer_->name();
  s.source = p.source.empty() ? proposer_->name() : p.source;
  const std::string pk = PromptKey(e.meta.project, e.asset, e.prompt_id);
  if (pending_.insert_or_assign(pk, PendingSuggestion{p.shape, p.confidence}).second)
    pending_order_.push_back(pk);
  while (pending_order_.size() > options_.max_pending) {
    pending_.erase(pending_order_.front());
    pending_order_.pop_front();
  }
  r.suggestion = std::move(s);
  return r;
}

EngineResult ProposerEngine::OnAnnotation(const AnnotationEvent& e) {
  ++annotations_;
  if (e.prompt_id.empty() || e.instances.empty()) return {};
  const auto it = pending_.find(PromptKey(e.meta.project, e.asset, e.prompt_id));
  if (it == pending_.end()) return {};
  ProjectStats& stats = projects_[e.meta.project];
  std::vector<Instance> humans;
  humans.reserve(e.instances.size());
  for (const LabeledInstance& li : e.instances) humans.push_back(li.shape);
  static const RewardSpec kIou;  // the reward's default: IoU only
  MatchedScore m;
  try {
    m = MatchAndScore(kIou, {it->second.shape}, humans, options_.score_clicks).front();
  } catch (const std::exception&) {
    // A proposer shape the metrics cannot handle scores as a miss (and is counted) rather than
    // failing the annotation call.
    m = MatchedScore{};
    m.score.components["iou"] = 0.0;
    ++stats.iou_errors;
  }
  EngineResult r;
  BlindScore s;
  s.project = e.meta.project;
  s.asset = e.asset;
  s.prompt_id = e.prompt_id;
  s.model_version = "baseline:" + proposer_->name();
  s.reward = m.score.reward;
  s.components = std::move(m.score.components);
  s.predicted_reward = it->second.confidence;
  s.published = true;  // this engine publishes every suggestion
  s.decision = "published";
  s.annotation_index = annotations_;
  s.instance = m.instance;
  r.scores.push_back(std::move(s));
  pending_.erase(it);  // its entry in pending_order_ is skipped when it reaches the front
  const double best = r.scores.back().reward;
  stats.rewards.push_back(best);
  stats.sum += best;
  ++stats.scored;
  if (stats.rewards.size() > options_.reward_window) {
    stats.sum -= stats.rewards.front();
    stats.rewards.pop_front();
  }
  return r;
}

EngineResult ProposerEngine::OnFeedback(const FeedbackEvent& e) {
  ++projects_[e.meta.project].feedback[ToString(e.verdict)];
  return {};
}

EngineStatus ProposerEngine::Status() const {
  EngineStatus st;
  st.engine = "proposer:" + proposer_->name();
  st.model_version = "baseline:" + proposer_->name();
  st.reward_window = options_.reward_window;
  std::uint64_t prompts = 0, scored = 0, iou_errors = 0;
  for (const auto& [project, stats] : projects_) {
    ProjectStatus p;
    p.project = project;
    p.mode = "baseline";
    p.publishing = true;
    p.n = stats.rewards.size();
    p.mean = stats.rewards.empty() ? std::numeric_limits<double>::quiet_NaN()
                                   : stats.sum / static_cast<double>(stats.rewards.size());
    st.projects.push_back(p);
    prompts += stats.prompts;
    scored += stats.scored;
    iou_errors += stats.iou_errors;
  }
  st.learner["prompts"] = static_cast<double>(prompts);
  st.learner["scored"] = static_cast<double>(scored);
  st.learner["iou_errors"] = static_cast<double>(iou_errors);
  st.learner["images_cached"] = static_cast<double>(images_.size());
  st.learner["image_cache_bytes"] = static_cast<double>(image_bytes_);
  return st;
}

}  // namespace understudy
