#pragma once

#include <string>

#include "env/proposer.h"

namespace understudy {

/** The prompt box itself as the polygon: the floor every other proposer must beat. */
class BoxProposer : public Proposer {
 public:
  std::string name() const override { return "box"; }
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override;
};

}  // namespace understudy
