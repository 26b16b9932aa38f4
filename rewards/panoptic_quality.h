#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <vector>

#include "rewards/polygon.h"

namespace understudy {

/** An instance with its class id, for scoring sets of instances. */
struct LabelledInstance {
  Instance instance;
  int class_id = 0;
};

/** Panoptic-quality settings; Validate() throws std::invalid_argument naming the field. */
struct PanopticOptions {
  double match_iou = 0.5;  // a pair counts as a match only when IoU > match_iou; in [0, 1)
  void Validate() const;
};

/** True positives, false positives, false negatives and matched IoU of one class (or all). */
struct PanopticCounts {
  std::size_t true_positives = 0;
  std::size_t false_positives = 0;
  std::size_t false_negatives = 0;
  double matched_iou = 0.0;  // sum of IoU over the true positives

  /** matched_iou / (TP + FP/2 + FN/2); 1 when there is nothing to find and nothing claimed. */
  double Pq() const;
  /** Segmentation quality, matched_iou / TP; 0 without matches (1 when all counts are 0). */
  double Sq() const;
  /** Recognition quality, TP / (TP + FP/2 + FN/2); 1 when all counts are 0. */
  double Rq() const;
};

/** One matched pair: indices into the predicted and reference sets. */
struct PanopticMatch {
  std::size_t predicted = 0;
  std::size_t reference = 0;
  double iou = 0.0;
};

/** Panoptic quality of a predicted set against a reference set. */
struct PanopticResult {
  PanopticCounts overall;                   // pooled over classes; matches never cross classes
  std::map<int, PanopticCounts> per_class;  // every class with at least one instance
  double class_mean_pq = 1.0;               // mean of per-class PQ (COCO panoptic style)
  std::vector<PanopticMatch> matches;       // sorted by reference index
};

/**
 * Panoptic quality from a pairwise IoU function (polygons, masks, anything): within each class,
 * an optimal one-to-one matching maximising the total IoU (Hungarian, over pairs with
 * IoU > match_iou only), then PQ = sum of matched IoU / (TP + FP/2 + FN/2). `iou(p, r)` is called
 * once for each same-class pair.
 */
PanopticResult PanopticQualityFromIou(const std::vector<int>& predicted_classes,
                                      const std::vector<int>& reference_classes,
                                      const std::function<double(std::size_t, std::size_t)>& iou,
                                      const PanopticOptions& options = {});

/** Panoptic quality of validated polygon instances, with ExactIou (disjoint boxes skip it). */
PanopticResult PanopticQuality(const std::vector<LabelledInstance>& predicted,
                               const std::vector<LabelledInstance>& reference,
                               const PanopticOptions& options = {});

}  // namespace understudy
