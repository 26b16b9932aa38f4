#include "agent/torch/torch_input.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <utility>

#include "env/contour.h"
#include "env/proposer_factory.h"

namespace understudy {
namespace {

ObservationSpec StoreSpec(const TorchAgentConfig& c) {
  ObservationSpec s;
  s.size = c.store_size;
  s.context_margin = c.store_margin;
  // The stored crop must cover the observation crop's minimum side too.
  s.min_crop_side = 8.0 * (1.0 + 2.0 * c.store_margin) / (1.0 + 2.0 * c.context_margin);
  s.channels = {ChannelKind::kRgb};
  return s;
}

ObservationSpec ViewSpec(const TorchAgentConfig& c) {
  ObservationSpec s;
  s.size = c.crop_size;
  s.context_margin = c.context_margin;
  s.channels = {ChannelKind::kRgb};
  if (c.edge_channel) s.channels.push_back(ChannelKind::kSobel);
  if (c.mask_channels) {
    for (const std::string& name : c.candidates) {
      if (name == "grabcut") s.channels.push_back(ChannelKind::kGrabCutMask);
      if (name == "watershed") s.channels.push_back(ChannelKind::kWatershedMask);
    }
  }
  return s;
}

Box MirrorBox(const Box& b, int width) { return {width - b.x1, b.y0, width - b.x0, b.y1}; }

double TruncatedNormal(Rng& rng, double sigma) {
  return sigma * std::clamp(rng.Normal(), -2.0, 2.0);
}

}  // namespace

std::size_t PromptCrop::Bytes() const {
  std::size_t vertices = 0;
  for (const Instance& i : candidates) vertices += VertexCount(i);
  for (const Instance& i : image_shapes) vertices += VertexCount(i);
  return crop.total() * crop.elemSize() + vertices * sizeof(Point) + sizeof(PromptCrop);
}

Augmentation DrawAugmentation(const TorchAgentConfig& config, Rng& rng) {
  Augmentation a;
  if (config.box_jitter > 0.0) {
    a.left = TruncatedNormal(rng, config.box_jitter);
    a.top = TruncatedNormal(rng, config.box_jitter);
    a.right = TruncatedNormal(rng, config.box_jitter);
    a.bottom = TruncatedNormal(rng, config.box_jitter);
  }
  a.flip = config.flip && rng.Bernoulli(0.5);
  return a;
}

Instance MapInstance(const Instance& instance, const CropTransform& t, bool flip, int width) {
  Instance out = instance;
  for (Polygon& part : out.parts) {
    auto map = [&](Ring& ring) {
      for (Point& p : ring) {
        p = t.ToCrop(p);
        if (flip) p.x = width - p.x;
      }
    };
    map(part.outer);
    for (Ring& hole : part.holes) map(hole);
  }
  return out;
}

Ring TorchInput::ToImage(const float* xy, int count) const {
  Ring ring;
  ring.reserve(static_cast<std::size_t>(count));
  for (int k = 0; k < count; ++k) {
    Point p = view.FromNormalized({xy[2 * k], xy[2 * k + 1]});
    if (flipped) p.x = store_width - p.x;
    ring.push_back(store.ToImage(p));
  }
  return ring;
}

Point TorchInput::ToNormalized(const Point& image) const {
  Point p = store.ToCrop(image);
  if (flipped) p.x = store_width - p.x;
  return view.ToNormalized(p);
}

InputMaker::InputMaker(const TorchAgentConfig& config)
    : config_(config), store_builder_(StoreSpec(config)), view_builder_(ViewSpec(config)) {
  for (std::size_t i = 0; i < config_.candidates.size(); ++i) {
    proposers_.push_back(MakeProposer(config_.candidates[i]));
    if (config_.candidates[i] == "grabcut") grabcut_ = static_cast<int>(i);
    if (config_.candidates[i] == "watershed") watershed_ = static_cast<int>(i);
  }
}

PromptCrop InputMaker::Crop(const cv::Mat& image, const Prompt& prompt) {
  if (image.empty() || image.type() != CV_8UC3) {
    throw std::invalid_argument("InputMaker: image must be a non-empty CV_8UC3 matrix");
  }
  PromptCrop c;
  c.store = store_builder_.Placement(prompt.box);  // throws on a non-finite box
  ResampleCrop(image, c.store, 0.0, c.crop);
  const Point a = c.store.ToCrop({prompt.box.x0, prompt.box.y0});
  const Point b = c.store.ToCrop({prompt.box.x1, prompt.box.y1});
  c.box = {std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)};
  for (auto& proposer : proposers_) {
    Proposal p = proposer->Propose(image, prompt);
    c.candidates.push_back(MapInstance(p.shape, c.store));
    c.image_shapes.push_back(std::move(p.shape));
    c.sources.push_back(std::move(p.source));
  }
  return c;
}

std::vector<float> InputMaker::Contour(const TorchInput& input, const Ring& ring, int count) const {
  Ring normalized;
  normalized.reserve(ring.size());
  for (const Point& p : ring) {
    Point q = p;
    if (input.flipped) q.x = input.store_width - q.x;
    normalized.push_back(input.view.ToNormalized(q));
  }
  const Ring canonical = CanonicalContour(normalized, count > 0 ? count : config_.num_vertices);
  std::vector<float> out;
  out.reserve(canonical.size() * 2);
  for (const Point& p : canonical) {
    out.push_back(static_cast<float>(std::clamp(p.x, 0.0, 1.0)));
    out.push_back(static_cast<float>(std::clamp(p.y, 0.0, 1.0)));
  }
  return out;
}

TorchInput InputMaker::Input(const PromptCrop& crop, const Augmentation* augmentation) {
  TorchInput in;
  in.store = crop.store;
  in.store_width = crop.crop.cols;
  in.image_shapes = crop.image_shapes;
  in.sources = crop.sources;
  Box box = crop.box;
  cv::Mat pixels = crop.crop;
  std::vector<Instance> candidates;  // in the (possibly flipped) stored-crop frame
  const bool augmented = augmentation != nullptr;
  if (augmented) {
    const double w = box.width(), h = box.height();
    box.x0 += augmentation->left * w;
    box.x1 += augmentation->right * w;
    box.y0 += augmentation->top * h;
    box.y1 += augmentation->bottom * h;
    if (box.x1 < box.x0) std::swap(box.x0, box.x1);
    if (box.y1 < box.y0) std::swap(box.y0, box.y1);
    if (augmentation->flip) {
      cv::flip(crop.crop, pixels, 1);
      box = MirrorBox(box, in.store_width);
      in.flipped = true;
    }
  }
  Prompt prompt;
  prompt.box = box;
  for (std::size_t i = 0; i < crop.candidates.size(); ++i) {
    const std::string& name = config_.candidates[i];
    if (augmented && (name == "box" || name == "ellipse")) {
      // These depend on the box alone: follow the jittered box, as they would at serving.
      candidates.push_back(proposers_[i]->Propose(pixels, prompt).shape);
    } else if (in.flipped) {
      candidates.push_back(
          MapInstance(crop.candidates[i], CropTransform::Identity(0, 0), true, in.store_width));
    } else {
      candidates.push_back(crop.candidates[i]);
    }
  }
  PrecomputedProposals masks;
  if (grabcut_ >= 0) masks.grabcut = &candidates[static_cast<std::size_t>(grabcut_)];
  if (watershed_ >= 0) masks.watershed = &candidates[static_cast<std::size_t>(watershed_)];
  in.planes.resize(view_builder_.FloatCount());
  in.view = view_builder_.BuildInto(pixels, prompt, nullptr, in.planes.data(), masks);
  in.contours.reserve(candidates.size() * static_cast<std::size_t>(config_.num_vertices) * 2);
  for (const Instance& c : candidates) {
    // Contour() expects unflipped stored-crop pixels; these are flipped already.
    Ring ring = LargestOuter(c);
    if (in.flipped) {
      for (Point& p : ring) p.x = in.store_width - p.x;
    }
    const std::vector<float> xy = Contour(in, ring);
    in.contours.insert(in.contours.end(), xy.begin(), xy.end());
  }
  return in;
}

}  // namespace understudy
