#include "transport/event_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/transport/temp_dir.h"
#include "transport/messages.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A small msgpack map standing in for an envelope.
std::string Message(int i) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, std::map<std::string, std::string>{{"id", "m" + std::to_string(i)},
                                                        {"pad", std::string(i % 50, 'x')}});
  return std::string(buf.data(), buf.size());
}

std::vector<LogRecord> ReadAll(const fs::path& dir, bool* torn = nullptr) {
  EventLogReader reader(dir);
  std::vector<LogRecord> out;
  LogRecord r;
  while (reader.Next(r)) out.push_back(r);
  if (torn != nullptr) *torn = reader.stopped_at_torn_tail();
  return out;
}

void Write(const fs::path& dir, int from, int to, std::uint64_t segment_bytes = 64ull << 20) {
  EventLogOptions o;
  o.dir = dir;
  o.segment_bytes = segment_bytes;
  EventLogWriter w(o);
  for (int i = from; i < to; ++i) {
    w.Append(i % 3 == 0 ? Direction::kOut : Direction::kIn, 1000 + i,
             "client-" + std::to_string(i % 2), i % 3 == 0 ? static_cast<std::uint64_t>(i - 1) : 0,
             Message(i));
  }
  w.Commit();
  EXPECT_EQ(w.durable_lsn(), w.last_lsn());
}

std::uint64_t FileSize(const fs::path& p) { return fs::file_size(p); }

void Truncate(const fs::path& p, std::uint64_t size) { fs::resize_file(p, size); }

void FlipByte(const fs::path& p, std::uint64_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x40);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

TEST(EventLog, AppendCommitReopenAndReadBack) {
  TempDir tmp;
  Write(tmp.path(), 1, 101);
  const std::vector<LogRecord> all = ReadAll(tmp.path());
  ASSERT_EQ(all.size(), 100u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    EXPECT_EQ(all[i].lsn, i + 1);
    EXPECT_EQ(all[i].time_ns, 1000 + n);
    EXPECT_EQ(all[i].message, Message(n));  // byte for byte
    EXPECT_EQ(all[i].client, "client-" + std::to_string(n % 2));
    EXPECT_EQ(all[i].direction, n % 3 == 0 ? Direction::kOut : Direction::kIn);
  }
  // Reopening visits every record and continues the numbering.
  EventLogOptions o;
  o.dir = tmp.path();
  std::uint64_t visited = 0;
  EventLogWriter w(o, [&](const LogRecord& r) { EXPECT_EQ(r.lsn, ++visited); });
  EXPECT_EQ(visited, 100u);
  EXPECT_FALSE(w.recovery().truncated);
  EXPECT_EQ(w.recovery().last_lsn, 100u);
  EXPECT_EQ(w.Append(Direction::kIn, 1, "c", 0, Message(1)), 101u);
}

TEST(EventLog, UncommittedRecordsAreNotDurable) {
  TempDir tmp;
  EventLogOptions o;
  o.dir = tmp.path();
  EventLogWriter w(o);
  w.Append(Direction::kIn, 1, "c", 0, Message(1));
  EXPECT_EQ(w.last_lsn(), 1u);
  EXPECT_EQ(w.durable_lsn(), 0u);
  EXPECT_GT(w.pending_bytes(), 0u);
  EXPECT_TRUE(ReadAll(tmp.path()).empty());  // still only in the writer's buffer
  w.Commit();
  EXPECT_EQ(w.durable_lsn(), 1u);
  EXPECT_EQ(ReadAll(tmp.path()).size(), 1u);
}

TEST(EventLog, RecordBodyIsTheDocumentedMsgpackMap) {
  LogRecord r;
  r.lsn = 7;
  r.time_ns = -5;
  r.direction = Direction::kOut;
  r.client = std::string("\x00\x01z", 3);
  r.ref = 6;
  r.message = Message(3);
  std::string body;
  EncodeLogRecordBody(r, body);
  const msgpack::object_handle oh = msgpack::unpack(body.data(), body.size());
  wire::LogRecord<std::map<std::string, std::string>> w;
  oh.get().convert(w);
  EXPECT_EQ(w.lsn, 7u);
  EXPECT_EQ(w.rts, -5);
  EXPECT_EQ(w.dir, "out");
  EXPECT_EQ(std::string(w.client.begin(), w.client.end()), r.client);
  EXPECT_EQ(w.ref, 6u);
  EXPECT_EQ(w.msg.at("id"), "m3");
  const LogRecord back = DecodeLogRecordBody(body);
  EXPECT_EQ(back.lsn, 7u);
  EXPECT_EQ(back.client, r.client);
  EXPECT_EQ(back.message, r.message);
  EXPECT_THROW(DecodeLogRecordBody("\x93\x01\x02\x03"), EventLogError);
}

TEST(EventLog, SegmentsRollAndReadInOrder) {
  TempDir tmp;
  Write(tmp.path(), 1, 300, 4096);
  const auto segments = EventLogReader::Segments(tmp.path());
  ASSERT_GT(segments.size(), 3u);
  for (const fs::path& s : segments) EXPECT_LE(FileSize(s), 4096u);
  EXPECT_EQ(segments.front().filename(), "00000000000000000001.ulog");
  const auto all = ReadAll(tmp.path());
  ASSERT_EQ(all.size(), 299u);
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].lsn, i + 1);
  Write(tmp.path(), 300, 400, 4096);  // reopen, append, roll again
  EXPECT_EQ(ReadAll(tmp.path()).size(), 399u);
}

TEST(EventLog, TornTailIsCutAndReported) {
  TempDir tmp;
  Write(tmp.path(), 1, 21);
  const fs::path seg = EventLogReader::Segments(tmp.path()).back();
  const std::uint64_t full = FileSize(seg);
  Truncate(seg, full - 5);  // the last record loses its final bytes

  bool torn = false;
  EXPECT_EQ(ReadAll(tmp.path(), &torn).size(), 19u);
  EXPECT_TRUE(torn);

  EventLogOptions o;
  o.dir = tmp.path();
  {
    EventLogWriter w(o);
    const RecoveryReport& rep = w.recovery();
    EXPECT_TRUE(rep.truncated);
    EXPECT_EQ(rep.records, 19u);
    EXPECT_EQ(rep.last_lsn, 19u);
    EXPECT_EQ(rep.records_cut, 1u);
    EXPECT_EQ(rep.truncated_segment, seg);
    EXPECT_EQ(rep.truncated_offset + rep.bytes_cut, full - 5);
    EXPECT_NE(rep.reason.find("past the end"), std::string::npos) << rep.reason;
    EXPECT_NE(rep.Describe().find("cut a torn tail"), std::string::npos);
    EXPECT_EQ(FileSize(seg), rep.truncated_offset);
    EXPECT_EQ(w.Append(Direction::kIn, 1, "c", 0, Message(20)), 20u);
    w.Commit();
  }
  bool torn_after = true;
  EXPECT_EQ(ReadAll(tmp.path(), &torn_after).size(), 20u);
  EXPECT_FALSE(torn_after);
}

TEST(EventLog, TailWithBadChecksumIsCut) {
  TempDir tmp;
  Write(tmp.path(), 1, 11);
  const fs::path seg = EventLogReader::Segments(tmp.path()).back();
  FlipByte(seg, FileSize(seg) - 2);
  EventLogOptions o;
  o.dir = tmp.path();
  EventLogWriter w(o);
  EXPECT_TRUE(w.recovery().truncated);
  EXPECT_EQ(w.recovery().last_lsn, 9u);
  EXPECT_NE(w.recovery().reason.find("CRC32C"), std::string::npos);
}

TEST(EventLog, PartialFrameHeaderAndGarbageTailAreCut) {
  TempDir tmp;
  Write(tmp.path(), 1, 6);
  const fs::path seg = EventLogReader::Segments(tmp.path()).back();
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f.write("\x07\x00\x00", 3);  // three bytes of a frame header
  }
  EventLogOptions o;
  o.dir = tmp.path();
  {
    EventLogWriter w(o);
    EXPECT_TRUE(w.recovery().truncated);
    EXPECT_EQ(w.recovery().bytes_cut, 3u);
    EXPECT_EQ(w.recovery().last_lsn, 5u);
  }
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f.write(std::string(100, '\0').data(), 100);  // zeros, as after a crash on some filesystems
  }
  EventLogWriter w(o);
  EXPECT_TRUE(w.recovery().truncated);
  EXPECT_EQ(w.recovery().bytes_cut, 100u);
  EXPECT_EQ(w.recovery().last_lsn, 5u);
}

TEST(EventLog, DamageBeforeIntactRecordsIsRefusedNotCut) {
  TempDir tmp;
  Write(tmp.path(), 1, 11);
  const fs::path seg = EventLogReader::Segments(tmp.path()).back();
  FlipByte(seg, 32 + 12);  // inside the first record's body
  EventLogOptions o;
  o.dir = tmp.path();
  EXPECT_THROW(EventLogWriter w(o), EventLogError);
  EXPECT_THROW(ReadAll(tmp.path()), EventLogError);
  EXPECT_GT(FileSize(seg), 32u + 100u);  // nothing was cut
}

TEST(EventLog, DamageInAnEarlierSegmentIsRefused) {
  TempDir tmp;
  Write(tmp.path(), 1, 200, 4096);
  const auto segments = EventLogReader::Segments(tmp.path());
  ASSERT_GT(segments.size(), 2u);
  Truncate(segments.front(), FileSize(segments.front()) - 3);
  EventLogOptions o;
  o.dir = tmp.path();
  EXPECT_THROW(EventLogWriter w(o), EventLogError);
}

TEST(EventLog, MissingSegmentIsRefused) {
  TempDir tmp;
  Write(tmp.path(), 1, 200, 4096);
  const auto segments = EventLogReader::Segments(tmp.path());
  ASSERT_GT(segments.size(), 2u);
  fs::remove(segments[1]);
  EventLogOptions o;
  o.dir = tmp.path();
  EXPECT_THROW(EventLogWriter w(o), EventLogError);
}

TEST(EventLog, SegmentTornDuringCreationIsRemoved) {
  TempDir tmp;
  Write(tmp.path(), 1, 4);
  const fs::path stub = tmp.path() / "00000000000000000004.ulog";
  {
    std::ofstream f(stub, std::ios::binary);
    f.write("USTD", 4);
  }
  EventLogOptions o;
  o.dir = tmp.path();
  EventLogWriter w(o);
  EXPECT_TRUE(w.recovery().truncated);
  EXPECT_EQ(w.recovery().truncated_segment, stub);
  EXPECT_EQ(w.recovery().bytes_cut, 4u);
  EXPECT_EQ(w.Append(Direction::kIn, 1, "c", 0, Message(4)), 4u);
  w.Commit();
  EXPECT_EQ(ReadAll(tmp.path()).size(), 4u);
}

TEST(EventLog, OfflineWriterWithoutSyncIsDurableAfterClose) {
  TempDir tmp;
  EventLogOptions o;
  o.dir = tmp.path();
  o.sync = false;
  EventLogWriter w(o);
  for (int i = 1; i <= 50; ++i) w.Append(Direction::kIn, i, "", 0, Message(i));
  w.Commit();
  EXPECT_EQ(w.durable_lsn(), 0u);  // written, not yet fsynced
  w.Close();
  EXPECT_EQ(w.durable_lsn(), 50u);
  EXPECT_THROW(w.Append(Direction::kIn, 1, "", 0, Message(1)), EventLogError);
  EXPECT_EQ(ReadAll(tmp.path()).size(), 50u);
}

TEST(EventLog, OptionsAreValidated) {
  EventLogOptions o;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o.dir = "x";
  o.segment_bytes = 10;
  try {
    o.Validate();
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("segment_bytes 10"), std::string::npos);
  }
}

}  // namespace
}  // namespace understudy
