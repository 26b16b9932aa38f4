#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/model_registry.h"
#include "agent/policy.h"
#include "agent/serving_policy.h"
#include "agent/serving_slot.h"

namespace understudy {

/** What a rollback changed. */
struct RollbackOutcome {
  std::uint64_t previous = 0;  // the version that served before
  std::uint64_t serving = 0;   // the version that serves now
  std::uint64_t newest = 0;    // the newest registered version (for ShadowGate::Restart)
};

/**
 * The serving model and its versions: the ServingSlot every prediction reads, the optional
 * ModelRegistry on disk, and version ids. Every change persists first and swaps second
 * (docs/registry.md), under one mutex, so a challenger promoted by the learner thread and a
 * rollback from the worker thread never interleave. Without a registry, versions are numbered in
 * memory (1, 2, ...) and there is nothing to roll back to. Thread-safe.
 */
class ModelKeeper {
 public:
  /** `registry_dir` empty: in memory only. `loader` reads registry checkpoints (may be empty
   *  without a registry). Throws RegistryError when the registry cannot be opened. */
  ModelKeeper(const std::filesystem::path& registry_dir, PolicyLoader loader);

  /**
   * Starts serving: the registry's serving version when it has one (read with the loader, and
   * resumed() is true; `initial` is then unused), otherwise `initial`, registered as a new
   * version. Returns the serving version. Call once, before anything reads the slot.
   */
  std::uint64_t Start(std::unique_ptr<Policy> initial, const std::string& note);

  /**
   * Registers `challenger` and serves it, provided the model serving now is still
   * `expected_champion` (a rollback in between means the challenger was vetted against another
   * champion: then nothing changes and std::nullopt is returned). `held_out` is the challenger's
   * score. Returns the new version.
   */
  std::optional<std::uint64_t> Promote(std::unique_ptr<Policy> challenger,
                                       std::uint64_t expected_champion,
                                       const std::optional<HeldOutScore>& held_out,
                                       std::uint64_t examples_seen, std::uint64_t updates,
                                       const std::string& note);

  /** Serves registered version `id` again (registry first, then the slot). Throws
   *  std::invalid_argument without a registry, RegistryError for an unknown id or a corrupt
   *  checkpoint, std::runtime_error when the loader fails; nothing changes then. */
  RollbackOutcome Rollback(std::uint64_t id, const std::string& note);

  /** The serving model and its version: read it once per prediction. */
  ServingSlot<ServingPolicy>::Handle Get() const { return slot_.Get(); }
  std::uint64_t serving_version() const;
  std::uint64_t newest_version() const;
  /** The tag of a version this keeper served or registered; "v000007" when unknown. */
  std::string TagOf(std::uint64_t version) const;
  /** Whether Start resumed the registry's serving version rather than the initial model. */
  bool resumed() const { return resumed_; }
  bool has_registry() const { return registry_ != nullptr; }
  std::uint64_t promotions() const;
  std::uint64_t rollbacks() const;

 private:
  std::uint64_t ServeLocked(std::unique_ptr<Policy> policy, std::uint64_t version);

  std::unique_ptr<ModelRegistry> registry_;
  PolicyLoader loader_;
  ServingSlot<ServingPolicy> slot_;
  mutable std::mutex mu_;
  std::uint64_t next_memory_id_ = 1;
  std::uint64_t newest_ = 0;
  std::map<std::uint64_t, std::string> tags_;
  std::uint64_t promotions_ = 0;
  std::uint64_t rollbacks_ = 0;
  bool resumed_ = false;
};

}  // namespace understudy
