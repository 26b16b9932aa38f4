#include "env/baseline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <numeric>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>

#include "env/asset_store.h"
#include "rewards/clicks.h"
#include "rewards/iou.h"

namespace understudy {
namespace {

template <typename Field>
double Mean(const std::vector<InstanceScore>& scores, Field field) {
  if (scores.empty()) return 0.0;
  double sum = 0.0;
  for (const InstanceScore& s : scores) sum += static_cast<double>(field(s));
  return sum / static_cast<double>(scores.size());
}

template <typename Field>
double Median(const std::vector<InstanceScore>& scores, Field field) {
  if (scores.empty()) return 0.0;
  std::vector<double> v;
  v.reserve(scores.size());
  for (const InstanceScore& s : scores) v.push_back(static_cast<double>(field(s)));
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Iou(const InstanceScore& s) { return s.iou; }
double Fix(const InstanceScore& s) { return static_cast<double>(s.clicks_to_fix); }
double Draw(const InstanceScore& s) { return static_cast<double>(s.clicks_to_draw); }

}  // namespace

void BaselineOptions::Validate() const {
  prompts.Validate();
  if (!(clicks_tolerance > 0.0 && std::isfinite(clicks_tolerance))) {
    throw std::invalid_argument("BaselineOptions.clicks_tolerance = " +
                                std::to_string(clicks_tolerance) + " (must be finite and > 0)");
  }
}

double BaselineReport::MeanIou() const { return Mean(scores, Iou); }
double BaselineReport::MedianIou() const { return Median(scores, Iou); }
double BaselineReport::MeanClicksToFix() const { return Mean(scores, Fix); }
double BaselineReport::MedianClicksToFix() const { return Median(scores, Fix); }
double BaselineReport::MeanClicksToDraw() const { return Mean(scores, Draw); }
double BaselineReport::MedianClicksToDraw() const { return Median(scores, Draw); }

std::size_t BaselineReport::Fallbacks() const {
  return static_cast<std::size_t>(std::count_if(
      scores.begin(), scores.end(), [&](const InstanceScore& s) { return s.source != proposer; }));
}

double BaselineReport::TotalSeconds() const {
  double t = 0.0;
  for (const InstanceScore& s : scores) t += s.seconds;
  return t;
}

std::vector<BaselineReport> EvaluateProposers(const Dataset& dataset,
                                              const std::vector<Proposer*>& proposers,
                                              const BaselineOptions& options) {
  options.Validate();
  const PromptSampler sampler(options.prompts);
  std::vector<BaselineReport> reports(proposers.size());
  for (std::size_t p = 0; p < proposers.size(); ++p) reports[p].proposer = proposers[p]->name();

  std::size_t total = 0;
  for (const AssetRecord& a : dataset.assets) {
    total += static_cast<std::size_t>(
        std::count_if(a.instances.begin(), a.instances.end(),
                      [](const AnnotatedInstance& i) { return !i.crowd; }));
  }
  if (options.limit > 0) total = std::min(total, options.limit);

  // Each image is decoded once, used by every proposer and dropped: nothing to cache.
  AssetStoreOptions store_options;
  store_options.data_root = dataset.image_root;
  store_options.cache_bytes = 0;
  AssetStore store(store_options);

  std::size_t done = 0;
  for (std::size_t a = 0; a < dataset.assets.size() && done < total; ++a) {
    const AssetRecord& asset = dataset.assets[a];
    if (asset.instances.empty()) continue;
    cv::Mat image;
    try {
      if (!asset.data.empty()) {
        store.Put(asset.id, asset.data);
      } else {
        store.AddPath(asset.id, asset.path);
      }
      image = store.Get(asset.id);
      store.Remove(asset.id);
      if ((asset.width > 0 && image.cols != asset.width) ||
          (asset.height > 0 && image.rows != asset.height)) {
        throw std::runtime_error("image is " + std::to_string(image.cols) + "x" +
                                 std::to_string(image.rows) + " but the record says " +
                                 std::to_string(asset.width) + "x" + std::to_string(asset.height));
      }
    } catch (const std::exception& e) {
      // Rejected and counted, never dropped silently: every instance of the asset is reported.
      for (BaselineReport& r : reports)
        r.rejected.push_back({"asset '" + asset.id + "'", e.what()});
      continue;
    }
    for (std::size_t i = 0; i < asset.instances.size() && done < total; ++i) {
      const AnnotatedInstance& human = asset.instances[i];
      if (human.crowd) {
        for (BaselineReport& r : reports) ++r.crowd_skipped;
        continue;
      }
      const std::string where = "asset '" + asset.id + "' instance " + std::to_string(i);
      const std::size_t to_draw = ClicksToDraw(human.shape);
      Prompt prompt;
      try {
        prompt = sampler.Sample(human.shape, image.cols, image.rows, done);
      } catch (const std::exception& e) {
        for (BaselineReport& r : reports) r.rejected.push_back({where, e.what()});
        ++done;
        continue;
      }
      for (std::size_t p = 0; p < proposers.size(); ++p) {
        try {
          const auto start = std::chrono::steady_clock::now();
          Proposal proposal = proposers[p]->Propose(image, prompt);
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          InstanceScore score;
          score.asset = a;
          score.instance = i;
          score.iou = ExactIou(proposal.shape, human.shape);
          score.clicks_to_fix =
              ClicksToFix(proposal.shape, human.shape, options.clicks_tolerance).Total();
          score.clicks_to_draw = to_draw;
          score.seconds = seconds;
          score.source = std::move(proposal.source);
          reports[p].scores.push_back(std::move(score));
        } catch (const std::exception& e) {
          reports[p].rejected.push_back({where, e.what()});
        }
      }
      ++done;
      if (options.progress) options.progress(done, total);
    }
  }
  return reports;
}

}  // namespace understudy
