#include "agent/champion_challenger.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace understudy {
namespace {

TEST(ChampionChallenger, DecisionTable) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    const char* name;
    std::vector<double> champion;
    std::vector<double> challenger;
    ChallengeConfig config;
    bool replace;
  };
  const std::vector<Case> cases = {
      {"better replaces", {0.5, 0.7}, {0.6, 0.8}, {}, true},
      {"equal is not worse", {0.5, 0.7}, {0.7, 0.5}, {}, true},
      {"worse keeps the champion", {0.5, 0.7}, {0.5, 0.69}, {}, false},
      {"worse within tolerance replaces", {0.5, 0.7}, {0.5, 0.69}, {0.01, 1}, true},
      {"worse beyond tolerance keeps", {0.5, 0.7}, {0.4, 0.6}, {0.05, 1}, false},
      {"empty pool keeps", {}, {}, {}, false},
      {"below min_items keeps", {0.1}, {0.9}, {0.0, 2}, false},
      {"non-finite challenger keeps", {0.5, 0.5}, {1.0, nan}, {}, false},
      {"non-finite champion keeps", {nan, 0.5}, {1.0, 1.0}, {}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const ChallengeResult r = DecideChallenge(c.champion, c.challenger, 77, c.config);
    EXPECT_EQ(r.replace, c.replace) << r.reason;
    EXPECT_EQ(r.n, c.champion.size());
    EXPECT_EQ(r.pool_fingerprint, 77u);
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST(ChampionChallenger, ReportsBothMeansAndN) {
  const ChallengeResult r = DecideChallenge({0.5, 0.7, 0.9}, {0.6, 0.6, 0.6}, 1, {});
  EXPECT_EQ(r.n, 3u);
  EXPECT_NEAR(r.champion_mean, 0.7, 1e-15);
  EXPECT_NEAR(r.challenger_mean, 0.6, 1e-15);
  EXPECT_FALSE(r.replace);
  EXPECT_NE(r.reason.find("challenger 0.6000 < champion 0.7000"), std::string::npos) << r.reason;
}

TEST(ChampionChallenger, RejectsMismatchedInputs) {
  EXPECT_THROW(DecideChallenge({0.5}, {0.5, 0.6}, 0, {}), std::invalid_argument);
  ChallengeConfig bad;
  bad.tolerance = -0.1;
  EXPECT_THROW(DecideChallenge({0.5}, {0.5}, 0, bad), std::invalid_argument);
}

// Both models are scored on exactly the items of one snapshot, even if the pool grows while
// the challenge runs.
TEST(ChampionChallenger, BothModelsScoreTheSameFrozenPool) {
  HeldOutConfig config;
  config.fraction = 1.0;
  HeldOutPool<double> pool(config);
  for (int i = 0; i < 20; ++i) pool.Offer({"p", "a", std::to_string(i)}, i / 20.0);
  const HeldOutSnapshot<double> snap = pool.Snapshot();
  std::vector<double> seen_by_champion, seen_by_challenger;
  const ChallengeResult r = Challenge(
      snap,
      [&](const double& item) {
        seen_by_champion.push_back(item);
        pool.Offer({"p", "late", std::to_string(seen_by_champion.size())}, 0.0);
        return item;
      },
      [&](const double& item) {
        seen_by_challenger.push_back(item);
        return item + 0.01;
      });
  EXPECT_EQ(seen_by_champion, seen_by_challenger);
  EXPECT_EQ(seen_by_champion.size(), 20u);
  EXPECT_EQ(pool.size(), 40u);
  EXPECT_EQ(r.n, 20u);
  EXPECT_EQ(r.pool_fingerprint, snap.fingerprint);
  EXPECT_NE(r.pool_fingerprint, pool.fingerprint());
  EXPECT_TRUE(r.replace);
  EXPECT_NEAR(r.challenger_mean - r.champion_mean, 0.01, 1e-12);
}

}  // namespace
}  // namespace understudy
