#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "agent/annotation_key.h"
#include "rewards/polygon.h"

namespace understudy {

/** A proposal the serving model made for a prompt before its human annotation existed. */
struct BlindPrediction {
  std::uint64_t model_version = 0;   // the serving model that proposed it
  std::int64_t predicted_at_ms = 0;  // caller's clock (wall or simulated), same as Take's
  Instance shape;                    // the proposal, scored against the annotation later
  double predicted_reward = 0.0;     // the value head's estimate; NaN when it has none
  bool published = false;            // whether the gate published it as a suggestion
  std::string decision;              // "published", or why it was withheld
};

/** Bounds of the ledger; docs/gate.md explains the choice. */
struct BlindLedgerConfig {
  std::size_t capacity = 10000;            // pending predictions kept; the oldest go first
  std::int64_t max_age_ms = 86'400'000;    // pending predictions older than this are evicted
  std::size_t annotated_memory = 1000000;  // annotated keys remembered to refuse late Puts

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** The outcome of BlindLedger::Put. */
enum class PutResult {
  kStored,
  kDuplicate,         // a blind prediction for this prompt is already pending; the first stays
  kAlreadyAnnotated,  // the annotation was seen: a prediction now would not be blind
};

/** The outcome of BlindLedger::Take. */
enum class TakeStatus {
  kBlind,     // a prediction made before the annotation: score it
  kMissing,   // none pending (never made, or evicted): nothing to score
  kNotBlind,  // the stored prediction is time-stamped after the annotation: refused
};

/** What BlindLedger::Take found. */
struct TakeResult {
  TakeStatus status = TakeStatus::kMissing;
  std::optional<BlindPrediction> prediction;  // set only for kBlind
};

/** Running counts of the ledger. */
struct LedgerCounters {
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t refused_after_annotation = 0;
  std::uint64_t taken_blind = 0;
  std::uint64_t missing = 0;
  std::uint64_t not_blind = 0;
  std::uint64_t evicted_capacity = 0;
  std::uint64_t evicted_age = 0;
};

/**
 * Blind-prediction bookkeeping: per prompt (project, asset, prompt id) the proposal the serving
 * model made before the annotation, with its version, time and predicted reward. Take hands it
 * out exactly once when the annotation arrives and remembers that the prompt is annotated, so
 * a later Put for it is refused: a prediction made after the label can never be scored as
 * blind. Pending entries are bounded by count and age; evictions are counted. Thread-safe.
 */
class BlindLedger {
 public:
  /** Validates `config` (std::invalid_argument). */
  explicit BlindLedger(BlindLedgerConfig config = {});

  /** Stores the blind proposal for `key`; first evicts entries older than max_age_ms before
   *  prediction.predicted_at_ms and, when full, the oldest. */
  PutResult Put(const AnnotationKey& key, BlindPrediction prediction);

  /**
   * The annotation for `key` arrived at `annotated_at_ms`: removes and returns the pending
   * proposal if it was made at or before that time, and marks the key annotated either way.
   */
  TakeResult Take(const AnnotationKey& key, std::int64_t annotated_at_ms);

  /** Evicts pending entries older than max_age_ms at `now_ms`; returns how many. */
  std::size_t EvictExpired(std::int64_t now_ms);

  /** Whether the annotation of `key` was seen (within annotated_memory). */
  bool WasAnnotated(const AnnotationKey& key) const;

  std::size_t pending() const;
  LedgerCounters counters() const;

 private:
  struct Stamp {  // one pending key in insertion order, with its time for age eviction
    AnnotationKey key;
    std::int64_t at_ms;
  };
  struct Entry {
    BlindPrediction prediction;
    std::list<Stamp>::iterator order;
  };
  std::size_t EvictExpiredLocked(std::int64_t now_ms);
  void RememberAnnotated(const AnnotationKey& key);

  BlindLedgerConfig config_;
  mutable std::mutex mu_;
  std::unordered_map<AnnotationKey, Entry, AnnotationKeyHash> pending_;
  std::list<Stamp> order_;  // insertion order, oldest first
  // Annotated keys as 64-bit stable hashes: a collision can only refuse a genuine blind
  // prediction, never admit a late one.
  std::unordered_set<std::uint64_t> annotated_;
  std::deque<std::uint64_t> annotated_order_;
  LedgerCounters counters_;
};

}  // namespace understudy
