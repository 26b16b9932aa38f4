#include "env/batched_env.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "env/rng.h"

namespace understudy {

void BatchedEnvConfig::Validate() const {
  if (num_envs < 1 || num_envs > 65536) {
    throw std::invalid_argument("BatchedEnvConfig.num_envs = " + std::to_string(num_envs) +
                                " (must be in [1, 65536])");
  }
  if (num_threads < 1 || num_threads > 256) {
    throw std::invalid_argument("BatchedEnvConfig.num_threads = " + std::to_string(num_threads) +
                                " (must be in [1, 256])");
  }
  env.Validate();
}

BatchedEnv::BatchedEnv(std::shared_ptr<const EpisodeSource> source, BatchedEnvConfig config)
    : source_(std::move(source)),
      config_((config.Validate(), std::move(config))),
      episodes_(static_cast<std::size_t>(config_.num_envs), 0),
      needs_reset_(static_cast<std::size_t>(config_.num_envs), 1),
      pool_(config_.num_threads) {
  if (!source_ || source_->size() == 0) {
    throw std::invalid_argument("BatchedEnv: the episode source is missing or empty");
  }
  envs_.reserve(static_cast<std::size_t>(config_.num_envs));
  for (int i = 0; i < config_.num_envs; ++i) envs_.emplace_back(config_.env);
}

TimeStep BatchedEnv::StartEpisode(std::size_t env) {
  const std::uint64_t key = (static_cast<std::uint64_t>(env) << 32) | episodes_[env]++;
  const std::size_t index = Rng::Mix(config_.seed, key) % source_->size();
  const Episode e = source_->Get(index);
  needs_reset_[env] = 0;
  return envs_[env].Reset(e.image, e.prompt, *e.human);
}

std::vector<TimeStep> BatchedEnv::Reset() {
  std::vector<TimeStep> out(envs_.size());
  pool_.ParallelFor(envs_.size(), [&](std::size_t i, int) { out[i] = StartEpisode(i); });
  started_ = true;
  return out;
}

std::vector<TimeStep> BatchedEnv::Step(const float* actions, std::size_t count) {
  if (!started_) throw std::logic_error("BatchedEnv::Step before Reset");
  const std::size_t per = ActionSize();
  if (count != per * envs_.size()) {
    throw std::invalid_argument("BatchedEnv::Step: " + std::to_string(count) +
                                " action values, expected " + std::to_string(envs_.size()) +
                                " envs x " + std::to_string(per));
  }
  // Checked up front so a bad value cannot leave the batch half stepped.
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::isfinite(actions[i])) {
      throw std::invalid_argument("BatchedEnv::Step: action of env " + std::to_string(i / per) +
                                  ", value " + std::to_string(i % per) + " is not finite");
    }
  }
  std::vector<TimeStep> out(envs_.size());
  pool_.ParallelFor(envs_.size(), [&](std::size_t i, int) {
    if (needs_reset_[i] != 0) {
      out[i] = StartEpisode(i);
      return;
    }
    out[i] = envs_[i].Step(actions + i * per, per);
    needs_reset_[i] = out[i].last() ? 1 : 0;
  });
  return out;
}

std::vector<TimeStep> BatchedEnv::Step(const std::vector<std::vector<float>>& actions) {
  if (actions.size() != envs_.size()) {
    throw std::invalid_argument("BatchedEnv::Step: " + std::to_string(actions.size()) +
                                " actions for " + std::to_string(envs_.size()) + " envs");
  }
  std::vector<float> flat;
  flat.reserve(actions.size() * ActionSize());
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].size() != ActionSize()) {
      throw std::invalid_argument("BatchedEnv::Step: action " + std::to_string(i) + " has " +
                                  std::to_string(actions[i].size()) + " values, expected " +
                                  std::to_string(ActionSize()));
    }
    flat.insert(flat.end(), actions[i].begin(), actions[i].end());
  }
  return Step(flat);
}

std::vector<float> BatchedEnv::StackObservations(const std::vector<TimeStep>& steps) {
  std::vector<float> out;
  if (steps.empty()) return out;
  const std::size_t each = steps[0].observation.pixels.size();
  out.reserve(each * steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].observation.pixels.size() != each) {
      throw std::invalid_argument("StackObservations: step " + std::to_string(i) +
                                  " has a differently sized observation");
    }
    out.insert(out.end(), steps[i].observation.pixels.begin(), steps[i].observation.pixels.end());
  }
  return out;
}

}  // namespace understudy
