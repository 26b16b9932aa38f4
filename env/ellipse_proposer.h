#pragma once

#include <string>

#include "env/proposer.h"

namespace understudy {

/** The ellipse inscribed in the prompt box: blind to the image, and steadier than it looks. */
class EllipseProposer : public Proposer {
 public:
  /** `vertices` >= 3; throws std::invalid_argument otherwise. */
  explicit EllipseProposer(int vertices = 32);
  std::string name() const override { return "ellipse"; }
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override;

 private:
  int vertices_;
};

}  // namespace understudy
