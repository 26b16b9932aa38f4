#include "agent/held_out_split.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace understudy {

HeldOutSplit::HeldOutSplit(double fraction, std::uint64_t seed)
    : fraction_(fraction), seed_(seed), cutoff_(0), all_(fraction >= 1.0) {
  if (!(fraction >= 0.0 && fraction <= 1.0)) {
    std::ostringstream os;
    os << "held-out fraction = " << fraction << ": must be in [0, 1]";
    throw std::invalid_argument(os.str());
  }
  // fraction * 2^64, computed in long double and clamped: 2^64 itself does not fit.
  const long double scaled = std::ldexp(static_cast<long double>(fraction), 64);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  cutoff_ = scaled >= static_cast<long double>(kMax) ? kMax : static_cast<std::uint64_t>(scaled);
}

void HeldOutSplit::CheckTrainable(const AnnotationKey& key) const {
  if (IsHeldOut(key)) {
    throw HeldOutViolation("annotation " + ToString(key) +
                           " is in the held-out pool and must never be trained on");
  }
}

}  // namespace understudy
