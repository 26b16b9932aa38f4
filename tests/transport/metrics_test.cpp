#include "transport/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace understudy {
namespace {

TEST(Metrics, CounterSeriesAreRenderedWithLabels) {
  MetricsRegistry reg;
  reg.GetCounter("us_messages_total", "Messages received", {{"type", "prompt"}}).Inc();
  reg.GetCounter("us_messages_total", "Messages received", {{"type", "prompt"}}).Inc(2);
  reg.GetCounter("us_messages_total", "Messages received", {{"type", "asset"}}).Inc();
  const std::string text = reg.RenderText();
  EXPECT_NE(text.find("# TYPE us_messages_total counter"), std::string::npos);
  EXPECT_NE(text.find("us_messages_total{type=\"prompt\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("us_messages_total{type=\"asset\"} 1"), std::string::npos) << text;
}

TEST(Metrics, HistogramIsCumulative) {
  MetricsRegistry reg;
  Histogram& h = reg.GetHistogram("us_latency_seconds", "Latency", {0.1, 1.0});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5.0);
  const std::string text = reg.RenderText();
  EXPECT_NE(text.find("us_latency_seconds_bucket{le=\"0.10000000000000001\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("us_latency_seconds_bucket{le=\"1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("us_latency_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("us_latency_seconds_count 3"), std::string::npos) << text;
  EXPECT_DOUBLE_EQ(h.Sum(), 5.55);
}

TEST(Metrics, RejectsBadNamesAndTypeClashes) {
  MetricsRegistry reg;
  EXPECT_THROW(reg.GetCounter("1bad", "x"), std::invalid_argument);
  reg.GetCounter("us_x", "x");
  EXPECT_THROW(reg.GetGauge("us_x", "x"), std::invalid_argument);
  EXPECT_THROW(reg.GetCounter("us_y", "y").Inc(-1), std::invalid_argument);
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsRegistry reg;
  reg.GetGauge("us_g", "g", {{"project", "a\"b\\c"}}).Set(2);
  EXPECT_NE(reg.RenderText().find("us_g{project=\"a\\\"b\\\\c\"} 2"), std::string::npos);
}

}  // namespace
}  // namespace understudy
