#include "agent/model_registry.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>
#include <utility>

#include "agent/registry_json.h"
#include "agent/stable_hash.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormat = 1;
constexpr const char* kIndexFile = "registry.json";
constexpr const char* kMetaFile = "meta.json";
constexpr const char* kCheckpointFile = "checkpoint.bin";
constexpr const char* kLockFile = ".lock";
constexpr const char* kTempPrefix = ".tmp-";

[[noreturn]] void Fail(const std::string& what, const fs::path& path, int err) {
  throw RegistryError(what + " " + path.string() + ": " + std::strerror(err));
}

/** Owns a file descriptor. */
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void FsyncPath(const fs::path& path, bool directory) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0)));
  if (fd.get() < 0) Fail("cannot open", path, errno);
  if (::fsync(fd.get()) != 0) Fail("cannot fsync", path, errno);
}

void WriteDurably(const fs::path& path, const std::string& bytes) {
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) Fail("cannot create", path, errno);
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t written = ::write(fd.get(), p, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      Fail("cannot write", path, errno);
    }
    p += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(fd.get()) != 0) Fail("cannot fsync", path, errno);
}

// A reader sees the old or the new content, never a mix; after return both the content and
// the rename are on disk.
void ReplaceDurably(const fs::path& path, const std::string& bytes) {
  fs::path tmp = path;
  tmp += ".tmp";
  WriteDurably(tmp, bytes);
  if (::rename(tmp.c_str(), path.c_str()) != 0) Fail("cannot rename onto", path, errno);
  FsyncPath(path.parent_path(), true);
}

/** An exclusive flock on a file, held for the object's lifetime (closing releases it). */
class FileLock {
 public:
  explicit FileLock(const fs::path& file)
      : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_.get() < 0) Fail("cannot open lock file", file, errno);
    while (::flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) Fail("cannot lock", file, errno);
    }
  }

 private:
  Fd fd_;
};

/** Removes a folder on scope exit unless disarmed. */
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  ~TempDir() {
    if (armed_) {
      std::error_code ignored;  // best effort: a leftover is removed on the next open
      fs::remove_all(path_, ignored);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  void Disarm() { armed_ = false; }

 private:
  fs::path path_;
  bool armed_ = true;
};

struct Digest {
  std::uint64_t bytes = 0;
  std::uint64_t fnv = 0;
};

Digest DigestFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RegistryError("cannot read checkpoint " + path.string());
  Digest d{0, Fnv1a64({})};
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    d.fnv = Fnv1a64(std::string_view(buf.data(), static_cast<std::size_t>(got)), d.fnv);
    d.bytes += static_cast<std::uint64_t>(got);
  }
  if (in.bad()) throw RegistryError("error reading checkpoint " + path.string());
  return d;
}

json OptionalId(const std::optional<std::uint64_t>& id) { return id ? json(*id) : json(nullptr); }

std::string Hex(std::uint64_t v) {
  std::ostringstream os;
  os << std::hex << std::setw(16) << std::setfill('0') << v;
  return os.str();
}

/** Why `checkpoint` is not the file `m` describes, or nullopt when size and digest match. */
std::optional<std::string> DigestMismatch(const ModelMeta& m, const fs::path& checkpoint) {
  const Digest digest = DigestFile(checkpoint);
  if (digest.bytes == m.checkpoint_bytes && digest.fnv == m.checkpoint_fnv1a64) {
    return std::nullopt;
  }
  return checkpoint.string() + " has " + std::to_string(digest.bytes) + " bytes, digest " +
         Hex(digest.fnv) + "; meta.json recorded " + std::to_string(m.checkpoint_bytes) +
         " bytes, digest " + Hex(m.checkpoint_fnv1a64);
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw RegistryError("cannot read " + path.string());
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw RegistryError(path.string() + ": invalid JSON: " + e.what());
  }
}

/** The id of a version folder name "v<digits>", or nullopt for anything else. */
std::optional<std::uint64_t> DirId(const std::string& name) {
  if (name.size() < 2 || name[0] != 'v') return std::nullopt;
  try {
    return ModelRegistry::ParseId(name);
  } catch (const std::invalid_argument&) {
    return std::nullopt;  // not a version folder; ignored like any other file
  }
}

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* ToString(RegistryAction action) {
  switch (action) {
    case RegistryAction::kRegister:
      return "register";
    case RegistryAction::kPromote:
      return "promote";
    case RegistryAction::kRollback:
      return "rollback";
  }
  return "unknown";
}

std::string ModelRegistry::DirName(std::uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "v%06llu", static_cast<unsigned long long>(id));
  return buf;
}

std::uint64_t ModelRegistry::ParseId(const std::string& text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == 'v') digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 19 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    throw std::invalid_argument("model id \"" + text + "\": expected a number like 7 or v000007");
  }
  const std::uint64_t id = std::stoull(std::string(digits));
  if (id == 0) throw std::invalid_argument("model id \"" + text + "\": ids start at 1");
  return id;
}

ModelRegistry::ModelRegistry(std::filesystem::path root, RegistryOpen open, Clock clock)
    : root_(std::move(root)), clock_(clock ? std::move(clock) : Clock(SystemNowMs)) {
  std::error_code ec;
  const bool exists = fs::exists(root_, ec);
  if (!exists) {
    if (open == RegistryOpen::kMustExist) {
      throw RegistryError("no model registry at " + root_.string() + " (no such folder)");
    }
    fs::create_directories(root_, ec);
    if (ec) throw RegistryError("cannot create " + root_.string() + ": " + ec.message());
  } else if (!fs::is_directory(root_, ec)) {
    throw RegistryError("model registry " + root_.string() + " is not a folder");
  }
  if (open == RegistryOpen::kMustExist && !fs::exists(root_ / kIndexFile, ec)) {
    throw RegistryError("no model registry at " + root_.string() + " (" + kIndexFile + " missing)");
  }
  const FileLock lock(root_ / kLockFile);
  // Leftovers of a writer that died mid-Register; no writer is active while we hold the lock.
  for (const auto& entry : fs::directory_iterator(root_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kTempPrefix, 0) == 0) fs::remove_all(entry.path());
  }
  state_ = LoadState();
  if (!fs::exists(root_ / kIndexFile)) WriteIndex(state_);
}

ModelRegistry::State ModelRegistry::LoadState() const {
  State s;
  const fs::path index = root_ / kIndexFile;
  if (fs::exists(index)) {
    const json j = ReadJson(index);
    try {
      const int format = j.at("format").get<int>();
      if (format != kFormat) {
        throw RegistryError(index.string() + ": format " + std::to_string(format) +
                            " is not supported (expected " + std::to_string(kFormat) + ")");
      }
      const json& serving = j.at("serving");
      if (!serving.is_null()) s.serving = serving.get<std::uint64_t>();
      s.next_id = j.at("next_id").get<std::uint64_t>();
      for (const json& e : j.at("history")) s.history.push_back(e.get<RegistryEvent>());
    } catch (const json::exception& e) {
      throw RegistryError(index.string() + ": " + e.what());
    } catch (const std::invalid_argument& e) {
      throw RegistryError(index.string() + ": " + e.what());
    }
  }
  for (const auto& entry : fs::directory_iterator(root_)) {
    if (!entry.is_directory()) continue;
    const std::optional<std::uint64_t> id = DirId(entry.path().filename().string());
    if (!id) continue;
    const fs::path meta_file = entry.path() / kMetaFile;
    const json j = ReadJson(meta_file);
    ModelMeta m;
    try {
      m = j.get<ModelMeta>();
    } catch (const std::invalid_argument& e) {
      throw RegistryError(meta_file.string() + ": " + e.what());
    }
    if (m.id != *id) {
      throw RegistryError(meta_file.string() + ": id " + std::to_string(m.id) +
                          " does not match its folder " + DirName(*id));
    }
    s.models.push_back(std::move(m));
  }
  std::sort(s.models.begin(), s.models.end(),
            [](const ModelMeta& a, const ModelMeta& b) { return a.id < b.id; });
  // A crash between the folder's rename and the index write leaves next_id behind: ids are
  // never reused, so the folders win.
  if (!s.models.empty()) s.next_id = std::max(s.next_id, s.models.back().id + 1);
  if (s.serving && FindIn(s, *s.serving) == nullptr) {
    throw RegistryError(index.string() + ": serves " + DirName(*s.serving) + " but " +
                        (root_ / DirName(*s.serving)).string() + " is missing");
  }
  return s;
}

void ModelRegistry::WriteIndex(const State& s) const {
  json history = json::array();
  for (const RegistryEvent& e : s.history) history.push_back(e);
  const json j{{"format", kFormat},
               {"serving", OptionalId(s.serving)},
               {"next_id", s.next_id},
               {"history", history}};
  ReplaceDurably(root_ / kIndexFile, j.dump(2) + "\n");
}

const ModelMeta* ModelRegistry::FindIn(const State& s, std::uint64_t id) const {
  const auto it = std::lower_bound(s.models.begin(), s.models.end(), id,
                                   [](const ModelMeta& m, std::uint64_t v) { return m.id < v; });
  return it != s.models.end() && it->id == id ? &*it : nullptr;
}

std::string ModelRegistry::UnknownId(const State& s, std::uint64_t id) const {
  std::string msg = "unknown model id " + std::to_string(id) + " in " + root_.string();
  if (s.models.empty()) return msg + " (no versions registered)";
  msg += " (registered: " + DirName(s.models.front().id);
  if (s.models.size() > 1) msg += " .. " + DirName(s.models.back().id);
  return msg + ", " + std::to_string(s.models.size()) + " versions)";
}

ModelMeta ModelRegistry::Register(const ModelDraft& draft, const CheckpointWriter& write) {
  if (!write) throw std::invalid_argument("ModelRegistry::Register: no checkpoint writer");
  if (draft.held_out && !std::isfinite(draft.held_out->mean)) {
    throw std::invalid_argument("ModelDraft.held_out.mean is not finite");
  }
  std::lock_guard<std::mutex> guard(mu_);
  const FileLock lock(root_ / kLockFile);
  State s = LoadState();
  if (draft.parent && FindIn(s, *draft.parent) == nullptr) {
    throw RegistryError("parent: " + UnknownId(s, *draft.parent));
  }
  const std::uint64_t id = s.next_id;
  const fs::path tmp = root_ / (kTempPrefix + DirName(id));
  const fs::path dir = root_ / DirName(id);
  if (fs::exists(dir))
    throw RegistryError(dir.string() + " exists but id " + std::to_string(id) + " was free");
  fs::remove_all(tmp);
  fs::create_directory(tmp);
  TempDir cleanup(tmp);

  const fs::path checkpoint = tmp / kCheckpointFile;
  write(checkpoint);
  if (!fs::is_regular_file(checkpoint)) {
    throw RegistryError("the checkpoint writer did not create " + checkpoint.string());
  }
  FsyncPath(checkpoint, false);
  const Digest digest = DigestFile(checkpoint);

  ModelMeta m;
  m.id = id;
  m.parent = draft.parent;
  m.created_unix_ms = clock_();
  m.held_out = draft.held_out;
  m.examples_seen = draft.examples_seen;
  m.updates = draft.updates;
  m.note = draft.note;
  m.checkpoint_bytes = digest.bytes;
  m.checkpoint_fnv1a64 = digest.fnv;
  WriteDurably(tmp / kMetaFile, json(m).dump(2) + "\n");
  FsyncPath(tmp, true);
  if (::rename(tmp.c_str(), dir.c_str()) != 0) Fail("cannot rename onto", dir, errno);
  cleanup.Disarm();
  FsyncPath(root_, true);

  s.models.push_back(m);
  s.next_id = id + 1;
  s.history.push_back(RegistryEvent{s.history.size() + 1, m.created_unix_ms,
                                    RegistryAction::kRegister, id, std::nullopt, draft.note});
  WriteIndex(s);
  state_ = std::move(s);
  return m;
}

void ModelRegistry::Promote(std::uint64_t id, const std::string& note) {
  Serve(id, RegistryAction::kPromote, note);
}

std::optional<std::uint64_t> ModelRegistry::Rollback(std::uint64_t id, const std::string& note) {
  return Serve(id, RegistryAction::kRollback, note);
}

std::optional<std::uint64_t> ModelRegistry::Serve(std::uint64_t id, RegistryAction action,
                                                  const std::string& note) {
  std::lock_guard<std::mutex> guard(mu_);
  const FileLock lock(root_ / kLockFile);
  State s = LoadState();
  const ModelMeta* m = FindIn(s, id);
  if (m == nullptr) throw RegistryError(UnknownId(s, id));
  if (auto bad = DigestMismatch(*m, root_ / DirName(id) / kCheckpointFile)) {
    throw RegistryError("refusing to serve " + DirName(id) + ": " + *bad);
  }
  const std::optional<std::uint64_t> previous = s.serving;
  s.serving = id;
  s.history.push_back(RegistryEvent{s.history.size() + 1, clock_(), action, id, previous, note});
  WriteIndex(s);
  state_ = std::move(s);
  return previous;
}

std::optional<std::uint64_t> ModelRegistry::serving() const {
  std::lock_guard<std::mutex> guard(mu_);
  return state_.serving;
}

std::uint64_t ModelRegistry::next_id() const {
  std::lock_guard<std::mutex> guard(mu_);
  return state_.next_id;
}

std::vector<ModelMeta> ModelRegistry::List() const {
  std::lock_guard<std::mutex> guard(mu_);
  return state_.models;
}

std::optional<ModelMeta> ModelRegistry::Find(std::uint64_t id) const {
  std::lock_guard<std::mutex> guard(mu_);
  const ModelMeta* m = FindIn(state_, id);
  return m ? std::optional<ModelMeta>(*m) : std::nullopt;
}

ModelMeta ModelRegistry::Get(std::uint64_t id) const {
  std::lock_guard<std::mutex> guard(mu_);
  const ModelMeta* m = FindIn(state_, id);
  if (m == nullptr) throw RegistryError(UnknownId(state_, id));
  return *m;
}

std::vector<RegistryEvent> ModelRegistry::History() const {
  std::lock_guard<std::mutex> guard(mu_);
  return state_.history;
}

std::filesystem::path ModelRegistry::CheckpointPath(std::uint64_t id) const {
  return root_ / DirName(Get(id).id) / kCheckpointFile;
}

void ModelRegistry::VerifyCheckpoint(std::uint64_t id) const {
  const ModelMeta m = Get(id);
  if (auto bad = DigestMismatch(m, root_ / DirName(id) / kCheckpointFile)) {
    throw RegistryError(*bad);
  }
}

void ModelRegistry::Reload() {
  std::lock_guard<std::mutex> guard(mu_);
  State s = LoadState();
  state_ = std::move(s);
}

}  // namespace understudy
