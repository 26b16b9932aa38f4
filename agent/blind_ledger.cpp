#include "agent/blind_ledger.h"

#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

namespace understudy {
namespace {

constexpr std::uint64_t kAnnotatedSeed = 0x616e6e6f74617465ULL;  // "annotate"

}  // namespace

void BlindLedgerConfig::Validate() const {
  if (capacity == 0) throw std::invalid_argument("BlindLedgerConfig.capacity = 0: must be >= 1");
  if (max_age_ms <= 0) {
    throw std::invalid_argument("BlindLedgerConfig.max_age_ms = " + std::to_string(max_age_ms) +
                                ": must be > 0");
  }
  if (annotated_memory == 0) {
    throw std::invalid_argument("BlindLedgerConfig.annotated_memory = 0: must be >= 1");
  }
}

BlindLedger::BlindLedger(BlindLedgerConfig config) : config_(config) { config_.Validate(); }

PutResult BlindLedger::Put(const AnnotationKey& key, BlindPrediction prediction) {
  std::lock_guard<std::mutex> lock(mu_);
  if (annotated_.count(StableHash(key, kAnnotatedSeed)) != 0) {
    ++counters_.refused_after_annotation;
    return PutResult::kAlreadyAnnotated;
  }
  if (pending_.count(key) != 0) {
    ++counters_.duplicates;
    return PutResult::kDuplicate;
  }
  EvictExpiredLocked(prediction.predicted_at_ms);
  while (pending_.size() >= config_.capacity) {
    pending_.erase(order_.front().key);
    order_.pop_front();
    ++counters_.evicted_capacity;
  }
  order_.push_back(Stamp{key, prediction.predicted_at_ms});
  pending_.emplace(key, Entry{std::move(prediction), std::prev(order_.end())});
  ++counters_.stored;
  return PutResult::kStored;
}

TakeResult BlindLedger::Take(const AnnotationKey& key, std::int64_t annotated_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  RememberAnnotated(key);
  TakeResult result;
  const auto it = pending_.find(key);
  if (it == pending_.end()) {
    ++counters_.missing;
    result.status = TakeStatus::kMissing;
    return result;
  }
  BlindPrediction prediction = std::move(it->second.prediction);
  order_.erase(it->second.order);
  pending_.erase(it);
  if (prediction.predicted_at_ms > annotated_at_ms) {
    ++counters_.not_blind;
    result.status = TakeStatus::kNotBlind;
    return result;
  }
  ++counters_.taken_blind;
  result.status = TakeStatus::kBlind;
  result.prediction = std::move(prediction);
  return result;
}

std::size_t BlindLedger::EvictExpired(std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return EvictExpiredLocked(now_ms);
}

bool BlindLedger::WasAnnotated(const AnnotationKey& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return annotated_.count(StableHash(key, kAnnotatedSeed)) != 0;
}

std::size_t BlindLedger::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

LedgerCounters BlindLedger::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

std::size_t BlindLedger::EvictExpiredLocked(std::int64_t now_ms) {
  // Walks insertion order: with a non-decreasing clock that is age order. An entry stamped
  // later than a newer one waits behind it, which can only delay its eviction.
  std::size_t evicted = 0;
  while (!order_.empty() && now_ms - order_.front().at_ms > config_.max_age_ms) {
    pending_.erase(order_.front().key);
    order_.pop_front();
    ++evicted;
  }
  counters_.evicted_age += evicted;
  return evicted;
}

void BlindLedger::RememberAnnotated(const AnnotationKey& key) {
  const std::uint64_t h = StableHash(key, kAnnotatedSeed);
  if (!annotated_.insert(h).second) return;
  annotated_order_.push_back(h);
  if (annotated_order_.size() > config_.annotated_memory) {
    annotated_.erase(annotated_order_.front());
    annotated_order_.pop_front();
  }
}

}  // namespace understudy
