#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "env/proposer.h"
#include "transport/engine.h"

namespace cv {
class Mat;
}

namespace understudy {

/** Knobs of the baseline engine. */
struct ProposerEngineOptions {
  std::filesystem::path image_root;  // relative asset uris are read from here; empty: never
  std::size_t max_images = 64;       // decoded images kept (least recently used dropped)
  std::size_t max_image_bytes = std::size_t{1} << 30;  // and at most this many decoded bytes
  std::size_t max_assets = 1000000;                    // asset sizes and uris kept
  std::size_t reward_window = 100;                     // IoU scores kept per project for /status
  std::size_t max_pending = 100000;  // suggestions awaiting their annotation, for scoring
  bool score_clicks = true;          // scores carry the simulated annotator's clicks
  /** Throws std::invalid_argument naming the field and value. */
  void Validate() const;
};

/**
 * The ungated baseline (`serve --proposer NAME`, demos and transport benchmarks): every prompt
 * goes to one Proposer and its outline is published at once (there is no gate; the gated agent
 * is agent/agent_engine.h). When the human annotation for a prompt arrives, the suggestion is
 * scored against it (IoU, the reward's default, with its clicks) and the score is returned like
 * the agent's, so /status shows how good the baseline is per project. Images come inline with
 * the asset or from image_root/uri; without either, the proposer gets a blank image of the
 * announced size (BlankImage: enough for the box and ellipse baselines).
 */
class ProposerEngine : public Engine {
 public:
  explicit ProposerEngine(std::unique_ptr<Proposer> proposer, ProposerEngineOptions options = {});
  ~ProposerEngine() override;

  EngineResult OnAsset(const AssetEvent& event) override;
  EngineResult OnPrompt(const PromptEvent& event) override;
  EngineResult OnAnnotation(const AnnotationEvent& event) override;
  EngineResult OnFeedback(const FeedbackEvent& event) override;
  EngineStatus Status() const override;

 private:
  struct AssetInfo {
    int width = 0;
    int height = 0;
    std::string uri;
    std::list<std::string>::iterator order;
  };
  struct PendingSuggestion {
    Instance shape;
    double confidence = 0.0;
  };
  struct ProjectStats {
    std::deque<double> rewards;
    double sum = 0.0;
    std::uint64_t prompts = 0;
    std::uint64_t scored = 0;
    std::uint64_t iou_errors = 0;
    std::map<std::string, std::uint64_t> feedback;  // by verdict
  };
  const cv::Mat& ImageFor(const std::string& key);
  void Remember(const std::string& key, cv::Mat image);

  std::unique_ptr<Proposer> proposer_;
  ProposerEngineOptions options_;
  std::unordered_map<std::string, AssetInfo> assets_;
  std::list<std::string> asset_order_;  // oldest first
  struct CachedImage;
  std::unordered_map<std::string, std::unique_ptr<CachedImage>> images_;
  std::list<std::string> image_lru_;  // most recent first
  std::size_t image_bytes_ = 0;
  std::unique_ptr<cv::Mat> empty_;
  std::unordered_map<std::string, PendingSuggestion> pending_;  // (project, asset, prompt) ->
  std::deque<std::string> pending_order_;
  std::map<std::string, ProjectStats> projects_;
  std::uint64_t annotations_ = 0;
};

}  // namespace understudy
