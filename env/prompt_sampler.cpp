#include "env/prompt_sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "env/contour.h"
#include "env/rng.h"

namespace understudy {

void PromptSamplerConfig::Validate() const {
  if (!(box_jitter >= 0.0 && box_jitter <= 0.5)) {
    throw std::invalid_argument("PromptSamplerConfig.box_jitter = " + std::to_string(box_jitter) +
                                " (must be in [0, 0.5])");
  }
  if (!(max_sigmas > 0.0 && std::isfinite(max_sigmas))) {
    throw std::invalid_argument("PromptSamplerConfig.max_sigmas = " + std::to_string(max_sigmas) +
                                " (must be finite and > 0)");
  }
  if (positive_clicks < 0 || positive_clicks > 64) {
    throw std::invalid_argument("PromptSamplerConfig.positive_clicks = " +
                                std::to_string(positive_clicks) + " (must be in [0, 64])");
  }
}

PromptSampler::PromptSampler(PromptSamplerConfig config) : config_(config) { config_.Validate(); }

Prompt PromptSampler::Sample(const Instance& instance, int image_width, int image_height,
                             std::uint64_t key) const {
  const Box tight = BoxOf(instance);
  if (!(tight.width() > 0.0 && tight.height() > 0.0)) {
    throw std::invalid_argument("PromptSampler: instance " + std::to_string(key) +
                                " has an empty bounding box");
  }
  Rng rng(Rng::Mix(config_.seed, key));
  understudy::Prompt prompt;
  prompt.box = tight;
  if (config_.box_jitter > 0.0) {
    const double w = tight.width(), h = tight.height();
    auto shift = [&](double size) {
      const double z = std::clamp(rng.Normal(), -config_.max_sigmas, config_.max_sigmas);
      return z * config_.box_jitter * size;
    };
    prompt.box.x0 += shift(w);
    prompt.box.x1 += shift(w);
    prompt.box.y0 += shift(h);
    prompt.box.y1 += shift(h);
    // With max_sigmas * box_jitter <= 1 the sides cannot cross; keep at least a pixel anyway.
    if (prompt.box.x1 - prompt.box.x0 < 1.0) prompt.box.x1 = prompt.box.x0 + 1.0;
    if (prompt.box.y1 - prompt.box.y0 < 1.0) prompt.box.y1 = prompt.box.y0 + 1.0;
  }
  if (config_.clip_to_image && image_width > 0 && image_height > 0) {
    Box& b = prompt.box;
    b.x0 = std::clamp(b.x0, 0.0, static_cast<double>(image_width));
    b.x1 = std::clamp(b.x1, 0.0, static_cast<double>(image_width));
    b.y0 = std::clamp(b.y0, 0.0, static_cast<double>(image_height));
    b.y1 = std::clamp(b.y1, 0.0, static_cast<double>(image_height));
  }
  // Clicks: rejection sampling inside the instance's largest part (outer ring, holes excluded).
  for (int c = 0; c < config_.positive_clicks; ++c) {
    for (int attempt = 0; attempt < 1000; ++attempt) {
      const Point p{rng.Uniform(tight.x0, tight.x1), rng.Uniform(tight.y0, tight.y1)};
      bool inside = false;
      for (const Polygon& part : instance.parts) {
        if (!Contains(part.outer, p)) continue;
        inside = std::none_of(part.holes.begin(), part.holes.end(),
                              [&](const Ring& hole) { return Contains(hole, p); });
        if (inside) break;
      }
      if (inside) {
        prompt.clicks.push_back({p, true});
        break;
      }
    }
  }
  return prompt;
}

}  // namespace understudy
