#pragma once

#include <cstddef>
#include <vector>

#include "env/crop_transform.h"
#include "env/observation.h"
#include "env/prompt.h"
#include "env/worker_pool.h"
#include "rewards/polygon.h"

namespace cv {
class Mat;
}

namespace understudy {

/** One prompt to observe: the image (not owned), the prompt, and an optional contour. */
struct ObservationRequest {
  const cv::Mat* image = nullptr;
  Prompt prompt;
  const Ring* contour = nullptr;  // image coordinates; null: the contour plane is zeros
};

/** Observations for many prompts in one contiguous N x C x H x W buffer, e.g. a learner's or a
 *  server's batch. */
struct ObservationBatch {
  std::vector<float> pixels;  // N x planes x size x size
  std::vector<CropTransform> transforms;
  int planes = 0;
  int size = 0;
  std::size_t count() const { return transforms.size(); }
};

/**
 * Builds observation batches on a worker pool, one ObservationBuilder per thread. The result is
 * bit-identical whatever the thread count.
 */
class ObservationBatcher {
 public:
  /** Throws std::invalid_argument on a bad spec or thread count. */
  ObservationBatcher(const ObservationSpec& spec, int threads);

  const ObservationSpec& spec() const { return builders_.front().spec(); }

  /** Fills `out` (reusing its storage) with one observation per request. */
  void Build(const std::vector<ObservationRequest>& requests, ObservationBatch& out);

 private:
  std::vector<ObservationBuilder> builders_;
  WorkerPool pool_;
};

}  // namespace understudy
