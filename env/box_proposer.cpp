#include "env/box_proposer.h"

#include <opencv2/core.hpp>

#include "env/contour.h"
#include "rewards/validation.h"

namespace understudy {

Proposal BoxProposer::Propose(const cv::Mat& image, const Prompt& prompt) {
  Proposal proposal;
  proposal.shape = Validate(MakeInstance(BoxRing(UsableBox(prompt.box, image.cols, image.rows))));
  proposal.source = name();
  return proposal;
}

}  // namespace understudy
