#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "agent/annotation_key.h"
#include "agent/held_out_split.h"
#include "agent/stable_hash.h"

namespace understudy {

/** The held-out split and how many of its items are kept for evaluation. */
struct HeldOutConfig {
  double fraction = 0.1;        // share of annotations never trained on
  std::uint64_t seed = 0;       // selects which ones; the same seed, the same pool
  std::size_t capacity = 5000;  // held-out items stored for evaluation (lowest ranks win)

  /** Throws std::invalid_argument naming the offending field and value. */
  void Validate() const;
};

/** A frozen copy of the pool: what both sides of a champion/challenger comparison score. */
template <typename Item>
struct HeldOutSnapshot {
  std::vector<std::pair<AnnotationKey, std::shared_ptr<const Item>>> items;  // rank order
  std::uint64_t fingerprint = 0;  // identifies the set of keys (order-independent)
};

/** Running counts of the pool. */
struct HeldOutCounters {
  std::uint64_t offered = 0;
  std::uint64_t trainable = 0;      // not held out: the caller may train on them
  std::uint64_t held_out = 0;       // held out, whether stored or not
  std::uint64_t replaced = 0;       // a held-out key offered again: the newer item replaced it
  std::uint64_t over_capacity = 0;  // held out but not stored (rank beyond the capacity)
};

/**
 * The stable held-out pool: a seeded ~fraction of human annotations that is never trained on,
 * kept to score models. Membership is HeldOutSplit's (order-independent). Memory is bounded
 * by `capacity` with a bottom-k rule: the stored items are the held-out ones with the smallest
 * rank, so the stored set is also independent of arrival order, and it changes ever more
 * rarely as the stream grows (an item enters with probability ~capacity / held-out count).
 * Items beyond the capacity are still held out: never trained on, only not stored.
 * Thread-safe.
 */
template <typename Item>
class HeldOutPool {
 public:
  /** Validates `config` (std::invalid_argument). */
  explicit HeldOutPool(const HeldOutConfig& config)
      : capacity_(ValidatedCapacity(config)), split_(config.fraction, config.seed) {}

  const HeldOutSplit& split() const { return split_; }
  bool IsHeldOut(const AnnotationKey& key) const { return split_.IsHeldOut(key); }
  /** Throws HeldOutViolation when `key` is held out. */
  void CheckTrainable(const AnnotationKey& key) const { split_.CheckTrainable(key); }

  /**
   * Routes one human annotation. Returns true when it is held out (and stores it if it ranks
   * within the capacity); false when the caller may train on it.
   */
  bool Offer(const AnnotationKey& key, Item item) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.offered;
    if (!split_.IsHeldOut(key)) {
      ++counters_.trainable;
      return false;
    }
    ++counters_.held_out;
    Slot slot{split_.Rank(key), key};
    auto it = items_.find(slot);
    if (it != items_.end()) {
      it->second = std::make_shared<const Item>(std::move(item));
      ++counters_.replaced;
      return true;
    }
    if (items_.size() >= capacity_) {
      auto last = std::prev(items_.end());
      if (!(slot < last->first)) {
        ++counters_.over_capacity;
        return true;
      }
      fingerprint_ -= Tag(last->first);
      items_.erase(last);
      ++counters_.over_capacity;
    }
    fingerprint_ += Tag(slot);
    items_.emplace(std::move(slot), std::make_shared<const Item>(std::move(item)));
    return true;
  }

  /** A consistent copy of the stored items (sharing them) and the fingerprint. */
  HeldOutSnapshot<Item> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    HeldOutSnapshot<Item> snap;
    snap.fingerprint = fingerprint_;
    snap.items.reserve(items_.size());
    for (const auto& [slot, item] : items_) snap.items.emplace_back(slot.second, item);
    return snap;
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }
  std::uint64_t fingerprint() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fingerprint_;
  }
  HeldOutCounters counters() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counters_;
  }

 private:
  using Slot = std::pair<std::uint64_t, AnnotationKey>;  // (rank, key): ties broken by key
  static std::uint64_t Tag(const Slot& slot) { return SplitMix64(slot.first); }
  static std::size_t ValidatedCapacity(const HeldOutConfig& config) {
    config.Validate();
    return config.capacity;
  }

  std::size_t capacity_;
  HeldOutSplit split_;
  mutable std::mutex mu_;
  std::map<Slot, std::shared_ptr<const Item>> items_;
  std::uint64_t fingerprint_ = 0;  // wrapping sum of Tag over stored slots
  HeldOutCounters counters_;
};

}  // namespace understudy
