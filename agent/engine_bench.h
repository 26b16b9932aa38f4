#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_engine.h"
#include "agent/learner.h"
#include "agent/policy.h"

// `understudy bench engine`: suggestion latency through the agent engine with its learner
// running in the background and without it, and the time from a human annotation arriving to a
// model that learned from it serving (docs/engine.md, "Figures").

namespace understudy {

/**
 * A stand-in Learner for benchmarks only: every update burns `ms_per_update` milliseconds of its
 * thread's CPU time (a busy loop, not a sleep), so the learner thread loads a core the way a
 * torch learner does; it keeps no examples, and its challengers are clones of `policy` (equal on
 * the held-out pool, so each challenge swaps one in). What it measures is the engine around the
 * learner (hand-off queue, batches, challenges on the pool, registry, swap), not learning.
 */
class CpuLoadLearner : public Learner {
 public:
  CpuLoadLearner(double ms_per_update, std::unique_ptr<Policy> policy);
  void Add(TrainingExample example) override;
  std::size_t size() const override { return examples_; }
  UpdateReport Update(int steps) override;
  std::unique_ptr<Policy> MakePolicy() const override { return policy_->Clone(); }
  std::map<std::string, double> Progress() const override;

 private:
  double ms_per_update_;
  std::unique_ptr<Policy> policy_;
  std::size_t examples_ = 0;
  std::uint64_t updates_ = 0;
  double cpu_seconds_ = 0.0;
};

/** What to run. */
struct EngineBenchOptions {
  int prompts = 300;          // prompts (each answered) per phase
  int rounds = 2;             // phases alternate: no learner, learner, no learner, learner, ...
  double interval_ms = 10.0;  // pause between prompts: the annotators' pace, compressed
  int warmup = 20;            // first prompts of a phase not counted
  std::uint64_t seed = 1;     // synthetic scenes
  std::string preset = "default";

  /** Throws std::invalid_argument naming the field and value. */
  void Validate() const;
};

/** Percentiles of one series, in microseconds (latency) or seconds (annotation to serving). */
struct BenchSeries {
  std::size_t n = 0;
  double p50 = 0.0;
  double p90 = 0.0;
  double p99 = 0.0;
  double max = 0.0;
};
BenchSeries Summarize(std::vector<double> samples);

/** One learning phase's figures. */
struct LearningPhase {
  double seconds = 0.0;  // wall time of the phase
  LearningProgress progress;
  LearnerQueueStats queue;
};

/** Everything one run measured. */
struct EngineBenchReport {
  BenchSeries idle_us;                  // AgentEngine::OnPrompt without a learner
  BenchSeries learning_us;              // ... while the learner thread runs
  BenchSeries annotation_to_serving_s;  // over every learning phase's swaps (latest 1024 each)
  std::vector<LearningPhase> phases;
  std::string policy;                   // the serving policy's name
  std::string learner;                  // what learned, in words
  std::string load_before, load_after;  // /proc/loadavg
};

/** Makes the engine for a phase: with its learner (background mode) or without one. */
using BenchEngineMaker = std::function<std::unique_ptr<AgentEngine>(bool with_learner)>;

/** Runs the phases in this thread (the engine's worker) on synthetic scenes. */
EngineBenchReport RunEngineBench(const EngineBenchOptions& options, const BenchEngineMaker& make,
                                 const std::string& learner_description);

/** The report as `understudy bench engine` prints it. */
std::string FormatEngineBench(const EngineBenchOptions& options, const EngineBenchReport& report);

}  // namespace understudy
