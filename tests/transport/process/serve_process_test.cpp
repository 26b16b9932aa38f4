// Tests that run the real `understudy serve` binary (and the Python example client) as child
// processes, on ephemeral ports reported through --ready-file.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
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
using testing::AnnotationFor;
using testing::Asset;
using testing::BodyAs;
using testing::PromptFor;
using testing::ServeProcess;
using testing::Spawn;
using testing::WaitFor;
using testing::TempDir;
using testing::TestClient;

std::vector<LogRecord> ReadLog(const fs::path& dir) {
  EventLogReader reader(dir);
  std::vector<LogRecord> out;
  LogRecord r;
  while (reader.Next(r)) out.push_back(r);
  return out;
}

// The durability test: kill -9 right after an ack, restart, and every acked event is in
// the log; resending everything afterwards logs nothing twice.
TEST(ServeProcess, EveryAckedEventSurvivesKillNineAndRetriesAreDeduplicated) {
  TempDir tmp;
  constexpr int kEvents = 4000;
  constexpr int kKillAfter = 1500;
  constexpr int kWindow = 256;
  const std::string client_id = "station-k9";
  std::map<std::string, std::uint64_t> acked;  // id -> lsn
  std::vector<std::string> sent;
  {
    // A long commit interval: an ack sent before its commit would be lost by the kill.
    ServeProcess serve(tmp.path(), {"--commit-interval-us", "200000"});
    TestClient c(serve.ingest, client_id);
    ASSERT_EQ(BodyAs<AckReply>(c.Request(EncodeEvent(Asset("asset-1", "img-1")))).lsn, 1u);
    acked["asset-1"] = 1;
    while (static_cast<int>(acked.size()) < kKillAfter) {
      while (static_cast<int>(sent.size()) - static_cast<int>(acked.size()) < kWindow &&
             static_cast<int>(sent.size()) < kEvents) {
        sent.push_back("n-" + std::to_string(sent.size()));
        c.Send(EncodeEvent(AnnotationFor(sent.back(), "img-1", "")));
      }
      const std::optional<Message> m = c.Receive();
      ASSERT_TRUE(m) << "no ack after " << acked.size();
      const AckReply ack = BodyAs<AckReply>(*m);
      acked[m->header.id] = ack.lsn;
      if (static_cast<int>(acked.size()) == kKillAfter) serve.Signal(SIGKILL);  // right after
    }
    EXPECT_EQ(serve.Wait(), 128 + SIGKILL);
  }
  ASSERT_GT(sent.size(), acked.size());  // events were in flight when it died

  ServeProcess again(tmp.path());
  EXPECT_NE(again.Output().find("recovered"), std::string::npos) << again.Output();
  {
    TestClient c(again.ingest, client_id);
    std::set<std::string> replied;
    std::size_t next = 0;
    int duplicates_of_acked = 0;
    while (replied.size() < sent.size()) {
      while (next < sent.size() && next - replied.size() < static_cast<std::size_t>(kWindow)) {
        c.Send(EncodeEvent(AnnotationFor(sent[next++], "img-1", "")));
      }
      const std::optional<Message> m = c.Receive();
      ASSERT_TRUE(m);
      const AckReply ack = BodyAs<AckReply>(*m);
      replied.insert(m->header.id);
      const auto it = acked.find(m->header.id);
      if (it != acked.end()) {
        // Acked before the crash: must be recognised, under the lsn it had.
        EXPECT_TRUE(ack.duplicate) << m->header.id;
        EXPECT_EQ(ack.lsn, it->second) << m->header.id;
        ++duplicates_of_acked;
      }
    }
    EXPECT_EQ(duplicates_of_acked, kKillAfter - 1);  // all acked annotations (not the asset)
  }
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(), 0) << again.Output();

  std::map<std::string, int> logged;
  for (const LogRecord& r : ReadLog(tmp.path() / "log")) {
    if (r.direction == Direction::kIn) ++logged[Summarize(r.message).id];
  }
  for (const auto& [id, lsn] : acked)
    EXPECT_EQ(logged[id], 1) << id << " (acked at lsn " << lsn << ")";
  for (const std::string& id : sent) EXPECT_EQ(logged[id], 1) << id;
}

TEST(ServeProcess, SigintAndSigtermStopGracefullyWithTheLogFlushed) {
  for (const int sig : {SIGINT, SIGTERM}) {
    TempDir tmp;
    ServeProcess serve(tmp.path());
    TestClient c(serve.ingest, "station-1");
    BodyAs<AckReply>(c.Request(EncodeEvent(Asset("a", "img-1"))));
    for (int i = 0; i < 20; ++i) {
      BodyAs<AckReply>(c.Request(
          EncodeEvent(PromptFor("p" + std::to_string(i), "img-1", "x" + std::to_string(i)))));
    }
    serve.Signal(sig);
    EXPECT_EQ(serve.Wait(), 0) << serve.Output();
    EXPECT_NE(serve.Output().find("the log is flushed and synced"), std::string::npos);
    // The suggestions the engine made are logged as out records by the graceful stop.
    int in = 0, out = 0;
    for (const LogRecord& r : ReadLog(tmp.path() / "log"))
      (r.direction == Direction::kIn ? in : out)++;
    EXPECT_EQ(in, 21);
    EXPECT_EQ(out, 20);
  }
}

TEST(ServeProcess, ATornTailIsCutAndReportedOnRestart) {
  TempDir tmp;
  {
    ServeProcess serve(tmp.path());
    TestClient c(serve.ingest, "station-1");
    BodyAs<AckReply>(c.Request(EncodeEvent(Asset("a", "img-1"))));
    for (int i = 0; i < 10; ++i) {
      BodyAs<AckReply>(c.Request(EncodeEvent(AnnotationFor("n" + std::to_string(i), "img-1", ""))));
    }
    serve.Signal(SIGTERM);
    ASSERT_EQ(serve.Wait(), 0);
  }
  const std::vector<fs::path> segments = EventLogReader::Segments(tmp.path() / "log");
  ASSERT_EQ(segments.size(), 1u);
  const std::uintmax_t size = fs::file_size(segments[0]);
  fs::resize_file(segments[0], size - 7);  // the last record loses its tail, as in a torn write

  ServeProcess serve(tmp.path());
  const std::string out = serve.Output();
  EXPECT_NE(out.find("recovered 1 segment, 10 records (last lsn 10); cut a torn tail of"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("(1 record)"), std::string::npos) << out;
  TestClient c(serve.ingest, "station-1");
  // The cut event was n9 (lsn 11): its retry is new again, and is logged under lsn 11.
  const AckReply ack = BodyAs<AckReply>(c.Request(EncodeEvent(AnnotationFor("n9", "img-1", ""))));
  EXPECT_FALSE(ack.duplicate);
  EXPECT_EQ(ack.lsn, 11u);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);
}

TEST(ServeProcess, PythonExampleClientEndToEnd) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  TempDir tmp;
  ServeProcess serve(tmp.path(), {"--proposer", "ellipse"});
  const fs::path output = tmp.path() / "client.out";
  const pid_t client =
      Spawn({"/usr/bin/python3",
             (testing::SourceDir() / "examples" / "python" / "understudy_client.py").string(),
             "demo", "--ingest", serve.ingest, "--publish", serve.publish, "--project", "e2e"},
            output);
  const int rc = WaitFor(client, std::chrono::seconds(60));
  const std::string printed = testing::Slurp(output);
  EXPECT_EQ(rc, 0) << printed;
  EXPECT_NE(printed.find("demo: 0 failure(s)"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("FAIL"), std::string::npos) << printed;
  serve.Signal(SIGINT);
  EXPECT_EQ(serve.Wait(), 0) << serve.Output();
  std::map<std::string, int> types;
  for (const LogRecord& r : ReadLog(tmp.path() / "log")) {
    const EnvelopeSummary s = Summarize(r.message);
    EXPECT_EQ(s.project, "e2e");
    ++types[std::string(r.direction == Direction::kIn ? "in:" : "out:") + ToString(s.type)];
  }
  EXPECT_EQ(types["in:asset"], 1);
  EXPECT_GE(types["in:prompt"], 1);
  EXPECT_EQ(types["in:annotation"], 1);  // sent twice, logged once
  EXPECT_EQ(types["in:feedback"], 1);
  EXPECT_EQ(types["out:suggestion"], types["in:prompt"]);
}

// The Lazy Pirate client against a server that stops answering for a while (SIGSTOP): it times
// out, reconnects with the same routing id, resends the same bytes, and the event is logged once.
TEST(ServeProcess, PythonLazyPirateRetriesAreLoggedOnce) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  TempDir tmp;
  ServeProcess serve(tmp.path());
  serve.Signal(SIGSTOP);
  const fs::path output = tmp.path() / "client.out";
  const pid_t client =
      Spawn({"/usr/bin/python3",
             (testing::SourceDir() / "examples" / "python" / "understudy_client.py").string(),
             "asset", "--ingest", serve.ingest, "--project", "retry", "--asset", "img-9",
             "--timeout", "0.3", "--retries", "40"},
            output);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several attempts time out
  serve.Signal(SIGCONT);
  ASSERT_EQ(WaitFor(client, std::chrono::seconds(60)), 0) << testing::Slurp(output);
  const nlohmann::json result = nlohmann::json::parse(testing::Slurp(output));
  EXPECT_GE(result.at("reconnects").get<int>(), 2) << result.dump();
  EXPECT_EQ(result.at("lsn").get<std::uint64_t>(), 1u) << result.dump();
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0) << serve.Output();
  const std::vector<LogRecord> log = ReadLog(tmp.path() / "log");
  ASSERT_EQ(log.size(), 1u);  // every resent copy after the first was a duplicate
  EXPECT_EQ(Summarize(log[0].message).asset, "img-9");
  EXPECT_EQ(log[0].client.rfind("py-", 0), 0u) << log[0].client;
}

TEST(ServeProcess, BadConfigIsAUsageErrorNamingTheField) {
  TempDir tmp;
  const fs::path out = tmp.path() / "out";
  const pid_t pid = Spawn({(testing::BinaryDir() / "cli" / "understudy").string(), "serve",
                           "--max-vertices", "2", "--log-dir", (tmp.path() / "log").string()},
                          out);
  EXPECT_EQ(WaitFor(pid), 2);
  EXPECT_NE(testing::Slurp(out).find("'max_vertices' = 2"), std::string::npos) << testing::Slurp(out);
}

}  // namespace
}  // namespace understudy
