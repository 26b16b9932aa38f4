#pragma once
// Helpers for the libtorch agent's tests: labelled synthetic prompts and small, fast configs.

#include <string>
#include <vector>

#include "agent/learner.h"
#include "agent/torch_agent.h"
#include "env/contour.h"
#include "env/synthetic.h"

namespace understudy::testing {

/** One human-annotated prompt: the image, the box the annotator drew, the polygon. */
struct Labeled {
  AnnotationKey key;
  cv::Mat image;
  Prompt prompt;
  Instance human;
};

/** Every instance of synthetic scenes [first, first + count) of `config`, prompted with its
 *  tight box, keyed (project, "scene-<i>", "<instance>"). */
inline std::vector<Labeled> SyntheticLabels(const SyntheticConfig& config, int first, int count,
                                            const std::string& project = "test") {
  std::vector<Labeled> out;
  for (int i = first; i < first + count; ++i) {
    const SyntheticScene scene = RenderSyntheticScene(config, i);
    for (std::size_t j = 0; j < scene.instances.size(); ++j) {
      Labeled l;
      l.key = {project, "scene-" + std::to_string(i), std::to_string(j)};
      l.image = scene.image;
      l.prompt.box = BoxOf(scene.instances[j].shape);
      l.human = scene.instances[j].shape;
      out.push_back(std::move(l));
    }
  }
  return out;
}

inline TrainingExample ToExample(const Labeled& l) { return {l.key, l.image, l.prompt, l.human}; }

/** Small nets and batches so that the mechanics tests run in a second or two. */
inline TorchAgentConfig SmallConfig() {
  TorchAgentConfig c;
  c.crop_size = 32;
  c.store_size = 48;
  c.num_vertices = 16;
  c.encoder_width = 8;
  c.head_width = 16;
  c.batch_size = 4;
  c.samples_per_item = 2;
  c.candidates = {"ellipse", "box"};
  c.seed = 7;
  return c;
}

}  // namespace understudy::testing
