#include "transport/proposer_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/transport/temp_dir.h"
#include "tests/transport/test_support.h"
#include "transport/json_format.h"

namespace understudy {
namespace {

using testing::AnnotationFor;
using testing::Asset;
using testing::PromptFor;

// Records the image size each call saw.
class ImageProbe : public Proposer {
 public:
  std::string name() const override { return "probe"; }
  Proposal Propose(const cv::Mat& image, const Prompt& p) override {
    last_cols = image.cols;
    last_rows = image.rows;
    return testing::BoxProposer().Propose(image, p);
  }
  int last_cols = -1, last_rows = -1;
};

TEST(ProposerEngine, SuggestsTheProposersOutlineAndScoresItAgainstTheAnnotation) {
  ProposerEngine engine(std::make_unique<testing::BoxProposer>());
  engine.OnAsset(Asset("a", "img-1"));
  const EngineResult r = engine.OnPrompt(PromptFor("p", "img-1", "x"));
  ASSERT_TRUE(r.suggestion);
  EXPECT_FALSE(r.withheld);
  EXPECT_EQ(r.suggestion->asset, "img-1");
  EXPECT_EQ(r.suggestion->prompt_id, "x");
  EXPECT_EQ(r.suggestion->model_version, "baseline:box");
  EXPECT_EQ(r.suggestion->source, "box");
  EXPECT_DOUBLE_EQ(Area(r.suggestion->shape), 100.0 * 200.0);

  AnnotationEvent same = AnnotationFor("n", "img-1", "x");
  same.instances[0].shape = MakeInstance({{10, 20}, {110, 20}, {110, 220}, {10, 220}});
  const EngineResult scored = engine.OnAnnotation(same);
  // The score leaves the engine like the agent's: published, the baseline's tag, its metrics.
  ASSERT_EQ(scored.scores.size(), 1u);
  const BlindScore& sc = scored.scores[0];
  EXPECT_EQ(sc.prompt_id, "x");
  EXPECT_EQ(sc.model_version, "baseline:box");
  EXPECT_DOUBLE_EQ(sc.reward, 1.0);
  EXPECT_DOUBLE_EQ(sc.components.at("iou"), 1.0);
  EXPECT_EQ(sc.components.at("clicks_to_fix"), 0);
  EXPECT_EQ(sc.components.at("clicks_to_draw"), 4);
  EXPECT_TRUE(sc.published);
  EXPECT_EQ(sc.decision, "published");
  EXPECT_EQ(sc.instance, 0);
  EXPECT_EQ(sc.annotation_index, 1u);
  EngineStatus st = engine.Status();
  ASSERT_EQ(st.projects.size(), 1u);
  EXPECT_EQ(st.projects[0].n, 1u);
  EXPECT_DOUBLE_EQ(st.projects[0].mean, 1.0);

  engine.OnPrompt(PromptFor("p2", "img-1", "y"));
  AnnotationEvent half = AnnotationFor("n2", "img-1", "y");
  half.instances[0].shape = MakeInstance({{10, 20}, {60, 20}, {60, 220}, {10, 220}});  // IoU 0.5
  engine.OnAnnotation(half);
  st = engine.Status();
  EXPECT_EQ(st.projects[0].n, 2u);
  EXPECT_NEAR(st.projects[0].mean, 0.75, 1e-9);
  EXPECT_EQ(st.learner.at("prompts"), 2);
  EXPECT_EQ(st.learner.at("scored"), 2);
  // An annotation for a prompt it never saw is not scored.
  engine.OnAnnotation(AnnotationFor("n3", "img-1", "unknown"));
  EXPECT_EQ(engine.Status().projects[0].n, 2u);
}

TEST(ProposerEngine, RewardWindowIsBounded) {
  ProposerEngineOptions o;
  o.reward_window = 3;
  ProposerEngine engine(std::make_unique<testing::BoxProposer>(), o);
  for (int i = 0; i < 5; ++i) {
    const std::string id = std::to_string(i);
    engine.OnPrompt(PromptFor("p" + id, "img-1", id));
    AnnotationEvent a = AnnotationFor("n" + id, "img-1", id);
    // The first two match exactly, the last three miss entirely.
    a.instances[0].shape = i < 2 ? MakeInstance({{10, 20}, {110, 20}, {110, 220}, {10, 220}})
                                 : MakeInstance({{500, 500}, {510, 500}, {510, 510}, {500, 510}});
    engine.OnAnnotation(a);
  }
  const EngineStatus st = engine.Status();
  EXPECT_EQ(st.projects[0].n, 3u);
  EXPECT_DOUBLE_EQ(st.projects[0].mean, 0.0);
}

TEST(ProposerEngine, DecodesInlineImagesAndReadsUrisUnderImageRoot) {
  testing::TempDir tmp;
  cv::Mat img(48, 64, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", img, png));
  ASSERT_TRUE(
      cv::imwrite((tmp.path() / "b.png").string(), cv::Mat(30, 40, CV_8UC3, cv::Scalar(0))));

  auto probe = std::make_unique<ImageProbe>();
  ImageProbe* p = probe.get();
  ProposerEngineOptions o;
  o.image_root = tmp.path();
  ProposerEngine engine(std::move(probe), o);
  AssetEvent inline_asset = Asset("a", "img-1");
  inline_asset.image = png;
  engine.OnAsset(inline_asset);
  engine.OnPrompt(PromptFor("p", "img-1", "x"));
  EXPECT_EQ(p->last_cols, 64);
  EXPECT_EQ(p->last_rows, 48);

  AssetEvent by_uri = Asset("b", "img-2");
  by_uri.uri = "b.png";
  engine.OnAsset(by_uri);
  engine.OnPrompt(PromptFor("p2", "img-2", "x"));
  EXPECT_EQ(p->last_cols, 40);

  AssetEvent escape = Asset("c", "img-3");
  escape.uri = "../b.png";  // outside image_root: not read
  engine.OnAsset(escape);
  engine.OnPrompt(PromptFor("p3", "img-3", "x"));
  // Without a usable image the proposer sees a blank frame of the announced size.
  EXPECT_EQ(p->last_cols, 640);
  EXPECT_EQ(p->last_rows, 480);

  AssetEvent broken = Asset("d", "img-4");
  broken.image = {1, 2, 3};
  EXPECT_THROW(engine.OnAsset(broken), std::invalid_argument);
}

TEST(ProposerEngine, ImageCacheIsBoundedByCountAndBytes) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(1, 2, 3));  // 30000 bytes decoded
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", img, png));
  ProposerEngineOptions o;
  o.max_images = 10;
  o.max_image_bytes = 70000;  // room for two
  ProposerEngine engine(std::make_unique<testing::BoxProposer>(), o);
  for (int i = 0; i < 5; ++i) {
    AssetEvent a = Asset("a" + std::to_string(i), "img-" + std::to_string(i));
    a.image = png;
    engine.OnAsset(a);
  }
  EngineStatus st = engine.Status();
  EXPECT_EQ(st.learner.at("images_cached"), 2);
  EXPECT_EQ(st.learner.at("image_cache_bytes"), 60000);
  o.max_image_bytes = 10;  // smaller than one image: the newest still stays
  ProposerEngine tiny(std::make_unique<testing::BoxProposer>(), o);
  AssetEvent a = Asset("a", "img-1");
  a.image = png;
  tiny.OnAsset(a);
  tiny.OnAsset(a);
  EXPECT_EQ(tiny.Status().learner.at("images_cached"), 1);
}

TEST(JsonFormat, SuggestionGateAndStatusAreTheEnvelopeAsJson) {
  SuggestionRecord r;
  r.suggestion.id = "s1";
  r.suggestion.project = "proj";
  r.suggestion.asset = "a";
  r.suggestion.prompt_id = "p";
  r.suggestion.shape = MakeInstance({{0, 0}, {1, 0}, {1, 1}});
  const std::string s = SuggestionToJson(r, 5.0);
  EXPECT_NE(s.find("\"type\":\"suggestion\""), std::string::npos) << s;
  EXPECT_NE(s.find("\"confidence\":null"), std::string::npos) << s;  // NaN is not JSON
  EXPECT_NE(s.find("\"shape\":[[[[0.0,0.0],[1.0,0.0],[1.0,1.0]]]]"), std::string::npos) << s;
  GateEvent g{"proj",   "shadow", "live", 3, 0.9, 0.8, 0.75, "v2", "why", {{"z", std::nan("")}},
              "promote"};
  const std::string gj = GateToJson(g, "g1", 6.0);
  EXPECT_NE(gj.find("\"to\":\"live\""), std::string::npos) << gj;
  EXPECT_NE(gj.find("\"z\":null"), std::string::npos) << gj;
  EngineStatus st;
  st.engine = "e";
  st.projects.push_back(ProjectStatus{"proj", "shadow", false, 0, std::nan(""), 0.1, 0.75, {}});
  const std::string status = StatusToJson(ServerInfo{"1", 2, 2, 1.5, 0, 1}, st, RecoveryReport{});
  EXPECT_NE(status.find("\"mean\":null"), std::string::npos) << status;
  EXPECT_NE(status.find("\"durable_lsn\":2"), std::string::npos) << status;
}

}  // namespace
}  // namespace understudy
