#include "sim/replay_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace understudy {
namespace {

// The floor every replay pays: decoding each event (and nothing else).
double DecodeOnlySeconds(const Session& session) {
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t sink = 0;
  for (const SessionEvent& e : session.events) {
    const Message m = Decode(e.bytes, SessionDecodeLimits());
    sink += m.header.id.size();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink == 0 && !session.events.empty()) throw std::logic_error("decoded nothing");
  return s;
}

std::string Budget(const LearningBudget& b) {
  char buf[128];
  if (b.schedule == "per_annotation") {
    std::snprintf(buf, sizeof buf, "per_annotation, %g updates/annotation",
                  b.updates_per_annotation);
  } else if (b.schedule == "per_sim_second") {
    std::snprintf(buf, sizeof buf, "per_sim_second, %g updates/sim s", b.updates_per_sim_second);
  } else {
    std::snprintf(buf, sizeof buf, "%s", b.schedule.c_str());
  }
  return buf;
}

}  // namespace

std::vector<ReplayBenchRow> RunReplayBench(const Session& session,
                                           const std::vector<ReplayBenchCase>& cases,
                                           const EngineFactoryMaker& make, int repeat) {
  if (repeat < 1) throw std::invalid_argument("bench replay: repeat must be >= 1");
  std::vector<ReplayBenchRow> rows(cases.size());
  std::vector<double> best(cases.size(), std::numeric_limits<double>::infinity());
  for (int r = 0; r < repeat; ++r) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const ReplayBenchCase& c = cases[i];
      ReplayBenchRow& row = rows[i];
      row.label = c.label;
      row.session_seconds = session.DurationSeconds();
      row.events = session.events.size();
      if (c.request.agent.empty()) {
        best[i] = std::min(best[i], DecodeOnlySeconds(session));
        row.learning = "-";
        continue;
      }
      ReplayOptions o;
      o.agent = c.label;
      o.seed = c.request.seed;
      o.budget = c.request.budget;
      InProcessDriver driver(make(c.request));
      const ReplayResult result = Replay(session, driver, o);
      best[i] = std::min(best[i], result.summary.wall_seconds);
      row.annotations = result.summary.all.annotations;
      row.learning = Budget(c.request.budget);
    }
  }
  const double floor = best.empty() ? 0.0 : best[0];
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ReplayBenchRow& row = rows[i];
    row.wall_seconds = best[i];
    row.events_per_second = best[i] > 0 ? static_cast<double>(row.events) / best[i] : 0.0;
    row.speedup_vs_real_time = best[i] > 0 ? row.session_seconds / best[i] : 0.0;
    row.ratio_to_floor = floor > 0 ? best[i] / floor : 0.0;
    row.seconds_per_1000_annotations =
        row.annotations > 0 ? best[i] * 1000.0 / static_cast<double>(row.annotations) : 0.0;
  }
  return rows;
}

std::string FormatReplayBench(const std::vector<ReplayBenchRow>& rows) {
  std::ostringstream t;
  char buf[512];
  t << "| case | learning | events | annotations | wall s | events/s | x decode floor | x real "
       "time | s per 1,000 annotations | under 10 min |\n"
    << "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n";
  for (const ReplayBenchRow& r : rows) {
    const bool timed = r.annotations > 0;
    char per1000[32] = "-";
    if (timed) std::snprintf(per1000, sizeof per1000, "%.1f", r.seconds_per_1000_annotations);
    std::snprintf(buf, sizeof buf,
                  "| %s | %s | %zu | %zu | %.3f | %.0f | %.1f | %.0f | %s | %s |\n",
                  r.label.c_str(), r.learning.c_str(), r.events, r.annotations, r.wall_seconds,
                  r.events_per_second, r.ratio_to_floor, r.speedup_vs_real_time, per1000,
                  timed ? (r.seconds_per_1000_annotations < 600.0 ? "yes" : "no") : "-");
    t << buf;
  }
  return t.str();
}

}  // namespace understudy
