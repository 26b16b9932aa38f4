#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "env/episode_source.h"
#include "env/polygon_env.h"
#include "env/time_step.h"
#include "env/worker_pool.h"

namespace understudy {

/** The batched env's settings. */
struct BatchedEnvConfig {
  int num_envs = 16;
  int num_threads = 1;  // worker threads, the caller's included; results do not depend on it
  EnvConfig env;
  std::uint64_t seed = 0;  // which episodes each env plays

  /** Throws std::invalid_argument naming the bad field. */
  void Validate() const;
};

/**
 * N PolygonEnvs stepped together, for the learner. Env j's e-th episode is episode
 * Mix(seed, j, e) mod size of the source: fixed by the seed whatever the thread count, so a run
 * is reproducible. Like dm_env (and envpool), an env whose last time step was kLast starts its
 * next episode on the following Step, returning kFirst and ignoring its action.
 */
class BatchedEnv {
 public:
  BatchedEnv(std::shared_ptr<const EpisodeSource> source, BatchedEnvConfig config);

  int size() const { return config_.num_envs; }
  const BatchedEnvConfig& config() const { return config_; }
  std::size_t ActionSize() const { return config_.env.ActionSize(); }

  /** Starts a new episode in every env. */
  std::vector<TimeStep> Reset();

  /** `actions` holds size() x ActionSize() floats, env-major. Throws std::invalid_argument on a
   *  wrong count, and std::logic_error before Reset. */
  std::vector<TimeStep> Step(const float* actions, std::size_t count);
  std::vector<TimeStep> Step(const std::vector<float>& actions) {
    return Step(actions.data(), actions.size());
  }
  /** One action per env. */
  std::vector<TimeStep> Step(const std::vector<std::vector<float>>& actions);

  /** The observations of `steps` stacked into one N x C x H x W buffer. */
  static std::vector<float> StackObservations(const std::vector<TimeStep>& steps);

 private:
  TimeStep StartEpisode(std::size_t env);

  std::shared_ptr<const EpisodeSource> source_;
  BatchedEnvConfig config_;
  std::vector<PolygonEnv> envs_;
  std::vector<std::uint64_t> episodes_;    // episodes started per env
  std::vector<std::uint8_t> needs_reset_;  // not vector<bool>: workers write neighbours
  WorkerPool pool_;
  bool started_ = false;
};

}  // namespace understudy
