#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "env/prompt.h"
#include "rewards/polygon.h"

namespace cv {
class Mat;
}

namespace understudy {

/** A proposed outline for one prompt, with the proposer's own confidence when it has one. */
struct Proposal {
  Instance shape;
  double confidence = std::numeric_limits<double>::quiet_NaN();  // predicted IoU in [0,1]
  std::string source;                                            // proposer name or model tag
};

/**
 * Anything that turns an image and a prompt into a polygon: the data-unaware baselines (box,
 * ellipse, GrabCut, ...) and the RL agent alike. The server, the simulator and the agent's
 * initialiser all use this one interface. Implementations need not be thread-safe.
 */
class Proposer {
 public:
  virtual ~Proposer() = default;
  virtual std::string name() const = 0;
  /** `image` is 8-bit BGR (CV_8UC3), the prompt in its pixel coordinates. */
  virtual Proposal Propose(const cv::Mat& image, const Prompt& prompt) = 0;
};

}  // namespace understudy
