#include "transport/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <msgpack.hpp>
#include <regex>
#include <sstream>
#include <utility>

#include "transport/crc32c.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'U', 'S', 'T', 'D', 'Y', 'L', 'O', 'G'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 32;
constexpr std::size_t kFrameBytes = 8;  // u32 length + u32 crc
constexpr const char* kSuffix = ".ulog";

std::string Errno(const std::string& what, const fs::path& path) {
  return what + " '" + path.string() + "': " + std::strerror(errno);
}

void PutU32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
void PutU64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
std::uint32_t GetU32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint64_t GetU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::uint32_t FrameCrc(const char* length_bytes, std::string_view body) {
  return Crc32c(body.data(), body.size(), Crc32c(length_bytes, 4));
}

std::string SegmentName(std::uint64_t first_lsn) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu%s", static_cast<unsigned long long>(first_lsn),
                kSuffix);
  return name;
}

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Lets msgpack's packer append to a std::string.
struct StringSink {
  std::string& out;
  void write(const char* p, std::size_t n) { out.append(p, n); }
};

bool ReferenceAll(msgpack::type::object_type, std::size_t, void*) { return true; }

// Reads one segment front to back.
class SegmentScan {
 public:
  enum class Result {
    kRecord,   // `record` holds the next record
    kEnd,      // clean end of file
    kTorn,     // an incomplete or damaged frame at offset(): a torn write, if it is the tail
    kCorrupt,  // a frame with a valid checksum whose body is wrong: never repaired
  };

  SegmentScan(const fs::path& path, std::uint64_t max_record_bytes)
      : path_(path), max_record_(max_record_bytes) {
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) throw EventLogError(Errno("cannot open log segment", path));
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    struct stat st {};
    if (::fstat(fileno(file_), &st) != 0) throw EventLogError(Errno("cannot stat", path));
    size_ = static_cast<std::uint64_t>(st.st_size);
    char h[kHeaderBytes];
    if (size_ < kHeaderBytes || std::fread(h, 1, kHeaderBytes, file_) != kHeaderBytes) {
      header_problem_ = "segment header is incomplete (" + std::to_string(size_) + " bytes)";
      header_torn_ = true;
      return;
    }
    if (std::all_of(h, h + kHeaderBytes, [](char c) { return c == 0; })) {
      header_problem_ = "segment header is all zero bytes";
      header_torn_ = true;
      return;
    }
    if (std::memcmp(h, kMagic, sizeof kMagic) != 0) {
      header_problem_ = "not an understudy log segment (bad magic)";
      return;
    }
    if (GetU32(h + 8) != kFormatVersion || GetU32(h + 12) != kHeaderBytes) {
      header_problem_ = "unsupported segment format version " + std::to_string(GetU32(h + 8));
      return;
    }
    first_lsn_ = GetU64(h + 16);
    offset_ = kHeaderBytes;
    header_ok_ = true;
  }
  ~SegmentScan() {
    if (file_ != nullptr) std::fclose(file_);
  }
  SegmentScan(const SegmentScan&) = delete;
  SegmentScan& operator=(const SegmentScan&) = delete;

  bool header_ok() const { return header_ok_; }
  bool header_torn() const { return header_torn_; }
  const std::string& header_problem() const { return header_problem_; }
  std::uint64_t first_lsn() const { return first_lsn_; }
  std::uint64_t offset() const { return offset_; }
  std::uint64_t size() const { return size_; }
  const std::string& problem() const { return problem_; }

  Result Next(LogRecord& record) {
    const std::uint64_t left = size_ - offset_;
    if (left == 0) return Result::kEnd;
    if (left < kFrameBytes)
      return Torn("incomplete frame header (" + std::to_string(left) + " bytes)");
    char frame[kFrameBytes];
    if (std::fread(frame, 1, kFrameBytes, file_) != kFrameBytes)
      throw EventLogError(Errno("cannot read", path_));
    const std::uint32_t length = GetU32(frame);
    const std::uint32_t crc = GetU32(frame + 4);
    if (length == 0) return Torn("zero record length");
    if (length > max_record_) {
      return Torn("record length " + std::to_string(length) + " exceeds max_record_bytes");
    }
    if (left - kFrameBytes < length) {
      return Torn("record of " + std::to_string(length) + " bytes runs past the end of the file");
    }
    body_.resize(length);
    if (std::fread(body_.data(), 1, length, file_) != length)
      throw EventLogError(Errno("cannot read", path_));
    if (FrameCrc(frame, body_) != crc) return Torn("CRC32C mismatch");
    try {
      record = DecodeLogRecordBody(body_);
    } catch (const EventLogError& e) {
      problem_ = std::string("record with a valid checksum does not decode: ") + e.what();
      return Result::kCorrupt;
    }
    offset_ += kFrameBytes + length;
    return Result::kRecord;
  }

  // Whether an intact frame follows the damaged one at offset(): then the damage is in the
  // middle of the data, not a torn tail, and cutting would lose records.
  bool IntactFrameFollows() {
    std::uint64_t at = offset_;
    const std::optional<std::uint32_t> first = FrameLengthAt(at);
    if (!first) return false;
    at += kFrameBytes + *first;
    const std::optional<std::uint32_t> second = FrameLengthAt(at);
    if (!second) return false;
    std::string frame(kFrameBytes, '\0');
    std::string body(*second, '\0');
    if (!ReadAt(at, frame.data(), kFrameBytes) || !ReadAt(at + kFrameBytes, body.data(), *second))
      return false;
    return FrameCrc(frame.data(), body) == GetU32(frame.data() + 4);
  }

  // Frames that begin in [offset(), size()) as far as their lengths can be followed; the torn
  // frame counts even when its length is garbage.
  std::uint64_t FramesFromOffset() {
    std::uint64_t n = 0;
    std::uint64_t at = offset_;
    while (at < size_) {
      ++n;
      const std::optional<std::uint32_t> len = FrameLengthAt(at);
      if (!len) break;
      at += kFrameBytes + *len;
    }
    return n;
  }

 private:
  Result Torn(std::string why) {
    problem_ = std::move(why);
    return Result::kTorn;
  }

  bool ReadAt(std::uint64_t at, char* out, std::size_t n) {
    return ::pread(fileno(file_), out, n, static_cast<off_t>(at)) == static_cast<ssize_t>(n);
  }

  std::optional<std::uint32_t> FrameLengthAt(std::uint64_t at) {
    char frame[kFrameBytes];
    if (at + kFrameBytes > size_ || !ReadAt(at, frame, kFrameBytes)) return std::nullopt;
    const std::uint32_t len = GetU32(frame);
    if (len == 0 || len > max_record_ || at + kFrameBytes + len > size_) return std::nullopt;
    return len;
  }

  fs::path path_;
  std::uint64_t max_record_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t first_lsn_ = 0;
  bool header_ok_ = false;
  bool header_torn_ = false;
  std::string header_problem_;
  std::string problem_;
  std::string body_;
};

std::uint64_t LsnOfName(const fs::path& p) { return std::stoull(p.stem().string()); }

void FsyncDir(int dir_fd, const fs::path& dir) {
  if (::fsync(dir_fd) != 0) throw EventLogError(Errno("cannot fsync log folder", dir));
}

}  // namespace

const char* ToString(Direction d) { return d == Direction::kIn ? "in" : "out"; }

std::string RecoveryReport::Describe() const {
  std::ostringstream os;
  os << "recovered " << segments << " segment" << (segments == 1 ? "" : "s") << ", " << records
     << " record" << (records == 1 ? "" : "s") << " (last lsn " << last_lsn << ")";
  if (truncated) {
    os << "; cut a torn tail of " << bytes_cut << " bytes (" << records_cut << " record"
       << (records_cut == 1 ? "" : "s") << ") at offset " << truncated_offset << " of "
       << truncated_segment.filename().string() << ": " << reason;
  } else {
    os << "; no torn tail";
  }
  return os.str();
}

void EventLogOptions::Validate() const {
  if (dir.empty()) throw std::invalid_argument("event log: dir is empty");
  if (segment_bytes < 4096) {
    throw std::invalid_argument("event log: segment_bytes " + std::to_string(segment_bytes) +
                                " is below 4096");
  }
  if (max_record_bytes < 1024 || max_record_bytes > 0xFFFFFFFFull) {
    throw std::invalid_argument("event log: max_record_bytes " + std::to_string(max_record_bytes) +
                                " is outside 1024..4294967295");
  }
}

// ---- record bodies ------------------------------------------------------------------------------

void EncodeLogRecordBody(const LogRecord& r, std::string& out) {
  StringSink sink{out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_map(6);
  pk.pack("lsn");
  pk.pack(r.lsn);
  pk.pack("rts");
  pk.pack(r.time_ns);
  pk.pack("dir");
  pk.pack(ToString(r.direction));
  pk.pack("client");
  pk.pack_bin(static_cast<std::uint32_t>(r.client.size()));
  pk.pack_bin_body(r.client.data(), static_cast<std::uint32_t>(r.client.size()));
  pk.pack("ref");
  pk.pack(r.ref);
  pk.pack("msg");
  out.append(r.message);  // the envelope is already a msgpack value: inline, byte for byte
}

LogRecord DecodeLogRecordBody(std::string_view body) {
  namespace mt = msgpack::type;
  const char* p = body.data();
  const std::size_t n = body.size();
  std::size_t off = 0;
  std::uint32_t entries = 0;
  const auto b0 = n > 0 ? static_cast<unsigned char>(p[0]) : 0u;
  if (n >= 1 && (b0 & 0xF0u) == 0x80u) {
    entries = b0 & 0x0Fu;
    off = 1;
  } else if (n >= 3 && b0 == 0xDE) {
    entries = (static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 8) |
              static_cast<unsigned char>(p[2]);  // msgpack lengths are big-endian
    off = 3;
  } else if (n >= 5 && b0 == 0xDF) {
    for (int i = 1; i <= 4; ++i) entries = (entries << 8) | static_cast<unsigned char>(p[i]);
    off = 5;
  } else {
    throw EventLogError("record body is not a msgpack map");
  }
  LogRecord r;
  bool have_lsn = false, have_rts = false, have_dir = false, have_msg = false;
  try {
    for (std::uint32_t i = 0; i < entries; ++i) {
      const msgpack::object_handle key = msgpack::unpack(p, n, off, ReferenceAll);
      if (key.get().type != mt::STR) throw EventLogError("record key is not a str");
      const std::string_view k(key.get().via.str.ptr, key.get().via.str.size);
      const std::size_t start = off;
      const msgpack::object_handle val = msgpack::unpack(p, n, off, ReferenceAll);
      const msgpack::object& v = val.get();
      if (k == "lsn" && v.type == mt::POSITIVE_INTEGER) {
        r.lsn = v.via.u64;
        have_lsn = true;
      } else if (k == "rts" && (v.type == mt::POSITIVE_INTEGER || v.type == mt::NEGATIVE_INTEGER)) {
        r.time_ns = v.via.i64;
        have_rts = true;
      } else if (k == "dir" && v.type == mt::STR) {
        const std::string_view d(v.via.str.ptr, v.via.str.size);
        if (d != "in" && d != "out")
          throw EventLogError("record dir '" + std::string(d) + "' is not in or out");
        r.direction = d == "in" ? Direction::kIn : Direction::kOut;
        have_dir = true;
      } else if (k == "client" && v.type == mt::BIN) {
        r.client.assign(v.via.bin.ptr, v.via.bin.size);
      } else if (k == "ref" && v.type == mt::POSITIVE_INTEGER) {
        r.ref = v.via.u64;
      } else if (k == "msg") {
        r.message.assign(p + start, off - start);
        have_msg = true;
      } else if (k == "lsn" || k == "rts" || k == "dir" || k == "client" || k == "ref") {
        throw EventLogError("record field '" + std::string(k) + "' has the wrong type");
      }
    }
  } catch (const msgpack::unpack_error& e) {
    throw EventLogError(std::string("record body is not valid msgpack: ") + e.what());
  }
  if (off != n) throw EventLogError("record body has trailing bytes");
  if (!have_lsn || !have_rts || !have_dir || !have_msg) {
    throw EventLogError("record body lacks one of lsn, rts, dir, msg");
  }
  return r;
}

// ---- writer -------------------------------------------------------------------------------------

EventLogWriter::EventLogWriter(EventLogOptions options,
                               const std::function<void(const LogRecord&)>& visit)
    : options_(std::move(options)) {
  options_.Validate();
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec)
    throw EventLogError("cannot create log folder '" + options_.dir.string() +
                        "': " + ec.message());
  dir_fd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw EventLogError(Errno("cannot open log folder", options_.dir));

  const std::vector<fs::path> paths = EventLogReader::Segments(options_.dir);
  std::uint64_t expected = 0;  // next lsn; 0 until the first segment says where the log starts
  fs::path append_to;
  std::uint64_t append_size = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const fs::path& path = paths[i];
    const bool last = i + 1 == paths.size();
    SegmentScan scan(path, options_.max_record_bytes);
    if (!scan.header_ok()) {
      if (last && scan.header_torn()) {
        // The crash came while the segment was being created: nothing in it was acked.
        recovery_.truncated = true;
        recovery_.truncated_segment = path;
        recovery_.truncated_offset = 0;
        recovery_.bytes_cut = scan.size();
        recovery_.records_cut = 0;
        recovery_.reason = scan.header_problem();
        fs::remove(path);
        FsyncDir(dir_fd_, options_.dir);
        break;
      }
      throw EventLogError("log segment '" + path.string() + "': " + scan.header_problem());
    }
    if (scan.first_lsn() != LsnOfName(path)) {
      throw EventLogError("log segment '" + path.string() + "' starts at lsn " +
                          std::to_string(scan.first_lsn()) + ", not the lsn its name says");
    }
    if (expected != 0 && scan.first_lsn() != expected) {
      throw EventLogError("log segment '" + path.string() + "' starts at lsn " +
                          std::to_string(scan.first_lsn()) + " but lsn " +
                          std::to_string(expected) + " was expected (a segment is missing)");
    }
    expected = scan.first_lsn();
    ++recovery_.segments;
    LogRecord record;
    for (;;) {
      const SegmentScan::Result r = scan.Next(record);
      if (r == SegmentScan::Result::kEnd) break;
      if (r == SegmentScan::Result::kRecord) {
        if (record.lsn != expected) {
          throw EventLogError("log segment '" + path.string() + "' offset " +
                              std::to_string(scan.offset()) + ": lsn " +
                              std::to_string(record.lsn) + " where " + std::to_string(expected) +
                              " was expected");
        }
        if (visit) visit(record);
        ++recovery_.records;
        recovery_.last_lsn = record.lsn;
        ++expected;
        continue;
      }
      const std::string where =
          "log segment '" + path.string() + "' offset " + std::to_string(scan.offset());
      if (r == SegmentScan::Result::kCorrupt) throw EventLogError(where + ": " + scan.problem());
      if (!last) {
        throw EventLogError(where + ": " + scan.problem() +
                            " in a segment that is not the last; refusing to cut acked records");
      }
      if (scan.IntactFrameFollows()) {
        throw EventLogError(where + ": " + scan.problem() +
                            ", but intact records follow: this is corruption, not a torn tail");
      }
      recovery_.truncated = true;
      recovery_.truncated_segment = path;
      recovery_.truncated_offset = scan.offset();
      recovery_.bytes_cut = scan.size() - scan.offset();
      recovery_.records_cut = scan.FramesFromOffset();
      recovery_.reason = scan.problem();
      if (::truncate(path.c_str(), static_cast<off_t>(scan.offset())) != 0) {
        throw EventLogError(Errno("cannot truncate torn tail of", path));
      }
      break;
    }
    if (last) {
      append_to = path;
      append_size = recovery_.truncated ? recovery_.truncated_offset : scan.size();
    }
  }
  // `expected` is the next lsn; a log whose first segment starts past 1 (older segments archived)
  // or whose segments hold no records yet still continues its numbering.
  last_lsn_ = expected == 0 ? 0 : expected - 1;
  recovery_.last_lsn = last_lsn_;
  durable_lsn_ = last_lsn_;
  if (append_to.empty()) {
    OpenSegment(last_lsn_ + 1);
    front_segment_size_ = kHeaderBytes;
    front_segment_records_ = 0;
  } else {
    fd_ = ::open(append_to.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw EventLogError(Errno("cannot open log segment", append_to));
    if (::lseek(fd_, static_cast<off_t>(append_size), SEEK_SET) < 0) {
      throw EventLogError(Errno("cannot seek in", append_to));
    }
    if (recovery_.truncated && ::fsync(fd_) != 0) {
      throw EventLogError(Errno("cannot fsync", append_to));
    }
    segment_path_ = append_to;
    segments_ = recovery_.segments;
    front_segment_size_ = append_size;
    front_segment_records_ = last_lsn_ + 1 - LsnOfName(append_to);
  }
}

EventLogWriter::~EventLogWriter() {
  if (fd_ >= 0 && !failed_) {
    try {
      Close();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "understudy: event log: %s\n", e.what());
    }
  }
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void EventLogWriter::Fail(const std::string& what) {
  failed_ = true;
  throw EventLogError(Errno(what, segment_path_));
}

void EventLogWriter::OpenSegment(std::uint64_t first_lsn) {
  segment_path_ = options_.dir / SegmentName(first_lsn);
  fd_ = ::open(segment_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) Fail("cannot create log segment");
  char h[kHeaderBytes] = {};
  std::memcpy(h, kMagic, sizeof kMagic);
  PutU32(h + 8, kFormatVersion);
  PutU32(h + 12, kHeaderBytes);
  PutU64(h + 16, first_lsn);
  PutU64(h + 24, static_cast<std::uint64_t>(NowNs()));
  WriteAll(std::string_view(h, kHeaderBytes));
  SyncFile();
  FsyncDir(dir_fd_, options_.dir);
  ++segments_;
}

std::uint64_t EventLogWriter::Append(Direction direction, std::int64_t time_ns,
                                     std::string_view client, std::uint64_t ref,
                                     std::string_view message) {
  if (failed_ || closed_) throw EventLogError("event log is closed or has failed");
  if (pieces_.empty()) pieces_.emplace_back();
  std::string& buffer = pieces_.back().bytes;
  const std::size_t start = buffer.size();
  buffer.append(kFrameBytes, '\0');
  LogRecord r;
  r.lsn = last_lsn_ + 1;
  r.time_ns = time_ns;
  r.direction = direction;
  r.client.assign(client);
  r.ref = ref;
  r.message.assign(message);
  EncodeLogRecordBody(r, buffer);
  const std::size_t length = buffer.size() - start - kFrameBytes;
  if (length > options_.max_record_bytes) {
    buffer.resize(start);
    throw EventLogError("record of " + std::to_string(length) + " bytes exceeds max_record_bytes");
  }
  char* frame = buffer.data() + start;
  PutU32(frame, static_cast<std::uint32_t>(length));
  PutU32(frame + 4, FrameCrc(frame, std::string_view(frame + kFrameBytes, length)));
  const std::size_t frame_size = kFrameBytes + length;
  if (front_segment_records_ > 0 && front_segment_size_ + frame_size > options_.segment_bytes) {
    // Roll: this record starts a new segment, written after the earlier ones are synced.
    LogBatch::Piece next;
    next.new_segment_lsn = r.lsn;
    next.bytes = buffer.substr(start);
    buffer.resize(start);
    pieces_.push_back(std::move(next));
    front_segment_size_ = kHeaderBytes;
    front_segment_records_ = 0;
  }
  front_segment_size_ += frame_size;
  ++front_segment_records_;
  pending_bytes_ += frame_size;
  last_lsn_ = r.lsn;
  return r.lsn;
}

LogBatch EventLogWriter::TakeBatch() {
  LogBatch batch;
  batch.pieces = std::move(pieces_);
  batch.last_lsn = last_lsn_;
  pieces_.clear();
  pending_bytes_ = 0;
  return batch;
}

void EventLogWriter::WriteAll(std::string_view bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail("cannot write log segment");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!bytes.empty()) unsynced_ = true;
}

void EventLogWriter::SyncFile() {
  if (::fdatasync(fd_) != 0) Fail("cannot fdatasync log segment");
  unsynced_ = false;
}

void EventLogWriter::WriteBatch(LogBatch batch, bool sync) {
  if (failed_) throw EventLogError("event log has failed");
  if (fd_ < 0) throw EventLogError("event log is closed");
  for (const LogBatch::Piece& piece : batch.pieces) {
    if (piece.new_segment_lsn != 0) {
      SyncFile();
      ::close(fd_);
      fd_ = -1;
      OpenSegment(piece.new_segment_lsn);
    }
    WriteAll(piece.bytes);
  }
  if (sync) {
    if (unsynced_) SyncFile();
    durable_lsn_ = std::max<std::uint64_t>(durable_lsn_, batch.last_lsn);
  }
}

void EventLogWriter::Commit() { WriteBatch(TakeBatch(), options_.sync); }

void EventLogWriter::Close() {
  if (fd_ < 0) return;
  if (failed_) throw EventLogError("event log has failed");
  closed_ = true;
  WriteBatch(TakeBatch(), true);
  ::close(fd_);
  fd_ = -1;
}

// ---- reader -------------------------------------------------------------------------------------

class EventLogReader::Segment : public SegmentScan {
 public:
  using SegmentScan::SegmentScan;
};

EventLogReader::EventLogReader(const fs::path& dir) : paths_(Segments(dir)) {}

EventLogReader::~EventLogReader() = default;

std::vector<fs::path> EventLogReader::Segments(const fs::path& dir) {
  static const std::regex kName("^[0-9]{20}\\.ulog$");
  std::vector<fs::path> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), kName)) {
      out.push_back(e.path());
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw EventLogError("cannot list log folder '" + dir.string() + "': " + ec.message());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool EventLogReader::Next(LogRecord& record) {
  for (;;) {
    if (!current_) {
      if (next_ >= paths_.size() || torn_) return false;
      const fs::path& path = paths_[next_];
      const bool last = next_ + 1 == paths_.size();
      current_ = std::make_unique<Segment>(path, 0xFFFFFFFFull);
      ++next_;
      if (!current_->header_ok()) {
        if (last && current_->header_torn()) {
          torn_ = true;
          return false;
        }
        throw EventLogError("log segment '" + path.string() + "': " + current_->header_problem());
      }
      if (expected_lsn_ != 0 && current_->first_lsn() != expected_lsn_) {
        throw EventLogError("log segment '" + path.string() + "' starts at lsn " +
                            std::to_string(current_->first_lsn()) + " but " +
                            std::to_string(expected_lsn_) + " was expected");
      }
      expected_lsn_ = current_->first_lsn();
    }
    const bool last = next_ == paths_.size();
    const SegmentScan::Result r = current_->Next(record);
    if (r == SegmentScan::Result::kRecord) {
      if (record.lsn != expected_lsn_) {
        throw EventLogError("log segment '" + paths_[next_ - 1].string() + "': lsn " +
                            std::to_string(record.lsn) + " where " + std::to_string(expected_lsn_) +
                            " was expected");
      }
      ++expected_lsn_;
      return true;
    }
    if (r == SegmentScan::Result::kEnd) {
      current_.reset();
      continue;
    }
    if (r == SegmentScan::Result::kTorn && last && !current_->IntactFrameFollows()) {
      torn_ = true;
      current_.reset();
      return false;
    }
    throw EventLogError("log segment '" + paths_[next_ - 1].string() + "' offset " +
                        std::to_string(current_->offset()) + ": " + current_->problem());
  }
}

}  // namespace understudy
