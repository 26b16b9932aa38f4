#include "sim/replay_set.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace understudy {

std::string SafeLabel(const std::string& label) {
  std::string out = label.empty() ? std::string("agent") : label;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (out == "." || out == "..") out = "_";
  return out;
}

void WriteReplayOutputs(const std::filesystem::path& dir, const ReplayResult& result) {
  std::filesystem::create_directories(dir);
  WriteSummaryJson(dir / "summary.json", result.summary);
  WriteEventsCsv(dir / "events.csv", result.rows);
}

void WriteComparison(const std::filesystem::path& out,
                     const std::vector<ReplaySummary>& summaries) {
  std::filesystem::create_directories(out);
  {
    std::ofstream md(out / "comparison.md");
    md << SummaryTable(summaries);
    if (!md) throw std::runtime_error("cannot write '" + (out / "comparison.md").string() + "'");
  }
  std::ofstream csv(out / "comparison.csv");
  const char* keys[] = {"annotations",
                        "scored",
                        "blind_iou_mean",
                        "blind_iou_last100",
                        "gate_opened_at",
                        "gate_closed_count",
                        "suggestions_shown",
                        "suggestions_withheld",
                        "accepted_unchanged_rate",
                        "used_rate",
                        "rejected_rate",
                        "clicks_saved_rate",
                        "seconds_saved_rate",
                        "minutes_per_asset_hand",
                        "minutes_per_asset_assisted",
                        "wall_seconds",
                        "speedup_vs_real_time"};
  csv << "agent,seed,order";
  for (const char* k : keys) csv << ',' << k;
  csv << '\n';
  for (const ReplaySummary& s : summaries) {
    const nlohmann::json j = SummaryToJson(s);
    csv << s.agent << ',' << s.seed << ',' << s.order;
    for (const char* k : keys) {
      csv << ',';
      if (!j[k].is_null()) csv << j[k].dump();
    }
    csv << '\n';
  }
  if (!csv) throw std::runtime_error("cannot write '" + (out / "comparison.csv").string() + "'");
}

std::vector<ReplaySummary> ReplayJobs(const Session& session, const std::vector<ReplayJob>& jobs,
                                      const ReplayOptions& base, const EngineFactoryMaker& make,
                                      const std::filesystem::path& out,
                                      const ReplayProgress& progress) {
  if (!make) throw std::invalid_argument("ReplayJobs: no engine factory maker");
  std::vector<ReplaySummary> summaries;
  for (const ReplayJob& job : jobs) {
    ReplayOptions options = base;
    options.agent = job.label;
    options.seed = job.request.seed;
    options.budget = job.request.budget;
    if (progress) {
      options.progress = [&](std::size_t done, std::size_t total) {
        progress(job.label, done, total);
      };
    }
    InProcessDriver driver(make(job.request));
    ReplayResult result = Replay(session, driver, options);
    WriteReplayOutputs(out / SafeLabel(job.label), result);
    summaries.push_back(std::move(result.summary));
  }
  return summaries;
}

}  // namespace understudy
