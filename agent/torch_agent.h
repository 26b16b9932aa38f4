#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "agent/held_out_split.h"
#include "agent/learner.h"
#include "agent/policy.h"
#include "rewards/reward_spec.h"

namespace understudy {

/**
 * Everything the libtorch agent needs: what the nets see, their shape, how they learn and from
 * what. Fields marked [arch] fix the network and its inputs; a checkpoint records them and a
 * learner can only start from a policy whose [arch] fields are equal. docs/agent.md explains each
 * field and the measurements behind the defaults. Validate() throws std::invalid_argument naming
 * the field and the value.
 */
struct TorchAgentConfig {
  // --- Inputs [arch] ---
  int num_vertices = 32;         // K: vertices of every contour
  int crop_size = 64;            // observation side in pixels
  double context_margin = 0.25;  // the crop is the box grown by this x its size on each side
  /** Initial contours the policy chooses among and refines: MakeProposer names. The first is
   *  the untrained policy's choice. The default refines the ellipse inscribed in the box (no
   *  image work before the nets); GrabCut is the strongest start on clean data but costs ~30 ms
   *  per prompt, which would be most of a suggestion's latency; several candidates add a
   *  selection step (docs/agent.md). */
  std::vector<std::string> candidates = {"ellipse"};
  bool edge_channel = true;   // a Sobel edge plane beside RGB
  bool mask_channels = true;  // a filled mask plane per image-dependent candidate (grabcut,
                              // watershed); box and ellipse masks are constant in the crop frame
  int store_size = 96;        // replay crops: the box grown by store_margin, this many pixels
  double store_margin = 0.5;  // a side, kept as 8-bit BGR so box jitter can re-crop

  // --- Network [arch] ---
  int encoder_width = 32;         // channels of the first conv; the next three have twice that
  int head_width = 64;            // channels of the contour and value heads
  int refinement_iterations = 2;  // Curve-GCN-style refinement steps, each with its own head
  double max_step = 0.15;         // bound of one step's vertex offset (crop-normalised, tanh)
  int profile_points = 9;         // input planes sampled at this many points along each normal
  double profile_reach = 0.1;     // ... from -reach to +reach (crop-normalised)
  /** How the candidate is chosen. "value": the candidate whose refined contour the value head
   *  rates highest (a contextual bandit with a learned reward model; explores by sampling
   *  exp(value / selection_temperature)). "policy": a categorical head over the candidates,
   *  trained by the self-critical policy gradient like the vertex offsets. */
  std::string selection = "value";

  // --- Policy ---
  double init_std = 0.02;  // Gaussian std of the vertex positions (crop-normalised) at the start
  bool learn_std = true;   // a learned log-std, clamped to [min_std, max_std]; else fixed
  double min_std = 0.002;
  double max_std = 0.1;
  double selection_temperature = 0.05;  // "value" selection: sampling temperature

  // --- Learning ---
  std::size_t replay_capacity = 2048;  // examples kept (FIFO); ~30 KB each at the defaults
  int batch_size = 16;                 // replay items per update
  int samples_per_item = 4;            // sampled proposals per item and update
  double learning_rate = 1e-3;         // Adam
  double grad_clip = 1.0;              // global gradient-norm clip
  double policy_weight = 1.0;          // the policy-gradient term
  double entropy_weight = 1e-3;        // entropy bonus
  double value_weight = 1.0;           // value regression onto the realised rewards
  double imitation_weight = 1.0;       // distance to the human polygon; 0 = pure RL
  /** "chamfer": symmetric boundary-to-boundary distance; "points": Curve-GCN's point matching
   *  (vertex to resampled human vertex under the best cyclic shift). */
  std::string imitation_loss = "chamfer";
  /** The policy gradient's baseline: "greedy" (self-critical: the reward of the mean contour
   *  of the same candidate) or "samples" (the mean reward of the item's other samples). */
  std::string baseline = "greedy";
  RewardSpec reward;         // what a proposal scores against the human polygon
  double box_jitter = 0.05;  // augmentation: std of each box side's shift, x the box size
  bool flip = true;          // augmentation: random horizontal flips

  // --- Runtime ---
  int threads = 1;  // torch intra-op threads of each thread that serves or learns
  /** Niceness the learner gives the thread it updates in (Linux: per thread), so that on two
   *  cores the scheduler prefers serving, the server's I/O and its clients over learning. 5
   *  weighs it 1:3 against a normal thread; 10 (1:9) starved it on a machine shared with a
   *  compiler (docs/agent.md). 0 leaves it alone; only raising is possible unprivileged. */
  int learner_nice = 5;
  std::uint64_t seed = 0;  // initial weights, replay sampling, augmentation, exploration

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
  /** Planes of an observation: RGB, the edge plane, a mask per image-dependent candidate. */
  int PlaneCount() const;
  /** The name of the first [arch] field that differs from `other`, or "" when none does. */
  std::string ArchitectureMismatch(const TorchAgentConfig& other) const;
};

/** Every field as JSON (the reward as RewardSpecToJson writes it). */
nlohmann::json TorchAgentConfigToJson(const TorchAgentConfig& config);
/** The defaults overridden by the keys present; unknown keys and wrong types throw
 *  std::invalid_argument naming the key; the result is validated. */
TorchAgentConfig TorchAgentConfigFromJson(const nlohmann::json& json);

/** One network output per prompt, for benchmarks and diagnostics. */
struct TorchForward {
  std::vector<float> contours;  // candidates x K x 2: each candidate's refined mean contour
  std::vector<float> values;    // candidates: predicted reward of each refined contour
  std::vector<float> logits;    // candidates: selection logits
};

/** The network's input for one prompt (crop planes and candidate contours), made once. */
struct TorchInput;

/**
 * The libtorch policy: proposes candidates (TorchAgentConfig::candidates), refines each with the
 * contour heads, picks one (the selection rule) and returns it with the value head's predicted
 * reward as the confidence. Deterministic (means, no sampling). If the nets give a non-finite
 * output the chosen candidate's own polygon is returned with a NaN confidence and a source ending
 * in "(non-finite)", so serving never emits garbage. Not thread-safe: Clone per thread.
 */
class TorchPolicy : public Policy {
 public:
  class Impl;
  explicit TorchPolicy(std::unique_ptr<Impl> impl);
  ~TorchPolicy() override;

  std::string name() const override;
  Proposal Propose(const cv::Mat& image, const Prompt& prompt) override;
  std::vector<Proposal> ProposeBatch(const std::vector<const cv::Mat*>& images,
                                     const std::vector<Prompt>& prompts) override;
  std::unique_ptr<Policy> Clone() const override;
  void Save(std::ostream& out) const override;

  const TorchAgentConfig& config() const;
  /** Runs the candidate proposers and builds the nets' input (the part of Propose before the
   *  nets). */
  std::shared_ptr<const TorchInput> Prepare(const cv::Mat& image, const Prompt& prompt);
  /** The bare forward pass over prepared inputs, as one batch. */
  std::vector<TorchForward> Forward(const std::vector<std::shared_ptr<const TorchInput>>& inputs);
  /** The proposals for prepared inputs (one forward pass, then selection and mapping back). */
  std::vector<Proposal> ProposePrepared(
      const std::vector<std::shared_ptr<const TorchInput>>& inputs);
  /** Number of weights. */
  std::size_t ParameterCount() const;
  /** The implementation; opaque outside agent/torch. */
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/** Faults the learner's non-finite guards are tested with (TorchLearner::InjectFault). */
enum class TorchFault {
  kNone,
  kNanLoss,              // the next update's loss is NaN
  kNanGradient,          // the next update's gradient has a NaN
  kNanWeightsAfterStep,  // the next update's step writes a NaN into the weights
};

/**
 * The libtorch learner (Learner's contract; docs/agent.md describes an update). A step whose
 * loss or gradient is not finite is skipped and counted; a step that leaves a non-finite weight
 * is rolled back to the last good weights (and the optimiser restarted), so MakePolicy never
 * hands out non-finite weights.
 */
class TorchLearner : public Learner {
 public:
  /** Fault injection for tests: the next Update step suffers `fault` once. */
  virtual void InjectFault(TorchFault fault) = 0;
  /** The weights as a policy checkpoint would store them, for comparisons (same seed, same
   *  calls, same bytes). */
  virtual std::vector<float> FlatWeights() const = 0;
  virtual const TorchAgentConfig& config() const = 0;
};

/**
 * A learner with fresh weights (seeded by config.seed), or starting from `start`'s weights (a
 * TorchPolicy, e.g. a pretrained checkpoint; its [arch] fields must equal config's, else
 * std::invalid_argument naming the field). Its replay buffer checks `split` on every Add.
 */
std::unique_ptr<TorchLearner> MakeTorchLearner(const TorchAgentConfig& config,
                                               const HeldOutSplit& split,
                                               const Policy* start = nullptr);

/** An untrained policy (weights seeded by config.seed): the candidates, unrefined at first. */
std::unique_ptr<TorchPolicy> MakeTorchPolicy(const TorchAgentConfig& config);

/** Reads Policy::Save's bytes; throws std::runtime_error naming what is wrong (not a torch
 *  policy, another format version, a corrupt or mismatched weight file). */
std::unique_ptr<TorchPolicy> LoadTorchPolicy(std::istream& in);
/** LoadTorchPolicy as the engine's PolicyLoader. */
PolicyLoader TorchPolicyLoader();

}  // namespace understudy
