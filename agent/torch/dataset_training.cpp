#include "agent/torch/dataset_training.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "env/asset_store.h"
#include "env/proposer_factory.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

std::vector<DatasetAnnotation> DatasetAnnotations(const Dataset& dataset,
                                                  const std::string& project) {
  std::vector<DatasetAnnotation> out;
  for (std::size_t a = 0; a < dataset.assets.size(); ++a) {
    const AssetRecord& asset = dataset.assets[a];
    for (std::size_t i = 0; i < asset.instances.size(); ++i) {
      if (asset.instances[i].crowd) continue;
      out.push_back({{project, asset.id, std::to_string(i)}, a, i});
    }
  }
  return out;
}

AddReport AddDataset(Learner& learner, const EpisodeSource& episodes,
                     const std::vector<DatasetAnnotation>& annotations, const HeldOutSplit& split,
                     const std::function<void(std::size_t, std::size_t)>& progress) {
  if (annotations.size() != episodes.size()) {
    throw std::invalid_argument("AddDataset: " + std::to_string(annotations.size()) +
                                " annotations for " + std::to_string(episodes.size()) +
                                " episodes");
  }
  AddReport report;
  for (std::size_t i = 0; i < annotations.size(); ++i) {
    const DatasetAnnotation& a = annotations[i];
    if (split.IsHeldOut(a.key)) {
      ++report.held_out;
    } else {
      try {
        const Episode e = episodes.Get(i);
        learner.Add({a.key, e.image, e.prompt, *e.human});
        ++report.added;
      } catch (const std::invalid_argument& err) {  // bad geometry or image: count, go on
        report.rejected.push_back(ToString(a.key) + ": " + err.what());
      } catch (const AssetError& err) {
        report.rejected.push_back(ToString(a.key) + ": " + err.what());
      }
    }
    if (progress) progress(i + 1, annotations.size());
  }
  return report;
}

Dataset HeldOutSubset(const Dataset& dataset, const std::vector<DatasetAnnotation>& annotations,
                      const HeldOutSplit& split) {
  Dataset out;
  out.image_root = dataset.image_root;
  out.class_names = dataset.class_names;
  std::vector<std::vector<std::size_t>> keep(dataset.assets.size());
  for (const DatasetAnnotation& a : annotations) {
    if (split.IsHeldOut(a.key)) keep[a.asset].push_back(a.instance);
  }
  for (std::size_t a = 0; a < dataset.assets.size(); ++a) {
    if (keep[a].empty()) continue;
    AssetRecord asset = dataset.assets[a];
    asset.instances.clear();
    for (std::size_t i : keep[a]) asset.instances.push_back(dataset.assets[a].instances[i]);
    out.assets.push_back(std::move(asset));
  }
  return out;
}

double PrequentialResult::Mean(const std::vector<double>& v, std::size_t first, std::size_t last) {
  last = std::min(last, v.size());
  if (first >= last) return 0.0;
  double sum = 0.0;
  for (std::size_t i = first; i < last; ++i) sum += v[i];
  return sum / static_cast<double>(last - first);
}

PrequentialResult RunPrequential(Learner& learner, std::unique_ptr<Policy> initial,
                                 const EpisodeSource& episodes,
                                 const std::vector<DatasetAnnotation>& annotations,
                                 const PrequentialOptions& options) {
  if (!initial) throw std::invalid_argument("RunPrequential: no initial policy");
  if (options.updates_per_annotation < 0 || options.refresh_every < 1) {
    throw std::invalid_argument("RunPrequential: updates_per_annotation = " +
                                std::to_string(options.updates_per_annotation) +
                                ", refresh_every = " + std::to_string(options.refresh_every) +
                                " (need >= 0 and >= 1)");
  }
  if (annotations.size() != episodes.size()) {
    throw std::invalid_argument("RunPrequential: annotations and episodes differ in number");
  }
  PrequentialResult r;
  std::vector<std::unique_ptr<Proposer>> baselines;
  for (const std::string& name : options.baselines) {
    baselines.push_back(MakeProposer(name));
    r.baseline_names.push_back(name);
  }
  r.baselines.resize(baselines.size());
  std::unique_ptr<Policy> serving = std::move(initial);
  const std::size_t total =
      options.limit > 0 ? std::min(options.limit, annotations.size()) : annotations.size();
  for (std::size_t i = 0; i < total; ++i) {
    const Episode e = episodes.Get(i);
    const Instance human = Validate(*e.human);
    auto t0 = std::chrono::steady_clock::now();
    const Proposal blind = serving->Propose(e.image, e.prompt);
    r.propose_seconds += Seconds(t0);
    r.agent.push_back(ExactIou(blind.shape, human));
    r.confidence.push_back(blind.confidence);
    r.sources.push_back(blind.source);
    for (std::size_t b = 0; b < baselines.size(); ++b) {
      r.baselines[b].push_back(ExactIou(baselines[b]->Propose(e.image, e.prompt).shape, human));
    }
    t0 = std::chrono::steady_clock::now();
    learner.Add({annotations[i].key, e.image, e.prompt, human});
    const UpdateReport u = learner.Update(options.updates_per_annotation);
    r.updates += u.steps;
    r.skipped_non_finite += u.skipped_non_finite;
    if ((i + 1) % static_cast<std::size_t>(options.refresh_every) == 0) {
      serving = learner.MakePolicy();
    }
    r.learn_seconds += Seconds(t0);
    if (options.progress) options.progress(i + 1, total);
  }
  return r;
}

}  // namespace understudy
