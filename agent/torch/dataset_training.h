#pragma once

// Torch-free drivers of a Learner over a dataset: offline pretraining (`understudy train`) and
// the prequential ("predict blind, then learn") learning curve that docs/agent.md reports.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/annotation_key.h"
#include "agent/held_out_split.h"
#include "agent/learner.h"
#include "env/dataset.h"
#include "env/episode_source.h"
#include "env/prompt_sampler.h"

namespace understudy {

/** One human annotation of a dataset: which instance, and its key. */
struct DatasetAnnotation {
  AnnotationKey key;  // (project, asset id, instance index)
  std::size_t asset = 0;
  std::size_t instance = 0;
};

/** Every non-crowd instance in dataset order: the order of EpisodeSource's episodes, so
 *  annotation i is episode i of an EpisodeSource over the same dataset. */
std::vector<DatasetAnnotation> DatasetAnnotations(const Dataset& dataset,
                                                  const std::string& project);

/** What AddDataset did. */
struct AddReport {
  std::size_t added = 0;
  std::size_t held_out = 0;           // not added: the split holds them out
  std::vector<std::string> rejected;  // "key: why" for examples the learner refused
};

/** Adds every annotation that `split` does not hold out to `learner` (prompts from `episodes`,
 *  whose episode i is annotation i). A rejected example is recorded and skipped.
 *  `progress(done, total)` is called after each one when set. */
AddReport AddDataset(Learner& learner, const EpisodeSource& episodes,
                     const std::vector<DatasetAnnotation>& annotations, const HeldOutSplit& split,
                     const std::function<void(std::size_t, std::size_t)>& progress = {});

/** The dataset restricted to the instances `split` holds out (assets without any dropped). */
Dataset HeldOutSubset(const Dataset& dataset, const std::vector<DatasetAnnotation>& annotations,
                      const HeldOutSplit& split);

/** How a prequential run learns. */
struct PrequentialOptions {
  int updates_per_annotation = 8;  // Learner::Update(steps) after each Add
  int refresh_every = 1;           // annotations between new serving policies (MakePolicy)
  std::size_t limit = 0;           // at most this many annotations (0: all)
  std::vector<std::string> baselines = {"ellipse", "grabcut"};  // scored blind beside the agent
  std::function<void(std::size_t, std::size_t)> progress;       // (done, total)
};

/** Per-annotation blind IoUs, in stream order. */
struct PrequentialResult {
  std::vector<double> agent;       // the serving policy's blind IoU
  std::vector<double> confidence;  // its predicted reward for that proposal
  std::vector<std::string> sources;
  std::vector<std::string> baseline_names;
  std::vector<std::vector<double>> baselines;  // [baseline][annotation]
  int updates = 0;
  int skipped_non_finite = 0;
  double propose_seconds = 0.0;  // agent proposals
  double learn_seconds = 0.0;    // Add + Update + MakePolicy

  /** Mean of `v` over annotations [first, last) (clamped to its size). */
  static double Mean(const std::vector<double>& v, std::size_t first, std::size_t last);
};

/**
 * The online protocol the server runs, without the gate: for each annotation in order, the
 * current policy proposes blind and is scored (exact IoU with the human polygon), then the
 * learner Adds the annotation, runs `updates_per_annotation` updates, and (every refresh_every
 * annotations) hands out the next serving policy. `initial` serves until the first refresh.
 */
PrequentialResult RunPrequential(Learner& learner, std::unique_ptr<Policy> initial,
                                 const EpisodeSource& episodes,
                                 const std::vector<DatasetAnnotation>& annotations,
                                 const PrequentialOptions& options);

}  // namespace understudy
