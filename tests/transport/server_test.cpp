#include "transport/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/transport/temp_dir.h"
#include "tests/transport/test_support.h"
#include "transport/messages.h"
#include "transport/proposer_engine.h"

namespace understudy {
namespace {

using testing::AnnotationFor;
using testing::Asset;
using testing::BodyAs;
using testing::PromptFor;
using testing::ScriptedEngine;
using testing::StatusQueryBytes;
using testing::TempDir;
using testing::TestClient;
using testing::TestSubscriber;

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    config.ingest_endpoint = "tcp://127.0.0.1:*";
    config.publish_endpoint = "tcp://127.0.0.1:*";
    config.log_dir = tmp.path() / "log";
    config.commit_interval_us = 500;
    config.status_interval_ms = 20;
    config.max_message_bytes = 64 * 1024;
    config.zmq_max_message_bytes = 256 * 1024;
    config.max_vertices = 100;
  }
  ~ServerTest() override {
    if (server) StopServer();
  }

  void StartServer(std::unique_ptr<Engine> engine = nullptr, ServerHooks hooks = {}) {
    metrics = std::make_unique<MetricsRegistry>();
    if (!engine)
      engine = std::make_unique<ProposerEngine>(std::make_unique<testing::BoxProposer>());
    server = std::make_unique<Server>(config, std::move(engine), *metrics, std::move(hooks));
    server->Start();
  }

  void StopServer() {
    server->RequestStop();
    server->Wait();
    server.reset();
  }

  std::vector<LogRecord> Log() {
    EventLogReader reader(config.log_dir);
    std::vector<LogRecord> out;
    LogRecord r;
    while (reader.Next(r)) out.push_back(r);
    return out;
  }

  double Counter(const std::string& name, const MetricLabels& labels = {}) {
    return metrics->GetCounter(name, "", labels).Value();
  }

  AckReply Ack(TestClient& c, const std::string& bytes) {
    return BodyAs<AckReply>(c.Request(bytes));
  }

  ErrorReply Error(TestClient& c, const std::string& bytes) {
    return BodyAs<ErrorReply>(c.Request(bytes));
  }

  // Publishes throw-away prompts until `sub` receives one: ZeroMQ subscriptions take a moment to
  // reach the publisher, and messages published before that are not delivered.
  void SyncSubscriber(TestClient& c, TestSubscriber& sub, const std::string& project,
                      const std::string& asset) {
    for (int i = 0; i < 400; ++i) {
      const std::string id = "sync-" + std::to_string(sync_counter++);
      Ack(c, EncodeEvent(PromptFor(id, asset, id, project)));
      if (auto got = sub.Receive(std::chrono::milliseconds(50))) {
        while (sub.Receive(std::chrono::milliseconds(50))) {
        }
        return;
      }
    }
    FAIL() << "subscriber never received a suggestion";
  }

  TempDir tmp;
  ServerConfig config;
  std::unique_ptr<MetricsRegistry> metrics;
  std::unique_ptr<Server> server;
  int sync_counter = 0;
};

TEST_F(ServerTest, AcksOnlyWhatIsInTheLogByteForByte) {
  StartServer();
  TestClient c(server->ingest_endpoint(), "station-7");
  const std::string asset = EncodeEvent(Asset("m1", "img-1"));
  const std::string prompt = EncodeEvent(PromptFor("m2", "img-1", "p1"));
  const AckReply a1 = Ack(c, asset);
  const AckReply a2 = Ack(c, prompt);
  EXPECT_EQ(a1.lsn, 1u);
  EXPECT_EQ(a2.lsn, 2u);
  EXPECT_FALSE(a1.duplicate);
  // Acked means on disk: a reader sees both records while the server is still running.
  const std::vector<LogRecord> log = Log();
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[0].message, asset);
  EXPECT_EQ(log[0].client, "station-7");
  EXPECT_EQ(log[0].direction, Direction::kIn);
  EXPECT_EQ(log[1].message, prompt);
  EXPECT_EQ(Counter("understudy_acks_total"), 2);
  EXPECT_EQ(Counter("understudy_messages_total", {{"type", "prompt"}}), 1);
}

TEST_F(ServerTest, SuggestionsAreLoggedAsOutRecordsReferringToTheirPrompt) {
  StartServer();
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("m1", "img-1")));
  const AckReply p = Ack(c, EncodeEvent(PromptFor("m2", "img-1", "p1")));
  StopServer();  // a graceful stop flushes the worker's outputs
  const std::vector<LogRecord> log = Log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].direction, Direction::kOut);
  EXPECT_EQ(log[2].ref, p.lsn);
  const Message m = Decode(log[2].message, DecodeLimits{});
  const auto s = BodyAs<SuggestionRecord>(m);
  EXPECT_EQ(s.suggestion.asset, "img-1");
  EXPECT_EQ(s.suggestion.prompt_id, "p1");
  EXPECT_FALSE(s.withheld);
  EXPECT_DOUBLE_EQ(Area(s.suggestion.shape), 100.0 * 200.0);
}

TEST_F(ServerTest, DuplicatesAreAckedAgainButLoggedOnce) {
  StartServer();
  TestClient c(server->ingest_endpoint(), "station-1");
  const std::string asset = EncodeEvent(Asset("m1", "img-1"));
  const AckReply first = Ack(c, asset);
  const AckReply again = Ack(c, asset);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.lsn, first.lsn);
  // The same id from another client is a different event.
  TestClient other(server->ingest_endpoint(), "station-2");
  const AckReply theirs = Ack(other, asset);
  EXPECT_FALSE(theirs.duplicate);
  EXPECT_NE(theirs.lsn, first.lsn);
  EXPECT_EQ(Counter("understudy_duplicates_total"), 1);
  StopServer();
  EXPECT_EQ(Log().size(), 2u);
}

TEST_F(ServerTest, DuplicatesAreRecognisedAfterARestart) {
  const std::string asset = EncodeEvent(Asset("m1", "img-1"));
  StartServer();
  std::uint64_t lsn = 0;
  {
    TestClient c(server->ingest_endpoint(), "station-1");
    lsn = Ack(c, asset).lsn;
  }
  StopServer();
  StartServer();
  TestClient c(server->ingest_endpoint(), "station-1");
  const AckReply retry = Ack(c, asset);
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.lsn, lsn);
  // The announced asset survived the restart too.
  EXPECT_FALSE(Ack(c, EncodeEvent(PromptFor("m2", "img-1", "p1"))).duplicate);
  StopServer();
  std::size_t in = 0;
  for (const LogRecord& r : Log()) in += r.direction == Direction::kIn ? 1 : 0;
  EXPECT_EQ(in, 2u);
}

TEST_F(ServerTest, EveryBadInputGetsItsCodeIsCountedAndLosesNothing) {
  StartServer();
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("ok-1", "img-1")));

  auto expect_code = [&](const std::string& bytes, const char* code) {
    const ErrorReply e = Error(c, bytes);
    EXPECT_EQ(e.code, code) << e.message;
    EXPECT_FALSE(e.message.empty());
    EXPECT_EQ(Counter("understudy_errors_total", {{"code", code}}), 1) << code;
  };
  expect_code("definitely not msgpack", "malformed");

  msgpack::sbuffer buf;
  wire::Envelope<wire::Ack> future;
  future.v = 2;
  future.type = "asset";
  future.id = "x";
  future.project = "proj";
  msgpack::pack(buf, future);
  expect_code(std::string(buf.data(), buf.size()), "unsupported_version");

  Message ack;
  ack.header.id = "x";
  ack.header.project = "proj";
  ack.body = AckReply{1, false};
  expect_code(Encode(ack), "unknown_type");  // a server-only type

  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> pk(b);
    pk.pack_map(6);
    pk.pack("v"), pk.pack(1), pk.pack("type"), pk.pack("prompt"), pk.pack("id"), pk.pack("x");
    pk.pack("project"), pk.pack("proj"), pk.pack("ts"), pk.pack(1.0), pk.pack("payload");
    pk.pack_map(1), pk.pack("asset"), pk.pack("img-1");
    expect_code(std::string(b.data(), b.size()), "missing_field");
  }
  {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> pk(b);
    pk.pack_map(6);
    pk.pack("v"), pk.pack(1), pk.pack("type"), pk.pack("prompt"), pk.pack("id"), pk.pack("x");
    pk.pack("project"), pk.pack("proj"), pk.pack("ts"), pk.pack(1.0), pk.pack("payload");
    pk.pack_map(3), pk.pack("asset"), pk.pack("img-1"), pk.pack("prompt"), pk.pack(5);
    pk.pack("box"), pk.pack(std::vector<double>{0, 0, 1, 1});
    expect_code(std::string(b.data(), b.size()), "bad_field");
  }
  AssetEvent big = Asset("big", "img-big");
  big.image.assign(100 * 1024, 7);  // over max_message_bytes (64 KiB), under ZMQ_MAXMSGSIZE
  expect_code(EncodeEvent(big), "too_large");

  AnnotationEvent nan = AnnotationFor("nan", "img-1", "");
  nan.instances[0].shape.parts[0].outer[1].x = std::numeric_limits<double>::quiet_NaN();
  expect_code(EncodeEvent(nan), "non_finite");

  AnnotationEvent many = AnnotationFor("many", "img-1", "");
  Ring ring;
  for (int i = 0; i < 101; ++i) {
    ring.push_back({std::cos(i * 0.0621), std::sin(i * 0.0621)});
  }
  many.instances[0].shape = MakeInstance(ring);
  expect_code(EncodeEvent(many), "too_many_vertices");

  AnnotationEvent flat = AnnotationFor("flat", "img-1", "");
  flat.instances[0].shape = MakeInstance({{0, 0}, {1, 1}, {2, 2}});
  expect_code(EncodeEvent(flat), "bad_geometry");

  expect_code(EncodeEvent(PromptFor("orphan", "never-announced", "p")), "unknown_asset");

  TestClient anonymous(server->ingest_endpoint(), "");  // libzmq picks a routing id
  const ErrorReply e = Error(anonymous, EncodeEvent(PromptFor("a1", "img-1", "p")));
  EXPECT_EQ(e.code, "no_client_id");

  // The server is still serving, and only the valid events are in the log.
  EXPECT_EQ(Ack(c, EncodeEvent(PromptFor("ok-2", "img-1", "p"))).lsn, 2u);
  StopServer();
  std::vector<std::string> ids;
  for (const LogRecord& r : Log()) {
    if (r.direction == Direction::kIn) ids.push_back(Summarize(r.message).id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"ok-1", "ok-2"}));
}

TEST_F(ServerTest, ErrorRepliesEchoTheRequestId) {
  StartServer();
  TestClient c(server->ingest_endpoint());
  const Message m = c.Request(EncodeEvent(PromptFor("req-42", "nope", "p")));
  EXPECT_EQ(m.header.type, MessageType::kError);
  EXPECT_EQ(m.header.id, "req-42");
  EXPECT_EQ(m.header.project, "proj");
}

TEST_F(ServerTest, OverZmqMaxMsgSizeTheLinkIsDroppedAndTheServerCarriesOn) {
  StartServer();
  TestClient c(server->ingest_endpoint(), "station-1");
  const AckReply before = Ack(c, EncodeEvent(Asset("m1", "img-1")));
  AssetEvent huge = Asset("huge", "img-huge");
  huge.image.assign(300 * 1024, 1);  // over zmq_max_message_bytes (256 KiB)
  c.Send(EncodeEvent(huge));
  // libzmq closes the connection instead of delivering the message: no reply comes back.
  EXPECT_FALSE(c.ReceiveRaw(std::chrono::milliseconds(500)).has_value());
  double disconnects = 0;
  for (int i = 0; i < 1000 && disconnects == 0; ++i) {
    disconnects = Counter("understudy_disconnects_total");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(disconnects, 1);
  // The DEALER reconnects by itself; the next event is served, and nothing acked was lost.
  const AckReply after = Ack(c, EncodeEvent(PromptFor("m2", "img-1", "p1")));
  EXPECT_EQ(after.lsn, before.lsn + 1);
  StopServer();
  EXPECT_EQ(Log()[0].message, EncodeEvent(Asset("m1", "img-1")));
}

TEST_F(ServerTest, ReqSocketsWork) {
  StartServer();
  TestClient c(server->ingest_endpoint(), "req-client", zmq::socket_type::req);
  EXPECT_EQ(Ack(c, EncodeEvent(Asset("m1", "img-1"))).lsn, 1u);
  EXPECT_EQ(Ack(c, EncodeEvent(PromptFor("m2", "img-1", "p"))).lsn, 2u);
}

TEST_F(ServerTest, SubscribersGetExactlyTheirProject) {
  StartServer();
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a1", "img-1", "proj")));
  Ack(c, EncodeEvent(Asset("a2", "img-1", "proj2")));
  TestSubscriber proj(server->publish_endpoint(), {"proj/"});
  TestSubscriber proj2(server->publish_endpoint(), {"proj2/"});
  TestSubscriber bare_prefix(server->publish_endpoint(), {"proj"});  // the pitfall: no slash
  SyncSubscriber(c, proj, "proj", "img-1");
  SyncSubscriber(c, proj2, "proj2", "img-1");
  SyncSubscriber(c, bare_prefix, "proj", "img-1");
  for (TestSubscriber* s : {&proj, &proj2, &bare_prefix}) {
    while (s->Receive(std::chrono::milliseconds(100))) {
    }
  }

  Ack(c, EncodeEvent(PromptFor("p-a", "img-1", "only-proj", "proj")));
  Ack(c, EncodeEvent(PromptFor("p-b", "img-1", "only-proj2", "proj2")));

  auto got = proj.Receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "proj/img-1");
  EXPECT_EQ(got->second.header.project, "proj");
  EXPECT_EQ(BodyAs<SuggestionRecord>(got->second).suggestion.prompt_id, "only-proj");
  EXPECT_FALSE(proj.Receive(std::chrono::milliseconds(300)));  // nothing from proj2

  got = proj2.Receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "proj2/img-1");
  EXPECT_EQ(BodyAs<SuggestionRecord>(got->second).suggestion.prompt_id, "only-proj2");
  EXPECT_FALSE(proj2.Receive(std::chrono::milliseconds(300)));

  // Subscribing to "proj" without the slash also matches "proj2/...": hence the trailing slash.
  std::set<std::string> topics;
  while (auto m = bare_prefix.Receive(std::chrono::milliseconds(300))) topics.insert(m->first);
  EXPECT_EQ(topics, (std::set<std::string>{"proj/img-1", "proj2/img-1"}));
}

TEST_F(ServerTest, GateEventsAndWithheldSuggestions) {
  auto engine = std::make_unique<ScriptedEngine>();
  engine->on_prompt = [](const PromptEvent& e) {
    EngineResult r;
    Suggestion s;
    s.shape = testing::BoxProposer().Propose(cv::Mat(), e.prompt).shape;
    s.model_version = "v7";
    r.suggestion = s;
    r.withheld = e.prompt_id.rfind("shadow", 0) == 0;
    r.withheld_reason = "shadow mode";
    return r;
  };
  engine->on_annotation = [](const AnnotationEvent& e) {
    EngineResult r;
    r.gate_events.push_back(GateEvent{e.meta.project,
                                      "shadow",
                                      "live",
                                      30,
                                      0.81,
                                      0.77,
                                      0.75,
                                      "v7",
                                      "lcb 0.77 >= threshold 0.75",
                                      {{"z", 1.645}},
                                      "promote"});
    return r;
  };
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> published;
  ServerHooks hooks;
  hooks.on_publish = [&](const std::string& project, const std::string& json) {
    std::lock_guard<std::mutex> lock(mu);
    published.emplace_back(project, json);
  };
  StartServer(std::move(engine), hooks);
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  TestSubscriber sub(server->publish_endpoint(), {"proj/"});
  SyncSubscriber(c, sub, "proj", "img-1");

  Ack(c, EncodeEvent(PromptFor("s1", "img-1", "shadow-1")));
  Ack(c, EncodeEvent(AnnotationFor("n1", "img-1", "shadow-1")));
  auto got = sub.Receive();
  ASSERT_TRUE(got);  // the withheld suggestion never shows up: the gate event comes first
  EXPECT_EQ(got->first, "proj/_gate");
  const auto gate = BodyAs<GateEvent>(got->second);
  EXPECT_EQ(gate.from, "shadow");
  EXPECT_EQ(gate.to, "live");
  EXPECT_EQ(gate.n, 30u);
  EXPECT_EQ(gate.details.at("z"), 1.645);
  EXPECT_FALSE(sub.Receive(std::chrono::milliseconds(200)));
  StopServer();

  int withheld = 0, gates = 0;
  for (const LogRecord& r : Log()) {
    if (r.direction != Direction::kOut) continue;
    const Message m = Decode(r.message, DecodeLimits{});
    if (const auto* s = std::get_if<SuggestionRecord>(&m.body); s != nullptr && s->withheld) {
      ++withheld;
      EXPECT_EQ(s->reason, "shadow mode");
    }
    gates += m.header.type == MessageType::kGate ? 1 : 0;
  }
  EXPECT_EQ(withheld, 1);
  EXPECT_EQ(gates, 1);
  std::lock_guard<std::mutex> lock(mu);
  bool saw_gate_json = false;
  for (const auto& [project, json] : published) {
    EXPECT_EQ(project, "proj");
    saw_gate_json |= json.find("\"type\":\"gate\"") != std::string::npos;
    EXPECT_EQ(json.find("shadow-1\""), std::string::npos) << "a withheld suggestion was published";
  }
  EXPECT_TRUE(saw_gate_json);
}

TEST_F(ServerTest, LateJoinersGetTheLatestPendingSuggestionsAlsoAfterARestart) {
  StartServer();
  {
    TestClient c(server->ingest_endpoint());
    Ack(c, EncodeEvent(Asset("a1", "img-1")));
    Ack(c, EncodeEvent(Asset("a2", "img-2")));
    Ack(c, EncodeEvent(Asset("a3", "img-3", "other")));
    Ack(c, EncodeEvent(PromptFor("p1", "img-1", "x")));
    Ack(c, EncodeEvent(PromptFor("p2", "img-2", "y")));
    Ack(c, EncodeEvent(PromptFor("p3", "img-2", "z")));
    Ack(c, EncodeEvent(PromptFor("p4", "img-3", "w", "other")));
    Ack(c, EncodeEvent(AnnotationFor("n1", "img-2", "y")));  // y is answered
    const StatusReply latest = BodyAs<StatusReply>(c.Request(StatusQueryBytes("q1", "latest")));
    std::set<std::string> prompts;
    for (const SuggestionRecord& r : latest.suggestions) {
      EXPECT_EQ(r.suggestion.project, "proj");
      prompts.insert(r.suggestion.prompt_id);
    }
    EXPECT_EQ(prompts, (std::set<std::string>{"x", "z"}));
  }
  StopServer();
  StartServer();
  TestClient c(server->ingest_endpoint());
  StatusReply latest = BodyAs<StatusReply>(c.Request(StatusQueryBytes("q2", "latest")));
  ASSERT_EQ(latest.suggestions.size(), 2u);
  EXPECT_EQ(latest.suggestions[0].suggestion.prompt_id, "x");
  EXPECT_EQ(latest.suggestions[1].suggestion.prompt_id, "z");
  Ack(c, EncodeEvent(AnnotationFor("n2", "img-2", "", true)));  // img-2 complete: closed
  latest = BodyAs<StatusReply>(c.Request(StatusQueryBytes("q3", "latest")));
  ASSERT_EQ(latest.suggestions.size(), 1u);
  EXPECT_EQ(latest.suggestions[0].suggestion.asset, "img-1");
}

TEST_F(ServerTest, SummaryQueryAndStatusJsonCarryEngineState) {
  StartServer(std::make_unique<ScriptedEngine>());
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a1", "img-1")));
  const Message m = c.Request(StatusQueryBytes("q1", "summary"));
  ASSERT_EQ(m.header.type, MessageType::kStatus);
  EXPECT_EQ(BodyAs<StatusReply>(m).query, "summary");
  // The summary's content is not decoded by Decode; read it with the wire structs.
  c.Send(StatusQueryBytes("q2", "summary"));
  const std::optional<std::string> bytes = c.ReceiveRaw();
  ASSERT_TRUE(bytes);
  const msgpack::object_handle oh = msgpack::unpack(bytes->data(), bytes->size());
  wire::Envelope<wire::StatusSummary> summary;
  oh.get().convert(summary);
  EXPECT_EQ(summary.payload.engine.engine, "scripted");
  EXPECT_EQ(summary.payload.server.known_assets, 1u);
  EXPECT_GE(summary.payload.server.durable_lsn, 1u);
  ASSERT_EQ(summary.payload.engine.projects.size(), 1u);
  EXPECT_EQ(summary.payload.engine.projects[0].mode, "shadow");

  std::string json;
  for (int i = 0; i < 1000 && json.find("\"known_assets\":1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    json = server->StatusJson();
  }
  EXPECT_NE(json.find("\"known_assets\":1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"engine\":\"scripted\""), std::string::npos) << json;
  const std::string text = metrics->RenderText();
  EXPECT_NE(text.find("understudy_gate_mode{project=\"proj\",mode=\"shadow\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("understudy_model_info{version=\"v1\"} 1"), std::string::npos);
  EXPECT_NE(text.find("understudy_errors_total{code=\"unknown_asset\"} 0"), std::string::npos);
}

TEST_F(ServerTest, SnapshotJsonHasTheGateAndThePendingSuggestions) {
  StartServer(std::make_unique<ScriptedEngine>());
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a1", "img-1")));
  Ack(c, EncodeEvent(PromptFor("p1", "img-1", "x")));
  Ack(c, EncodeEvent(PromptFor("p2", "img-1", "y")));
  Ack(c, EncodeEvent(AnnotationFor("n1", "img-1", "x")));
  // A query is answered after every earlier event is processed: the board is up to date now.
  BodyAs<StatusReply>(c.Request(StatusQueryBytes("q", "latest")));
  const nlohmann::json snap = nlohmann::json::parse(server->SnapshotJson("proj"));
  EXPECT_EQ(snap.at("type"), "snapshot");
  EXPECT_EQ(snap.at("gate").at("mode"), "shadow");
  ASSERT_EQ(snap.at("suggestions").size(), 1u) << snap.dump();
  EXPECT_EQ(snap.at("suggestions")[0].at("payload").at("prompt"), "y");
  EXPECT_EQ(snap.at("suggestions")[0].at("type"), "suggestion");
  const nlohmann::json other = nlohmann::json::parse(server->SnapshotJson("nobody"));
  EXPECT_TRUE(other.at("gate").is_null());
  EXPECT_TRUE(other.at("suggestions").empty());
}

TEST_F(ServerTest, AnEngineThatThrowsIsCountedAndTheServerCarriesOn) {
  auto engine = std::make_unique<ScriptedEngine>();
  engine->on_prompt = [](const PromptEvent& e) -> EngineResult {
    if (e.prompt_id == "boom") throw std::runtime_error("proposer exploded");
    return ScriptedEngine().on_prompt(e);
  };
  StartServer(std::move(engine));
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a1", "img-1")));
  Ack(c, EncodeEvent(PromptFor("p1", "img-1", "boom")));  // logged and acked regardless
  Ack(c, EncodeEvent(PromptFor("p2", "img-1", "fine")));
  const StatusReply latest = BodyAs<StatusReply>(c.Request(StatusQueryBytes("q", "latest")));
  ASSERT_EQ(latest.suggestions.size(), 1u);
  EXPECT_EQ(latest.suggestions[0].suggestion.prompt_id, "fine");
  EXPECT_EQ(Counter("understudy_engine_errors_total", {{"call", "prompt"}}), 1);
}

TEST_F(ServerTest, PipelinedEventsAreAllAckedInGroupCommits) {
  config.commit_interval_us = 2000;
  StartServer();
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  constexpr int kEvents = 2000;
  for (int i = 0; i < kEvents; ++i)
    c.Send(EncodeEvent(AnnotationFor("n" + std::to_string(i), "img-1", "")));
  std::set<std::string> acked;
  while (static_cast<int>(acked.size()) < kEvents) {
    std::optional<Message> m = c.Receive();
    ASSERT_TRUE(m) << "only " << acked.size() << " acks";
    ASSERT_EQ(m->header.type, MessageType::kAck);
    acked.insert(m->header.id);
  }
  const Histogram& commits = metrics->GetHistogram("understudy_log_commit_seconds", "", {});
  EXPECT_LT(commits.Count(), static_cast<std::uint64_t>(kEvents) / 4) << "commits were not grouped";
  EXPECT_GT(commits.Count(), 0u);
}

TEST_F(ServerTest, SelfCrossingAnnotationsAreRepairedAndCounted) {
  StartServer();
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  AnnotationEvent bowtie = AnnotationFor("n1", "img-1", "");
  bowtie.instances[0].shape = MakeInstance({{0, 0}, {10, 10}, {10, 0}, {0, 10}});  // edges cross
  Ack(c, EncodeEvent(bowtie));
  EXPECT_EQ(Counter("understudy_geometry_repairs_total"), 1);
  Ack(c, EncodeEvent(AnnotationFor("n2", "img-1", "")));  // a valid one is not counted
  EXPECT_EQ(Counter("understudy_geometry_repairs_total"), 1);
}

TEST_F(ServerTest, AFailingPublishHookIsCountedAndDoesNotStopTheServer) {
  ServerHooks hooks;
  hooks.on_publish = [](const std::string&, const std::string&) {
    throw std::runtime_error("websocket side is down");
  };
  StartServer(nullptr, hooks);
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  Ack(c, EncodeEvent(PromptFor("p1", "img-1", "x")));
  Ack(c, EncodeEvent(PromptFor("p2", "img-1", "y")));
  // Both suggestions were still published and recorded for late joiners.
  const StatusReply latest = BodyAs<StatusReply>(c.Request(StatusQueryBytes("q", "latest")));
  EXPECT_EQ(latest.suggestions.size(), 2u);
  EXPECT_EQ(Counter("understudy_publish_hook_errors_total"), 2);
}

TEST_F(ServerTest, SegmentsRollWhileEventsAreAcked) {
  config.segment_bytes = 8192;
  StartServer();
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  constexpr int kEvents = 300;
  for (int i = 0; i < kEvents; ++i)
    c.Send(EncodeEvent(AnnotationFor("n" + std::to_string(i), "img-1", "")));
  std::set<std::uint64_t> lsns;
  for (int i = 0; i < kEvents; ++i) {
    std::optional<Message> m = c.Receive();
    ASSERT_TRUE(m);
    lsns.insert(BodyAs<AckReply>(*m).lsn);
  }
  EXPECT_EQ(lsns.size(), static_cast<std::size_t>(kEvents));
  StopServer();
  EXPECT_GT(EventLogReader::Segments(config.log_dir).size(), 5u);
  const std::vector<LogRecord> log = Log();
  ASSERT_EQ(log.size(), kEvents + 1u);
  for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].lsn, i + 1);
}

TEST_F(ServerTest, StartFailsOnABadConfigOrAnEndpointInUse) {
  config.max_vertices = 1;
  EXPECT_THROW(StartServer(), std::invalid_argument);
  server.reset();
  config = ServerConfig{};
  config.ingest_endpoint = "tcp://127.0.0.1:*";
  config.publish_endpoint = "tcp://127.0.0.1:*";
  config.log_dir = tmp.path() / "log";
  StartServer();
  ServerConfig clash = config;
  clash.ingest_endpoint = server->ingest_endpoint();
  clash.log_dir = tmp.path() / "log2";
  MetricsRegistry other;
  Server second(clash, std::make_unique<ScriptedEngine>(), other);
  EXPECT_THROW(second.Start(), zmq::error_t);
}

TEST_F(ServerTest, ScoresAndWithheldSuggestionsReachObserversButNeverFrontends) {
  auto engine = std::make_unique<ScriptedEngine>();
  engine->on_prompt = [](const PromptEvent& e) {
    EngineResult r = ScriptedEngine().on_prompt(e);
    r.withheld = e.prompt_id.rfind("sync", 0) != 0;  // published only to synchronise
    r.withheld_reason = r.withheld ? "shadow_mode" : "";
    return r;
  };
  engine->on_annotation = [](const AnnotationEvent& e) {
    EngineResult r;
    BlindScore s;
    s.asset = e.asset;
    s.prompt_id = e.prompt_id;
    s.model_version = "v7";
    s.reward = 0.625;
    s.components = {{"iou", 0.625}, {"clicks_to_fix", 4}, {"clicks_to_draw", 9}};
    s.decision = "shadow_mode";
    s.evidence = true;
    s.annotation_index = 1;
    r.scores.push_back(s);
    GateEvent g;
    g.from = "shadow";
    g.to = "live";
    g.trigger = "promote";
    g.model_version = "v7";
    r.gate_events.push_back(g);
    return r;
  };
  std::mutex mu;
  std::vector<std::string> hooked;
  ServerHooks hooks;
  hooks.on_publish = [&](const std::string&, const std::string& json) {
    std::lock_guard<std::mutex> lock(mu);
    hooked.push_back(json);
  };
  StartServer(std::move(engine), hooks);
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  TestSubscriber frontend(server->publish_endpoint(), {"proj/"});
  TestSubscriber observer(server->publish_endpoint(), {"proj/", "proj:"});
  SyncSubscriber(c, frontend, "proj", "img-1");
  SyncSubscriber(c, observer, "proj", "img-1");
  while (observer.Receive(std::chrono::milliseconds(100))) {
  }
  while (frontend.Receive(std::chrono::milliseconds(100))) {
  }

  Ack(c, EncodeEvent(PromptFor("p1", "img-1", "x")));
  Ack(c, EncodeEvent(AnnotationFor("n1", "img-1", "x")));
  // The observer: the withheld suggestion, then the score, then the gate event it caused.
  auto w = observer.Receive();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->first, "proj:withheld");
  const auto withheld = BodyAs<SuggestionRecord>(w->second);
  EXPECT_TRUE(withheld.withheld);
  EXPECT_EQ(withheld.reason, "shadow_mode");
  EXPECT_EQ(withheld.suggestion.prompt_id, "x");
  auto sc = observer.Receive();
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->first, "proj/_score");
  const auto score = BodyAs<BlindScore>(sc->second);
  EXPECT_EQ(score.project, "proj");
  EXPECT_EQ(score.prompt_id, "x");
  EXPECT_EQ(score.reward, 0.625);
  EXPECT_EQ(score.components.at("clicks_to_draw"), 9);
  auto g = observer.Receive();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->first, "proj/_gate");
  EXPECT_EQ(BodyAs<GateEvent>(g->second).trigger, "promote");
  // The frontend: every message it gets is a score or a gate event, never a suggestion.
  int frontend_messages = 0;
  while (auto got = frontend.Receive(std::chrono::milliseconds(300))) {
    ++frontend_messages;
    EXPECT_NE(got->second.header.type, MessageType::kSuggestion) << got->first;
  }
  EXPECT_EQ(frontend_messages, 2);
  StopServer();

  int logged_scores = 0;
  for (const LogRecord& r : Log()) {
    if (r.direction != Direction::kOut) continue;
    const Message m = Decode(r.message, DecodeLimits{});
    if (m.header.type == MessageType::kScore) {
      ++logged_scores;
      EXPECT_EQ(BodyAs<BlindScore>(m).reward, 0.625);
      EXPECT_GT(r.ref, 0u);
    }
  }
  EXPECT_EQ(logged_scores, 1);
  EXPECT_EQ(Counter("understudy_scores_total"), 1);
  std::lock_guard<std::mutex> lock(mu);
  int score_json = 0;
  for (const std::string& j : hooked) {
    score_json += j.find("\"type\":\"score\"") != std::string::npos ? 1 : 0;
    EXPECT_EQ(j.find("\"withheld\":true"), std::string::npos) << "the WebSocket got " << j;
  }
  EXPECT_EQ(score_json, 1);
}

TEST_F(ServerTest, ControlIsAckedLoggedAndGivenToTheEngineInOrder) {
  auto engine = std::make_unique<ScriptedEngine>();
  std::mutex mu;
  std::vector<std::string> seen;
  engine->on_annotation = [&](const AnnotationEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back("annotation:" + e.prompt_id);
    return EngineResult{};
  };
  engine->on_control = [&](const ControlEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(e.action + ":" + std::to_string(e.version) + ":" + e.note);
    return EngineResult{};
  };
  StartServer(std::move(engine));
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  Ack(c, EncodeEvent(AnnotationFor("n1", "img-1", "x")));
  const AckReply first = Ack(c, EncodeEvent(testing::RollbackTo("c1", 3)));
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(Ack(c, EncodeEvent(testing::RollbackTo("c1", 3))).duplicate);
  Ack(c, EncodeEvent(AnnotationFor("n2", "img-1", "y")));
  // A control message without a client id is refused like any event.
  TestClient anonymous(server->ingest_endpoint(), "");
  EXPECT_EQ(Error(anonymous, EncodeEvent(testing::RollbackTo("c2", 3))).code, "no_client_id");
  BodyAs<StatusReply>(c.Request(StatusQueryBytes("q", "latest")));  // after everything above
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(seen,
              (std::vector<std::string>{"annotation:x", "rollback:3:operator", "annotation:y"}));
  }
  StopServer();
  int controls = 0;
  for (const LogRecord& r : Log()) {
    const Message m = Decode(r.message, DecodeLimits{});
    if (m.header.type == MessageType::kControl) {
      ++controls;
      EXPECT_EQ(r.lsn, first.lsn);
    }
  }
  EXPECT_EQ(controls, 1);
}

TEST_F(ServerTest, AnEngineWithoutControlRefusesItAndTheServerCountsIt) {
  StartServer(std::make_unique<ScriptedEngine>());
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(testing::RollbackTo("c1", 2)));
  BodyAs<StatusReply>(c.Request(StatusQueryBytes("q", "latest")));
  EXPECT_EQ(Counter("understudy_engine_errors_total", {{"call", "control"}}), 1);
}

TEST_F(ServerTest, AFullEngineQueueHoldsIngestBackAndLosesNoEvent) {
  config.worker_queue = 16;  // the smallest allowed
  auto engine = std::make_unique<ScriptedEngine>();
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int annotations = 0;
  engine->on_annotation = [&](const AnnotationEvent&) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return released; });  // a slow engine, held until the test says
    ++annotations;
    return EngineResult{};
  };
  StartServer(std::move(engine));
  TestClient c(server->ingest_endpoint());
  Ack(c, EncodeEvent(Asset("a", "img-1")));
  constexpr int kEvents = 200;  // far more than the queue and the inproc pipe hold
  for (int i = 0; i < kEvents; ++i) {
    c.Send(EncodeEvent(AnnotationFor("n" + std::to_string(i), "img-1", std::to_string(i))));
  }
  // The engine holds the first annotation, the queue fills, and ingest waits for room.
  for (int i = 0; i < 3000 && Counter("understudy_worker_queue_waits_total") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(Counter("understudy_worker_queue_waits_total"), 1);
  // Meanwhile the events already read become durable and are acked.
  std::set<std::string> acked;
  std::optional<Message> m = c.Receive();
  ASSERT_TRUE(m);
  acked.insert(m->header.id);
  EXPECT_LT(acked.size(), static_cast<std::size_t>(kEvents));
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  while (acked.size() < static_cast<std::size_t>(kEvents)) {
    m = c.Receive();
    ASSERT_TRUE(m) << "only " << acked.size() << " acks";
    acked.insert(m->header.id);
  }
  BodyAs<StatusReply>(c.Request(StatusQueryBytes("q", "latest")));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(annotations, kEvents);
  }
  EXPECT_EQ(Counter("understudy_worker_queue_drops_total"), 0);
}

}  // namespace
}  // namespace understudy
