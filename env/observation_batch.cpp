#include "env/observation_batch.h"

#include <stdexcept>
#include <string>

namespace understudy {

ObservationBatcher::ObservationBatcher(const ObservationSpec& spec, int threads) : pool_(threads) {
  builders_.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) builders_.emplace_back(spec);
}

void ObservationBatcher::Build(const std::vector<ObservationRequest>& requests,
                               ObservationBatch& out) {
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].image == nullptr) {
      throw std::invalid_argument("ObservationBatcher::Build: request " + std::to_string(i) +
                                  " has no image");
    }
  }
  const std::size_t each = builders_.front().FloatCount();
  out.planes = spec().PlaneCountTotal();
  out.size = spec().size;
  out.pixels.resize(each * requests.size());
  out.transforms.resize(requests.size());
  pool_.ParallelFor(requests.size(), [&](std::size_t i, int worker) {
    const ObservationRequest& r = requests[i];
    out.transforms[i] = builders_[static_cast<std::size_t>(worker)].BuildInto(
        *r.image, r.prompt, r.contour, out.pixels.data() + i * each);
  });
}

}  // namespace understudy
