#include "transport/scoring.h"

#include "rewards/clicks.h"
#include "rewards/iou.h"
#include "rewards/matching.h"

namespace understudy {
namespace {

void AddClicks(const Instance& proposal, const Instance& human, double tolerance,
               std::map<std::string, double>& out) {
  const std::size_t draw = ClicksToDraw(human);
  ClickCount c;
  if (proposal.parts.empty()) {
    c.adds = draw;
  } else {
    c = ClicksToFix(proposal, human, tolerance);
  }
  out["clicks_to_fix"] = static_cast<double>(c.Total());
  out["clicks_moves"] = static_cast<double>(c.moves);
  out["clicks_adds"] = static_cast<double>(c.adds);
  out["clicks_deletes"] = static_cast<double>(c.deletes);
  out["clicks_to_draw"] = static_cast<double>(draw);
}

}  // namespace

PairScore ScorePair(const RewardSpec& spec, const Instance& proposal, const Instance& human,
                    bool clicks) {
  PairScore s;
  if (proposal.parts.empty()) {
    s.reward = 0.0;
    s.components["iou"] = 0.0;
    const RewardWeights& w = spec.weights();
    if (w.boundary_f > 0) s.components["boundary_f"] = 0.0;
    if (w.clicks > 0) s.components["clicks_saved"] = 0.0;
    if (w.hausdorff > 0) s.components["hausdorff_score"] = 0.0;
  } else {
    const Reward r = spec.Evaluate(proposal, human);
    s.reward = r.value;
    s.components["iou"] = r.components.iou ? *r.components.iou : ExactIou(proposal, human);
    if (r.components.boundary_f) s.components["boundary_f"] = *r.components.boundary_f;
    if (r.components.clicks_saved) s.components["clicks_saved"] = *r.components.clicks_saved;
    if (r.components.hausdorff_score)
      s.components["hausdorff_score"] = *r.components.hausdorff_score;
  }
  if (clicks) AddClicks(proposal, human, spec.clicks_tolerance(), s.components);
  return s;
}

std::vector<MatchedScore> MatchAndScore(const RewardSpec& spec,
                                        const std::vector<Instance>& proposals,
                                        const std::vector<Instance>& humans, bool clicks) {
  std::vector<MatchedScore> out(proposals.size());
  // An unmatched proposal outlines nothing the annotator drew: every vertex is a delete.
  auto unmatched = [&](std::size_t i) {
    PairScore& s = out[i].score;
    s.reward = 0.0;
    s.components["iou"] = 0.0;
    if (clicks) {
      const double n = static_cast<double>(VertexCount(proposals[i]));
      s.components["clicks_to_fix"] = n;
      s.components["clicks_moves"] = 0.0;
      s.components["clicks_adds"] = 0.0;
      s.components["clicks_deletes"] = n;
      s.components["clicks_to_draw"] = 0.0;
    }
  };
  if (proposals.empty()) return out;
  if (humans.empty()) {
    for (std::size_t i = 0; i < out.size(); ++i) unmatched(i);
    return out;
  }
  const std::size_t rows = proposals.size(), cols = humans.size();
  std::vector<double> reward(rows * cols, 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      reward[i * cols + j] = ScorePair(spec, proposals[i], humans[j], false).reward;
    }
  }
  const Assignment a = MaxWeightAssignment(reward, rows, cols);
  for (std::size_t i = 0; i < rows; ++i) {
    const int j = a.row_to_col[i];
    if (j == Assignment::kUnassigned || !(reward[i * cols + static_cast<std::size_t>(j)] > 0.0)) {
      unmatched(i);
      continue;
    }
    out[i].instance = j;
    out[i].score = ScorePair(spec, proposals[i], humans[static_cast<std::size_t>(j)], clicks);
  }
  return out;
}

}  // namespace understudy
