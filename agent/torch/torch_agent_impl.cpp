// The libtorch half of agent/torch_agent.h: the nets, the policy, the learner and checkpoints.
// This is the only translation unit in the project that includes torch (docs/development.md);
// everything torch-free it needs lives in agent/torch/torch_input.h.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ops/conv1d.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/mkldnn_convolution.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/Exception.h>
#include <c10/util/StringUtil.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "agent/torch/torch_input.h"
#include "agent/torch_agent.h"
#include "agent/training_buffer.h"
#include "env/contour.h"
#include "env/rng.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

using torch::Tensor;

// ---------------------------------------------------------------------------------------------
// Threads

// Each thread that serves or learns runs its torch ops on `threads` intra-op threads (1 by
// default), so on two cores serving and learning each keep one. Torch keeps the OpenMP thread
// count per calling thread, so this is set in every thread that enters the nets. The inter-op
// pool is never used here; it is capped at one thread once per process.
void UseTorchThreads(int threads) {
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error&) {
      // The host process configured (or started) the inter-op pool before us: its choice
      // stands, and these nets never submit inter-op work anyway.
    }
  });
  thread_local int current = 0;
  if (current != threads) {
    at::set_num_threads(threads);
    current = threads;
  }
}

// Lowers the calling thread's scheduling priority to `nice` once per thread (Linux applies
// setpriority to one thread when given its tid). A learner that updates without pause would
// otherwise get an equal share of two cores with the serving thread, the server's ingest and
// I/O threads and whatever else runs on the machine; niced, it takes what they leave.
void LowerThreadPriority(int nice) {
  thread_local int current = 0;
  if (nice <= current) return;
  const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) == 0) current = nice;
}

// ---------------------------------------------------------------------------------------------
// The network

struct NetSpec {
  int planes = 0;
  int candidates = 0;
  int vertices = 0;
  int encoder_width = 0;
  int head_width = 0;
  int iterations = 0;
  double max_step = 0.0;
  bool policy_selection = false;
  int profile_points = 0;
  double profile_reach = 0.0;

  static NetSpec Of(const TorchAgentConfig& c) {
    NetSpec s;
    s.planes = c.PlaneCount();
    s.candidates = static_cast<int>(c.candidates.size());
    s.vertices = c.num_vertices;
    s.encoder_width = c.encoder_width;
    s.head_width = c.head_width;
    s.iterations = c.refinement_iterations;
    s.max_step = c.max_step;
    s.policy_selection = c.selection == "policy";
    s.profile_points = c.profile_points;
    s.profile_reach = c.profile_reach;
    return s;
  }
  int FeatureWidth() const { return 5 * encoder_width; }  // conv1 + conv3 + conv4 channels
  // Per vertex: deep features, the input planes along the normal, position, offset from the
  // centroid and the normal.
  int InputWidth() const { return FeatureWidth() + planes * profile_points + 6; }
};

// Encoder features of a batch of crops.
struct Maps {
  Tensor input;   // B x C x S x S: the observation itself, for the profiles
  Tensor f1;      // B x w x S/2 x S/2
  Tensor f3;      // B x 2w x S/4 x S/4
  Tensor f4;      // B x 2w x S/8 x S/8
  Tensor global;  // B x 2w
};

// Every layer runs through oneDNN (mkldnn) when this build has it. ATen's own dispatch picks its
// slow im2col path with the reference BLAS for batch-1 inputs below 20480 values and for 1x1
// kernels: 3.3 ms instead of 0.19 ms for a 64-channel 3x3 conv on a 16x16 map here
// (docs/agent.md). The modules only hold the weights.
bool UseOneDnn() {
  static const bool available = at::hasMKLDNN();
  return available;
}

Tensor Conv2(const torch::nn::Conv2d& m, const Tensor& x, int64_t stride, int64_t padding) {
  if (UseOneDnn()) {
    return at::mkldnn_convolution(x, m->weight, m->bias, {padding, padding}, {stride, stride},
                                  {1, 1}, 1);
  }
  return at::conv2d(x, m->weight, m->bias, {stride, stride}, {padding, padding});
}

// A 1-D convolution along the contour, (N, C, K) -> (N, O, K); odd kernels wrap around the ring.
Tensor Conv1(const torch::nn::Conv1d& m, const Tensor& x) {
  const int64_t kernel = m->weight.size(2), pad = kernel / 2, k = x.size(2);
  const Tensor in =
      pad > 0 ? torch::cat({x.narrow(2, k - pad, pad), x, x.narrow(2, 0, pad)}, 2) : x;
  if (UseOneDnn()) {
    return at::mkldnn_convolution(in.unsqueeze(2), m->weight.unsqueeze(2), m->bias, {0, 0}, {1, 1},
                                  {1, 1}, 1)
        .squeeze(2);
  }
  return at::conv1d(in, m->weight, m->bias);
}

// A dense layer (N, C) -> (N, O), as a 1x1 convolution so that it runs in oneDNN too.
Tensor Dense(const torch::nn::Linear& m, const Tensor& x) {
  if (UseOneDnn()) {
    const int64_t n = x.size(0), c = x.size(1), o = m->weight.size(0);
    return at::mkldnn_convolution(x.reshape({n, c, 1, 1}), m->weight.reshape({o, c, 1, 1}), m->bias,
                                  {0, 0}, {1, 1}, {1, 1}, 1)
        .reshape({n, o});
  }
  return at::linear(x, m->weight, m->bias);
}

torch::nn::Conv1d Conv1d(int in, int out, int kernel) {
  return torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel));
}

/**
 * A small CNN encoder on the crop; per refinement iteration, features sampled bilinearly at the
 * vertices (grid_sample) plus the vertex coordinates go through circular 1-D convolutions along
 * the contour and give bounded vertex offsets (Curve-GCN's scheme with a ring instead of a graph);
 * a value head rates a contour from the features along it and the crop's pooled features; an
 * optional selection head scores each candidate's initial contour.
 */
class NetImpl : public torch::nn::Cloneable<NetImpl> {
 public:
  explicit NetImpl(NetSpec spec) : spec_(spec) { reset(); }

  void reset() override {
    const int w = spec_.encoder_width, h = spec_.head_width, f = spec_.FeatureWidth();
    const int m = spec_.candidates;
    using torch::nn::Conv2d;
    using torch::nn::Conv2dOptions;
    using torch::nn::Linear;
    conv1_ =
        register_module("conv1", Conv2d(Conv2dOptions(spec_.planes, w, 3).stride(2).padding(1)));
    conv2_ = register_module("conv2", Conv2d(Conv2dOptions(w, 2 * w, 3).stride(2).padding(1)));
    conv3_ = register_module("conv3", Conv2d(Conv2dOptions(2 * w, 2 * w, 3).padding(1)));
    conv4_ = register_module("conv4", Conv2d(Conv2dOptions(2 * w, 2 * w, 3).stride(2).padding(1)));
    refine_.clear();
    for (int t = 0; t < spec_.iterations; ++t) {
      const std::string p = "refine" + std::to_string(t) + "_";
      Refiner r;
      r.a = register_module(p + "a", Conv1d(spec_.InputWidth(), h, 1));
      r.b = register_module(p + "b", Conv1d(h, h, 5));
      r.c = register_module(p + "c", Conv1d(h, h, 5));
      r.out = register_module(p + "out", Conv1d(h, 2, 1));
      refine_.push_back(r);
    }
    value_a_ = register_module("value_a", Conv1d(spec_.InputWidth(), h, 1));
    value_fc1_ = register_module("value_fc1", Linear(2 * h + 2 * w + m, h));
    value_fc2_ = register_module("value_fc2", Linear(h, 1));
    if (spec_.policy_selection) {
      select_fc1_ = register_module("select_fc1", Linear(f + 2 * w + m, h));
      select_fc2_ = register_module("select_fc2", Linear(h, 1));
    }
    log_std_ = register_parameter("log_std", torch::zeros({1}));
  }

  const NetSpec& spec() const { return spec_; }
  Tensor& log_std() { return log_std_; }
  const Tensor& log_std() const { return log_std_; }

  /** Seeded initialisation, independent of torch's global generator: PyTorch's default
   *  uniform(+-1/sqrt(fan_in)) for weights and biases, and zeros for the last layer of every head,
   *  so an untrained net leaves the candidates where they are and rates them all alike. */
  void Initialize(std::uint64_t seed, double init_std) {
    torch::NoGradGuard no_grad;
    Rng rng(seed);
    auto fill = [&](Tensor& t, double bound) {
      std::vector<float> v(static_cast<std::size_t>(t.numel()));
      for (float& x : v) x = static_cast<float>(rng.Uniform(-bound, bound));
      t.copy_(torch::from_blob(v.data(), t.sizes(), torch::kFloat));
    };
    auto layer = [&](auto& module, bool zero) {
      Tensor& weight = module->weight;
      const double fan_in = static_cast<double>(weight.numel() / weight.size(0));
      const double bound = zero ? 0.0 : 1.0 / std::sqrt(fan_in);
      fill(weight, bound);
      fill(module->bias, bound);
    };
    layer(conv1_, false);
    layer(conv2_, false);
    layer(conv3_, false);
    layer(conv4_, false);
    for (Refiner& r : refine_) {
      layer(r.a, false);
      layer(r.b, false);
      layer(r.c, false);
      layer(r.out, true);
    }
    layer(value_a_, false);
    layer(value_fc1_, false);
    layer(value_fc2_, true);
    if (spec_.policy_selection) {
      layer(select_fc1_, false);
      layer(select_fc2_, true);
    }
    log_std_.fill_(std::log(init_std));
  }

  Maps Encode(const Tensor& x) {
    Maps m;
    m.input = x;
    m.f1 = torch::relu(Conv2(conv1_, x, 2, 1));
    const Tensor f2 = torch::relu(Conv2(conv2_, m.f1, 2, 1));
    m.f3 = torch::relu(Conv2(conv3_, f2, 1, 1));
    m.f4 = torch::relu(Conv2(conv4_, m.f3, 2, 1));
    m.global = m.f4.mean({2, 3});
    return m;
  }

  /** Each contour's refinement, one tensor per iteration: B x N x K x 2 in [0, 1]. */
  std::vector<Tensor> Refine(const Maps& maps, Tensor contours) {
    std::vector<Tensor> out;
    const int64_t b = contours.size(0);
    for (Refiner& r : refine_) {
      const VertexFeatures v = VertexInput(maps, contours);
      Tensor h = torch::relu(Conv1(r.a, v.h));
      h = torch::relu(Conv1(r.b, h));
      h = h + torch::relu(Conv1(r.c, h));
      // Offsets along the normal and the tangent, so the profile's evidence reads the same way
      // whichever way the contour runs there.
      const Tensor ab = ToContours(torch::tanh(Conv1(r.out, h)) * spec_.max_step, b);
      const Tensor n = v.normal;
      const Tensor t = torch::stack({-n.select(3, 1), n.select(3, 0)}, 3);
      const Tensor step = ab.narrow(3, 0, 1) * n + ab.narrow(3, 1, 1) * t;
      contours = torch::clamp(contours + step, 0.0, 1.0);
      out.push_back(contours);
    }
    return out;
  }

  /** Predicted reward of each contour (B x N x K x 2) of the candidate `onehot` (B x N x M).
   *  The value head reads the encoder's features but does not train them: its regression
   *  would otherwise cost a second sampler backward pass per update for little gain. */
  Tensor Value(const Maps& shared, const Tensor& contours, const Tensor& onehot) {
    const Maps maps{shared.input, shared.f1.detach(), shared.f3.detach(), shared.f4.detach(),
                    shared.global.detach()};
    const int64_t b = contours.size(0), n = contours.size(1);
    const Tensor h = torch::relu(Conv1(value_a_, VertexInput(maps, contours).h));
    const Tensor pooled = torch::cat({h.mean(2), std::get<0>(h.max(2))}, 1);
    const Tensor g =
        maps.global.unsqueeze(1).expand({b, n, maps.global.size(1)}).reshape({b * n, -1});
    const Tensor z = torch::cat({pooled, g, onehot.reshape({b * n, -1})}, 1);
    const Tensor v = Dense(value_fc2_, torch::relu(Dense(value_fc1_, z)));
    return torch::sigmoid(v).reshape({b, n});
  }

  /** Selection logits (B x M) from features along each candidate's initial contour. */
  Tensor SelectLogits(const Maps& maps, const Tensor& initial, const Tensor& onehot) {
    const int64_t b = initial.size(0), n = initial.size(1);
    const Tensor f = Sample(maps, initial).mean(2);  // (BN, F)
    const Tensor g =
        maps.global.unsqueeze(1).expand({b, n, maps.global.size(1)}).reshape({b * n, -1});
    const Tensor z = torch::cat({f, g, onehot.reshape({b * n, -1})}, 1);
    return Dense(select_fc2_, torch::relu(Dense(select_fc1_, z))).reshape({b, n});
  }

 private:
  struct Refiner {
    torch::nn::Conv1d a{nullptr}, b{nullptr}, c{nullptr}, out{nullptr};
  };

  // Features at the vertices: (B*N) x F x K.
  Tensor Sample(const Maps& maps, const Tensor& contours) {
    const int64_t b = contours.size(0), n = contours.size(1), k = contours.size(2);
    // align_corners = false: -1 and 1 are the crop's outer pixel edges, as 0 and 1 are ours.
    // Where to look is not learned through (as RAFT detaches its flow between iterations): the
    // positions still get gradients through the residual sum of the offsets, and the sampler's
    // backward pass costs half as much without the grid's gradient.
    const Tensor grid = (contours.detach() * 2.0 - 1.0).reshape({b, n * k, 1, 2});
    auto at = [&](const Tensor& map) {
      return at::grid_sampler(map, grid, /*bilinear*/ 0, /*border*/ 1, /*align_corners*/ false);
    };
    const Tensor s = torch::cat({at(maps.f1), at(maps.f3), at(maps.f4)}, 1);  // B x F x NK x 1
    return s.reshape({b, -1, n, k}).permute({0, 2, 1, 3}).reshape({b * n, -1, k});
  }

  struct VertexFeatures {
    Tensor h;       // (BN) x InputWidth x K
    Tensor normal;  // B x N x K x 2: unit outward normals (crop-normalised frame)
  };

  // What each vertex sees: deep features at the vertex; the input planes (RGB, edges, candidate
  // masks) at profile_points points along its normal, as active shape models sample profiles,
  // so an edge's place along the normal is read directly; its position, its offset from the
  // centroid and its normal. Geometry enters as data, not as something to differentiate.
  VertexFeatures VertexInput(const Maps& maps, const Tensor& contours) {
    const int64_t b = contours.size(0), n = contours.size(1), k = contours.size(2);
    const int64_t p = spec_.profile_points;
    const Tensor c = contours.detach();
    // Contours are positively oriented (CanonicalContour), so (t_y, -t_x) points outwards.
    Tensor tangent = c.roll(-1, 2) - c.roll(1, 2);
    tangent = tangent / (tangent.norm(2, 3, true) + 1e-6);
    VertexFeatures v;
    v.normal = torch::stack({tangent.select(3, 1), -tangent.select(3, 0)}, 3);
    std::vector<Tensor> parts = {Sample(maps, c)};
    if (p > 0) {
      const Tensor s = torch::linspace(-spec_.profile_reach, spec_.profile_reach, p);
      const Tensor pts = c.unsqueeze(3) + s.reshape({1, 1, 1, p, 1}) * v.normal.unsqueeze(3);
      const Tensor grid = (pts * 2.0 - 1.0).reshape({b, n * k * p, 1, 2});
      const Tensor prof = at::grid_sampler(maps.input, grid, 0, 1, false);  // B x C x NKP x 1
      parts.push_back(prof.reshape({b, -1, n, k, p})
                          .permute({0, 2, 1, 4, 3})
                          .reshape({b * n, -1, k}));  // (BN) x (C P) x K
    }
    const Tensor xy = c.reshape({b * n, k, 2}).permute({0, 2, 1});
    parts.push_back(xy);
    parts.push_back(xy - xy.mean(2, true));
    parts.push_back(v.normal.reshape({b * n, k, 2}).permute({0, 2, 1}));
    v.h = torch::cat(parts, 1);
    return v;
  }

  // (BN) x 2 x K offsets to B x N x K x 2.
  static Tensor ToContours(const Tensor& offsets, int64_t b) {
    return offsets.permute({0, 2, 1}).reshape({b, -1, offsets.size(2), 2});
  }

  NetSpec spec_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr}, conv4_{nullptr};
  std::vector<Refiner> refine_;
  torch::nn::Conv1d value_a_{nullptr};
  torch::nn::Linear value_fc1_{nullptr}, value_fc2_{nullptr};
  torch::nn::Linear select_fc1_{nullptr}, select_fc2_{nullptr};
  Tensor log_std_;
};
TORCH_MODULE(Net);

bool AllFinite(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors) {
    if (t.defined() && !torch::isfinite(t).all().item<bool>()) return false;
  }
  return true;
}

// Batches of prepared inputs as tensors: crops B x C x S x S, contours B x M x K x 2.
Tensor StackPlanes(const std::vector<const TorchInput*>& inputs, const TorchAgentConfig& c) {
  const int64_t b = static_cast<int64_t>(inputs.size()), s = c.crop_size;
  Tensor x = torch::empty({b, c.PlaneCount(), s, s}, torch::kFloat);
  float* dst = x.data_ptr<float>();
  const std::size_t per = static_cast<std::size_t>(c.PlaneCount()) * s * s;
  for (const TorchInput* in : inputs) {
    if (in->planes.size() != per) throw std::logic_error("TorchInput: wrong plane count");
    std::memcpy(dst, in->planes.data(), per * sizeof(float));
    dst += per;
  }
  return x;
}

Tensor StackContours(const std::vector<const TorchInput*>& inputs, const TorchAgentConfig& c) {
  const int64_t b = static_cast<int64_t>(inputs.size());
  const int64_t m = static_cast<int64_t>(c.candidates.size()), k = c.num_vertices;
  Tensor t = torch::empty({b, m, k, 2}, torch::kFloat);
  float* dst = t.data_ptr<float>();
  const std::size_t per = static_cast<std::size_t>(m * k * 2);
  for (const TorchInput* in : inputs) {
    if (in->contours.size() != per) throw std::logic_error("TorchInput: wrong contour count");
    std::memcpy(dst, in->contours.data(), per * sizeof(float));
    dst += per;
  }
  return t;
}

Tensor OneHot(int64_t b, int64_t m) {
  return torch::eye(m, torch::kFloat).unsqueeze(0).expand({b, m, m}).contiguous();
}

// The first index of the largest value (ties go to the earlier candidate, so an untrained net,
// which rates every candidate alike, picks the first).
int ArgMax(const float* v, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

// A proposal's reward against the human polygon; a contour that collapses to no area scores 0.
double Score(const RewardSpec& reward, const TorchInput& in, const float* xy, int k,
             const Instance& human) {
  Instance shape;
  try {
    shape = Validate(MakeInstance(in.ToImage(xy, k)));
  } catch (const GeometryError&) {
    return 0.0;
  }
  return reward.Evaluate(shape, human).value;
}

constexpr char kMagic[] = "understudy-torch-policy\n";
constexpr std::uint32_t kFormatVersion = 1;

void WriteU64(std::ostream& out, std::uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
  out.write(reinterpret_cast<const char*>(b), 8);
}

std::uint64_t ReadU64(std::istream& in, const char* what) {
  unsigned char b[8];
  if (!in.read(reinterpret_cast<char*>(b), 8)) {
    throw std::runtime_error(std::string("torch policy checkpoint: truncated before ") + what);
  }
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  return v;
}

std::string ReadBytes(std::istream& in, std::uint64_t n, const char* what) {
  if (n > (std::uint64_t{1} << 32)) {
    throw std::runtime_error(std::string("torch policy checkpoint: ") + what + " claims " +
                             std::to_string(n) + " bytes");
  }
  std::string s(static_cast<std::size_t>(n), '\0');
  if (n > 0 && !in.read(s.data(), static_cast<std::streamsize>(n))) {
    throw std::runtime_error(std::string("torch policy checkpoint: truncated in ") + what);
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The policy

class TorchPolicy::Impl {
 public:
  Impl(TorchAgentConfig config, Net net)
      : config_(std::move(config)), net_(std::move(net)), maker_(config_) {}

  const TorchAgentConfig& config() const { return config_; }
  Net& net() { return net_; }
  const Net& net() const { return net_; }
  InputMaker& maker() { return maker_; }

  std::unique_ptr<Impl> Copy() const {
    auto copy = std::dynamic_pointer_cast<NetImpl>(net_->clone());
    return std::make_unique<Impl>(config_, Net(copy));
  }

  // Raw outputs: refined contours, values, logits as CPU float tensors.
  struct Out {
    Tensor contours;  // B x M x K x 2
    Tensor values;    // B x M
    Tensor logits;    // B x M
  };

  Out Run(const std::vector<const TorchInput*>& inputs) {
    UseTorchThreads(config_.threads);
    c10::InferenceMode guard;
    const Tensor x = StackPlanes(inputs, config_);
    const Tensor initial = StackContours(inputs, config_);
    const int64_t b = x.size(0), m = initial.size(1);
    const Tensor onehot = OneHot(b, m);
    const Maps maps = net_->Encode(x);
    Out out;
    out.contours = net_->Refine(maps, initial).back().contiguous();
    out.values = net_->Value(maps, out.contours, onehot).contiguous();
    out.logits = net_->spec().policy_selection
                     ? net_->SelectLogits(maps, initial, onehot).contiguous()
                     : (out.values / config_.selection_temperature).contiguous();
    return out;
  }

  std::vector<Proposal> Choose(const std::vector<const TorchInput*>& inputs, const Out& out) {
    const int m = static_cast<int>(config_.candidates.size()), k = config_.num_vertices;
    const float* contours = out.contours.data_ptr<float>();
    const float* values = out.values.data_ptr<float>();
    const float* logits = out.logits.data_ptr<float>();
    std::vector<Proposal> proposals;
    proposals.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const TorchInput& in = *inputs[i];
      const int choice = ArgMax(logits + i * m, m);
      const float* xy = contours + (i * m + static_cast<std::size_t>(choice)) * k * 2;
      const double value = values[i * m + static_cast<std::size_t>(choice)];
      bool finite = std::isfinite(value);
      for (int j = 0; j < m; ++j) finite = finite && std::isfinite(logits[i * m + j]);
      for (int j = 0; j < 2 * k && finite; ++j) finite = std::isfinite(xy[j]);
      Proposal p;
      const std::string& candidate = config_.candidates[static_cast<std::size_t>(choice)];
      if (finite) {
        try {
          p.shape = Validate(MakeInstance(in.ToImage(xy, k)));
          p.confidence = value;
          p.source = "torch:" + candidate;
        } catch (const GeometryError&) {
          finite = false;  // the contour collapsed: fall back below
        }
      }
      if (!finite) {
        // Never serve garbage: the candidate's own polygon, with no claim about its quality.
        p.shape = in.image_shapes[static_cast<std::size_t>(choice)];
        p.confidence = std::numeric_limits<double>::quiet_NaN();
        p.source = "torch:" + candidate + "(non-finite)";
      }
      proposals.push_back(std::move(p));
    }
    return proposals;
  }

 private:
  TorchAgentConfig config_;
  Net net_;
  InputMaker maker_;
};

TorchPolicy::TorchPolicy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorchPolicy::~TorchPolicy() = default;

// The agent's name in the engine and the registry's version tags (rl:v000003, docs/engine.md).
std::string TorchPolicy::name() const { return "rl"; }

const TorchAgentConfig& TorchPolicy::config() const { return impl_->config(); }

std::shared_ptr<const TorchInput> TorchPolicy::Prepare(const cv::Mat& image, const Prompt& prompt) {
  const PromptCrop crop = impl_->maker().Crop(image, prompt);
  return std::make_shared<const TorchInput>(impl_->maker().Input(crop));
}

std::vector<TorchForward> TorchPolicy::Forward(
    const std::vector<std::shared_ptr<const TorchInput>>& inputs) {
  std::vector<const TorchInput*> raw;
  for (const auto& in : inputs) raw.push_back(in.get());
  if (raw.empty()) return {};
  const Impl::Out out = impl_->Run(raw);
  const std::size_t m = impl_->config().candidates.size();
  const std::size_t k = static_cast<std::size_t>(impl_->config().num_vertices);
  std::vector<TorchForward> result(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const float* c = out.contours.data_ptr<float>() + i * m * k * 2;
    result[i].contours.assign(c, c + m * k * 2);
    const float* v = out.values.data_ptr<float>() + i * m;
    result[i].values.assign(v, v + m);
    const float* l = out.logits.data_ptr<float>() + i * m;
    result[i].logits.assign(l, l + m);
  }
  return result;
}

std::vector<Proposal> TorchPolicy::ProposePrepared(
    const std::vector<std::shared_ptr<const TorchInput>>& inputs) {
  std::vector<const TorchInput*> raw;
  for (const auto& in : inputs) raw.push_back(in.get());
  if (raw.empty()) return {};
  return impl_->Choose(raw, impl_->Run(raw));
}

Proposal TorchPolicy::Propose(const cv::Mat& image, const Prompt& prompt) {
  const PromptCrop crop = impl_->maker().Crop(image, prompt);
  const TorchInput in = impl_->maker().Input(crop);
  const std::vector<const TorchInput*> raw = {&in};
  return impl_->Choose(raw, impl_->Run(raw)).front();
}

std::vector<Proposal> TorchPolicy::ProposeBatch(const std::vector<const cv::Mat*>& images,
                                                const std::vector<Prompt>& prompts) {
  if (images.size() != prompts.size()) {
    throw std::invalid_argument("TorchPolicy::ProposeBatch: " + std::to_string(images.size()) +
                                " images for " + std::to_string(prompts.size()) + " prompts");
  }
  std::vector<TorchInput> inputs;
  inputs.reserve(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (images[i] == nullptr) {
      throw std::invalid_argument("TorchPolicy::ProposeBatch: image " + std::to_string(i) +
                                  " is null");
    }
    inputs.push_back(impl_->maker().Input(impl_->maker().Crop(*images[i], prompts[i])));
  }
  std::vector<const TorchInput*> raw;
  for (const TorchInput& in : inputs) raw.push_back(&in);
  if (raw.empty()) return {};
  return impl_->Choose(raw, impl_->Run(raw));
}

std::unique_ptr<Policy> TorchPolicy::Clone() const {
  return std::make_unique<TorchPolicy>(impl_->Copy());
}

std::size_t TorchPolicy::ParameterCount() const {
  std::size_t n = 0;
  for (const Tensor& p : impl_->net()->parameters()) n += static_cast<std::size_t>(p.numel());
  return n;
}

void TorchPolicy::Save(std::ostream& out) const {
  out.write(kMagic, sizeof(kMagic) - 1);
  WriteU64(out, kFormatVersion);
  const std::string config = TorchAgentConfigToJson(impl_->config()).dump();
  WriteU64(out, config.size());
  out.write(config.data(), static_cast<std::streamsize>(config.size()));
  torch::serialize::OutputArchive archive;
  impl_->net()->save(archive);
  std::ostringstream weights;
  archive.save_to(weights);
  const std::string bytes = weights.str();
  WriteU64(out, bytes.size());
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("TorchPolicy::Save: the stream failed");
}

namespace {

Net MakeNet(const TorchAgentConfig& config) {
  Net net(NetSpec::Of(config));
  net->Initialize(Rng::Mix(config.seed, 1), config.init_std);
  return net;
}

}  // namespace

std::unique_ptr<TorchPolicy> MakeTorchPolicy(const TorchAgentConfig& config) {
  config.Validate();
  return std::make_unique<TorchPolicy>(
      std::make_unique<TorchPolicy::Impl>(config, MakeNet(config)));
}

std::unique_ptr<TorchPolicy> LoadTorchPolicy(std::istream& in) {
  std::string magic(sizeof(kMagic) - 1, '\0');
  if (!in.read(magic.data(), static_cast<std::streamsize>(magic.size())) || magic != kMagic) {
    throw std::runtime_error(
        "torch policy checkpoint: bad magic (not a checkpoint written by TorchPolicy::Save)");
  }
  const std::uint64_t version = ReadU64(in, "the format version");
  if (version != kFormatVersion) {
    throw std::runtime_error("torch policy checkpoint: format version " + std::to_string(version) +
                             ", this build reads version " + std::to_string(kFormatVersion));
  }
  const std::string config_text = ReadBytes(in, ReadU64(in, "the config length"), "the config");
  TorchAgentConfig config;
  try {
    config = TorchAgentConfigFromJson(nlohmann::json::parse(config_text));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("torch policy checkpoint: config is not JSON: ") +
                             e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("torch policy checkpoint: bad config: ") + e.what());
  }
  const std::string weights = ReadBytes(in, ReadU64(in, "the weights length"), "the weights");
  Net net(NetSpec::Of(config));
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& named : net->named_parameters()) {
    shapes.emplace_back(named.key(), named.value().sizes().vec());
  }
  try {
    torch::serialize::InputArchive archive;
    std::istringstream stream(weights);
    archive.load_from(stream);
    net->load(archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(
        std::string("torch policy checkpoint: the weights do not match its config: ") +
        e.what_without_backtrace());
  }
  // Loading replaces each tensor whatever its shape: check every shape against the config's.
  std::size_t i = 0;
  for (const auto& named : net->named_parameters()) {
    if (i >= shapes.size() || named.key() != shapes[i].first ||
        named.value().sizes().vec() != shapes[i].second) {
      throw std::runtime_error(
          "torch policy checkpoint: the weights do not match its config: parameter '" +
          named.key() + "' has shape " + c10::str(named.value().sizes()) + ", the config needs " +
          (i < shapes.size() ? c10::str(c10::IntArrayRef(shapes[i].second)) : "none"));
    }
    ++i;
  }
  if (!AllFinite(net->parameters())) {
    throw std::runtime_error("torch policy checkpoint: the weights are not all finite");
  }
  return std::make_unique<TorchPolicy>(
      std::make_unique<TorchPolicy::Impl>(std::move(config), std::move(net)));
}

PolicyLoader TorchPolicyLoader() {
  return [](std::istream& in) -> std::unique_ptr<Policy> { return LoadTorchPolicy(in); };
}

// ---------------------------------------------------------------------------------------------
// The learner

namespace {

struct ReplayItem {
  PromptCrop crop;
  Instance human;    // image pixels, validated
  Ring human_store;  // its largest outer ring in stored-crop pixels (the imitation target)
};

using ReplayEntry = std::shared_ptr<const ReplayItem>;

// Curve-GCN's point-matching loss: the mean L1 distance between corresponding vertices, under
// the best cyclic shift of the target. contours: B x N x K x 2, dense_target: B x D x 2.
Tensor PointMatchLoss(const Tensor& contours, const Tensor& dense_target) {
  const int64_t k = contours.size(2), dense = dense_target.size(1);
  // The target is sampled `dense / k` times denser: every (dense / k)-th point makes K of them.
  const Tensor target = dense_target.index_select(1, torch::arange(0, dense, dense / k));
  const Tensor idx = (torch::arange(k).unsqueeze(0) + torch::arange(k).unsqueeze(1)) % k;  // S x K
  const Tensor shifted = target.index_select(1, idx.reshape({-1}))
                             .reshape({target.size(0), k, k, 2});  // B x S x K x 2
  const Tensor d = (contours.unsqueeze(2) - shifted.unsqueeze(1)).abs().sum(-1).mean(-1);  // BxNxS
  return std::get<0>(d.min(2)).mean();
}

// A symmetric Chamfer distance between each contour's boundary (each edge sampled at
// kEdgeSamples points, differentiably) and the human polygon's (densely resampled): the mean
// distance from the contour to the human boundary plus from the human boundary to the contour.
// Unlike point matching it does not care where along the boundary a vertex sits, so a contour
// that is already right is not pulled around tangentially. contours: B x N x K x 2, dense: B x D
// x 2.
Tensor ChamferLoss(const Tensor& contours, const Tensor& dense) {
  constexpr int kEdgeSamples = 4;
  const int64_t b = contours.size(0), n = contours.size(1), k = contours.size(2);
  const Tensor next = contours.roll(-1, 2);
  const Tensor t = torch::arange(kEdgeSamples, torch::kFloat) / kEdgeSamples;  // 0, 1/4, ...
  const Tensor edge = contours.unsqueeze(3) +
                      t.reshape({1, 1, 1, kEdgeSamples, 1}) * (next - contours).unsqueeze(3);
  const Tensor p = edge.reshape({b, n, k * kEdgeSamples, 1, 2});
  const Tensor q = dense.reshape({b, 1, 1, dense.size(1), 2});
  const Tensor dist = ((p - q).pow(2).sum(-1) + 1e-8).sqrt();  // B x N x P x D
  return std::get<0>(dist.min(3)).mean() + std::get<0>(dist.min(2)).mean();
}

class TorchLearnerImpl : public TorchLearner {
 public:
  TorchLearnerImpl(const TorchAgentConfig& config, const HeldOutSplit& split, Net net)
      : config_(config),
        split_(split),
        net_(std::move(net)),
        buffer_(config.replay_capacity, split),
        maker_(config),
        rng_(Rng::Mix(config.seed, 2)),
        sampler_(Rng::Mix(config.seed, 3)) {
    UseTorchThreads(config_.threads);
    MakeOptimizer();
  }

  void Add(TrainingExample example) override {
    split_.CheckTrainable(example.key);  // before any work; the buffer checks again
    if (example.image.empty() || example.image.type() != CV_8UC3) {
      throw std::invalid_argument("TorchLearner::Add(" + ToString(example.key) +
                                  "): image must be a non-empty CV_8UC3 matrix");
    }
    auto item = std::make_shared<ReplayItem>();
    item->human = Validate(std::move(example.human));  // GeometryError names the problem
    item->crop = maker_.Crop(example.image, example.prompt);
    const Ring& outer = LargestOuter(item->human);
    item->human_store.reserve(outer.size());
    for (const Point& p : outer) item->human_store.push_back(item->crop.store.ToCrop(p));
    buffer_.Add(example.key, std::move(item));
  }

  std::size_t size() const override { return buffer_.size(); }

  UpdateReport Update(int steps) override {
    UseTorchThreads(config_.threads);
    LowerThreadPriority(config_.learner_nice);
    UpdateReport report;
    if (buffer_.size() == 0 || steps <= 0) return report;
    const auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) Step(report);
    if (report.steps > 0) {
      const double n = report.steps;
      report.loss /= n;
      report.sampled_reward /= n;
      report.greedy_reward /= n;
      report.value_error /= n;
      last_ = report;
    }
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }

  std::unique_ptr<Policy> MakePolicy() const override {
    // Weights are finite by construction (a step that broke them was rolled back); checked
    // again because a served policy must never carry a NaN.
    if (!AllFinite(net_->parameters())) {
      throw std::logic_error("TorchLearner::MakePolicy: non-finite weights survived a step");
    }
    auto copy = std::dynamic_pointer_cast<NetImpl>(net_->clone());
    return std::make_unique<TorchPolicy>(std::make_unique<TorchPolicy::Impl>(config_, Net(copy)));
  }

  std::map<std::string, double> Progress() const override {
    std::size_t bytes = 0;
    buffer_.ForEach([&](const AnnotationKey&, const ReplayEntry& e) {
      bytes += e->crop.Bytes() + VertexCount(e->human) * sizeof(Point) +
               e->human_store.size() * sizeof(Point);
    });
    return {{"updates", static_cast<double>(updates_)},
            {"skipped_non_finite", static_cast<double>(skipped_)},
            {"rolled_back", static_cast<double>(rolled_back_)},
            {"examples", static_cast<double>(buffer_.size())},
            {"examples_added", static_cast<double>(buffer_.added())},
            {"examples_evicted", static_cast<double>(buffer_.evicted())},
            {"replay_bytes", static_cast<double>(bytes)},
            {"loss", last_.loss},
            {"sampled_reward", last_.sampled_reward},
            {"greedy_reward", last_.greedy_reward},
            {"value_error", last_.value_error},
            {"std", std::exp(net_->log_std().item<double>())},
            {"update_seconds", seconds_}};
  }

  void InjectFault(TorchFault fault) override { fault_ = fault; }

  std::vector<float> FlatWeights() const override {
    std::vector<float> out;
    for (const Tensor& p : net_->parameters()) {
      const Tensor c = p.detach().contiguous();
      out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return out;
  }

  const TorchAgentConfig& config() const override { return config_; }

 private:
  void MakeOptimizer() {
    std::vector<Tensor> params;
    for (const auto& named : net_->named_parameters()) {
      if (named.key() == "log_std" && !config_.learn_std) continue;
      params.push_back(named.value());
    }
    optimizer_ = std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(config_.learning_rate));
  }

  // One update: a batch of replay items, augmented; every candidate refined (greedy) and
  // scored; S sampled proposals per item scored; the loss; a guarded optimiser step.
  void Step(UpdateReport& report) {
    const TorchAgentConfig& c = config_;
    const TorchFault fault = std::exchange(fault_, TorchFault::kNone);
    const std::vector<ReplayEntry> batch =
        buffer_.Sample(static_cast<std::size_t>(c.batch_size), sampler_);
    const int64_t b = static_cast<int64_t>(batch.size());
    const int m = static_cast<int>(c.candidates.size()), k = c.num_vertices;
    const int samples = c.samples_per_item;

    std::vector<TorchInput> inputs;
    std::vector<float> target;  // B x (4K) x 2: the human boundary, resampled densely
    inputs.reserve(batch.size());
    for (const ReplayEntry& e : batch) {
      const Augmentation aug = DrawAugmentation(c, rng_);
      inputs.push_back(maker_.Input(e->crop, &aug));
      const std::vector<float> t = maker_.Contour(inputs.back(), e->human_store, 4 * k);
      target.insert(target.end(), t.begin(), t.end());
    }
    std::vector<const TorchInput*> raw;
    for (const TorchInput& in : inputs) raw.push_back(&in);

    const Tensor x = StackPlanes(raw, c);
    const Tensor initial = StackContours(raw, c);
    const Tensor onehot = OneHot(b, m);
    const Tensor target_t = torch::from_blob(target.data(), {b, 4 * k, 2}, torch::kFloat).clone();

    const Maps maps = net_->Encode(x);
    const std::vector<Tensor> iterations = net_->Refine(maps, initial);
    const Tensor means = iterations.back();                             // B x M x K x 2, with grad
    const Tensor means_cpu = means.detach().contiguous();               // what is scored
    const Tensor greedy_values = net_->Value(maps, means_cpu, onehot);  // B x M
    const Tensor log_std =
        c.learn_std ? torch::clamp(net_->log_std(), std::log(c.min_std), std::log(c.max_std))
                    : torch::full({1}, std::log(c.init_std));
    const double std_now = std::exp(log_std.item<double>());
    Tensor logits = net_->spec().policy_selection
                        ? net_->SelectLogits(maps, initial, onehot)
                        : greedy_values.detach() / c.selection_temperature;
    const Tensor probs = torch::softmax(logits.detach(), 1).contiguous();

    // Rewards of every candidate's refined mean: the value targets and the baselines.
    std::vector<float> greedy_rewards(static_cast<std::size_t>(b * m));
    const float* mean_xy = means_cpu.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      for (int j = 0; j < m; ++j) {
        greedy_rewards[static_cast<std::size_t>(i * m + j)] = static_cast<float>(
            Score(c.reward, inputs[static_cast<std::size_t>(i)], mean_xy + (i * m + j) * k * 2, k,
                  batch[static_cast<std::size_t>(i)]->human));
      }
    }
    // The greedy (serving) choice per item.
    const Tensor logits_cpu = logits.detach().contiguous();
    std::vector<int> choice(static_cast<std::size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
      choice[static_cast<std::size_t>(i)] = ArgMax(logits_cpu.data_ptr<float>() + i * m, m);
    }

    // Sampled proposals: a candidate from the selection distribution, vertex positions from
    // the Gaussian around its refined mean.
    const int64_t n = b * samples;
    std::vector<int64_t> item_of(static_cast<std::size_t>(n)), cand_of(static_cast<std::size_t>(n));
    std::vector<float> sampled(static_cast<std::size_t>(n * k * 2));  // unclamped
    std::vector<float> scored(sampled.size());                        // clamped to the crop
    std::vector<float> sampled_rewards(static_cast<std::size_t>(n));
    const float* p = probs.data_ptr<float>();
    for (int64_t i = 0; i < b; ++i) {
      for (int s = 0; s < samples; ++s) {
        const int64_t r = i * samples + s;
        double u = rng_.Uniform(), acc = 0.0;
        int j = m - 1;
        for (int q = 0; q < m; ++q) {
          acc += p[i * m + q];
          if (u < acc) {
            j = q;
            break;
          }
        }
        item_of[static_cast<std::size_t>(r)] = i;
        cand_of[static_cast<std::size_t>(r)] = j;
        const float* mu = mean_xy + (i * m + j) * k * 2;
        for (int d = 0; d < 2 * k; ++d) {
          const float v = static_cast<float>(mu[d] + std_now * rng_.Normal());
          sampled[static_cast<std::size_t>(r * 2 * k + d)] = v;
          scored[static_cast<std::size_t>(r * 2 * k + d)] = std::clamp(v, 0.0f, 1.0f);
        }
        sampled_rewards[static_cast<std::size_t>(r)] =
            static_cast<float>(Score(c.reward, inputs[static_cast<std::size_t>(i)],
                                     &scored[static_cast<std::size_t>(r * 2 * k)], k,
                                     batch[static_cast<std::size_t>(i)]->human));
      }
    }

    const Tensor item_idx = torch::from_blob(item_of.data(), {n}, torch::kLong).clone();
    const Tensor cand_idx = torch::from_blob(cand_of.data(), {n}, torch::kLong).clone();
    const Tensor flat = item_idx * m + cand_idx;
    const Tensor x_s = torch::from_blob(sampled.data(), {n, k, 2}, torch::kFloat).clone();
    const Tensor r_s = torch::from_blob(sampled_rewards.data(), {n}, torch::kFloat).clone();
    const Tensor r_g = torch::from_blob(greedy_rewards.data(), {b, m}, torch::kFloat).clone();
    std::vector<int64_t> choice64(choice.begin(), choice.end());
    const Tensor choice_idx = torch::from_blob(choice64.data(), {b}, torch::kLong).clone();

    // Self-critical advantages: against the greedy refinement of the same candidate (vertex
    // offsets) and against the greedy choice (selection). Or, with baseline "samples", against
    // the mean reward of the item's other samples (leave-one-out), which also cancels the
    // reward every sample loses to its own noise.
    const Tensor r_flat = r_g.reshape({-1});
    const Tensor greedy_reward = r_g.gather(1, choice_idx.unsqueeze(1)).squeeze(1);  // B
    Tensor adv_refine, adv_select;
    if (c.baseline == "samples") {
      const Tensor per_item = r_s.reshape({b, samples});
      const Tensor others = (per_item.sum(1, true) - per_item) / (samples - 1.0);
      adv_refine = adv_select = (per_item - others).reshape({n});
    } else {
      adv_refine = r_s - r_flat.index_select(0, flat);
      adv_select = r_s - greedy_reward.index_select(0, item_idx);
    }

    const Tensor mu_s = means.reshape({b * m, k, 2}).index_select(0, flat);  // n x K x 2
    const Tensor z = (x_s - mu_s) / log_std.exp();
    const Tensor log_prob = (-0.5 * z * z - log_std).sum({1, 2});  // constants dropped
    Tensor policy_loss = -(adv_refine * log_prob).mean();
    Tensor entropy = log_std.sum() * (2.0 * k);  // Gaussian entropy up to a constant
    if (net_->spec().policy_selection) {
      const Tensor log_p = torch::log_softmax(logits, 1);
      const Tensor log_p_s = log_p.reshape({-1}).index_select(0, flat);
      policy_loss = policy_loss - (adv_select * log_p_s).mean();
      entropy = entropy - (log_p.exp() * log_p).sum(1).mean();
    }

    // Value regression onto every realised reward: the greedy refinements and the samples.
    const Tensor sample_values = ValueOfSamples(maps, x_s, cand_idx, b, samples, m, k);
    const Tensor predicted = torch::cat({greedy_values.reshape({-1}), sample_values});
    const Tensor realised = torch::cat({r_flat, r_s});
    const Tensor value_loss = (predicted - realised).pow(2).mean();

    Tensor imitation = torch::zeros({}, torch::kFloat);
    if (c.imitation_weight > 0.0) {
      for (const Tensor& it : iterations) {
        imitation = imitation + (c.imitation_loss == "points" ? PointMatchLoss(it, target_t)
                                                              : ChamferLoss(it, target_t));
      }
      imitation = imitation / static_cast<double>(iterations.size());
    }

    Tensor loss = c.policy_weight * policy_loss + c.value_weight * value_loss +
                  c.imitation_weight * imitation - c.entropy_weight * entropy;
    if (fault == TorchFault::kNanLoss) loss = loss * std::numeric_limits<float>::quiet_NaN();

    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      ++report.skipped_non_finite;
      ++skipped_;
      return;
    }
    optimizer_->zero_grad();
    loss.backward();
    std::vector<Tensor> grads;
    for (const Tensor& param : net_->parameters()) {
      if (param.grad().defined()) grads.push_back(param.grad());
    }
    if (fault == TorchFault::kNanGradient && !grads.empty()) {
      torch::NoGradGuard no_grad;
      grads.front().view({-1})[0] = std::numeric_limits<float>::quiet_NaN();
    }
    double norm2 = 0.0;
    for (const Tensor& g : grads) norm2 += g.pow(2).sum().item<double>();
    const double norm = std::sqrt(norm2);
    if (!std::isfinite(norm)) {
      optimizer_->zero_grad();
      ++report.skipped_non_finite;
      ++skipped_;
      return;
    }
    if (norm > c.grad_clip) {
      torch::NoGradGuard no_grad;
      for (Tensor& g : grads) g.mul_(c.grad_clip / norm);
    }
    std::vector<Tensor> before;
    {
      torch::NoGradGuard no_grad;
      for (const Tensor& param : net_->parameters()) before.push_back(param.detach().clone());
    }
    optimizer_->step();
    if (fault == TorchFault::kNanWeightsAfterStep) {
      torch::NoGradGuard no_grad;
      net_->parameters().front().view({-1})[0] = std::numeric_limits<float>::quiet_NaN();
    }
    if (!AllFinite(net_->parameters())) {
      // Roll back to the last good weights; the optimiser's moments may be what broke them.
      torch::NoGradGuard no_grad;
      std::vector<Tensor> params = net_->parameters();
      for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(before[i]);
      MakeOptimizer();
      ++report.skipped_non_finite;
      ++skipped_;
      ++rolled_back_;
      return;
    }
    ++updates_;
    ++report.steps;
    report.loss += loss_value;
    report.sampled_reward += r_s.mean().item<double>();
    report.greedy_reward += greedy_reward.mean().item<double>();
    report.value_error += (predicted.detach() - realised).abs().mean().item<double>();
  }

  // The value of each sampled contour; samples are item-major (item i's are i*S ... i*S+S-1),
  // so they are B x S contours of the batch's B crops.
  Tensor ValueOfSamples(const Maps& maps, const Tensor& x_s, const Tensor& cand_idx, int64_t b,
                        int samples, int m, int k) {
    const Tensor onehot =
        torch::eye(m, torch::kFloat).index_select(0, cand_idx).reshape({b, samples, m});
    return net_->Value(maps, torch::clamp(x_s, 0.0, 1.0).reshape({b, samples, k, 2}), onehot)
        .reshape({b * samples});
  }

  TorchAgentConfig config_;
  HeldOutSplit split_;
  Net net_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  TrainingBuffer<ReplayEntry> buffer_;
  InputMaker maker_;
  Rng rng_;                  // augmentation and exploration
  std::mt19937_64 sampler_;  // replay sampling (TrainingBuffer::Sample)
  TorchFault fault_ = TorchFault::kNone;
  std::uint64_t updates_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t rolled_back_ = 0;
  double seconds_ = 0.0;
  UpdateReport last_;
};

}  // namespace

std::unique_ptr<TorchLearner> MakeTorchLearner(const TorchAgentConfig& config,
                                               const HeldOutSplit& split, const Policy* start) {
  config.Validate();
  if (start == nullptr) {
    return std::make_unique<TorchLearnerImpl>(config, split, MakeNet(config));
  }
  const auto* policy = dynamic_cast<const TorchPolicy*>(start);
  if (policy == nullptr) {
    throw std::invalid_argument("MakeTorchLearner: start policy '" + start->name() +
                                "' is not a TorchPolicy");
  }
  const std::string field = config.ArchitectureMismatch(policy->config());
  if (!field.empty()) {
    throw std::invalid_argument("MakeTorchLearner: start policy differs in TorchAgentConfig." +
                                field + " (a checkpoint fixes the network's shape and inputs)");
  }
  Net net(std::dynamic_pointer_cast<NetImpl>(policy->impl().net()->clone()));
  return std::make_unique<TorchLearnerImpl>(config, split, std::move(net));
}

}  // namespace understudy
