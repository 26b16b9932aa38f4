#include "sim/experiment.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "env/importer.h"
#include "env/proposer_factory.h"
#include "env/synthetic.h"
#include "sim/replay_set.h"
#include "sim/session_import.h"

namespace understudy {
namespace {

[[noreturn]] void Bad(const std::string& field, const std::string& what) {
  throw std::invalid_argument("experiment config: " + field + ": " + what);
}

void OnlyKeys(const nlohmann::json& j, const std::string& field,
              const std::vector<std::string>& keys) {
  if (!j.is_object()) Bad(field, "expected an object, got " + j.dump());
  for (const auto& [k, v] : j.items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      std::string known;
      for (const std::string& key : keys) known += (known.empty() ? "" : ", ") + key;
      Bad(field + "." + k, "unknown key (expected " + known + ")");
    }
  }
}

std::string Text(const nlohmann::json& j, const std::string& field) {
  if (!j.is_string() || j.get<std::string>().empty()) {
    Bad(field, "expected a non-empty string, got " + j.dump());
  }
  return j.get<std::string>();
}

double Number(const nlohmann::json& j, const std::string& field) {
  if (!j.is_number()) Bad(field, "expected a number, got " + j.dump());
  return j.get<double>();
}

std::uint64_t Unsigned(const nlohmann::json& j, const std::string& field) {
  const bool ok = j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0);
  if (!ok) Bad(field, "expected an unsigned integer, got " + j.dump());
  return j.get<std::uint64_t>();
}

std::vector<std::string> Texts(const nlohmann::json& j, const std::string& field) {
  if (!j.is_array()) Bad(field, "expected a list, got " + j.dump());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    out.push_back(Text(j[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

bool IsSafeName(const std::string& s) { return !s.empty() && s == SafeLabel(s) && s != "-"; }

// Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
double T95(std::size_t df) {
  static const double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                              2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                              2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                              2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return std::numeric_limits<double>::quiet_NaN();
  return df <= 30 ? kT[df - 1] : 1.96;
}

/** A session spec as the text that decides whether an earlier import can be reused. */
std::string SpecText(const ExperimentSession& s, const EffortModelConfig& effort) {
  nlohmann::json j{{"import", s.import}, {"effort", EffortModelConfigToJson(effort)}};
  return j.dump();
}

Dataset LoadImportDataset(const nlohmann::json& spec, const std::string& field,
                          ImportSessionOptions& options) {
  const std::string format = Text(spec.at("format"), field + ".format");
  if (format.rfind("synthetic", 0) == 0) {
    const std::string preset = format.size() > 10 ? format.substr(10) : "default";
    SyntheticConfig c = SyntheticPreset(preset);
    if (spec.contains("scene_seed")) c.seed = Unsigned(spec["scene_seed"], field + ".scene_seed");
    if (spec.contains("count")) {
      c.num_assets = static_cast<int>(Unsigned(spec["count"], field + ".count"));
    }
    options.source = "synthetic:" + preset + " (scene seed " + std::to_string(c.seed) + ", " +
                     std::to_string(c.num_assets) + " images)";
    return GenerateSynthetic(c, 2);
  }
  if (!spec.contains("path")) Bad(field + ".path", "required for format " + format);
  const std::filesystem::path path = Text(spec["path"], field + ".path");
  ImportOptions io;
  if (spec.contains("images")) io.images = Text(spec["images"], field + ".images");
  if (spec.contains("class_attribute")) {
    io.class_attribute = Text(spec["class_attribute"], field + ".class_attribute");
  }
  if (spec.contains("skip_bad")) {
    if (!spec["skip_bad"].is_boolean()) Bad(field + ".skip_bad", "expected true or false");
    io.skip_bad_instances = spec["skip_bad"].get<bool>();
  }
  options.source = format + ":" + std::filesystem::weakly_canonical(path).string();
  return LoadDataset(ParseDatasetFormat(format), path, io);
}

std::filesystem::path PrepareSession(const ExperimentConfig& c, const ExperimentSession& s,
                                     const std::map<std::string, std::filesystem::path>& done) {
  if (!s.path.empty()) return s.path;
  const std::filesystem::path dir = c.work_dir / "sessions" / s.name;
  const std::string spec =
      s.merge.empty() ? SpecText(s, c.effort) : nlohmann::json{{"merge", s.merge}}.dump();
  if (std::filesystem::exists(dir / kSessionManifestFile)) {
    try {
      const Session existing = LoadSession(dir);
      const auto it = existing.manifest.notes.find("experiment_spec");
      if (it != existing.manifest.notes.end() && it->second == spec) return dir;
    } catch (const std::exception&) {
      // Damaged or from another version: imported again below.
    }
  }
  std::filesystem::remove_all(dir);
  SessionManifest m;
  if (!s.merge.empty()) {
    std::vector<std::filesystem::path> inputs;
    for (const std::string& name : s.merge) inputs.push_back(done.at(name));
    m = MergeSessions(inputs, dir, 1);
  } else {
    const std::string field = "sessions[" + s.name + "].import";
    const nlohmann::json& spec_json = s.import;
    OnlyKeys(spec_json, field,
             {"format", "path", "project", "seed", "limit", "jitter", "draw_time_sigma", "images",
              "class_attribute", "skip_bad", "count", "scene_seed"});
    ImportSessionOptions o;
    o.project =
        spec_json.contains("project") ? Text(spec_json["project"], field + ".project") : s.name;
    if (spec_json.contains("seed")) o.seed = Unsigned(spec_json["seed"], field + ".seed");
    if (spec_json.contains("limit")) o.limit = Unsigned(spec_json["limit"], field + ".limit");
    if (spec_json.contains("jitter")) o.box_jitter = Number(spec_json["jitter"], field + ".jitter");
    if (spec_json.contains("draw_time_sigma")) {
      o.draw_time_sigma = Number(spec_json["draw_time_sigma"], field + ".draw_time_sigma");
    }
    o.effort = c.effort;
    const Dataset d = LoadImportDataset(spec_json, field, o);
    m = ImportSession(d, dir, o);
  }
  m.notes["experiment_spec"] = spec;
  WriteSessionManifest(dir, m);
  return dir;
}

std::string RunLabel(const ExperimentRun& r) {
  return r.session + "/" + r.order + "/" + r.gate + "/" + r.agent + "/seed-" +
         std::to_string(r.seed);
}

double Field(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>()
                                               : std::numeric_limits<double>::quiet_NaN();
}

const char* kRunColumns[] = {"annotations",
                             "blind_iou_mean",
                             "blind_iou_last100",
                             "gate_opened_at",
                             "gate_closed_count",
                             "suggestions_shown",
                             "suggestions_withheld",
                             "accepted_unchanged_rate",
                             "used_rate",
                             "clicks_saved_rate",
                             "seconds_saved_rate",
                             "minutes_per_asset_hand",
                             "minutes_per_asset_assisted",
                             "wall_seconds",
                             "speedup_vs_real_time"};

void WriteRunsCsv(const std::filesystem::path& path, const std::vector<ExperimentRun>& runs,
                  const std::filesystem::path& root) {
  std::ofstream out(path);
  out << "session,order,gate,agent,seed";
  for (const char* k : kRunColumns) out << ',' << k;
  out << ",dir\n";
  for (const ExperimentRun& r : runs) {
    const nlohmann::json j = SummaryToJson(r.summary);
    out << r.session << ',' << r.order << ',' << r.gate << ',' << r.agent << ',' << r.seed;
    for (const char* k : kRunColumns) {
      out << ',';
      const double v = Field(j, k);
      if (std::isfinite(v)) out << j[k].dump();
    }
    out << ',' << std::filesystem::relative(r.dir, root).generic_string() << '\n';
  }
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
}

struct Group {
  std::string session, order, gate, agent;
  std::vector<const ExperimentRun*> runs;
};

std::vector<Group> Groups(const std::vector<ExperimentRun>& runs) {
  std::vector<Group> groups;
  for (const ExperimentRun& r : runs) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.session == r.session && g.order == r.order && g.gate == r.gate && g.agent == r.agent;
    });
    if (it == groups.end()) {
      groups.push_back({r.session, r.order, r.gate, r.agent, {}});
      it = std::prev(groups.end());
    }
    it->runs.push_back(&r);
  }
  return groups;
}

std::vector<double> Values(const Group& g, const char* key) {
  std::vector<double> v;
  for (const ExperimentRun* r : g.runs) {
    const double x = Field(SummaryToJson(r->summary), key);
    if (std::isfinite(x)) v.push_back(x);
  }
  return v;
}

std::string Cell(const std::vector<double>& v, bool percent, int digits) {
  if (v.empty()) return "-";
  const MeanCi m = MeanWithCi(v);
  const double scale = percent ? 100.0 : 1.0;
  char buf[64];
  if (std::isfinite(m.half_width)) {
    std::snprintf(buf, sizeof buf, "%.*f ± %.*f%s", digits, m.mean * scale, digits,
                  m.half_width * scale, percent ? "%" : "");
  } else {
    std::snprintf(buf, sizeof buf, "%.*f%s", digits, m.mean * scale, percent ? "%" : "");
  }
  return buf;
}

}  // namespace

MeanCi MeanWithCi(const std::vector<double>& values) {
  MeanCi m;
  m.n = values.size();
  if (values.empty()) {
    m.mean = m.half_width = std::numeric_limits<double>::quiet_NaN();
    return m;
  }
  double sum = 0.0;
  for (double v : values) sum += v;
  m.mean = sum / static_cast<double>(m.n);
  if (m.n < 2) {
    m.half_width = std::numeric_limits<double>::quiet_NaN();
    return m;
  }
  double ss = 0.0;
  for (double v : values) ss += (v - m.mean) * (v - m.mean);
  const double sd = std::sqrt(ss / static_cast<double>(m.n - 1));
  m.half_width = T95(m.n - 1) * sd / std::sqrt(static_cast<double>(m.n));
  return m;
}

ExperimentConfig ParseExperimentConfig(const nlohmann::json& j) {
  OnlyKeys(j, "config",
           {"name", "description", "output", "work_dir", "sessions", "agents", "gates", "seeds",
            "orders", "learning", "effort", "active_pool", "steps"});
  ExperimentConfig c;
  c.source = j;
  if (!j.contains("name")) Bad("name", "required");
  c.name = Text(j["name"], "name");
  if (!IsSafeName(c.name)) Bad("name", "'" + c.name + "' must be [A-Za-z0-9._-]");
  if (j.contains("description")) c.description = Text(j["description"], "description");
  if (j.contains("output")) c.output = Text(j["output"], "output");
  c.work_dir = j.contains("work_dir") ? std::filesystem::path(Text(j["work_dir"], "work_dir"))
                                      : std::filesystem::path("build/experiments") / c.name;

  if (!j.contains("sessions") || !j["sessions"].is_array() || j["sessions"].empty()) {
    Bad("sessions", "required: a non-empty list");
  }
  std::set<std::string> session_names;
  for (std::size_t i = 0; i < j["sessions"].size(); ++i) {
    const std::string f = "sessions[" + std::to_string(i) + "]";
    const nlohmann::json& s = j["sessions"][i];
    OnlyKeys(s, f, {"name", "import", "merge", "path"});
    ExperimentSession out;
    if (!s.contains("name")) Bad(f + ".name", "required");
    out.name = Text(s["name"], f + ".name");
    if (!IsSafeName(out.name)) Bad(f + ".name", "'" + out.name + "' must be [A-Za-z0-9._-]");
    if (!session_names.insert(out.name).second) Bad(f + ".name", "duplicate '" + out.name + "'");
    const int kinds =
        int(s.contains("import")) + int(s.contains("merge")) + int(s.contains("path"));
    if (kinds != 1) Bad(f, "needs exactly one of import, merge, path");
    if (s.contains("import")) {
      out.import = s["import"];
      if (!out.import.is_object() || !out.import.contains("format")) {
        Bad(f + ".import.format", "required");
      }
      (void)Text(out.import["format"], f + ".import.format");
    }
    if (s.contains("merge")) {
      out.merge = Texts(s["merge"], f + ".merge");
      if (out.merge.size() < 2) Bad(f + ".merge", "needs at least two sessions");
      for (const std::string& m : out.merge) {
        if (!session_names.count(m) || m == out.name) {
          Bad(f + ".merge", "'" + m + "' is not an earlier session");
        }
      }
    }
    if (s.contains("path")) out.path = Text(s["path"], f + ".path");
    c.sessions.push_back(std::move(out));
  }

  if (!j.contains("agents") || !j["agents"].is_array() || j["agents"].empty()) {
    Bad("agents", "required: a non-empty list");
  }
  std::set<std::string> agent_names;
  for (std::size_t i = 0; i < j["agents"].size(); ++i) {
    const std::string f = "agents[" + std::to_string(i) + "]";
    const nlohmann::json& a = j["agents"][i];
    OnlyKeys(a, f, {"name", "agent", "config", "init_model", "sessions", "gated", "active"});
    ExperimentAgent out;
    if (!a.contains("agent")) Bad(f + ".agent", "required");
    out.agent = Text(a["agent"], f + ".agent");
    out.name = a.contains("name") ? Text(a["name"], f + ".name") : out.agent;
    if (!IsSafeName(out.name)) Bad(f + ".name", "'" + out.name + "' must be [A-Za-z0-9._-]");
    if (!agent_names.insert(out.name).second) Bad(f + ".name", "duplicate '" + out.name + "'");
    if (a.contains("config")) {
      out.config = a["config"];
      if (!out.config.is_object()) Bad(f + ".config", "expected an object");
    }
    if (a.contains("init_model")) out.init_model = Text(a["init_model"], f + ".init_model");
    if (a.contains("sessions")) {
      out.sessions = Texts(a["sessions"], f + ".sessions");
      for (const std::string& s : out.sessions) {
        if (!session_names.count(s)) Bad(f + ".sessions", "unknown session '" + s + "'");
      }
    }
    out.gated = out.agent == "rl";
    if (a.contains("gated")) {
      if (!a["gated"].is_boolean()) Bad(f + ".gated", "expected true or false");
      out.gated = a["gated"].get<bool>();
    }
    out.active = out.gated;
    if (a.contains("active")) {
      if (!a["active"].is_boolean()) Bad(f + ".active", "expected true or false");
      out.active = a["active"].get<bool>();
    }
    c.agents.push_back(std::move(out));
  }

  if (j.contains("gates")) {
    if (!j["gates"].is_array()) Bad("gates", "expected a list");
    std::set<std::string> names;
    for (std::size_t i = 0; i < j["gates"].size(); ++i) {
      const std::string f = "gates[" + std::to_string(i) + "]";
      const nlohmann::json& g = j["gates"][i];
      OnlyKeys(g, f, {"name", "config"});
      ExperimentGate out;
      if (!g.contains("name")) Bad(f + ".name", "required");
      out.name = Text(g["name"], f + ".name");
      if (!IsSafeName(out.name)) Bad(f + ".name", "'" + out.name + "' must be [A-Za-z0-9._-]");
      if (!names.insert(out.name).second) Bad(f + ".name", "duplicate '" + out.name + "'");
      out.config = g.contains("config") ? g["config"] : nlohmann::json::object();
      if (!out.config.is_object()) Bad(f + ".config", "expected an object");
      c.gates.push_back(std::move(out));
    }
  }
  if (c.gates.empty()) c.gates.push_back({"default", nlohmann::json::object()});

  if (!j.contains("seeds")) Bad("seeds", "required: a non-empty list of unsigned integers");
  if (!j["seeds"].is_array() || j["seeds"].empty()) Bad("seeds", "expected a non-empty list");
  for (std::size_t i = 0; i < j["seeds"].size(); ++i) {
    c.seeds.push_back(Unsigned(j["seeds"][i], "seeds[" + std::to_string(i) + "]"));
  }
  if (std::set<std::uint64_t>(c.seeds.begin(), c.seeds.end()).size() != c.seeds.size()) {
    Bad("seeds", "has duplicates");
  }

  std::vector<std::string> orders = {"random"};
  if (j.contains("orders")) orders = Texts(j["orders"], "orders");
  for (std::size_t i = 0; i < orders.size(); ++i) {
    AssetOrder o;
    try {
      o = ParseAssetOrder(orders[i]);
    } catch (const std::invalid_argument& e) {
      Bad("orders[" + std::to_string(i) + "]", e.what());
    }
    if (std::find(c.orders.begin(), c.orders.end(), o) == c.orders.end()) c.orders.push_back(o);
  }
  if (std::find(c.orders.begin(), c.orders.end(), AssetOrder::kRandom) == c.orders.end()) {
    c.orders.insert(c.orders.begin(), AssetOrder::kRandom);  // always beside active learning
  }

  if (j.contains("learning")) {
    const nlohmann::json& l = j["learning"];
    OnlyKeys(l, "learning",
             {"schedule", "updates_per_annotation", "updates_per_sim_second", "note"});
    if (l.contains("schedule")) c.learning.schedule = Text(l["schedule"], "learning.schedule");
    if (c.learning.schedule != "none" && c.learning.schedule != "per_annotation" &&
        c.learning.schedule != "per_sim_second") {
      Bad("learning.schedule", "'" + c.learning.schedule +
                                   "' (expected none, per_annotation or per_sim_second: a replay "
                                   "never learns in the background)");
    }
    if (l.contains("updates_per_annotation")) {
      c.learning.updates_per_annotation =
          Number(l["updates_per_annotation"], "learning.updates_per_annotation");
    }
    if (l.contains("updates_per_sim_second")) {
      c.learning.updates_per_sim_second =
          Number(l["updates_per_sim_second"], "learning.updates_per_sim_second");
    }
    if (l.contains("note")) c.learning.note = Text(l["note"], "learning.note");
    if (c.learning.updates_per_annotation < 0 || c.learning.updates_per_sim_second < 0) {
      Bad("learning", "update counts must be >= 0");
    }
  }
  if (j.contains("effort")) {
    try {
      c.effort = EffortModelConfigFromJson(j["effort"]);
    } catch (const std::invalid_argument& e) {
      Bad("effort", e.what());
    }
  }
  if (j.contains("active_pool")) {
    c.active_pool = Unsigned(j["active_pool"], "active_pool");
    if (c.active_pool == 0) Bad("active_pool", "must be positive");
  }
  if (j.contains("steps")) {
    if (!j["steps"].is_array()) Bad("steps", "expected a list");
    for (std::size_t i = 0; i < j["steps"].size(); ++i) {
      const std::string f = "steps[" + std::to_string(i) + "]";
      const nlohmann::json& s = j["steps"][i];
      OnlyKeys(s, f, {"name", "args", "creates"});
      ExperimentStep out;
      out.name = s.contains("name") ? Text(s["name"], f + ".name") : f;
      if (!s.contains("args")) Bad(f + ".args", "required");
      out.args = Texts(s["args"], f + ".args");
      if (out.args.empty()) Bad(f + ".args", "is empty");
      if (!s.contains("creates")) Bad(f + ".creates", "required (what the step makes)");
      out.creates = Text(s["creates"], f + ".creates");
      c.steps.push_back(std::move(out));
    }
  }
  return c;
}

std::vector<ExperimentRun> RunExperiment(const ExperimentConfig& c, const EngineFactoryMaker& make,
                                         const ExperimentHooks& hooks) {
  auto log = [&](const std::string& line) {
    if (hooks.log) hooks.log(line);
  };
  for (const ExperimentStep& step : c.steps) {
    if (std::filesystem::exists(step.creates)) {
      log("step " + step.name + ": " + step.creates.string() + " exists, skipped");
      continue;
    }
    if (!hooks.run_step) throw std::invalid_argument("experiment: no way to run step " + step.name);
    log("step " + step.name + " ...");
    hooks.run_step(step);
    if (!std::filesystem::exists(step.creates)) {
      throw std::runtime_error("experiment: step " + step.name + " did not create " +
                               step.creates.string());
    }
  }

  std::map<std::string, std::filesystem::path> session_dirs;
  for (const ExperimentSession& s : c.sessions) {
    session_dirs[s.name] = PrepareSession(c, s, session_dirs);
    log("session " + s.name + ": " + session_dirs[s.name].string());
  }

  const std::filesystem::path root = c.output / c.name;
  std::filesystem::create_directories(root);
  {
    std::ofstream out(root / "config.json");
    out << c.source.dump(2) << "\n";
  }

  // The grid, in a fixed order.
  struct Planned {
    const ExperimentSession* session;
    AssetOrder order;
    const ExperimentGate* gate;  // null: no gate
    const ExperimentAgent* agent;
    std::uint64_t seed;
  };
  std::vector<Planned> plan;
  for (const ExperimentSession& s : c.sessions) {
    for (AssetOrder order : c.orders) {
      for (const ExperimentAgent& a : c.agents) {
        if (!a.sessions.empty() &&
            std::find(a.sessions.begin(), a.sessions.end(), s.name) == a.sessions.end()) {
          continue;
        }
        if (order == AssetOrder::kActive && !a.active) continue;
        std::vector<const ExperimentGate*> gates;
        if (a.gated) {
          for (const ExperimentGate& g : c.gates) gates.push_back(&g);
        } else {
          gates.push_back(nullptr);
        }
        for (const ExperimentGate* g : gates) {
          for (std::uint64_t seed : c.seeds) plan.push_back({&s, order, g, &a, seed});
        }
      }
    }
  }
  if (plan.empty()) throw std::invalid_argument("experiment: the grid is empty");

  std::vector<ExperimentRun> runs;
  std::map<std::string, Session> loaded;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Planned& p = plan[i];
    auto it = loaded.find(p.session->name);
    if (it == loaded.end()) {
      loaded.clear();  // one session in memory at a time: the plan is grouped by session
      it = loaded.emplace(p.session->name, LoadSession(session_dirs.at(p.session->name))).first;
    }
    const Session& session = it->second;
    ExperimentRun run;
    run.session = p.session->name;
    run.order = ToString(p.order);
    run.gate = p.gate == nullptr ? "-" : p.gate->name;
    run.agent = p.agent->name;
    run.seed = p.seed;
    run.dir = root / "runs" / run.session / run.order / (p.gate == nullptr ? "no-gate" : run.gate) /
              run.agent / ("seed-" + std::to_string(run.seed));

    AgentRequest request;
    request.agent = p.agent->agent;
    request.config = p.agent->config.is_null() ? nlohmann::json::object() : p.agent->config;
    if (p.gate != nullptr) request.config["gate"] = p.gate->config;
    request.init_model = p.agent->init_model;
    request.seed = p.seed;
    // A baseline (env's proposers) has no learner: even behind the agent's gate it states no
    // budget, as in `understudy replay`.
    const std::vector<std::string> proposers = ProposerNames();
    const bool baseline =
        std::find(proposers.begin(), proposers.end(), p.agent->agent) != proposers.end();
    request.budget = p.agent->gated && !baseline ? c.learning : LearningBudget{};
    request.data_root = session.manifest.data_root;

    ReplayOptions o;
    o.effort = c.effort;
    o.order = p.order;
    o.seed = p.seed;
    o.agent = p.agent->name;
    o.budget = request.budget;
    o.active_pool = c.active_pool;
    const std::string label = RunLabel(run);
    if (hooks.progress) {
      o.progress = [&](std::size_t done, std::size_t total) {
        hooks.progress(
            "[" + std::to_string(i + 1) + "/" + std::to_string(plan.size()) + "] " + label, done,
            total);
      };
    }
    InProcessDriver driver(make(request));
    ReplayResult result = Replay(session, driver, o);
    WriteReplayOutputs(run.dir, result);
    run.summary = std::move(result.summary);
    char line[256];
    const nlohmann::json j = SummaryToJson(run.summary);
    std::snprintf(line, sizeof line, "%s: blind IoU %.3f, seconds saved %.1f%%, %.1f s",
                  label.c_str(), Field(j, "blind_iou_mean"), 100.0 * Field(j, "seconds_saved_rate"),
                  run.summary.wall_seconds);
    log(line);
    runs.push_back(std::move(run));
  }

  WriteRunsCsv(root / "runs.csv", runs, root);
  {
    std::ofstream md(root / "comparison.md");
    md << ExperimentTable(runs);
  }
  std::ofstream csv(root / "comparison.csv");
  csv << "session,order,gate,agent,seeds,gate_opened_runs";
  for (const char* k : kRunColumns) csv << ',' << k << "_mean," << k << "_ci95";
  csv << '\n';
  for (const Group& g : Groups(runs)) {
    csv << g.session << ',' << g.order << ',' << g.gate << ',' << g.agent << ',' << g.runs.size()
        << ',' << Values(g, "gate_opened_at").size();
    for (const char* k : kRunColumns) {
      const MeanCi m = MeanWithCi(Values(g, k));
      csv << ',';
      if (std::isfinite(m.mean)) csv << m.mean;
      csv << ',';
      if (std::isfinite(m.half_width)) csv << m.half_width;
    }
    csv << '\n';
  }
  return runs;
}

std::string ExperimentTable(const std::vector<ExperimentRun>& runs) {
  std::ostringstream t;
  t << "Mean ± 95% confidence half-width across seeds (Student's t); \"opened\" counts the runs "
       "whose gate opened, and \"gate opened at\" averages over those.\n\n"
    << "| session | order | gate | agent | seeds | blind IoU | last 100 | opened | gate opened "
       "at | shown | used | unchanged | clicks saved | seconds saved | min/asset (hand) |\n"
    << "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const Group& g : Groups(runs)) {
    const std::vector<double> opened = Values(g, "gate_opened_at");
    const std::vector<double> hand = Values(g, "minutes_per_asset_hand");
    t << "| " << g.session << " | " << g.order << " | " << g.gate << " | " << g.agent << " | "
      << g.runs.size() << " | " << Cell(Values(g, "blind_iou_mean"), false, 3) << " | "
      << Cell(Values(g, "blind_iou_last100"), false, 3) << " | " << opened.size() << "/"
      << g.runs.size() << " | " << Cell(opened, false, 0) << " | "
      << Cell(Values(g, "suggestions_shown"), false, 0) << " | "
      << Cell(Values(g, "used_rate"), true, 1) << " | "
      << Cell(Values(g, "accepted_unchanged_rate"), true, 1) << " | "
      << Cell(Values(g, "clicks_saved_rate"), true, 1) << " | "
      << Cell(Values(g, "seconds_saved_rate"), true, 1) << " | "
      << Cell(Values(g, "minutes_per_asset_assisted"), false, 2) << " (" << Cell(hand, false, 2)
      << ") |\n";
  }
  return t.str();
}

}  // namespace understudy
