#include "sim/session_import.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "env/prompt_sampler.h"
#include "env/rng.h"
#include "transport/event_log.h"

namespace understudy {
namespace {

constexpr const char* kWriter = "understudy import";
// Keys of the per-instance random streams (prompt jitter and drawing time are independent).
constexpr std::uint64_t kOrderStream = 0x6f72646572ULL;
constexpr std::uint64_t kDrawStream = 0x64726177ULL;

std::int64_t Nanos(double ts) { return static_cast<std::int64_t>(std::llround(ts * 1e9)); }

void RequireEmpty(const std::filesystem::path& out) {
  if (std::filesystem::exists(out)) {
    if (!std::filesystem::is_directory(out)) {
      throw std::runtime_error("'" + out.string() + "' exists and is not a folder");
    }
    if (!std::filesystem::is_empty(out)) {
      throw std::runtime_error("session folder '" + out.string() +
                               "' is not empty (remove it or choose another)");
    }
  }
  std::filesystem::create_directories(out);
}

/** A seeded Fisher-Yates permutation of 0..n-1 on env's portable Rng. */
std::vector<std::size_t> Permutation(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(seed);
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng.Next() % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

bool IsTextLabel(const std::string& s) {
  if (s.size() > 128) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// The instance's bounding box clipped to the image, at least a pixel a side.
Box ClippedTightBox(const Instance& shape, int width, int height) {
  const Bounds t = BoundsOf(shape);
  const double w = width, h = height;
  Box b{std::clamp(t.x0, 0.0, w), std::clamp(t.y0, 0.0, h), std::clamp(t.x1, 0.0, w),
        std::clamp(t.y1, 0.0, h)};
  if (!(b.x1 > b.x0)) {
    b.x1 = std::min(w, b.x0 + 1.0);
    b.x0 = b.x1 - 1.0;
  }
  if (!(b.y1 > b.y0)) {
    b.y1 = std::min(h, b.y0 + 1.0);
    b.y0 = b.y1 - 1.0;
  }
  return b;
}

std::string Fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

bool IsValidProjectName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

void ImportSessionOptions::Validate() const {
  if (!IsValidProjectName(project)) {
    throw std::invalid_argument("import: project '" + project +
                                "' must be 1-64 characters of [A-Za-z0-9._-]");
  }
  if (!(box_jitter >= 0.0 && box_jitter <= 0.5)) {
    throw std::invalid_argument("import: box_jitter = " + Fixed(box_jitter) +
                                " must be in [0, 0.5]");
  }
  if (!(draw_time_sigma >= 0.0 && draw_time_sigma <= 2.0)) {
    throw std::invalid_argument("import: draw_time_sigma = " + Fixed(draw_time_sigma) +
                                " must be in [0, 2]");
  }
  if (!(std::isfinite(start_ts) && start_ts >= 0.0)) {
    throw std::invalid_argument("import: start_ts = " + Fixed(start_ts) + " must be >= 0");
  }
  if (!(std::isfinite(asset_gap_seconds) && asset_gap_seconds >= 0.0)) {
    throw std::invalid_argument("import: asset_gap_seconds = " + Fixed(asset_gap_seconds) +
                                " must be >= 0");
  }
  if (annotator.empty() || annotator.size() > 128) {
    throw std::invalid_argument("import: annotator must be 1-128 bytes");
  }
  effort.Validate();
}

SessionManifest ImportSession(const Dataset& dataset, const std::filesystem::path& out,
                              const ImportSessionOptions& options) {
  options.Validate();
  RequireEmpty(out);
  const EffortModel effort(options.effort);
  PromptSamplerConfig prompt_config;
  prompt_config.box_jitter = options.box_jitter;
  prompt_config.seed = options.seed;
  const PromptSampler sampler(prompt_config);

  std::filesystem::path data_root;
  const bool any_path = std::any_of(dataset.assets.begin(), dataset.assets.end(),
                                    [](const AssetRecord& a) { return !a.path.empty(); });
  if (any_path) {
    data_root = std::filesystem::weakly_canonical(std::filesystem::absolute(
        std::filesystem::path(dataset.image_root.empty() ? std::string(".") : dataset.image_root)));
  }

  EventLogOptions log_options;
  log_options.dir = out;
  log_options.sync = false;  // bulk writing: one fdatasync at Close
  EventLogWriter log(log_options);

  std::size_t assets = 0, prompts = 0, crowd = 0, empty_assets = 0, jitter_fallbacks = 0;
  double t = options.start_ts;
  std::uint64_t next_id = 0;
  auto id = [&](const char* prefix) { return prefix + std::to_string(++next_id); };
  auto meta = [&](EventMeta& m, const char* prefix) {
    m.id = id(prefix);
    m.project = options.project;
    m.ts = t;
  };
  const std::vector<std::size_t> order =
      Permutation(dataset.assets.size(), Rng::Mix(options.seed, kOrderStream));
  for (const std::size_t index : order) {
    if (options.limit > 0 && prompts >= options.limit) break;
    const AssetRecord& a = dataset.assets[index];
    std::vector<std::size_t> usable;
    for (std::size_t j = 0; j < a.instances.size(); ++j) {
      if (a.instances[j].crowd) {
        ++crowd;
      } else {
        usable.push_back(j);
      }
    }
    if (usable.empty()) {
      ++empty_assets;
      continue;
    }
    if (options.limit > 0) usable.resize(std::min(usable.size(), options.limit - prompts));

    AssetEvent asset;
    meta(asset.meta, "a");
    asset.asset = a.id;
    asset.width = a.width;
    asset.height = a.height;
    if (!a.path.empty()) {
      asset.uri = a.path;
    } else {
      asset.image = a.data;
    }
    log.Append(Direction::kIn, Nanos(t), options.annotator, 0, EncodeEvent(asset));
    ++assets;

    for (std::size_t k = 0; k < usable.size(); ++k) {
      const std::size_t j = usable[k];
      const AnnotatedInstance& instance = a.instances[j];
      const std::uint64_t key = (static_cast<std::uint64_t>(index) << 20) | j;
      t += options.effort.box_seconds;
      PromptEvent prompt;
      meta(prompt.meta, "p");
      prompt.asset = a.id;
      prompt.prompt_id = "i" + std::to_string(j);
      prompt.prompt = sampler.Sample(instance.shape, a.width, a.height, key);
      Box& b = prompt.prompt.box;
      if (!(b.x1 > b.x0 && b.y1 > b.y0)) {
        // Jitter pushed a border object's box off the image: fall back to its clipped tight box.
        b = ClippedTightBox(instance.shape, a.width, a.height);
        ++jitter_fallbacks;
      }
      const std::size_t class_id = static_cast<std::size_t>(std::max(0, instance.class_id));
      const std::string label =
          class_id < dataset.class_names.size() && IsTextLabel(dataset.class_names[class_id])
              ? dataset.class_names[class_id]
              : std::string();
      prompt.label = label;
      log.Append(Direction::kIn, Nanos(t), options.annotator, 0, EncodeEvent(prompt));
      ++prompts;

      double draw = effort.DrawSeconds(VertexCount(instance.shape));
      if (options.draw_time_sigma > 0.0) {
        Rng rng(Rng::Mix(options.seed ^ kDrawStream, key));
        const double s = options.draw_time_sigma;
        draw *= std::exp(s * rng.Normal() - 0.5 * s * s);  // log-normal with mean 1
      }
      t += draw;
      AnnotationEvent annotation;
      meta(annotation.meta, "n");
      annotation.asset = a.id;
      annotation.prompt_id = prompt.prompt_id;
      annotation.instances.push_back(LabeledInstance{instance.shape, label, false});
      annotation.annotator = options.annotator;
      annotation.draw_seconds = draw;
      annotation.complete = k + 1 == usable.size();
      log.Append(Direction::kIn, Nanos(t), options.annotator, 0, EncodeEvent(annotation));
    }
    t += options.asset_gap_seconds;
  }
  log.Close();

  SessionManifest m;
  m.kind = "imported";
  m.timings = "modelled";
  m.sources = {options.source.empty() ? std::string("dataset") : options.source};
  m.data_root = data_root;
  m.seed = options.seed;
  m.assets = assets;
  m.prompts = prompts;
  m.annotations = prompts;
  m.notes["project"] = options.project;
  m.notes["box_jitter"] = Fixed(options.box_jitter);
  m.notes["draw_time_sigma"] = Fixed(options.draw_time_sigma);
  m.notes["asset_gap_seconds"] = Fixed(options.asset_gap_seconds);
  m.notes["effort_model"] = EffortModelConfigToJson(options.effort).dump();
  m.notes["crowd_skipped"] = std::to_string(crowd);
  m.notes["assets_without_instances_skipped"] = std::to_string(empty_assets);
  m.notes["jitter_fallbacks"] = std::to_string(jitter_fallbacks);
  m.notes["limit"] = std::to_string(options.limit);
  m.written_by = std::string(kWriter);
  WriteSessionManifest(out, m);
  return m;
}

SessionManifest MergeSessions(const std::vector<std::filesystem::path>& inputs,
                              const std::filesystem::path& out, std::uint64_t seed) {
  if (inputs.size() < 2) throw std::invalid_argument("merge: needs at least two sessions");
  std::vector<Session> sessions;
  for (const auto& p : inputs) sessions.push_back(LoadSession(p));

  // The common data root of the inputs that have one.
  std::filesystem::path root;
  bool first_root = true;
  for (const Session& s : sessions) {
    if (s.manifest.data_root.empty()) continue;
    const std::filesystem::path r = std::filesystem::weakly_canonical(s.manifest.data_root);
    if (first_root) {
      root = r;
      first_root = false;
      continue;
    }
    std::filesystem::path common;
    auto a = root.begin(), b = r.begin();
    for (; a != root.end() && b != r.end() && *a == *b; ++a, ++b) common /= *a;
    root = common;
  }

  // Blocks: maximal runs of consecutive events of one (project, asset).
  struct Block {
    std::size_t begin = 0, end = 0;
  };
  std::vector<std::vector<Block>> blocks(sessions.size());
  std::set<std::pair<std::string, std::string>> owner_check;
  for (std::size_t k = 0; k < sessions.size(); ++k) {
    const auto& ev = sessions[k].events;
    std::set<std::pair<std::string, std::string>> mine;
    for (std::size_t i = 0; i < ev.size();) {
      std::size_t j = i + 1;
      while (j < ev.size() && ev[j].project == ev[i].project && ev[j].asset == ev[i].asset) ++j;
      blocks[k].push_back({i, j});
      mine.insert({ev[i].project, ev[i].asset});
      i = j;
    }
    for (const auto& key : mine) {
      if (!owner_check.insert(key).second) {
        throw std::invalid_argument("merge: asset '" + key.second + "' of project '" + key.first +
                                    "' appears in more than one input (" + inputs[k].string() +
                                    ")");
      }
    }
  }

  RequireEmpty(out);
  EventLogOptions log_options;
  log_options.dir = out;
  log_options.sync = false;
  EventLogWriter log(log_options);
  Rng rng(Rng::Mix(seed, kOrderStream));
  std::vector<std::size_t> next(sessions.size(), 0);
  std::vector<double> last_ts(sessions.size());
  for (std::size_t k = 0; k < sessions.size(); ++k) {
    last_ts[k] = sessions[k].events.empty() ? 0.0 : sessions[k].events.front().ts;
  }
  double t = sessions.front().events.empty() ? 0.0 : sessions.front().events.front().ts;
  std::size_t assets = 0, prompts = 0, annotations = 0;
  std::uint64_t serial = 0;
  for (;;) {
    std::size_t left = 0;
    for (std::size_t k = 0; k < sessions.size(); ++k) left += blocks[k].size() - next[k];
    if (left == 0) break;
    std::uint64_t pick = rng.Next() % left;
    std::size_t k = 0;
    while (pick >= blocks[k].size() - next[k]) pick -= blocks[k].size() - next[k], ++k;
    const Block b = blocks[k][next[k]++];
    const auto& ev = sessions[k].events;
    t += std::max(0.0, ev[b.begin].ts - last_ts[k]);  // the input's own gap before this asset
    const double base = ev[b.begin].ts;
    for (std::size_t i = b.begin; i < b.end; ++i) {
      Message m = Decode(ev[i].bytes, SessionDecodeLimits());
      const double ts = t + (ev[i].ts - base);
      std::visit(
          [&](auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, AssetEvent> || std::is_same_v<T, PromptEvent> ||
                          std::is_same_v<T, AnnotationEvent> || std::is_same_v<T, FeedbackEvent>) {
              body.meta.ts = ts;
              body.meta.id = "m" + std::to_string(++serial);
            }
            if constexpr (std::is_same_v<T, AssetEvent>) {
              const auto& own_root = sessions[k].manifest.data_root;
              if (!body.uri.empty() && !own_root.empty()) {
                body.uri = std::filesystem::relative(
                               std::filesystem::weakly_canonical(own_root) / body.uri, root)
                               .generic_string();
              }
              ++assets;
            }
            if constexpr (std::is_same_v<T, PromptEvent>) ++prompts;
            if constexpr (std::is_same_v<T, AnnotationEvent>) ++annotations;
          },
          m.body);
      std::string bytes;
      if (auto* a = std::get_if<AssetEvent>(&m.body)) bytes = EncodeEvent(*a);
      if (auto* p = std::get_if<PromptEvent>(&m.body)) bytes = EncodeEvent(*p);
      if (auto* n = std::get_if<AnnotationEvent>(&m.body)) bytes = EncodeEvent(*n);
      if (auto* f = std::get_if<FeedbackEvent>(&m.body)) bytes = EncodeEvent(*f);
      log.Append(Direction::kIn, Nanos(ts), ev[i].client, 0, bytes);
    }
    t += ev[b.end - 1].ts - base;
    last_ts[k] = ev[b.end - 1].ts;
  }
  log.Close();

  SessionManifest m;
  m.kind = "merged";
  bool all_modelled = true, all_real = true;
  for (const Session& s : sessions) {
    all_modelled = all_modelled && s.manifest.timings == "modelled";
    all_real = all_real && s.manifest.timings == "real";
    for (const std::string& src : s.manifest.sources) m.sources.push_back(src);
  }
  m.timings = all_modelled ? "modelled" : (all_real ? "real" : "mixed");
  m.data_root = root;
  m.seed = seed;
  m.assets = assets;
  m.prompts = prompts;
  m.annotations = annotations;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    m.notes["input_" + std::to_string(k)] = std::filesystem::absolute(inputs[k]).string();
  }
  m.written_by = std::string(kWriter) + " --merge";
  WriteSessionManifest(out, m);
  return m;
}

}  // namespace understudy
