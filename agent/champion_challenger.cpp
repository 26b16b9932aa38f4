#include "agent/champion_challenger.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace understudy {
namespace {

std::string Fixed(double v) {
  std::ostringstream os;
  os.precision(4);
  os << std::fixed << v;
  return os.str();
}

}  // namespace

void ChallengeConfig::Validate() const {
  if (!(tolerance >= 0.0 && std::isfinite(tolerance))) {
    std::ostringstream os;
    os << "ChallengeConfig.tolerance = " << tolerance << ": must be finite and >= 0";
    throw std::invalid_argument(os.str());
  }
}

ChallengeResult DecideChallenge(const std::vector<double>& champion_scores,
                                const std::vector<double>& challenger_scores,
                                std::uint64_t pool_fingerprint, const ChallengeConfig& config) {
  config.Validate();
  if (champion_scores.size() != challenger_scores.size()) {
    throw std::invalid_argument("DecideChallenge: " + std::to_string(champion_scores.size()) +
                                " champion scores but " + std::to_string(challenger_scores.size()) +
                                " challenger scores");
  }
  ChallengeResult r;
  r.n = champion_scores.size();
  r.tolerance = config.tolerance;
  r.pool_fingerprint = pool_fingerprint;
  if (r.n == 0) {
    r.champion_mean = r.challenger_mean = std::numeric_limits<double>::quiet_NaN();
  } else {
    double sa = 0.0;
    double sb = 0.0;
    for (std::size_t i = 0; i < r.n; ++i) {
      sa += champion_scores[i];
      sb += challenger_scores[i];
    }
    r.champion_mean = sa / static_cast<double>(r.n);
    r.challenger_mean = sb / static_cast<double>(r.n);
  }
  for (std::size_t i = 0; i < r.n; ++i) {
    const char* side = !std::isfinite(champion_scores[i])     ? "champion"
                       : !std::isfinite(challenger_scores[i]) ? "challenger"
                                                              : nullptr;
    if (side != nullptr) {
      r.reason = std::string(side) + " score of held-out item " + std::to_string(i) +
                 " is not finite: no comparison, keep the champion";
      return r;
    }
  }
  if (r.n < config.min_items) {
    r.reason = "only " + std::to_string(r.n) + " held-out items (min_items " +
               std::to_string(config.min_items) + "): keep the champion";
    return r;
  }
  const double bar = r.champion_mean - config.tolerance;
  r.replace = r.challenger_mean >= bar;
  r.reason = "challenger " + Fixed(r.challenger_mean) + (r.replace ? " >= " : " < ") + "champion " +
             Fixed(r.champion_mean) + " - tolerance " + Fixed(config.tolerance) + " over n " +
             std::to_string(r.n);
  return r;
}

}  // namespace understudy
