#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace understudy {

/** A model's mean reward over the held-out pool, and which pool. */
struct HeldOutScore {
  double mean = 0.0;
  std::size_t n = 0;
  std::uint64_t pool_fingerprint = 0;
};

/** What the trainer knows about a new model when it registers it. */
struct ModelDraft {
  std::optional<std::uint64_t> parent;  // the version it was trained from
  std::optional<HeldOutScore> held_out;
  std::uint64_t examples_seen = 0;  // training examples consumed so far (cumulative)
  std::uint64_t updates = 0;        // optimiser steps so far (cumulative)
  std::string note;
};

/** One registered version, as stored in <root>/vNNNNNN/meta.json. */
struct ModelMeta {
  std::uint64_t id = 0;
  std::optional<std::uint64_t> parent;
  std::int64_t created_unix_ms = 0;
  std::optional<HeldOutScore> held_out;
  std::uint64_t examples_seen = 0;
  std::uint64_t updates = 0;
  std::string note;
  std::uint64_t checkpoint_bytes = 0;
  std::uint64_t checkpoint_fnv1a64 = 0;  // detects a truncated or altered checkpoint
};

/** What changed the registry. */
enum class RegistryAction { kRegister, kPromote, kRollback };
const char* ToString(RegistryAction action);

/** One entry of the registry's append-only history. */
struct RegistryEvent {
  std::uint64_t seq = 0;  // 1, 2, ... in order
  std::int64_t at_unix_ms = 0;
  RegistryAction action = RegistryAction::kRegister;
  std::uint64_t id = 0;
  std::optional<std::uint64_t> previous_serving;  // for kPromote and kRollback
  std::string note;
};

/** A registry that cannot be read or changed as asked; what() names the path or the id. */
class RegistryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Whether opening a registry may create it. */
enum class RegistryOpen { kCreateIfMissing, kMustExist };

/**
 * Versioned models on disk (docs/registry.md): <root>/v000001/{checkpoint.bin, meta.json} per
 * version, <root>/registry.json with the serving pointer, the next id and the history. Ids are
 * monotonic and never reused, also after rollbacks or a crash mid-write. Every change is
 * written to a temporary file or folder, fsync'ed, renamed into place and the folder fsync'ed,
 * under an exclusive flock on <root>/.lock so that a CLI and a server can share a registry.
 * Checkpoint bytes are opaque: the trainer's writer callback produces the file. Thread-safe.
 */
class ModelRegistry {
 public:
  using CheckpointWriter = std::function<void(const std::filesystem::path& file)>;
  using Clock = std::function<std::int64_t()>;  // milliseconds since the Unix epoch

  /** Opens (and with kCreateIfMissing creates) the registry at `root`. Throws RegistryError. */
  explicit ModelRegistry(std::filesystem::path root,
                         RegistryOpen open = RegistryOpen::kCreateIfMissing, Clock clock = {});

  /**
   * Stores a new version with the next id: `write` creates the checkpoint at the path it is
   * given; then meta.json is written and the version folder appears atomically. Does not
   * serve it (Promote does). A throwing writer leaves no version behind. Throws RegistryError
   * for an unknown parent or an I/O failure.
   */
  ModelMeta Register(const ModelDraft& draft, const CheckpointWriter& write);

  /** Serves `id` (a challenger that won on the held-out pool). Verifies its checkpoint. */
  void Promote(std::uint64_t id, const std::string& note = {});

  /** Serves `id` again, any registered version; the history keeps everything, including this
   *  rollback. Verifies the checkpoint. Returns the version that served before. */
  std::optional<std::uint64_t> Rollback(std::uint64_t id, const std::string& note = {});

  std::optional<std::uint64_t> serving() const;
  /** The id the next Register will take. */
  std::uint64_t next_id() const;
  /** Every version, oldest first. */
  std::vector<ModelMeta> List() const;
  std::optional<ModelMeta> Find(std::uint64_t id) const;
  /** Throws RegistryError naming the id and the known ids when it is not registered. */
  ModelMeta Get(std::uint64_t id) const;
  std::vector<RegistryEvent> History() const;

  /** <root>/vNNNNNN/checkpoint.bin of a registered id (RegistryError otherwise). */
  std::filesystem::path CheckpointPath(std::uint64_t id) const;
  /** Throws RegistryError when the checkpoint's size or FNV-1a digest differs from meta.json. */
  void VerifyCheckpoint(std::uint64_t id) const;

  /** Re-reads the registry from disk (after another process changed it). */
  void Reload();

  const std::filesystem::path& root() const { return root_; }

  /** "v000007" for 7 (more digits past 999999). */
  static std::string DirName(std::uint64_t id);
  /** 7 from "7" or "v000007"; throws std::invalid_argument otherwise. */
  static std::uint64_t ParseId(const std::string& text);

 private:
  struct State {
    std::optional<std::uint64_t> serving;
    std::uint64_t next_id = 1;
    std::vector<ModelMeta> models;  // id order
    std::vector<RegistryEvent> history;
  };
  State LoadState() const;
  void WriteIndex(const State& state) const;
  std::optional<std::uint64_t> Serve(std::uint64_t id, RegistryAction action,
                                     const std::string& note);
  const ModelMeta* FindIn(const State& state, std::uint64_t id) const;
  std::string UnknownId(const State& state, std::uint64_t id) const;

  std::filesystem::path root_;
  Clock clock_;
  mutable std::mutex mu_;
  State state_;
};

}  // namespace understudy
