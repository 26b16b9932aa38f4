#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace understudy::cli {

/** A one-line progress bar on stderr, redrawn at most every 100 ms; silent when disabled (not a
 *  terminal, or --quiet). */
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /** `label`: what is running; `done` of `total` items. */
  void Update(const std::string& label, std::size_t done, std::size_t total);
  /** Ends the line, if one is drawn. */
  void Finish();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace understudy::cli
