#include "transport/server_config.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace understudy {
namespace {

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ServerConfig, DefaultsAreValidAndLoopback) {
  const ServerConfig c;
  EXPECT_NO_THROW(c.Validate());
  EXPECT_EQ(c.ingest_endpoint.rfind("tcp://127.0.0.1:", 0), 0u);
  EXPECT_EQ(c.publish_endpoint.rfind("tcp://127.0.0.1:", 0), 0u);
  EXPECT_EQ(c.http_address, "127.0.0.1");
}

TEST(ServerConfig, JsonRoundTrip) {
  ServerConfig c;
  c.commit_interval_us = 123;
  c.log_dir = "/x/y";
  c.proposer = "ellipse";
  const ServerConfig back = ParseServerConfig(ToJson(c), "test");
  EXPECT_EQ(back.commit_interval_us, 123u);
  EXPECT_EQ(back.log_dir, "/x/y");
  EXPECT_EQ(back.proposer, "ellipse");
  EXPECT_EQ(ToJson(back), ToJson(c));
}

TEST(ServerConfig, ParseErrorsNameTheKey) {
  EXPECT_NE(ErrorOf([] {
              ParseServerConfig("{\"nope\": 1}", "f.json");
            }).find("unknown config field 'nope'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] {
              ParseServerConfig("{\"dedup_window\": -3}", "f.json");
            }).find("config field 'dedup_window' = -3"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf([] { ParseServerConfig("{\"commit_bytes\": 1.5}", "f.json"); }).find("commit_bytes"),
      std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseServerConfig("{\"log_dir\": 5}", "f.json"); }).find("log_dir"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseServerConfig("[1]", "f.json"); }).find("JSON object"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { ParseServerConfig("{", "f.json"); }).find("f.json: not valid JSON"),
            std::string::npos);
}

TEST(ServerConfig, ValidateNamesFieldAndValue) {
  ServerConfig c;
  c.zmq_max_message_bytes = c.max_message_bytes - 1;
  EXPECT_NE(ErrorOf([&] { c.Validate(); }).find("'zmq_max_message_bytes' = "), std::string::npos);
  c = ServerConfig{};
  c.ingest_endpoint = "localhost:5555";
  EXPECT_NE(ErrorOf([&] { c.Validate(); }).find("'ingest_endpoint' = 'localhost:5555'"),
            std::string::npos);
  c = ServerConfig{};
  c.publish_endpoint = c.ingest_endpoint;
  EXPECT_NE(ErrorOf([&] { c.Validate(); }).find("publish_endpoint"), std::string::npos);
  c = ServerConfig{};
  c.worker_queue = 1;
  EXPECT_NE(ErrorOf([&] { c.Validate(); }).find("'worker_queue' = 1"), std::string::npos);
}

}  // namespace
}  // namespace understudy
