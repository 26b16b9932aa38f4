#include "transport/http_target.h"

#include <gtest/gtest.h>

#include <string>

#include "transport/http_server.h"

namespace understudy::web {
namespace {

TEST(HttpTarget, SplitsPathAndDecodesQuery) {
  const auto t = ParseRequestTarget("/ws?project=a%20b+c&x=%2F&&flag");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/ws");
  ASSERT_EQ(t->query.size(), 3u);
  EXPECT_EQ(t->query[0].first, "project");
  EXPECT_EQ(t->query[0].second, "a b c");
  EXPECT_EQ(t->query[1].second, "/");
  EXPECT_EQ(t->query[2].first, "flag");
  EXPECT_EQ(t->query[2].second, "");
}

TEST(HttpTarget, PathWithoutQuery) {
  const auto t = ParseRequestTarget("/healthz");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/healthz");
  EXPECT_TRUE(t->query.empty());
}

TEST(HttpTarget, RejectsBadPercentEncodingAndNonOriginForm) {
  EXPECT_FALSE(ParseRequestTarget("/ws?project=%ZZ").has_value());
  EXPECT_FALSE(ParseRequestTarget("/ws?project=%4").has_value());
  EXPECT_FALSE(ParseRequestTarget("/ws?project=%").has_value());
  EXPECT_FALSE(ParseRequestTarget("http://host/ws").has_value());
  EXPECT_FALSE(ParseRequestTarget("").has_value());
}

TEST(HttpTarget, Utf8Validation) {
  EXPECT_TRUE(ValidUtf8("plain"));
  EXPECT_TRUE(ValidUtf8("caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(ValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(ValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(ValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(ValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(ValidUtf8("\xFF"));
}

TEST(HttpTarget, ProjectNames) {
  EXPECT_TRUE(ValidProjectName("balloons"));
  EXPECT_TRUE(ValidProjectName("team A / cats"));
  EXPECT_TRUE(ValidProjectName("caf\xC3\xA9"));
  EXPECT_FALSE(ValidProjectName(""));
  EXPECT_FALSE(ValidProjectName(std::string(129, 'a')));
  EXPECT_TRUE(ValidProjectName(std::string(128, 'a')));
  EXPECT_FALSE(ValidProjectName("tab\there"));
  EXPECT_FALSE(ValidProjectName("bad\xC3"));
}

TEST(HttpTarget, JsonQuoteEscapes) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
  EXPECT_EQ(JsonQuote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
}

}  // namespace
}  // namespace understudy::web
