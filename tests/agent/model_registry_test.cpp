#include "agent/model_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace understudy {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::string bytes(fs::file_size(path), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

ModelRegistry::CheckpointWriter WriteBytes(std::string bytes) {
  return [bytes = std::move(bytes)](const fs::path& file) {
    std::ofstream out(file, std::ios::binary);
    out << bytes;
  };
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("understudy-registry-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // A fixed clock so history times are checkable.
  ModelRegistry Open(RegistryOpen open = RegistryOpen::kCreateIfMissing) {
    return ModelRegistry(root_, open, [this] { return now_ += 1000; });
  }

  fs::path root_;
  std::int64_t now_ = 1'700'000'000'000;
};

TEST_F(ModelRegistryTest, RegistersVersionsWithMonotonicIdsAndMetadata) {
  ModelRegistry reg = Open();
  EXPECT_FALSE(reg.serving());
  EXPECT_EQ(reg.next_id(), 1u);
  ModelDraft draft;
  draft.note = "initial";
  const ModelMeta a = reg.Register(draft, WriteBytes("weights-a"));
  draft.parent = a.id;
  draft.held_out = HeldOutScore{0.81, 240, 0xabcdef};
  draft.examples_seen = 1200;
  draft.updates = 300;
  draft.note = "after 1200 examples";
  const ModelMeta b = reg.Register(draft, WriteBytes("weights-bb"));
  EXPECT_EQ(a.id, 1u);
  EXPECT_EQ(b.id, 2u);
  EXPECT_EQ(b.parent, std::optional<std::uint64_t>(1));
  EXPECT_EQ(b.checkpoint_bytes, 10u);
  EXPECT_EQ(ReadFile(reg.CheckpointPath(2)), "weights-bb");
  EXPECT_TRUE(fs::exists(root_ / "v000002" / "meta.json"));
  EXPECT_TRUE(fs::exists(root_ / "registry.json"));
  EXPECT_FALSE(reg.serving());  // registering does not serve

  const std::vector<ModelMeta> all = reg.List();
  ASSERT_EQ(all.size(), 2u);
  ASSERT_TRUE(all[1].held_out);
  EXPECT_DOUBLE_EQ(all[1].held_out->mean, 0.81);
  EXPECT_EQ(all[1].held_out->n, 240u);
  EXPECT_EQ(all[1].held_out->pool_fingerprint, 0xabcdefu);
  EXPECT_EQ(all[1].examples_seen, 1200u);
  EXPECT_EQ(all[1].updates, 300u);
  EXPECT_EQ(all[1].note, "after 1200 examples");
}

TEST_F(ModelRegistryTest, RollbackKeepsHistoryAndNeverReusesIds) {
  {
    ModelRegistry reg = Open();
    for (int i = 0; i < 3; ++i) reg.Register({}, WriteBytes("w" + std::to_string(i)));
    reg.Promote(1, "first");
    reg.Promote(3, "won on held-out");
    EXPECT_EQ(reg.Rollback(2, "v3 misbehaves"), std::optional<std::uint64_t>(3));
    EXPECT_EQ(reg.serving(), std::optional<std::uint64_t>(2));
    EXPECT_EQ(reg.Register({}, WriteBytes("w3")).id, 4u);         // not 3, not reused
    EXPECT_EQ(reg.Rollback(3), std::optional<std::uint64_t>(2));  // forward again is allowed
  }
  // Reload after a restart: everything survives.
  ModelRegistry reg = Open(RegistryOpen::kMustExist);
  EXPECT_EQ(reg.serving(), std::optional<std::uint64_t>(3));
  EXPECT_EQ(reg.List().size(), 4u);
  EXPECT_EQ(reg.next_id(), 5u);
  const std::vector<RegistryEvent> h = reg.History();
  ASSERT_EQ(h.size(), 8u);
  const RegistryAction expected[] = {RegistryAction::kRegister, RegistryAction::kRegister,
                                     RegistryAction::kRegister, RegistryAction::kPromote,
                                     RegistryAction::kPromote,  RegistryAction::kRollback,
                                     RegistryAction::kRegister, RegistryAction::kRollback};
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i].seq, i + 1);
    EXPECT_EQ(h[i].action, expected[i]) << i;
  }
  EXPECT_EQ(h[5].id, 2u);
  EXPECT_EQ(h[5].previous_serving, std::optional<std::uint64_t>(3));
  EXPECT_EQ(h[5].note, "v3 misbehaves");
  EXPECT_LT(h[4].at_unix_ms, h[5].at_unix_ms);
}

TEST_F(ModelRegistryTest, UnknownIdsAreClearErrors) {
  ModelRegistry reg = Open();
  reg.Register({}, WriteBytes("a"));
  reg.Promote(1);
  try {
    reg.Rollback(7);
    ADD_FAILURE() << "rolled back to an unknown id";
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown model id 7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("v000001"), std::string::npos) << e.what();
  }
  EXPECT_EQ(reg.serving(), std::optional<std::uint64_t>(1));
  EXPECT_EQ(reg.History().size(), 2u);  // the failed rollback recorded nothing
  EXPECT_THROW(reg.Get(9), RegistryError);
  EXPECT_FALSE(reg.Find(9));
  ModelDraft orphan;
  orphan.parent = 5;
  EXPECT_THROW(reg.Register(orphan, WriteBytes("x")), RegistryError);
}

TEST_F(ModelRegistryTest, RefusesToServeACorruptCheckpoint) {
  ModelRegistry reg = Open();
  reg.Register({}, WriteBytes("good"));
  reg.Register({}, WriteBytes("also good"));
  reg.Promote(2);
  reg.VerifyCheckpoint(1);
  {
    std::ofstream out(reg.CheckpointPath(1), std::ios::binary | std::ios::trunc);
    out << "gooX";  // same size, different bytes
  }
  EXPECT_THROW(reg.VerifyCheckpoint(1), RegistryError);
  try {
    reg.Rollback(1);
    ADD_FAILURE();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("refusing to serve v000001"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(reg.serving(), std::optional<std::uint64_t>(2));
}

TEST_F(ModelRegistryTest, AFailedWriterLeavesNoVersion) {
  ModelRegistry reg = Open();
  EXPECT_THROW(reg.Register({}, [](const fs::path&) { throw std::runtime_error("disk full"); }),
               std::runtime_error);
  EXPECT_THROW(reg.Register({}, [](const fs::path&) {}), RegistryError);  // wrote nothing
  EXPECT_TRUE(reg.List().empty());
  for (const auto& entry : fs::directory_iterator(root_)) {
    EXPECT_EQ(entry.path().filename().string().rfind(".tmp-", 0), std::string::npos)
        << entry.path();
  }
  EXPECT_EQ(reg.Register({}, WriteBytes("ok")).id, 1u);
}

TEST_F(ModelRegistryTest, RecoversFromACrashMidRegister) {
  {
    ModelRegistry reg = Open();
    reg.Register({}, WriteBytes("a"));
    reg.Promote(1);
  }
  // A writer died after renaming v000002 into place but before updating registry.json, and
  // another while its temporary folder was half written.
  fs::copy(root_ / "v000001", root_ / "v000002", fs::copy_options::recursive);
  {
    std::string meta = ReadFile(root_ / "v000002" / "meta.json");
    meta.replace(meta.find("\"id\": 1"), 7, "\"id\": 2");
    std::ofstream(root_ / "v000002" / "meta.json") << meta;
  }
  fs::create_directory(root_ / ".tmp-v000003");
  std::ofstream(root_ / ".tmp-v000003" / "checkpoint.bin") << "partial";

  ModelRegistry reg = Open(RegistryOpen::kMustExist);
  EXPECT_FALSE(fs::exists(root_ / ".tmp-v000003"));
  EXPECT_EQ(reg.List().size(), 2u);
  EXPECT_EQ(reg.next_id(), 3u);  // v000002's id is not handed out again
  EXPECT_EQ(reg.Register({}, WriteBytes("c")).id, 3u);
  EXPECT_EQ(reg.serving(), std::optional<std::uint64_t>(1));
}

TEST_F(ModelRegistryTest, OpeningChecksWhatIsOnDisk) {
  EXPECT_THROW(Open(RegistryOpen::kMustExist), RegistryError);
  fs::create_directories(root_);
  EXPECT_THROW(Open(RegistryOpen::kMustExist), RegistryError);  // no registry.json
  {
    ModelRegistry reg = Open();
    reg.Register({}, WriteBytes("a"));
    reg.Promote(1);
  }
  fs::remove_all(root_ / "v000001");
  try {
    Open();
    ADD_FAILURE();
  } catch (const RegistryError& e) {
    EXPECT_NE(std::string(e.what()).find("serves v000001"), std::string::npos) << e.what();
  }
  std::ofstream(root_ / "registry.json") << "{ not json";
  EXPECT_THROW(Open(), RegistryError);
}

TEST_F(ModelRegistryTest, TwoHandlesOnOneFolderSeeEachOthersChanges) {
  ModelRegistry server = Open();
  ModelRegistry cli = Open(RegistryOpen::kMustExist);
  server.Register({}, WriteBytes("a"));
  cli.Register({}, WriteBytes("b"));  // re-reads under the lock: takes id 2, not 1
  EXPECT_EQ(cli.List().size(), 2u);
  server.Promote(2);
  EXPECT_FALSE(cli.serving());  // a handle's view changes on Reload or on its own writes
  cli.Reload();
  EXPECT_EQ(cli.serving(), std::optional<std::uint64_t>(2));
  EXPECT_EQ(cli.Rollback(1), std::optional<std::uint64_t>(2));
  server.Reload();
  EXPECT_EQ(server.serving(), std::optional<std::uint64_t>(1));
  EXPECT_EQ(server.History().size(), 4u);
}

TEST(ModelRegistryIds, FormatAndParse) {
  EXPECT_EQ(ModelRegistry::DirName(7), "v000007");
  EXPECT_EQ(ModelRegistry::DirName(1234567), "v1234567");
  EXPECT_EQ(ModelRegistry::ParseId("7"), 7u);
  EXPECT_EQ(ModelRegistry::ParseId("v000007"), 7u);
  for (const char* bad : {"", "v", "0", "v0", "-1", "7a", "x7", "99999999999999999999"}) {
    EXPECT_THROW(ModelRegistry::ParseId(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace understudy
