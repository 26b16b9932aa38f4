#include "agent/shadow_gate_config.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace understudy {
namespace {

[[noreturn]] void Reject(const std::string& field, double value, const std::string& rule) {
  std::ostringstream os;
  os << "ShadowGateConfig." << field << " = " << value << ": " << rule;
  throw std::invalid_argument(os.str());
}

void RequireUnit(const char* field, double value) {
  if (!(value >= 0.0 && value <= 1.0)) Reject(field, value, "must be in [0, 1]");
}

}  // namespace

void ShadowGateConfig::Validate() const {
  if (window < 2) Reject("window", static_cast<double>(window), "must be at least 2");
  if (min_samples < 2) {
    Reject("min_samples", static_cast<double>(min_samples),
           "must be at least 2 (a confidence bound needs a sample standard deviation)");
  }
  if (min_samples > window) {
    Reject("min_samples", static_cast<double>(min_samples),
           "must be at most window (" + std::to_string(window) + ")");
  }
  RequireUnit("threshold", threshold);
  if (!(hysteresis >= 0.0 && hysteresis <= threshold)) {
    Reject("hysteresis", hysteresis, "must be in [0, threshold]");
  }
  if (!(z >= 0.0 && std::isfinite(z))) Reject("z", z, "must be finite and >= 0");
  RequireUnit("suggestion_floor", suggestion_floor);
}

}  // namespace understudy
