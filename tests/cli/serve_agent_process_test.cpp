// `understudy serve --agent NAME` as a child process: a baseline agent behind the shadow gate goes
// live on an easy stream and then publishes over ZeroMQ and the WebSocket stream; /status and
// /metrics show the gate, the model version, the blind reward window and the learner.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/shared_data.h"
#include "tests/transport/temp_dir.h"
#include "tests/transport/test_support.h"
#include "transport/event_log.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using testing::BodyAs;
using testing::ServeProcess;
using testing::TempDir;
using testing::TestClient;
using testing::TestSubscriber;

/** Whether the JSON frame `f` has "type" `type` (value() trips GCC's -Wnull-dereference). */
bool IsType(const nlohmann::json& f, const char* type) {
  if (!f.is_object()) return false;
  const auto it = f.find("type");
  return it != f.end() && *it == type;
}

/** GET `path` from 127.0.0.1:port over a plain socket; the body, or "" on failure. */
std::string HttpGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return "";
  }
  std::string response;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, n);
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) return "";
  return response.substr(body + 4);
}

AssetEvent EasyAsset(const std::string& project, const std::string& asset) {
  AssetEvent e = testing::Asset("a-" + project + "-" + asset, asset, project);
  e.width = 640;
  e.height = 480;
  return e;
}

PromptEvent EasyPrompt(const std::string& project, const std::string& asset, int i) {
  PromptEvent e = testing::PromptFor("p-" + project + "-" + std::to_string(i), asset,
                                     "p" + std::to_string(i), project);
  const double x = 20 + (i % 4) * 150, y = 20 + (i % 3) * 140;
  e.prompt.box = Box{x, y, x + 120, y + 100};
  return e;
}

// The human draws exactly the box: the box baseline scores IoU 1 on every prompt.
AnnotationEvent EasyAnswer(const PromptEvent& p, int i) {
  AnnotationEvent e = testing::AnnotationFor("n-" + p.meta.project + "-" + std::to_string(i),
                                             p.asset, p.prompt_id, false, p.meta.project);
  const Box& b = p.prompt.box;
  e.instances = {
      {MakeInstance({{b.x0, b.y0}, {b.x1, b.y0}, {b.x1, b.y1}, {b.x0, b.y1}}), "box", false}};
  return e;
}

TEST(ServeAgentProcess, ABaselineGoesLiveThenPublishesOverPubAndWebSocketWithStatusAndMetrics) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  TempDir tmp;
  ServeProcess serve(tmp.path(), {"--agent", "box", "--gate-min-samples", "5", "--gate-window", "10",
                           "--registry", (tmp.path() / "registry").string()});
  TestClient client(serve.ingest, "station-1");
  auto ack = [&](const std::string& bytes) {
    const Message m = client.Request(bytes);
    ASSERT_EQ(m.header.type, MessageType::kAck) << ToString(m.header.type);
  };

  // The WebSocket client: ws_tail prints the hello once it is subscribed, then every frame.
  const std::string command =
      "/usr/bin/python3 " + (testing::SourceDir() / "examples" / "ws_tail.py").string() +
      " --port " + std::to_string(serve.http_port) + " --project easy --count 40 2>&1";
  FILE* ws = popen(command.c_str(), "r");
  ASSERT_NE(ws, nullptr);
  char* line = nullptr;
  std::size_t capacity = 0;
  auto ws_line = [&]() -> nlohmann::json {
    const ssize_t n = getline(&line, &capacity, ws);
    if (n <= 0) return nlohmann::json();
    return nlohmann::json::parse(std::string(line, static_cast<std::size_t>(n)), nullptr, false);
  };
  EXPECT_TRUE(IsType(ws_line(), "hello"));
  nlohmann::json snapshot = ws_line();
  EXPECT_TRUE(IsType(snapshot, "snapshot")) << snapshot.dump();
  EXPECT_EQ(snapshot["model"], "box:v000001");

  // The ZeroMQ subscriber; synchronised on another project's scores (published from the start).
  TestSubscriber sub(serve.publish, {"easy/", "sync/"});
  ack(EncodeEvent(EasyAsset("sync", "s")));
  bool synced = false;
  for (int i = 0; i < 400 && !synced; ++i) {
    const PromptEvent p = EasyPrompt("sync", "s", i);
    ack(EncodeEvent(p));
    ack(EncodeEvent(EasyAnswer(p, i)));
    while (auto got = sub.Receive(std::chrono::milliseconds(30))) synced = true;
  }
  ASSERT_TRUE(synced);
  while (sub.Receive(std::chrono::milliseconds(100))) {
  }

  // Shadow mode: five blind predictions, all withheld, each scored 1.0; the fifth opens the gate.
  ack(EncodeEvent(EasyAsset("easy", "img-1")));
  int scores = 0, gates = 0, suggestions = 0;
  for (int i = 0; i < 5; ++i) {
    const PromptEvent p = EasyPrompt("easy", "img-1", i);
    ack(EncodeEvent(p));
    ack(EncodeEvent(EasyAnswer(p, i)));
  }
  for (int expected = 6; scores + gates < expected;) {
    auto got = sub.Receive();
    ASSERT_TRUE(got) << "only " << scores << " scores and " << gates << " gate events";
    if (got->first == "easy/_score") {
      const auto s = BodyAs<BlindScore>(got->second);
      EXPECT_DOUBLE_EQ(s.reward, 1.0);
      EXPECT_EQ(s.decision, "shadow_mode");
      EXPECT_EQ(s.model_version, "box:v000001");
      ++scores;
    } else {
      ASSERT_EQ(got->first, "easy/_gate");
      const auto g = BodyAs<GateEvent>(got->second);
      EXPECT_EQ(g.to, "live");
      EXPECT_EQ(g.trigger, "promote");
      EXPECT_EQ(g.n, 5u);
      ++gates;
    }
  }
  EXPECT_EQ(gates, 1);

  // Live: the next prompts are published, tagged with the serving version.
  for (int i = 5; i < 8; ++i) ack(EncodeEvent(EasyPrompt("easy", "img-1", i)));
  while (suggestions < 3) {
    auto got = sub.Receive();
    ASSERT_TRUE(got) << "only " << suggestions << " suggestions";
    ASSERT_EQ(got->first, "easy/img-1");
    const auto s = BodyAs<SuggestionRecord>(got->second);
    EXPECT_FALSE(s.withheld);
    EXPECT_EQ(s.suggestion.model_version, "box:v000001");
    EXPECT_EQ(s.suggestion.source, "box");
    ++suggestions;
  }

  // The WebSocket saw the same: scores, the gate event, then the published suggestions.
  int ws_scores = 0, ws_gates = 0, ws_suggestions = 0;
  while (ws_suggestions < 3) {
    nlohmann::json f = ws_line();
    ASSERT_TRUE(f.is_object()) << "the WebSocket stream ended early";
    ws_scores += IsType(f, "score") ? 1 : 0;
    ws_gates += IsType(f, "gate") ? 1 : 0;
    if (IsType(f, "suggestion")) {
      EXPECT_EQ(f["payload"]["model"], "box:v000001");
      EXPECT_FALSE(f["payload"]["withheld"].get<bool>());
      ++ws_suggestions;
    }
  }
  EXPECT_EQ(ws_scores, 5);
  EXPECT_EQ(ws_gates, 1);

  // /status: the gate per project, the serving model, the window and the learner's fields.
  nlohmann::json status;
  for (int i = 0; i < 500; ++i) {
    status = nlohmann::json::parse(HttpGet(serve.http_port, "/status"), nullptr, false);
    if (status.is_object() && status["engine"]["projects"].size() == 2 &&
        status["engine"]["projects"][0]["counters"]["published"] == 3)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(status.is_object());
  nlohmann::json engine = status["engine"];
  EXPECT_EQ(engine["engine"], "agent:box");
  EXPECT_EQ(engine["model"], "box:v000001");
  EXPECT_EQ(engine["reward_window"], 10);
  nlohmann::json easy = engine["projects"][0];
  EXPECT_EQ(easy["project"], "easy");
  EXPECT_EQ(easy["mode"], "live");
  EXPECT_TRUE(easy["publishing"].get<bool>());
  EXPECT_EQ(easy["n"], 5);
  EXPECT_DOUBLE_EQ(easy["mean"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(easy["threshold"].get<double>(), 0.75);
  EXPECT_EQ(easy["counters"]["published"], 3);
  EXPECT_EQ(easy["counters"]["withheld_shadow"], 5);
  EXPECT_TRUE(engine["learner"].contains("updates"));
  EXPECT_TRUE(engine["learner"].contains("held_out_champion_mean"));
  EXPECT_EQ(engine["learner"]["serving_version"], 1);
  EXPECT_EQ(engine["detail"]["model"]["serving"], "box:v000001");
  EXPECT_EQ(engine["detail"]["schedule"], "none: a fixed policy without a learner");
  EXPECT_EQ(status["http"]["ws_clients"]["easy"], 1);

  // /metrics: the same, as Prometheus series.
  const std::string metrics = HttpGet(serve.http_port, "/metrics");
  for (const std::string& series :
       {std::string("understudy_gate_mode{project=\"easy\",mode=\"live\"} 1"),
        std::string("understudy_gate_publishing{project=\"easy\"} 1"),
        std::string("understudy_gate_window_n{project=\"easy\"} 5"),
        std::string("understudy_gate_window_mean{project=\"easy\"} 1"),
        std::string("understudy_model_info{version=\"box:v000001\"} 1"),
        std::string("understudy_learner{name=\"updates\"} 0"),
        std::string("understudy_engine_project_count{project=\"easy\",name=\"published\"} 3"),
        std::string("understudy_suggestions_total{outcome=\"published\"} 3")}) {
    EXPECT_NE(metrics.find(series), std::string::npos) << series << "\n" << metrics;
  }
  EXPECT_NE(metrics.find("understudy_scores_total "), std::string::npos);

  // A live rollback is one command: a control message, acked, applied, the gates restarted.
  auto run = [](const std::string& shell) {
    FILE* p = popen((shell + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    return std::make_pair(WEXITSTATUS(pclose(p)), out);
  };
  const std::string rollback = std::string(UNDERSTUDY_CLI) + " model rollback --server " +
                               serve.ingest + " --note drill --to ";
  const auto [ok_rc, ok_out] = run(rollback + "1");
  EXPECT_EQ(ok_rc, 0) << ok_out;
  EXPECT_NE(ok_out.find("serves box:v000001"), std::string::npos) << ok_out;
  bool restarted = false;
  while (auto got = sub.Receive(std::chrono::seconds(10))) {
    if (got->first != "easy/_gate") continue;
    const auto g = BodyAs<GateEvent>(got->second);
    EXPECT_EQ(g.trigger, "restart");
    EXPECT_EQ(g.to, "shadow");
    restarted = true;
    break;
  }
  EXPECT_TRUE(restarted);
  const auto [bad_rc, bad_out] = run(rollback + "7");
  EXPECT_EQ(bad_rc, 1) << bad_out;
  EXPECT_NE(bad_out.find("refused the rollback to v000007"), std::string::npos) << bad_out;

  EXPECT_EQ(serve.Stop(), 0) << serve.Output();
  free(line);
  pclose(ws);
  // Every decision is in the log with its evidence: the gate events (promotion and restart) and
  // the scores, as out records referring to the event that caused them.
  std::map<std::string, int> out;
  EventLogReader reader(tmp.path() / "log");
  LogRecord rec;
  while (reader.Next(rec)) {
    if (rec.direction != Direction::kOut) continue;
    const Message m = Decode(rec.message, DecodeLimits{});
    if (m.header.project != "easy") continue;
    EXPECT_GT(rec.ref, 0u);
    if (const auto* g = std::get_if<GateEvent>(&m.body)) {
      ++out["gate:" + g->trigger];
      if (g->trigger == "promote") {
        EXPECT_EQ(g->n, 5u);
        EXPECT_DOUBLE_EQ(g->lower_bound, 1.0);
        EXPECT_EQ(g->details.at("min_samples"), 5);
        EXPECT_FALSE(g->reason.empty());
      }
    } else if (std::get_if<BlindScore>(&m.body) != nullptr) {
      ++out["score"];
    } else if (const auto* sr = std::get_if<SuggestionRecord>(&m.body)) {
      ++out[sr->withheld ? "withheld" : "published"];
    }
  }
  EXPECT_EQ(out["gate:promote"], 1);
  EXPECT_EQ(out["gate:restart"], 1);
  EXPECT_EQ(out["score"], 5);
  EXPECT_EQ(out["withheld"], 5);
  EXPECT_EQ(out["published"], 3);

  // The registry holds the baseline as version 1, serving, and the rollback in its history.
  nlohmann::json registry =
      nlohmann::json::parse(testing::Slurp(tmp.path() / "registry" / "registry.json"));
  EXPECT_EQ(registry["serving"], 1);
  EXPECT_EQ(registry["history"].back()["action"], "rollback");
  EXPECT_EQ(registry["history"].back()["note"], "drill");
}

// The torch agent end to end: `understudy train` writes a model, `serve --agent rl
// --init-model` serves it, scores its blind predictions with the value head's prediction beside
// them, and its background learner learns from the annotations.
TEST(ServeAgentProcess, TheRlAgentServesATrainedModelAndLearnsInTheBackground) {
  TempDir tmp;
  const fs::path model = tmp.path() / "model.bin";
  const std::string train = std::string(UNDERSTUDY_CLI) +
                            " train --dataset synthetic:easy --count 6 --updates 3 --out " +
                            model.string() + " > " + (tmp.path() / "train.out").string() + " 2>&1";
  ASSERT_EQ(std::system(train.c_str()), 0) << testing::Slurp(tmp.path() / "train.out");
  ASSERT_TRUE(fs::exists(model));

  ServeProcess serve(tmp.path(), {"--agent", "rl", "--init-model", model.string(), "--torch-config",
                           R"({"batch_size": 8, "learning_rate": 0.0005})", "--registry",
                           (tmp.path() / "registry").string()});
  TestClient client(serve.ingest, "station-1");
  auto ack = [&](const std::string& bytes) {
    const Message m = client.Request(bytes);
    ASSERT_EQ(m.header.type, MessageType::kAck) << ToString(m.header.type);
  };
  TestSubscriber sub(serve.publish, {"easy/"});
  ack(EncodeEvent(EasyAsset("easy", "img-1")));
  // The subscriber may join late: keep prompting until scores arrive, then count them.
  int scores = 0;
  for (int i = 0; i < 400 && scores < 10; ++i) {
    const PromptEvent p = EasyPrompt("easy", "img-1", i);
    ack(EncodeEvent(p));
    ack(EncodeEvent(EasyAnswer(p, i)));
    while (auto got = sub.Receive(std::chrono::milliseconds(20))) {
      if (got->first != "easy/_score") continue;
      const auto s = BodyAs<BlindScore>(got->second);
      EXPECT_EQ(s.model_version.rfind("rl:v", 0), 0u) << s.model_version;
      // The value head's predicted IoU, and a real one: a refined ellipse inside the box.
      EXPECT_TRUE(s.predicted_reward >= 0.0 && s.predicted_reward <= 1.0) << s.predicted_reward;
      EXPECT_GT(s.reward, 0.3);
      EXPECT_LE(s.reward, 1.0);
      ++scores;
    }
  }
  ASSERT_GE(scores, 10);

  // The learner thread has learned from those annotations.
  nlohmann::json status;
  for (int i = 0; i < 1000; ++i) {
    status = nlohmann::json::parse(HttpGet(serve.http_port, "/status"), nullptr, false);
    if (status.is_object() && status["engine"]["learner"]["updates"].is_number() &&
        status["engine"]["learner"]["updates"].get<double>() > 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(status.is_object());
  const nlohmann::json engine = status["engine"];
  EXPECT_EQ(engine["engine"], "agent:rl");
  EXPECT_GT(engine["learner"]["updates"].get<double>(), 0.0) << engine["learner"].dump();
  EXPECT_GT(engine["learner"]["examples_added"].get<double>(), 0.0);
  EXPECT_EQ(engine["learner"]["skipped_non_finite"], 0);
  EXPECT_EQ(serve.Stop(), 0) << serve.Output();
}

TEST(ServeAgentProcess, BadAgentFlagsAreUsageErrorsNamingTheProblem) {
  TempDir tmp;
  auto run = [&](const std::string& flags) {
    const std::string command = std::string(UNDERSTUDY_CLI) + " serve --log-dir " +
                                (tmp.path() / "log").string() + " " + flags + " 2>&1";
    FILE* p = popen(command.c_str(), "r");
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = pclose(p);
    return std::make_pair(WEXITSTATUS(status), out);
  };
  auto [rc1, out1] = run("--agent magic");
  EXPECT_EQ(rc1, 2);
  EXPECT_NE(out1.find("unknown agent 'magic'"), std::string::npos) << out1;
  auto [rc2, out2] = run("--agent box --gate-threshold 2");
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(out2.find("threshold = 2"), std::string::npos) << out2;
  auto [rc3, out3] = run("--agent ellipse --learning sometimes");
  EXPECT_EQ(rc3, 2);
  EXPECT_NE(out3.find("sometimes"), std::string::npos) << out3;
  auto [rc5, out5] = run("--agent rl --torch-config '{\"learnin_rate\": 0.1}'");
  EXPECT_EQ(rc5, 2);
  EXPECT_NE(out5.find("learnin_rate"), std::string::npos) << out5;
  auto [rc6, out6] = run("--agent box --torch-config '{\"batch_size\": 4}'");
  EXPECT_EQ(rc6, 2);
  EXPECT_NE(out6.find("rl only"), std::string::npos) << out6;
  auto [rc4, out4] = run("--http 127.0.0.1:99999");
  EXPECT_EQ(rc4, 2);
  EXPECT_NE(out4.find("0..65535"), std::string::npos) << out4;
}

}  // namespace
}  // namespace understudy
