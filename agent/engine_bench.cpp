#include "agent/engine_bench.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "env/synthetic.h"

namespace understudy {
namespace {

using Clock = std::chrono::steady_clock;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return in ? a + " " + b + " " + c : "unknown";
}

Box BoxOf(const Instance& shape) {
  const Bounds b = BoundsOf(shape);
  return Box{b.x0, b.y0, b.x1, b.y1};
}

}  // namespace

CpuLoadLearner::CpuLoadLearner(double ms_per_update, std::unique_ptr<Policy> policy)
    : ms_per_update_(ms_per_update), policy_(std::move(policy)) {
  if (!(ms_per_update_ >= 0.0)) throw std::invalid_argument("CpuLoadLearner: ms_per_update < 0");
  if (!policy_) throw std::invalid_argument("CpuLoadLearner: null policy");
}

void CpuLoadLearner::Add(TrainingExample) { ++examples_; }

UpdateReport CpuLoadLearner::Update(int steps) {
  UpdateReport r;
  if (examples_ == 0 || steps <= 0) return r;
  const double start = ThreadCpuSeconds();
  const double until = start + steps * ms_per_update_ / 1000.0;
  volatile double sink = 0.0;  // keeps the loop from being optimised away
  double x = 1.0;
  while (ThreadCpuSeconds() < until) {
    for (int i = 0; i < 2000; ++i) x = std::sqrt(x + i);
    sink = sink + x;
  }
  cpu_seconds_ += ThreadCpuSeconds() - start;
  updates_ += static_cast<std::uint64_t>(steps);
  r.steps = steps;
  r.loss = 1.0 / (1.0 + static_cast<double>(updates_));
  return r;
}

std::map<std::string, double> CpuLoadLearner::Progress() const {
  return {{"examples", static_cast<double>(examples_)},
          {"updates", static_cast<double>(updates_)},
          {"cpu_seconds", cpu_seconds_}};
}

void EngineBenchOptions::Validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("engine bench: " + what); };
  if (prompts < 1) bad("prompts = " + std::to_string(prompts) + ": must be >= 1");
  if (rounds < 1) bad("rounds = " + std::to_string(rounds) + ": must be >= 1");
  if (!(interval_ms >= 0.0)) bad("interval_ms = " + std::to_string(interval_ms) + ": must be >= 0");
  if (warmup < 0 || warmup >= prompts)
    bad("warmup = " + std::to_string(warmup) + ": must be in 0.." + std::to_string(prompts - 1));
}

BenchSeries Summarize(std::vector<double> v) {
  BenchSeries s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  };
  s.p50 = at(0.5);
  s.p90 = at(0.9);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

EngineBenchReport RunEngineBench(const EngineBenchOptions& options, const BenchEngineMaker& make,
                                 const std::string& learner_description) {
  options.Validate();
  // Scenes with inline PNGs, as a platform would send them; enough instances for one phase.
  SyntheticConfig sc = SyntheticPreset(options.preset);
  sc.seed = options.seed;
  sc.num_assets = std::max(1, options.prompts / std::max(1, (sc.min_objects + sc.max_objects) / 2));
  Dataset data = GenerateSynthetic(sc, 1);
  while (true) {
    std::size_t instances = 0;
    for (const AssetRecord& a : data.assets) instances += a.instances.size();
    if (instances >= static_cast<std::size_t>(options.prompts)) break;
    sc.num_assets *= 2;
    data = GenerateSynthetic(sc, 1);
  }

  EngineBenchReport report;
  report.learner = learner_description;
  report.load_before = LoadAverage();
  std::vector<double> idle, learning, to_serving;
  const auto interval = std::chrono::duration<double, std::milli>(options.interval_ms);
  for (int round = 0; round < options.rounds * 2; ++round) {
    const bool with_learner = round % 2 == 1;
    std::unique_ptr<AgentEngine> engine = make(with_learner);
    report.policy = engine->serving_tag();
    std::vector<double>& out = with_learner ? learning : idle;
    const Clock::time_point t0 = Clock::now();
    Clock::time_point next = t0;
    int done = 0;
    for (std::size_t a = 0; a < data.assets.size() && done < options.prompts; ++a) {
      const AssetRecord& asset = data.assets[a];
      AssetEvent ae;
      ae.meta.project = "bench";
      ae.meta.id = "a" + std::to_string(a);
      ae.meta.ts = static_cast<double>(done);
      ae.asset = asset.id;
      ae.width = asset.width;
      ae.height = asset.height;
      ae.image = asset.data;
      engine->OnAsset(ae);
      for (std::size_t k = 0; k < asset.instances.size() && done < options.prompts; ++k) {
        std::this_thread::sleep_until(next);
        next += std::chrono::duration_cast<Clock::duration>(interval);
        PromptEvent pe;
        pe.meta.project = "bench";
        pe.meta.id = "p" + std::to_string(done);
        pe.meta.ts = static_cast<double>(done);
        pe.asset = asset.id;
        pe.prompt_id = std::to_string(k);
        pe.prompt.box = BoxOf(asset.instances[k].shape);
        const Clock::time_point s = Clock::now();
        const EngineResult r = engine->OnPrompt(pe);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - s).count();
        if (!r.suggestion) throw std::runtime_error("engine bench: a prompt got no prediction");
        if (done >= options.warmup) out.push_back(us);
        AnnotationEvent an;
        an.meta.project = "bench";
        an.meta.id = "n" + std::to_string(done);
        an.meta.ts = static_cast<double>(done) + 0.5;
        an.asset = asset.id;
        an.prompt_id = pe.prompt_id;
        an.instances.push_back({asset.instances[k].shape, "", false});
        an.annotator = "bench";
        engine->OnAnnotation(an);
        ++done;
      }
    }
    if (with_learner) {
      LearningPhase phase;
      phase.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      phase.progress = engine->learning_progress();
      const EngineStatus st = engine->Status();
      phase.queue.depth = static_cast<std::size_t>(st.learner.at("queue_depth"));
      phase.queue.full_waits = static_cast<std::uint64_t>(st.learner.at("queue_full_waits"));
      phase.queue.wait_seconds = st.learner.at("queue_wait_seconds");
      const auto& recent = phase.progress.annotation_to_serving.recent_s;
      to_serving.insert(to_serving.end(), recent.begin(), recent.end());
      report.phases.push_back(std::move(phase));
    }
  }
  report.load_after = LoadAverage();
  report.idle_us = Summarize(std::move(idle));
  report.learning_us = Summarize(std::move(learning));
  report.annotation_to_serving_s = Summarize(std::move(to_serving));
  return report;
}

std::string FormatEngineBench(const EngineBenchOptions& o, const EngineBenchReport& r) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1);
  os << "engine bench: policy " << r.policy << "; learner: " << r.learner << "\n"
     << "  " << o.rounds << " rounds of " << o.prompts << " prompts per phase (" << o.warmup
     << " warm-up not counted), one every " << o.interval_ms << " ms, synthetic '" << o.preset
     << "' scenes, seed " << o.seed << "\n"
     << "  load average before " << r.load_before << ", after " << r.load_after << "\n\n";
  auto row = [&](const char* what, const BenchSeries& s) {
    os << "  " << std::left << std::setw(28) << what << std::right << std::setw(7) << s.n
       << std::setw(10) << s.p50 << std::setw(10) << s.p90 << std::setw(10) << s.p99
       << std::setw(10) << s.max << "\n";
  };
  os << "  suggestion latency (OnPrompt, us)      n       p50       p90       p99       max\n";
  row("without a learner", r.idle_us);
  row("learner thread running", r.learning_us);
  os << "  p99 with the learner / without: " << std::setprecision(2)
     << (r.idle_us.p99 > 0 ? r.learning_us.p99 / r.idle_us.p99 : 0.0) << "x\n\n";
  os << std::setprecision(3);
  os << "  annotation -> serving model (s)        n       p50       p90       p99       max\n";
  row("learned and swapped in", r.annotation_to_serving_s);
  os << "\n  learning phases: wall s, updates, updates/s, challenges, promotions, queue waits\n";
  for (const LearningPhase& p : r.phases) {
    os << "    " << std::setprecision(1) << p.seconds << " s, " << p.progress.updates << ", "
       << (p.seconds > 0 ? static_cast<double>(p.progress.updates) / p.seconds : 0.0) << "/s, "
       << p.progress.challenges << ", " << p.progress.promotions << ", " << p.queue.full_waits
       << "\n";
  }
  return os.str();
}

}  // namespace understudy
