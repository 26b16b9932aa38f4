#include "agent/blind_ledger.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace understudy {
namespace {

BlindPrediction Made(std::uint64_t version, std::int64_t at_ms, double predicted = 0.8) {
  BlindPrediction p;
  p.model_version = version;
  p.predicted_at_ms = at_ms;
  p.shape = MakeInstance({{0, 0}, {10, 0}, {10, 10}});
  p.predicted_reward = predicted;
  return p;
}

AnnotationKey Key(const std::string& prompt) { return {"proj", "asset-1", prompt}; }

TEST(BlindLedger, ABlindPredictionIsTakenExactlyOnce) {
  BlindLedger ledger;
  EXPECT_EQ(ledger.Put(Key("1"), Made(3, 100, 0.7)), PutResult::kStored);
  EXPECT_EQ(ledger.pending(), 1u);

  const TakeResult first = ledger.Take(Key("1"), 150);
  ASSERT_EQ(first.status, TakeStatus::kBlind);
  ASSERT_TRUE(first.prediction);
  EXPECT_EQ(first.prediction->model_version, 3u);
  EXPECT_EQ(first.prediction->predicted_at_ms, 100);
  EXPECT_DOUBLE_EQ(first.prediction->predicted_reward, 0.7);
  EXPECT_EQ(first.prediction->shape.parts.at(0).outer.size(), 3u);

  const TakeResult second = ledger.Take(Key("1"), 160);
  EXPECT_EQ(second.status, TakeStatus::kMissing);
  EXPECT_FALSE(second.prediction);
  EXPECT_EQ(ledger.pending(), 0u);
  EXPECT_EQ(ledger.counters().taken_blind, 1u);
  EXPECT_EQ(ledger.counters().missing, 1u);
}

TEST(BlindLedger, RefusesAPredictionForAnAnnotatedPrompt) {
  BlindLedger ledger;
  // The annotation arrives before any prediction was made (the agent was slow).
  EXPECT_EQ(ledger.Take(Key("1"), 100).status, TakeStatus::kMissing);
  EXPECT_TRUE(ledger.WasAnnotated(Key("1")));
  EXPECT_EQ(ledger.Put(Key("1"), Made(3, 50)), PutResult::kAlreadyAnnotated);
  EXPECT_EQ(ledger.Put(Key("1"), Made(3, 200)), PutResult::kAlreadyAnnotated);
  EXPECT_EQ(ledger.pending(), 0u);
  EXPECT_EQ(ledger.counters().refused_after_annotation, 2u);
  // Scoring and re-predicting does not make it blind either.
  ledger.Put(Key("2"), Made(3, 10));
  ledger.Take(Key("2"), 20);
  EXPECT_EQ(ledger.Put(Key("2"), Made(4, 30)), PutResult::kAlreadyAnnotated);
}

TEST(BlindLedger, RefusesAPredictionStampedAfterTheAnnotation) {
  BlindLedger ledger;
  ledger.Put(Key("1"), Made(3, 500));
  const TakeResult r = ledger.Take(Key("1"), 400);
  EXPECT_EQ(r.status, TakeStatus::kNotBlind);
  EXPECT_FALSE(r.prediction);
  EXPECT_EQ(ledger.counters().not_blind, 1u);
  EXPECT_EQ(ledger.pending(), 0u);
  // The same instant counts as before: the proposal existed when the label did.
  ledger.Put(Key("2"), Made(3, 400));
  EXPECT_EQ(ledger.Take(Key("2"), 400).status, TakeStatus::kBlind);
}

TEST(BlindLedger, KeepsTheFirstPredictionForAPrompt) {
  BlindLedger ledger;
  EXPECT_EQ(ledger.Put(Key("1"), Made(3, 100)), PutResult::kStored);
  EXPECT_EQ(ledger.Put(Key("1"), Made(4, 110)), PutResult::kDuplicate);
  EXPECT_EQ(ledger.Take(Key("1"), 200).prediction->model_version, 3u);
  EXPECT_EQ(ledger.counters().duplicates, 1u);
}

TEST(BlindLedger, KeysDifferInEveryField) {
  BlindLedger ledger;
  EXPECT_EQ(ledger.Put({"a", "x", "1"}, Made(1, 0)), PutResult::kStored);
  EXPECT_EQ(ledger.Put({"b", "x", "1"}, Made(1, 0)), PutResult::kStored);
  EXPECT_EQ(ledger.Put({"a", "y", "1"}, Made(1, 0)), PutResult::kStored);
  EXPECT_EQ(ledger.Put({"a", "x", "2"}, Made(1, 0)), PutResult::kStored);
  EXPECT_EQ(ledger.pending(), 4u);
}

TEST(BlindLedger, EvictsTheOldestWhenFull) {
  BlindLedgerConfig config;
  config.capacity = 3;
  BlindLedger ledger(config);
  for (int i = 0; i < 5; ++i) ledger.Put(Key(std::to_string(i)), Made(1, i));
  EXPECT_EQ(ledger.pending(), 3u);
  EXPECT_EQ(ledger.counters().evicted_capacity, 2u);
  EXPECT_EQ(ledger.Take(Key("0"), 10).status, TakeStatus::kMissing);
  EXPECT_EQ(ledger.Take(Key("1"), 10).status, TakeStatus::kMissing);
  EXPECT_EQ(ledger.Take(Key("2"), 10).status, TakeStatus::kBlind);
  EXPECT_EQ(ledger.Take(Key("4"), 10).status, TakeStatus::kBlind);
}

TEST(BlindLedger, EvictsByAge) {
  BlindLedgerConfig config;
  config.max_age_ms = 1000;
  BlindLedger ledger(config);
  ledger.Put(Key("old"), Made(1, 0));
  ledger.Put(Key("mid"), Made(1, 600));
  EXPECT_EQ(ledger.EvictExpired(1000), 0u);  // exactly max_age is still kept
  EXPECT_EQ(ledger.EvictExpired(1001), 1u);
  EXPECT_EQ(ledger.pending(), 1u);
  // Put evicts by its own time stamp too: no timer is needed to bound memory.
  ledger.Put(Key("new"), Made(1, 1700));
  EXPECT_EQ(ledger.pending(), 1u);
  EXPECT_EQ(ledger.counters().evicted_age, 2u);
  EXPECT_EQ(ledger.Take(Key("mid"), 1800).status, TakeStatus::kMissing);
  EXPECT_EQ(ledger.Take(Key("new"), 1800).status, TakeStatus::kBlind);
}

TEST(BlindLedger, AnnotatedMemoryIsBounded) {
  BlindLedgerConfig config;
  config.annotated_memory = 2;
  BlindLedger ledger(config);
  ledger.Take(Key("a"), 0);
  ledger.Take(Key("b"), 0);
  ledger.Take(Key("c"), 0);
  EXPECT_FALSE(ledger.WasAnnotated(Key("a")));  // forgotten: the documented bound
  EXPECT_TRUE(ledger.WasAnnotated(Key("b")));
  EXPECT_TRUE(ledger.WasAnnotated(Key("c")));
}

TEST(BlindLedger, ConfigErrorsNameTheField) {
  for (auto mutate : {+[](BlindLedgerConfig& c) { c.capacity = 0; },
                      +[](BlindLedgerConfig& c) { c.max_age_ms = 0; },
                      +[](BlindLedgerConfig& c) { c.annotated_memory = 0; }}) {
    BlindLedgerConfig c;
    mutate(c);
    try {
      BlindLedger ledger(c);
      ADD_FAILURE() << "accepted an invalid config";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("BlindLedgerConfig."), std::string::npos);
    }
  }
}

// Prompts and annotations race on different threads; every prediction ends up exactly once as
// blind, missing (the annotation came first), or refused (the prediction came second).
TEST(BlindLedger, ConcurrentPutAndTakeAccountForEveryPrompt) {
  BlindLedger ledger;
  constexpr int kPrompts = 4000;
  std::thread predictor([&] {
    for (int i = 0; i < kPrompts; ++i) ledger.Put(Key(std::to_string(i)), Made(1, 0));
  });
  std::thread annotator([&] {
    for (int i = 0; i < kPrompts; ++i) ledger.Take(Key(std::to_string(i)), 1);
  });
  predictor.join();
  annotator.join();
  const LedgerCounters c = ledger.counters();
  EXPECT_EQ(c.taken_blind + c.missing, std::uint64_t{kPrompts});
  EXPECT_EQ(c.stored + c.refused_after_annotation, std::uint64_t{kPrompts});
  EXPECT_EQ(c.refused_after_annotation, c.missing);
  EXPECT_EQ(ledger.pending(), 0u);
}

}  // namespace
}  // namespace understudy
