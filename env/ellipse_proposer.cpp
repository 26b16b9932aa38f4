#include "env/ellipse_proposer.h"

#include <opencv2/core.hpp>
#include <stdexcept>

#include "env/contour.h"
#include "rewards/validation.h"

namespace understudy {

EllipseProposer::EllipseProposer(int vertices) : vertices_(vertices) {
  if (vertices < 3) {
    throw std::invalid_argument("EllipseProposer: vertices = " + std::to_string(vertices) +
                                " (must be >= 3)");
  }
}

Proposal EllipseProposer::Propose(const cv::Mat& image, const Prompt& prompt) {
  Proposal proposal;
  const Box box = UsableBox(prompt.box, image.cols, image.rows);
  proposal.shape = Validate(MakeInstance(InscribedEllipse(box, vertices_)));
  proposal.source = name();
  return proposal;
}

}  // namespace understudy
