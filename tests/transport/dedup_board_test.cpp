#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transport/dedup_index.h"
#include "transport/suggestion_board.h"

namespace understudy {
namespace {

TEST(DedupIndex, RemembersIdsPerClient) {
  DedupIndex d(100, 10);
  EXPECT_EQ(d.Find("a", "1"), std::nullopt);
  d.Insert("a", "1", 7);
  EXPECT_EQ(d.Find("a", "1"), 7u);
  EXPECT_EQ(d.Find("b", "1"), std::nullopt);  // ids are per client
  d.Insert("b", "1", 8);
  EXPECT_EQ(d.Find("b", "1"), 8u);
  EXPECT_EQ(d.Find("a", "1"), 7u);
}

TEST(DedupIndex, WindowForgetsTheOldestIdsOfAClient) {
  DedupIndex d(3, 10);
  for (int i = 1; i <= 5; ++i) d.Insert("a", std::to_string(i), i);
  EXPECT_EQ(d.ids("a"), 3u);
  EXPECT_EQ(d.Find("a", "1"), std::nullopt);
  EXPECT_EQ(d.Find("a", "2"), std::nullopt);
  EXPECT_EQ(d.Find("a", "3"), 3u);
  EXPECT_EQ(d.Find("a", "5"), 5u);
}

TEST(DedupIndex, LeastRecentlyActiveClientIsForgotten) {
  DedupIndex d(10, 2);
  d.Insert("a", "1", 1);
  d.Insert("b", "1", 2);
  EXPECT_EQ(d.Find("a", "1"), 1u);  // a is now more recent than b
  d.Insert("c", "1", 3);            // evicts b
  EXPECT_EQ(d.clients(), 2u);
  EXPECT_EQ(d.Find("b", "1"), std::nullopt);
  EXPECT_EQ(d.Find("a", "1"), 1u);
  EXPECT_EQ(d.Find("c", "1"), 3u);
}

TEST(DedupIndex, RejectsZeroBounds) {
  EXPECT_THROW(DedupIndex(0, 1), std::invalid_argument);
  EXPECT_THROW(DedupIndex(1, 0), std::invalid_argument);
}

std::vector<std::string> Strings(const std::vector<std::string_view>& v) {
  return std::vector<std::string>(v.begin(), v.end());
}

TEST(SuggestionBoard, KeepsTheLatestPendingSuggestionPerPrompt) {
  SuggestionBoard b(100);
  b.OnAsset("p", "a1");
  b.OnAsset("p", "a2");
  b.OnSuggestion("p", "a1", "x", "s1");
  b.OnSuggestion("p", "a2", "y", "s2");
  b.OnSuggestion("p", "a1", "x", "s3");  // replaces s1
  EXPECT_EQ(Strings(b.Latest("p", 10)), (std::vector<std::string>{"s2", "s3"}));
  EXPECT_EQ(Strings(b.Latest("p", 1)), (std::vector<std::string>{"s3"}));
  EXPECT_TRUE(b.Latest("other", 10).empty());
  EXPECT_EQ(b.open_assets("p"), 2u);
}

TEST(SuggestionBoard, AnnotationsAnswerPromptsAndCompleteClosesAssets) {
  SuggestionBoard b(100);
  b.OnAsset("p", "a");
  b.OnSuggestion("p", "a", "x", "s1");
  b.OnSuggestion("p", "a", "y", "s2");
  b.OnAnnotation("p", "a", "x", false);
  EXPECT_EQ(Strings(b.Latest("p", 10)), (std::vector<std::string>{"s2"}));
  // A suggestion logged after the annotation that answered its prompt (the worker lags behind
  // ingest) must not resurrect it when the log is replayed.
  b.OnSuggestion("p", "a", "x", "late");
  EXPECT_EQ(Strings(b.Latest("p", 10)), (std::vector<std::string>{"s2"}));
  b.OnAnnotation("p", "a", "", true);
  EXPECT_TRUE(b.Latest("p", 10).empty());
  EXPECT_EQ(b.open_assets("p"), 0u);
  b.OnSuggestion("p", "a", "z", "closed");  // not open: ignored
  EXPECT_TRUE(b.Latest("p", 10).empty());
}

TEST(SuggestionBoard, ProjectsAreSeparate) {
  SuggestionBoard b(100);
  b.OnAsset("proj", "a");
  b.OnAsset("proj2", "a");
  b.OnSuggestion("proj", "a", "x", "one");
  b.OnSuggestion("proj2", "a", "x", "two");
  EXPECT_EQ(Strings(b.Latest("proj", 10)), (std::vector<std::string>{"one"}));
  EXPECT_EQ(Strings(b.Latest("proj2", 10)), (std::vector<std::string>{"two"}));
}

TEST(SuggestionBoard, BoundedByEvictingTheEarliestAnnouncedAsset) {
  SuggestionBoard b(2);
  b.OnAsset("p", "a1");
  b.OnAsset("q", "b1");
  b.OnSuggestion("p", "a1", "x", "s1");
  b.OnAsset("q", "b2");  // evicts p/a1, the only asset of p
  EXPECT_EQ(b.evicted(), 1u);
  EXPECT_EQ(b.open_assets(), 2u);
  EXPECT_EQ(b.open_assets("p"), 0u);
  EXPECT_TRUE(b.Latest("p", 10).empty());
  b.OnAsset("p", "a3");  // evicts q/b1
  EXPECT_EQ(b.open_assets("q"), 1u);
  EXPECT_EQ(b.evicted(), 2u);
}

}  // namespace
}  // namespace understudy
