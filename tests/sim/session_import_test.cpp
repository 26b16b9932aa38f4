#include "sim/session_import.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <variant>

#include "env/importer.h"
#include "rewards/clicks.h"
#include "rewards/iou.h"
#include "sim/session.h"
#include "tests/sim/sim_test_util.h"
#include "tests/support/shared_data.h"
#include "tests/transport/temp_dir.h"
#include "transport/event_log.h"

namespace understudy {
namespace {

using testing::ImportTiny;
using testing::TempDir;
using testing::TinySynthetic;

std::string ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every record as written (segment headers carry their creation time, so files differ).
std::string LogRecords(const std::filesystem::path& dir) {
  std::string all;
  EventLogReader reader(dir);
  LogRecord r;
  while (reader.Next(r)) {
    all += std::to_string(r.lsn) + "|" + std::to_string(r.time_ns) + "|" + r.client + "|" +
           r.message + "\n";
  }
  return all;
}

std::size_t UsableInstances(const Dataset& d) {
  std::size_t n = 0;
  for (const AssetRecord& a : d.assets) {
    for (const AnnotatedInstance& i : a.instances) n += i.crowd ? 0 : 1;
  }
  return n;
}

// Dataset -> session -> events: counts, order, geometry and timings survive the round trip.
TEST(SessionImport, SyntheticRoundTrip) {
  TempDir tmp;
  const Dataset d = TinySynthetic(8);
  ImportSessionOptions o;
  o.seed = 7;
  o.project = "synth";
  o.box_jitter = 0.0;       // tight boxes: checkable exactly
  o.draw_time_sigma = 0.0;  // modelled times exactly
  o.source = "synthetic:test";
  const SessionManifest m = ImportSession(d, tmp.path() / "s", o);
  EXPECT_EQ(m.kind, "imported");
  EXPECT_EQ(m.timings, "modelled");
  EXPECT_EQ(m.assets, d.assets.size());
  EXPECT_EQ(m.prompts, UsableInstances(d));

  const Session s = LoadSession(tmp.path() / "s");
  EXPECT_EQ(s.manifest.kind, "imported");  // read back from session.json
  EXPECT_EQ(s.manifest.prompts, m.prompts);
  EXPECT_EQ(s.report.rejected, 0u);
  std::map<std::string, const AssetRecord*> by_id;
  for (const AssetRecord& a : d.assets) by_id[a.id] = &a;

  const EffortModel effort;
  std::size_t assets = 0, prompts = 0, annotations = 0;
  std::map<std::string, Box> boxes;
  std::map<std::string, double> prompt_ts;
  double last_ts = -1.0;
  std::string current_asset;
  for (const SessionEvent& e : s.events) {
    EXPECT_EQ(e.project, "synth");
    EXPECT_GE(e.ts, last_ts) << "the session clock never goes back";
    last_ts = e.ts;
    const Message msg = Decode(e.bytes, SessionDecodeLimits());
    if (const auto* a = std::get_if<AssetEvent>(&msg.body)) {
      ++assets;
      current_asset = a->asset;
      ASSERT_TRUE(by_id.count(a->asset));
      EXPECT_EQ(a->width, by_id[a->asset]->width);
      EXPECT_EQ(a->image, by_id[a->asset]->data) << "synthetic images travel inline";
      EXPECT_TRUE(a->uri.empty());
    } else if (const auto* p = std::get_if<PromptEvent>(&msg.body)) {
      ++prompts;
      EXPECT_EQ(p->asset, current_asset) << "an asset's events stay together";
      boxes[p->asset + "/" + p->prompt_id] = p->prompt.box;
      prompt_ts[p->asset + "/" + p->prompt_id] = p->meta.ts;
    } else if (const auto* n = std::get_if<AnnotationEvent>(&msg.body)) {
      ++annotations;
      const std::string key = n->asset + "/" + n->prompt_id;
      ASSERT_TRUE(boxes.count(key)) << "an annotation follows its prompt";
      ASSERT_EQ(n->instances.size(), 1u);
      const std::size_t j = std::stoul(n->prompt_id.substr(1));
      const Instance& original = by_id[n->asset]->instances[j].shape;
      EXPECT_NEAR(ExactIou(n->instances[0].shape, original), 1.0, 1e-9);
      EXPECT_EQ(ClicksToDraw(n->instances[0].shape), ClicksToDraw(original));
      const Bounds b = BoundsOf(original);
      EXPECT_DOUBLE_EQ(boxes[key].x0, b.x0);
      EXPECT_DOUBLE_EQ(boxes[key].y1, b.y1);
      EXPECT_NEAR(n->draw_seconds, effort.DrawSeconds(ClicksToDraw(original)), 1e-9);
      EXPECT_NEAR(n->meta.ts - prompt_ts[key], n->draw_seconds, 1e-6);
      EXPECT_EQ(n->complete, j + 1 == by_id[n->asset]->instances.size());
    }
  }
  EXPECT_EQ(assets, d.assets.size());
  EXPECT_EQ(prompts, UsableInstances(d));
  EXPECT_EQ(annotations, prompts);
  EXPECT_GT(s.DurationSeconds(), 60.0 * static_cast<double>(prompts) / 2);
}

TEST(SessionImport, SameSeedSameBytesOtherSeedOtherOrder) {
  TempDir tmp;
  const Dataset d = TinySynthetic(8);
  ImportTiny(d, tmp.path() / "a", 5);
  ImportTiny(d, tmp.path() / "b", 5);
  ImportTiny(d, tmp.path() / "c", 6);
  EXPECT_EQ(LogRecords(tmp.path() / "a"), LogRecords(tmp.path() / "b"));
  EXPECT_EQ(ReadBytes(tmp.path() / "a" / "session.json"),
            ReadBytes(tmp.path() / "b" / "session.json"));
  auto order = [](const std::filesystem::path& dir) {
    std::vector<std::string> ids;
    for (const SessionEvent& e : LoadSession(dir).events) {
      if (e.type == MessageType::kAsset) ids.push_back(e.asset);
    }
    return ids;
  };
  const auto a = order(tmp.path() / "a"), c = order(tmp.path() / "c");
  EXPECT_NE(a, c);
  EXPECT_TRUE(std::is_permutation(a.begin(), a.end(), c.begin(), c.end()));
}

TEST(SessionImport, JitterMovesBoxesAndTimesVaryAroundTheModel) {
  TempDir tmp;
  const Dataset d = TinySynthetic(8);
  ImportTiny(d, tmp.path() / "s");  // defaults: jitter 0.05, sigma 0.25
  const Session s = LoadSession(tmp.path() / "s");
  std::size_t moved = 0, prompts = 0, differ = 0;
  const EffortModel effort;
  for (const SessionEvent& e : s.events) {
    const Message msg = Decode(e.bytes, SessionDecodeLimits());
    if (const auto* p = std::get_if<PromptEvent>(&msg.body)) {
      ++prompts;
      EXPECT_LT(p->prompt.box.x0, p->prompt.box.x1);
      EXPECT_LT(p->prompt.box.y0, p->prompt.box.y1);
      EXPECT_GE(p->prompt.box.x0, 0.0);
      EXPECT_LE(p->prompt.box.x1, 160.0);
      for (const AssetRecord& a : d.assets) {
        if (a.id != p->asset) continue;
        const Bounds b = BoundsOf(a.instances[std::stoul(p->prompt_id.substr(1))].shape);
        if (std::abs(b.x0 - p->prompt.box.x0) > 1e-9) ++moved;
      }
    }
    if (const auto* n = std::get_if<AnnotationEvent>(&msg.body)) {
      const double model = effort.DrawSeconds(ClicksToDraw(n->instances[0].shape));
      EXPECT_GT(n->draw_seconds, 0.2 * model);
      EXPECT_LT(n->draw_seconds, 5.0 * model);
      if (std::abs(n->draw_seconds - model) > 1e-6) ++differ;
    }
  }
  EXPECT_GT(moved, prompts / 2);
  EXPECT_GT(differ, prompts / 2);
}

TEST(SessionImport, CrowdsAreSkippedAndCountedAndLimitCuts) {
  TempDir tmp;
  Dataset d = TinySynthetic(6);
  d.assets[0].instances[0].crowd = true;
  const std::size_t usable = UsableInstances(d);
  ImportSessionOptions o;
  o.project = "p";
  const SessionManifest m = ImportSession(d, tmp.path() / "s", o);
  EXPECT_EQ(m.prompts, usable);
  EXPECT_EQ(m.notes.at("crowd_skipped"), "1");

  o.limit = 3;
  const SessionManifest limited = ImportSession(d, tmp.path() / "l", o);
  EXPECT_EQ(limited.prompts, 3u);
  const Session s = LoadSession(tmp.path() / "l");
  std::size_t annotations = 0;
  bool last_complete = false;
  for (const SessionEvent& e : s.events) {
    if (e.type != MessageType::kAnnotation) continue;
    ++annotations;
    last_complete = std::get<AnnotationEvent>(Decode(e.bytes, DecodeLimits{}).body).complete;
  }
  EXPECT_EQ(annotations, 3u);
  EXPECT_TRUE(last_complete) << "a cut asset is still closed";
}

TEST(SessionImport, RejectsBadOptionsAndNonEmptyFolders) {
  TempDir tmp;
  const Dataset d = TinySynthetic(2);
  ImportSessionOptions o;
  o.project = "bad/name";
  EXPECT_THROW(ImportSession(d, tmp.path() / "x", o), std::invalid_argument);
  o.project = "ok";
  o.box_jitter = 0.9;
  EXPECT_THROW(ImportSession(d, tmp.path() / "y", o), std::invalid_argument);
  o.box_jitter = 0.05;
  ImportSession(d, tmp.path() / "z", o);
  EXPECT_THROW(ImportSession(d, tmp.path() / "z", o), std::runtime_error);
}

TEST(SessionImport, MergeInterleavesAndKeepsEachStreamsOrder) {
  TempDir tmp;
  ImportTiny(TinySynthetic(5, 1), tmp.path() / "a", 1, "alpha");
  ImportTiny(TinySynthetic(5, 2), tmp.path() / "b", 1, "beta");
  const SessionManifest m =
      MergeSessions({tmp.path() / "a", tmp.path() / "b"}, tmp.path() / "m", 9);
  EXPECT_EQ(m.kind, "merged");
  EXPECT_EQ(m.timings, "modelled");
  const Session a = LoadSession(tmp.path() / "a"), b = LoadSession(tmp.path() / "b");
  const Session merged = LoadSession(tmp.path() / "m");
  ASSERT_EQ(merged.events.size(), a.events.size() + b.events.size());
  std::map<std::string, std::vector<std::string>> streams;
  double last = -1;
  bool interleaved = false;
  std::string previous_project;
  std::size_t switches = 0;
  for (const SessionEvent& e : merged.events) {
    streams[e.project].push_back(e.asset + "/" + e.prompt + "/" + ToString(e.type));
    EXPECT_GE(e.ts, last);
    last = e.ts;
    if (!previous_project.empty() && e.project != previous_project) ++switches;
    previous_project = e.project;
  }
  interleaved = switches > 1;
  EXPECT_TRUE(interleaved);
  for (const Session* s : {&a, &b}) {
    std::vector<std::string> own;
    for (const SessionEvent& e : s->events) {
      own.push_back(e.asset + "/" + e.prompt + "/" + ToString(e.type));
    }
    EXPECT_EQ(streams[s->events.front().project], own);
  }
  EXPECT_NEAR(merged.DurationSeconds(), a.DurationSeconds() + b.DurationSeconds(), 1e-3);
  // The same asset in two inputs is refused.
  EXPECT_THROW(MergeSessions({tmp.path() / "a", tmp.path() / "a"}, tmp.path() / "n", 1),
               std::invalid_argument);
}

TEST(SessionLoad, ARecordedLogWithoutManifestHasRealTimings) {
  TempDir tmp;
  {
    EventLogOptions o;
    o.dir = tmp.path();
    EventLogWriter log(o);
    AssetEvent a;
    a.meta.id = "1";
    a.meta.project = "p";
    a.meta.ts = 100.0;
    a.asset = "img";
    a.width = 10;
    a.height = 10;
    log.Append(Direction::kIn, 1, "client", 0, EncodeEvent(a));
    Message query;  // valid msgpack, but not an event: a recording cannot hold it
    query.header.id = "2";
    query.header.project = "p";
    query.body = StatusQuery{"summary", 0};
    log.Append(Direction::kIn, 2, "client", 0, Encode(query));
    SuggestionRecord s;
    s.suggestion.id = "s1";
    s.suggestion.project = "p";
    s.suggestion.asset = "img";
    s.suggestion.prompt_id = "q";
    s.suggestion.shape = MakeInstance({{0, 0}, {4, 0}, {4, 4}});
    log.Append(Direction::kOut, 3, "", 1, EncodeSuggestion(s, 100.0));
    log.Close();
  }
  const Session s = LoadSession(tmp.path());
  EXPECT_EQ(s.manifest.kind, "recorded");
  EXPECT_EQ(s.manifest.timings, "real");
  EXPECT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.report.rejected, 1u);
  EXPECT_EQ(s.report.out_records, 1u);
  ASSERT_EQ(s.report.problems.size(), 1u);
  EXPECT_NE(s.report.problems[0].find("lsn 2"), std::string::npos);
}

// Balloon (VIA): every polygon becomes a prompt and an annotation whose image resolves under the
// recorded data root.
TEST(SessionImport, BalloonFromSharedData) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(balloon, "balloon/balloon");
  TempDir tmp;
  const Dataset d = LoadDataset(DatasetFormat::kVia, balloon);
  ImportSessionOptions o;
  o.project = "balloon";
  const SessionManifest m = ImportSession(d, tmp.path() / "s", o);
  EXPECT_EQ(m.prompts, 305u);  // 255 + 50 polygons (shared/data/README.md)
  EXPECT_EQ(m.assets, 74u);    // 61 + 13 images, all with balloons
  const Session s = LoadSession(tmp.path() / "s");
  ASSERT_FALSE(s.manifest.data_root.empty());
  std::size_t checked = 0;
  for (const SessionEvent& e : s.events) {
    if (e.type != MessageType::kAsset) continue;
    const AssetEvent a = std::get<AssetEvent>(Decode(e.bytes, DecodeLimits{}).body);
    EXPECT_TRUE(a.image.empty());
    EXPECT_TRUE(std::filesystem::is_regular_file(s.manifest.data_root / a.uri)) << a.uri;
    ++checked;
  }
  EXPECT_EQ(checked, 74u);
}

}  // namespace
}  // namespace understudy
