#include "cli/progress_bar.h"

#include <cstdio>
#include <iostream>

namespace understudy::cli {

void ProgressBar::Update(const std::string& label, std::size_t done, std::size_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (label != label_) {
    Finish();
    label_ = label;
    start_ = now;
  } else if (done < total && now - last_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_ = now;
  constexpr int kWidth = 30;
  const double f = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(f * kWidth);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  char line[256];
  std::snprintf(line, sizeof line, "\r%-12.12s [%s%s] %5.1f%% %zu/%zu events, %.0f/s ",
                label.c_str(), std::string(filled, '#').c_str(),
                std::string(kWidth - filled, '.').c_str(), 100.0 * f, done, total, rate);
  std::cerr << line << std::flush;
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (drawn_) std::cerr << "\n";
  drawn_ = false;
  label_.clear();
}

}  // namespace understudy::cli
