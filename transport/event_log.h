#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// The durable event log: the recording of a human session. A folder of append-only segments
// `<first lsn, 20 digits>.ulog`, each a 32-byte header followed by records framed as
// [u32 length][u32 CRC32C of length and body][body], little-endian; the body is the msgpack map
// wire::LogRecord (transport/messages.h) holding the envelope exactly as it was on the wire.
// docs/transport.md describes the format and the recovery rules.

namespace understudy {

/** Which way a logged message went. */
enum class Direction : std::uint8_t {
  kIn,   // received from a client and acked
  kOut,  // emitted by the server (suggestions, gate events)
};
const char* ToString(Direction direction);

/** One record. */
struct LogRecord {
  std::uint64_t lsn = 0;     // 1, 2, 3, ... with no gaps
  std::int64_t time_ns = 0;  // server clock at receipt or emission, ns since the epoch
  Direction direction = Direction::kIn;
  std::string client;     // the sender's routing id for kIn; empty otherwise
  std::uint64_t ref = 0;  // kOut: lsn of the event that caused it; 0 when none
  std::string message;    // the envelope bytes, as on the wire
};

/** The log is damaged where recovery may not repair it, or the disk failed. */
class EventLogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** What opening a log found, and what it cut from a torn tail. */
struct RecoveryReport {
  std::size_t segments = 0;
  std::uint64_t records = 0;   // intact records kept
  std::uint64_t last_lsn = 0;  // 0: empty log
  bool truncated = false;
  std::filesystem::path truncated_segment;
  std::uint64_t truncated_offset = 0;  // where the cut began
  std::uint64_t bytes_cut = 0;
  std::uint64_t records_cut = 0;  // frames that began in the cut (the torn one included)
  std::string reason;             // why the tail was judged torn
  /** One line for logs: "recovered 3 segments, 1200 records (last lsn 1200); cut ...". */
  std::string Describe() const;
};

/** Records appended but not yet written: what one group commit writes and syncs. */
struct LogBatch {
  struct Piece {
    std::uint64_t new_segment_lsn = 0;  // not 0: start a new segment at this lsn first
    std::string bytes;                  // framed records
  };
  std::vector<Piece> pieces;
  std::uint64_t last_lsn = 0;  // durable once the batch is written and synced
};

/** Where and how the log is written. */
struct EventLogOptions {
  std::filesystem::path dir;
  std::uint64_t segment_bytes = 64ull << 20;     // roll to a new segment past this size
  std::uint64_t max_record_bytes = 64ull << 20;  // longer lengths are corruption, not records
  bool sync = true;  // fdatasync on every Commit; false: only on Close (bulk offline writing)
  /** Throws std::invalid_argument naming the field and value. */
  void Validate() const;
};

/**
 * Appends records to a log and makes them durable. Append only encodes into memory; Commit
 * writes and fdatasyncs, after which every appended record is on disk (durable_lsn()). The
 * server group-commits (many appends, one sync) and splits Commit across two threads: the
 * appending thread calls Append and TakeBatch, one writing thread calls WriteBatch, so that
 * appends never wait for a sync. An offline writer (a dataset importer writing a session)
 * appends and calls Close. Any I/O failure throws EventLogError and leaves the writer unusable:
 * after a failed fsync the page cache may no longer match the disk, so the only safe
 * continuation is to reopen (recover) the log.
 */
class EventLogWriter {
 public:
  /**
   * Opens the log in options.dir (creating the folder), recovers it (a torn tail of the last
   * segment is truncated and reported; damage anywhere else throws EventLogError), and calls
   * `visit` for every intact record in order, so callers can rebuild their state.
   */
  explicit EventLogWriter(EventLogOptions options,
                          const std::function<void(const LogRecord&)>& visit = {});
  /** Commits what is pending; errors are printed to stderr, not thrown. */
  ~EventLogWriter();
  EventLogWriter(const EventLogWriter&) = delete;
  EventLogWriter& operator=(const EventLogWriter&) = delete;

  // ---- the appending thread ----
  /** Encodes a record into memory and returns its lsn; decides segment rolls. */
  std::uint64_t Append(Direction direction, std::int64_t time_ns, std::string_view client,
                       std::uint64_t ref, std::string_view message);
  /** Hands over everything appended since the last call. */
  LogBatch TakeBatch();
  std::uint64_t last_lsn() const { return last_lsn_; }
  std::size_t pending_bytes() const { return pending_bytes_; }

  // ---- the writing thread (the same thread as Append when single-threaded) ----
  /** Writes a batch (creating segments where it rolls) and, with `sync`, fdatasyncs it. */
  void WriteBatch(LogBatch batch, bool sync);
  /** WriteBatch(TakeBatch(), options.sync): one thread's group commit. */
  void Commit();
  /** Writes and fdatasyncs everything (whatever options.sync says) and closes. Further
   *  appends throw. */
  void Close();
  std::size_t segment_count() const { return segments_; }

  // ---- any thread ----
  /** Every record up to this lsn is on disk. */
  std::uint64_t durable_lsn() const { return durable_lsn_; }
  const RecoveryReport& recovery() const { return recovery_; }
  const std::filesystem::path& dir() const { return options_.dir; }

 private:
  void OpenSegment(std::uint64_t first_lsn);
  void WriteAll(std::string_view bytes);
  void SyncFile();
  [[noreturn]] void Fail(const std::string& what);

  EventLogOptions options_;
  RecoveryReport recovery_;
  int dir_fd_ = -1;
  // Appending side.
  std::vector<LogBatch::Piece> pieces_;
  std::uint64_t front_segment_size_ = 0;  // bytes the current segment will hold once written
  std::uint64_t front_segment_records_ = 0;
  std::size_t pending_bytes_ = 0;
  std::uint64_t last_lsn_ = 0;
  std::atomic<bool> closed_{false};
  // Writing side.
  int fd_ = -1;
  std::filesystem::path segment_path_;
  std::size_t segments_ = 0;
  bool unsynced_ = false;
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> durable_lsn_{0};
};

/**
 * Reads a log in order, for replay. A torn tail at the end of the last segment (a crash, or a
 * writer mid-append) ends the log; damage anywhere else throws EventLogError.
 */
class EventLogReader {
 public:
  explicit EventLogReader(const std::filesystem::path& dir);
  ~EventLogReader();
  EventLogReader(const EventLogReader&) = delete;
  EventLogReader& operator=(const EventLogReader&) = delete;

  /** The next record, or false at the end of the log. */
  bool Next(LogRecord& record);
  /** True once Next has stopped at a torn tail rather than at a clean end. */
  bool stopped_at_torn_tail() const { return torn_; }

  /** The segment files of a log folder, in lsn order. */
  static std::vector<std::filesystem::path> Segments(const std::filesystem::path& dir);

 private:
  class Segment;
  std::vector<std::filesystem::path> paths_;
  std::size_t next_ = 0;
  std::unique_ptr<Segment> current_;
  std::uint64_t expected_lsn_ = 0;
  bool torn_ = false;
};

/** Decodes a record body (the msgpack map inside a frame). Throws EventLogError. */
LogRecord DecodeLogRecordBody(std::string_view body);
/** Encodes a record body, appending it to `out`. */
void EncodeLogRecordBody(const LogRecord& record, std::string& out);

}  // namespace understudy
