#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iterator>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "agent/annotation_key.h"
#include "agent/held_out_split.h"

namespace understudy {

/**
 * The learner's bounded FIFO of training examples, each tagged with the annotation it came
 * from. Add() calls HeldOutSplit::CheckTrainable first, so a held-out annotation can never
 * reach training: the attempt throws HeldOutViolation. Not thread-safe (the learner owns it).
 */
template <typename Example>
class TrainingBuffer {
 public:
  /** `capacity` >= 1 (std::invalid_argument); `split` is the held-out pool's split. */
  TrainingBuffer(std::size_t capacity, HeldOutSplit split)
      : capacity_(capacity), split_(std::move(split)) {
    if (capacity_ == 0) throw std::invalid_argument("TrainingBuffer capacity = 0: must be >= 1");
  }

  /** Appends an example, evicting the oldest when full. Throws HeldOutViolation when `key` is
   *  held out; the buffer is unchanged then. */
  void Add(const AnnotationKey& key, Example example) {
    split_.CheckTrainable(key);
    if (entries_.size() == capacity_) {
      entries_.pop_front();
      ++evicted_;
    }
    entries_.emplace_back(key, std::move(example));
    ++added_;
  }

  /** Up to `n` distinct examples drawn uniformly without replacement, in buffer order. */
  std::vector<Example> Sample(std::size_t n, std::mt19937_64& rng) const {
    std::vector<Example> out;
    out.reserve(std::min(n, entries_.size()));
    std::vector<std::pair<AnnotationKey, Example>> picked;
    std::sample(entries_.begin(), entries_.end(), std::back_inserter(picked), n, rng);
    for (auto& entry : picked) out.push_back(std::move(entry.second));
    return out;
  }

  /** Calls f(key, example) for every entry, oldest first. */
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [key, example] : entries_) f(key, example);
  }

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t added() const { return added_; }
  std::uint64_t evicted() const { return evicted_; }

 private:
  std::size_t capacity_;
  HeldOutSplit split_;
  std::deque<std::pair<AnnotationKey, Example>> entries_;
  std::uint64_t added_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace understudy
