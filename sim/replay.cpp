#include "sim/replay.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>

#include "env/rng.h"
#include "rewards/clicks.h"
#include "rewards/iou.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kOrderStream = 0x7265706c6179ULL;  // "replay"

std::string PromptKey(const std::string& project, const std::string& asset,
                      const std::string& prompt) {
  return project + '\0' + asset + '\0' + prompt;
}

double Mean(const std::vector<double>& v, std::size_t last = 0) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t from = last == 0 || last >= v.size() ? 0 : v.size() - last;
  double sum = 0.0;
  for (std::size_t i = from; i < v.size(); ++i) sum += v[i];
  return sum / static_cast<double>(v.size() - from);
}

nlohmann::json Number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json Rate(double numerator, double denominator) {
  return denominator > 0 ? nlohmann::json(numerator / denominator) : nlohmann::json(nullptr);
}

/** Consecutive events of one (project, asset): the unit of reordering. */
struct Block {
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::vector<Block> Blocks(const Session& s, bool require_reorderable) {
  std::vector<Block> blocks;
  std::set<std::pair<std::string, std::string>> seen;
  for (std::size_t i = 0; i < s.events.size();) {
    std::size_t j = i + 1;
    while (j < s.events.size() && s.events[j].project == s.events[i].project &&
           s.events[j].asset == s.events[i].asset) {
      ++j;
    }
    if (require_reorderable) {
      if (!seen.insert({s.events[i].project, s.events[i].asset}).second) {
        throw std::invalid_argument("cannot reorder the session: the events of asset '" +
                                    s.events[i].asset + "' (project '" + s.events[i].project +
                                    "') are interleaved with other assets' (lsn " +
                                    std::to_string(s.events[i].lsn) + ")");
      }
      if (s.events[i].type != MessageType::kAsset) {
        throw std::invalid_argument("cannot reorder the session: asset '" + s.events[i].asset +
                                    "' has events before its asset event (lsn " +
                                    std::to_string(s.events[i].lsn) + ")");
      }
    }
    blocks.push_back({i, j});
    i = j;
  }
  return blocks;
}

void SetTs(Message& m, double ts) {
  m.header.ts = ts;
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, AssetEvent> || std::is_same_v<T, PromptEvent> ||
                      std::is_same_v<T, AnnotationEvent> || std::is_same_v<T, FeedbackEvent>) {
          body.meta.ts = ts;
        }
      },
      m.body);
}

std::string EncodeAny(const Message& m) {
  if (const auto* a = std::get_if<AssetEvent>(&m.body)) return EncodeEvent(*a);
  if (const auto* p = std::get_if<PromptEvent>(&m.body)) return EncodeEvent(*p);
  if (const auto* n = std::get_if<AnnotationEvent>(&m.body)) return EncodeEvent(*n);
  if (const auto* f = std::get_if<FeedbackEvent>(&m.body)) return EncodeEvent(*f);
  throw std::invalid_argument("not an event");
}

/** What the replay remembers about a prompt until its annotation. */
struct PendingPrompt {
  std::optional<Suggestion> suggestion;
  bool published = false;
  std::string reason;
};

/** The running state of one stream (all projects, or one). */
struct StreamState {
  StreamStats stats;
  std::string mode;  // last gate mode reported
};

class Replayer {
 public:
  Replayer(const Session& session, EngineDriver& driver, const ReplayOptions& options)
      : session_(session), driver_(driver), options_(options), effort_(options.effort) {}

  ReplayResult Run();

 private:
  void ProcessEvent(const SessionEvent& original, std::optional<double> rebased_ts);
  void Account(StreamStats& s, const EventRow& row, bool scored, double iou, double reward,
               const EffortCost& spent, const EffortCost& hand);
  void RecordGate(const GateEvent& g, EventRow& row);
  std::size_t PickActive(const std::vector<Block>& blocks, std::vector<std::size_t>& remaining,
                         std::uint64_t pick);

  const Session& session_;
  EngineDriver& driver_;
  const ReplayOptions& options_;
  EffortModel effort_;
  ReplayResult result_;
  std::unordered_map<std::string, PendingPrompt> pending_;
  std::map<std::string, std::size_t> project_annotations_;
  std::size_t annotations_ = 0;  // prompt annotations so far
  std::set<std::string> versions_seen_;
  std::set<std::string> assets_seen_;
  std::set<std::string> assets_with_prompts_;
  double t0_ = 0.0;
  Clock::time_point wall0_;
};

void Replayer::Account(StreamStats& s, const EventRow& row, bool scored, double iou, double reward,
                       const EffortCost& spent, const EffortCost& hand) {
  ++s.annotations;
  if (scored) {
    ++s.scored;
    s.blind_iou.push_back(iou);
    s.blind_reward.push_back(reward);
  }
  if (row.shown) {
    ++s.shown;
    if (spent.decision == EffortDecision::kAcceptedUnchanged) ++s.accepted_unchanged;
    if (spent.decision == EffortDecision::kEdited) ++s.edited;
    if (spent.decision == EffortDecision::kRejected) ++s.rejected;
  } else {
    ++s.withheld;
  }
  s.clicks_hand += hand.clicks;
  s.clicks_spent += spent.clicks;
  s.seconds_hand += hand.seconds;
  s.seconds_spent += spent.seconds;
}

void Replayer::RecordGate(const GateEvent& g, EventRow& row) {
  const std::string project = g.project.empty() ? row.project : g.project;
  GateTransition t;
  t.project = project;
  t.annotation_index = annotations_;
  t.project_annotation_index = project_annotations_[project];
  t.event = g;
  for (StreamStats* s : {&result_.summary.all, &result_.summary.projects[project]}) {
    const bool whole = s == &result_.summary.all;
    s->gated = true;
    s->gate_history.push_back(t);
    if (g.to == "live" && !s->gate_opened_at) {
      s->gate_opened_at = whole ? t.annotation_index : t.project_annotation_index;
    }
    if (g.from == "live" && g.to != "live") ++s->gate_closed_count;
  }
  row.gate_event += (row.gate_event.empty() ? "" : ";") + project + ":" + g.from + "->" + g.to;
}

void Replayer::ProcessEvent(const SessionEvent& original, std::optional<double> rebased_ts) {
  Message message = Decode(original.bytes, SessionDecodeLimits());
  const SessionEvent* event = &original;
  SessionEvent rebased;
  if (rebased_ts) {
    SetTs(message, *rebased_ts);
    rebased = original;
    rebased.ts = *rebased_ts;
    rebased.bytes = EncodeAny(message);
    event = &rebased;
  }
  const SessionEvent& e = *event;
  if (options_.speed > 0.0) {
    const auto due = wall0_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>((e.ts - t0_) / options_.speed));
    std::this_thread::sleep_until(due);
  }

  EventRow row;
  row.index = result_.rows.size();
  row.lsn = e.lsn;
  row.type = ToString(e.type);
  row.project = e.project;
  row.asset = e.asset;
  row.prompt = e.prompt;
  row.sim_seconds = e.ts - t0_;

  const EventOutcome out = driver_.Process(e, message);
  ReplaySummary& sum = result_.summary;
  ++sum.events;
  if (!out.error.empty()) {
    ++sum.engine_errors;
    row.error = out.error;
  }

  switch (e.type) {
    case MessageType::kAsset:
      ++sum.assets;
      assets_seen_.insert(e.project + '\0' + e.asset);
      break;
    case MessageType::kPrompt: {
      ++sum.prompts;
      assets_with_prompts_.insert(e.project + '\0' + e.asset);
      PendingPrompt p;
      p.suggestion = out.suggestion;
      p.published = out.published;
      p.reason = out.withheld_reason;
      // Versions as both paths see them: published suggestions here, blind scores later (a
      // withheld suggestion never leaves a server).
      if (out.published && out.suggestion && !out.suggestion->model_version.empty() &&
          versions_seen_.insert(out.suggestion->model_version).second) {
        sum.model_versions.push_back(out.suggestion->model_version);
      }
      // An engine without a gate that publishes at once is live from the start.
      if (out.published) {
        for (StreamStats* s : {&sum.all, &sum.projects[e.project]}) {
          if (!s->gated && !s->gate_opened_at) {
            s->gate_opened_at = s == &sum.all ? annotations_ : project_annotations_[e.project];
          }
        }
      }
      pending_[PromptKey(e.project, e.asset, e.prompt)] = std::move(p);
      break;
    }
    case MessageType::kAnnotation: {
      ++sum.annotations;
      const auto& n = std::get<AnnotationEvent>(message.body);
      const auto it = e.prompt.empty() ? pending_.end()
                                       : pending_.find(PromptKey(e.project, e.asset, e.prompt));
      if (it == pending_.end() || n.instances.empty()) {
        ++sum.unmatched_annotations;
        break;
      }
      PendingPrompt p = std::move(it->second);
      pending_.erase(it);
      // The gate's own reason, from its score: the same in-process and over ZeroMQ (where a
      // withheld suggestion is only known as not published).
      if (!p.published && out.score && !out.score->decision.empty()) {
        p.reason = out.score->decision;
      }
      ++annotations_;
      row.annotation_index = annotations_;
      ++project_annotations_[e.project];

      // The proposal as the metrics need it: validated (a self-crossing outline is scored by
      // the region its even-odd repair makes, as in the env); one that cannot be repaired is a
      // miss.
      std::optional<Instance> proposal;
      if (p.suggestion) {
        try {
          proposal = Validate(p.suggestion->shape);
        } catch (const std::exception&) {
          proposal.reset();
        }
      }
      // The human instance the proposal is scored against: the best match (one, normally).
      std::size_t best = 0;
      double shape_iou = std::numeric_limits<double>::quiet_NaN();
      if (p.suggestion) {
        double best_iou = proposal ? -1.0 : 0.0;
        for (std::size_t i = 0; proposal && i < n.instances.size(); ++i) {
          double v = 0.0;
          try {
            v = ExactIou(*proposal, n.instances[i].shape);
          } catch (const std::exception&) {
            v = 0.0;  // a shape IoU cannot handle scores as a miss, as in ProposerEngine
          }
          if (v > best_iou) {
            best_iou = v;
            best = i;
          }
        }
        shape_iou = best_iou;
      }
      const Instance& human = n.instances[best].shape;
      const std::size_t draw_clicks = ClicksToDraw(human);

      bool scored = false;
      double iou = std::numeric_limits<double>::quiet_NaN();
      double reward = std::numeric_limits<double>::quiet_NaN();
      if (out.score) {
        if (!out.score->model_version.empty() &&
            versions_seen_.insert(out.score->model_version).second) {
          sum.model_versions.push_back(out.score->model_version);
        }
        iou = std::isfinite(out.score->iou) ? out.score->iou : shape_iou;
        reward = out.score->reward;
        row.model_version = out.score->model_version;
        row.predicted = out.score->predicted;
      } else if (p.suggestion) {
        iou = shape_iou;
        reward = shape_iou;  // the default reward is IoU (rewards/reward_spec.h)
      }
      if (p.suggestion) {
        if (row.model_version.empty()) row.model_version = p.suggestion->model_version;
        if (!std::isfinite(row.predicted)) row.predicted = p.suggestion->confidence;
      }
      scored = std::isfinite(iou);
      if (scored && !std::isfinite(reward)) reward = iou;
      row.blind_iou = iou;
      row.reward = reward;
      row.shown = p.published;
      row.withheld_reason = p.published ? std::string() : p.reason;

      const EffortCost hand = effort_.Draw(draw_clicks);
      if (std::isfinite(n.draw_seconds)) {
        ++sum.recorded_draw_count;
        sum.recorded_draw_seconds += n.draw_seconds;
        sum.modelled_draw_seconds_for_recorded += hand.seconds;
      }
      EffortCost spent = hand;
      if (p.published && p.suggestion) {
        // A shown outline the metrics cannot read costs a look and a redraw.
        ClickCount fix{0, draw_clicks, 0};
        try {
          if (proposal) fix = ClicksToFix(*proposal, human, options_.effort.clicks_tolerance);
        } catch (const std::exception&) {
          fix = ClickCount{0, draw_clicks, 0};
        }
        spent = effort_.Shown(std::clamp(shape_iou, 0.0, 1.0), fix, draw_clicks);
      }
      row.decision = ToString(spent.decision);
      row.clicks_spent = spent.clicks;
      row.clicks_draw = hand.clicks;
      row.seconds_spent = spent.seconds;
      row.seconds_draw = hand.seconds;
      if (!p.published) {
        ++sum.withheld_reasons[p.reason.empty() ? std::string("not published") : p.reason];
      }
      Account(sum.all, row, scored, iou, reward, spent, hand);
      Account(sum.projects[e.project], row, scored, iou, reward, spent, hand);
      break;
    }
    case MessageType::kFeedback:
      ++sum.feedback;
      ++sum.feedback_verdicts[ToString(std::get<FeedbackEvent>(message.body).verdict)];
      break;
    default:
      break;
  }
  for (const GateEvent& g : out.gate_events) RecordGate(g, row);
  for (const GateTransition& t : sum.all.gate_history) {
    if (t.project == e.project) row.gate_mode = t.event.to;
  }
  result_.rows.push_back(std::move(row));
}

std::size_t Replayer::PickActive(const std::vector<Block>& blocks,
                                 std::vector<std::size_t>& remaining, std::uint64_t pick) {
  // A seeded sample of at most active_pool remaining blocks (a partial Fisher-Yates).
  std::vector<std::size_t> pool(remaining.size());
  std::iota(pool.begin(), pool.end(), std::size_t{0});
  const std::size_t k = std::min(options_.active_pool, pool.size());
  Rng rng(Rng::Mix(options_.seed ^ kOrderStream, pick));
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.Next() % (pool.size() - i));
    std::swap(pool[i], pool[j]);
  }
  std::size_t chosen = pool[0];
  double lowest = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < k; ++i) {
    const Block& b = blocks[remaining[pool[i]]];
    const Message am = Decode(session_.events[b.begin].bytes, SessionDecodeLimits());
    const auto& asset = std::get<AssetEvent>(am.body);
    double sum = 0.0;
    std::size_t count = 0;
    for (std::size_t j = b.begin; j < b.end; ++j) {
      if (session_.events[j].type != MessageType::kPrompt) continue;
      const Message pm = Decode(session_.events[j].bytes, SessionDecodeLimits());
      const std::optional<double> v = driver_.PredictReward(asset, std::get<PromptEvent>(pm.body));
      if (!v) {
        throw std::invalid_argument("active order: agent '" + options_.agent +
                                    "' has no value head to rank assets by (use random)");
      }
      sum += *v;
      ++count;
    }
    const double confidence = count == 0 ? 1.0 : sum / static_cast<double>(count);
    // Least confidence first; ties go to the earlier asset, so the pick is deterministic.
    if (confidence < lowest || (confidence == lowest && remaining[pool[i]] < remaining[chosen])) {
      lowest = confidence;
      chosen = pool[i];
    }
  }
  const std::size_t block = remaining[chosen];
  remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(chosen));
  return block;
}

ReplayResult Replayer::Run() {
  ReplaySummary& sum = result_.summary;
  sum.agent = options_.agent;
  sum.path = driver_.path();
  sum.seed = options_.seed;
  sum.order = ToString(options_.order);
  sum.session = session_.manifest;
  sum.session_dir = session_.dir.string();
  sum.session_seconds = session_.DurationSeconds();
  sum.budget = options_.budget;
  sum.effort = options_.effort;
  sum.last_n = options_.last_n;
  if (session_.events.empty()) throw std::invalid_argument("the session has no events");
  t0_ = session_.events.front().ts;
  for (const SessionEvent& e : session_.events) t0_ = std::min(t0_, e.ts);
  const std::size_t total = session_.events.size();
  wall0_ = Clock::now();

  auto report = [&] {
    if (options_.progress) options_.progress(result_.rows.size(), total);
  };
  if (options_.order == AssetOrder::kSession) {
    for (const SessionEvent& e : session_.events) {
      ProcessEvent(e, std::nullopt);
      report();
    }
  } else {
    const std::vector<Block> blocks = Blocks(session_, true);
    std::vector<std::size_t> remaining(blocks.size());
    std::iota(remaining.begin(), remaining.end(), std::size_t{0});
    if (options_.order == AssetOrder::kRandom) {
      Rng rng(Rng::Mix(options_.seed, kOrderStream));
      for (std::size_t i = remaining.size(); i > 1; --i) {
        std::swap(remaining[i - 1], remaining[static_cast<std::size_t>(rng.Next() % i)]);
      }
    }
    // The session clock follows the new order: each asset keeps its own durations and the gap
    // that preceded it, so the replayed stream is as long as the recorded one.
    double clock = t0_;
    std::uint64_t picks = 0;
    while (!remaining.empty()) {
      std::size_t b = 0;
      if (options_.order == AssetOrder::kActive) {
        b = PickActive(blocks, remaining, picks++);
      } else {
        b = remaining.front();
        remaining.erase(remaining.begin());
      }
      const Block& block = blocks[b];
      const double base = session_.events[block.begin].ts;
      const double lead =
          block.begin == 0 ? 0.0 : std::max(0.0, base - session_.events[block.begin - 1].ts);
      clock += lead;
      for (std::size_t i = block.begin; i < block.end; ++i) {
        ProcessEvent(session_.events[i], clock + (session_.events[i].ts - base));
        report();
      }
      clock += session_.events[block.end - 1].ts - base;
    }
  }
  sum.wall_seconds = std::chrono::duration<double>(Clock::now() - wall0_).count();
  sum.learner = driver_.Status().learner;
  return std::move(result_);
}

nlohmann::json StatsToJson(const StreamStats& s, std::size_t last_n) {
  nlohmann::json history = nlohmann::json::array();
  for (const GateTransition& t : s.gate_history) {
    nlohmann::json details = nlohmann::json::object();
    for (const auto& [k, v] : t.event.details) details[k] = Number(v);
    history.push_back({{"project", t.project},
                       {"annotation_index", t.annotation_index},
                       {"project_annotation_index", t.project_annotation_index},
                       {"from", t.event.from},
                       {"to", t.event.to},
                       {"n", t.event.n},
                       {"mean", Number(t.event.mean)},
                       {"lower_bound", Number(t.event.lower_bound)},
                       {"threshold", Number(t.event.threshold)},
                       {"model", t.event.model_version},
                       {"reason", t.event.reason},
                       {"details", details}});
  }
  const double shown = static_cast<double>(s.shown);
  nlohmann::json j = {
      {"annotations", s.annotations},
      {"scored", s.scored},
      {"blind_iou_mean", Number(Mean(s.blind_iou))},
      {"blind_iou_last100", Number(Mean(s.blind_iou, last_n))},
      {"blind_reward_mean", Number(Mean(s.blind_reward))},
      {"gate_opened_at",
       s.gate_opened_at ? nlohmann::json(*s.gate_opened_at) : nlohmann::json(nullptr)},
      {"gate_closed_count", s.gate_closed_count},
      {"gated", s.gated},
      {"suggestions_shown", s.shown},
      {"suggestions_withheld", s.withheld},
      {"accepted_unchanged", s.accepted_unchanged},
      {"edited", s.edited},
      {"rejected", s.rejected},
      {"accepted_unchanged_rate", Rate(static_cast<double>(s.accepted_unchanged), shown)},
      {"used_rate", Rate(static_cast<double>(s.accepted_unchanged + s.edited), shown)},
      {"rejected_rate", Rate(static_cast<double>(s.rejected), shown)},
      {"clicks_hand", s.clicks_hand},
      {"clicks_spent", s.clicks_spent},
      {"clicks_saved_rate",
       Rate(static_cast<double>(s.clicks_hand) - static_cast<double>(s.clicks_spent),
            static_cast<double>(s.clicks_hand))},
      {"seconds_hand", s.seconds_hand},
      {"seconds_spent", s.seconds_spent},
      {"seconds_saved_rate", Rate(s.seconds_hand - s.seconds_spent, s.seconds_hand)},
      {"gate_history", history}};
  return j;
}

}  // namespace

const char* ToString(AssetOrder order) {
  switch (order) {
    case AssetOrder::kSession:
      return "session";
    case AssetOrder::kRandom:
      return "random";
    case AssetOrder::kActive:
      return "active";
  }
  return "?";
}

AssetOrder ParseAssetOrder(const std::string& text) {
  if (text == "session") return AssetOrder::kSession;
  if (text == "random") return AssetOrder::kRandom;
  if (text == "active") return AssetOrder::kActive;
  throw std::invalid_argument("order '" + text + "' (expected session, random or active)");
}

void ReplayOptions::Validate() const {
  effort.Validate();
  if (!(std::isfinite(speed) && speed >= 0.0)) {
    throw std::invalid_argument("replay: speed = " + std::to_string(speed) +
                                " must be >= 0 (0: as fast as possible)");
  }
  if (active_pool == 0) throw std::invalid_argument("replay: active_pool = 0 must be positive");
  if (last_n == 0) throw std::invalid_argument("replay: last_n = 0 must be positive");
}

ReplayResult Replay(const Session& session, EngineDriver& driver, const ReplayOptions& options) {
  options.Validate();
  return Replayer(session, driver, options).Run();
}

nlohmann::json SummaryToJson(const ReplaySummary& s) {
  nlohmann::json j = StatsToJson(s.all, s.last_n);
  j["agent"] = s.agent;
  j["path"] = s.path;
  j["seed"] = s.seed;
  j["order"] = s.order;
  j["session"] = SessionManifestToJson(s.session);
  j["session"]["dir"] = s.session_dir;
  j["session"]["seconds"] = s.session_seconds;
  j["events"] = s.events;
  j["assets"] = s.assets;
  j["prompts"] = s.prompts;
  j["annotations_all"] = s.annotations;
  j["feedback"] = s.feedback;
  j["feedback_verdicts"] = s.feedback_verdicts;
  j["recorded_draw"] = {{"annotations", s.recorded_draw_count},
                        {"seconds", s.recorded_draw_seconds},
                        {"modelled_seconds", s.modelled_draw_seconds_for_recorded},
                        {"model_over_recorded",
                         Number(s.recorded_draw_seconds > 0
                                    ? s.modelled_draw_seconds_for_recorded / s.recorded_draw_seconds
                                    : std::numeric_limits<double>::quiet_NaN())}};
  j["unmatched_annotations"] = s.unmatched_annotations;
  j["engine_errors"] = s.engine_errors;
  j["withheld_reasons"] = s.withheld_reasons;
  j["model_versions"] = s.model_versions;
  nlohmann::json learner = nlohmann::json::object();
  for (const auto& [k, v] : s.learner) learner[k] = Number(v);
  j["learner"] = learner;
  j["learning_budget"] = {{"schedule", s.budget.schedule},
                          {"updates_per_annotation", s.budget.updates_per_annotation},
                          {"updates_per_sim_second", s.budget.updates_per_sim_second},
                          {"note", s.budget.note}};
  j["effort_model"] = EffortModelConfigToJson(s.effort);
  j["last_n"] = s.last_n;
  // Per asset, the prompt boxes included: what "labeling time per asset" means to a platform.
  const double box = s.effort.box_seconds * static_cast<double>(s.all.annotations);
  const double assets = static_cast<double>(s.assets);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  j["minutes_per_asset_hand"] = Number(assets > 0 ? (s.all.seconds_hand + box) / assets / 60 : nan);
  j["minutes_per_asset_assisted"] =
      Number(assets > 0 ? (s.all.seconds_spent + box) / assets / 60 : nan);
  nlohmann::json projects = nlohmann::json::object();
  for (const auto& [name, stats] : s.projects) projects[name] = StatsToJson(stats, s.last_n);
  j["projects"] = projects;
  j["wall_seconds"] = s.wall_seconds;
  j["speedup_vs_real_time"] = Number(s.wall_seconds > 0 ? s.session_seconds / s.wall_seconds : nan);
  j["events_per_second"] =
      Number(s.wall_seconds > 0 ? static_cast<double>(s.events) / s.wall_seconds : nan);
  return j;
}

nlohmann::json ComparableSummary(const nlohmann::json& summary) {
  nlohmann::json j = summary;
  for (const char* key : {"wall_seconds", "speedup_vs_real_time", "events_per_second", "path",
                          "engine_errors", "withheld_reasons"}) {
    j.erase(key);
  }
  return j;
}

void WriteSummaryJson(const std::filesystem::path& path, const ReplaySummary& summary) {
  std::ofstream out(path);
  out << SummaryToJson(summary).dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
}

namespace {

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string CsvNumber(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void WriteEventsCsv(const std::filesystem::path& path, const std::vector<EventRow>& rows) {
  std::ofstream out(path);
  out << "index,lsn,type,project,asset,prompt,sim_seconds,annotation_index,blind_iou,reward,"
         "model_version,predicted,shown,withheld_reason,decision,clicks_spent,clicks_draw,"
         "seconds_spent,seconds_draw,gate_mode,gate_event,error\n";
  for (const EventRow& r : rows) {
    const bool scored_row = !r.decision.empty();
    out << r.index << ',' << r.lsn << ',' << r.type << ',' << Csv(r.project) << ',' << Csv(r.asset)
        << ',' << Csv(r.prompt) << ',' << CsvNumber(r.sim_seconds) << ','
        << (r.annotation_index > 0 ? std::to_string(r.annotation_index) : "") << ','
        << CsvNumber(r.blind_iou) << ',' << CsvNumber(r.reward) << ',' << Csv(r.model_version)
        << ',' << CsvNumber(r.predicted) << ',' << (scored_row ? (r.shown ? "1" : "0") : "") << ','
        << Csv(r.withheld_reason) << ',' << r.decision << ','
        << (scored_row ? std::to_string(r.clicks_spent) : "") << ','
        << (scored_row ? std::to_string(r.clicks_draw) : "") << ','
        << (scored_row ? CsvNumber(r.seconds_spent) : "") << ','
        << (scored_row ? CsvNumber(r.seconds_draw) : "") << ',' << Csv(r.gate_mode) << ','
        << Csv(r.gate_event) << ',' << Csv(r.error) << '\n';
  }
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
}

std::string SummaryTable(const std::vector<ReplaySummary>& summaries) {
  std::ostringstream t;
  auto num = [](const nlohmann::json& v, const char* fmt) -> std::string {
    if (v.is_null()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, v.get<double>());
    return buf;
  };
  auto pct = [&](const nlohmann::json& v) {
    return v.is_null() ? std::string("-") : num(v.get<double>() * 100.0, "%.1f%%");
  };
  t << "| agent | annotations | blind IoU | last 100 | gate opened at | closed | shown | withheld "
       "| unchanged | used | clicks saved | seconds saved | wall s | x real time |\n"
    << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const ReplaySummary& s : summaries) {
    const nlohmann::json j = SummaryToJson(s);
    t << "| " << s.agent << " | " << s.all.annotations << " | " << num(j["blind_iou_mean"], "%.3f")
      << " | " << num(j["blind_iou_last100"], "%.3f") << " | "
      << (j["gate_opened_at"].is_null() ? std::string("never")
                                        : std::to_string(j["gate_opened_at"].get<std::size_t>()))
      << " | " << s.all.gate_closed_count << " | " << s.all.shown << " | " << s.all.withheld
      << " | " << pct(j["accepted_unchanged_rate"]) << " | " << pct(j["used_rate"]) << " | "
      << pct(j["clicks_saved_rate"]) << " | " << pct(j["seconds_saved_rate"]) << " | "
      << num(j["wall_seconds"], "%.1f") << " | " << num(j["speedup_vs_real_time"], "%.0f")
      << " |\n";
  }
  return t.str();
}

}  // namespace understudy
