#include "env/synthetic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "env/contour.h"
#include "env/rasterize.h"
#include "env/rng.h"
#include "env/worker_pool.h"
#include "rewards/validation.h"

namespace understudy {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kSupersample = 4;  // object edges are anti-aliased from a 4x4 coverage grid

enum Kind : int { kEllipse = 0, kBlob = 1, kStar = 2, kConcave = 3 };

// Inserts points along every edge so no gap exceeds `spacing`, keeping the corners exact.
Ring Densify(const Ring& polygon, double spacing) {
  Ring out;
  for (std::size_t i = 0; i < polygon.size(); ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % polygon.size()];
    const int steps =
        std::max(1, static_cast<int>(std::ceil(std::hypot(b.x - a.x, b.y - a.y) / spacing)));
    for (int s = 0; s < steps; ++s) {
      const double t = static_cast<double>(s) / steps;
      out.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)});
    }
  }
  return out;
}

Ring Polar(int n, const std::function<double(double)>& radius) {
  Ring r(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double t = 2.0 * kPi * i / n;
    const double rho = radius(t);
    r[static_cast<std::size_t>(i)] = {rho * std::cos(t), rho * std::sin(t)};
  }
  return r;
}

// A shape in local units (about [-1, 1]^2), before aspect, rotation and scale.
Ring UnitShape(Kind kind, Rng& rng) {
  switch (kind) {
    case kEllipse:
      return Polar(256, [](double) { return 1.0; });
    case kBlob: {
      std::array<double, 6> amp{}, phase{};
      for (int k = 2; k < 6; ++k) {
        amp[static_cast<std::size_t>(k)] = rng.Uniform(0.0, 0.45 / k);
        phase[static_cast<std::size_t>(k)] = rng.Uniform(0.0, 2.0 * kPi);
      }
      return Polar(256, [&](double t) {
        double r = 1.0;
        for (int k = 2; k < 6; ++k) {
          r += amp[static_cast<std::size_t>(k)] *
               std::cos(k * t + phase[static_cast<std::size_t>(k)]);
        }
        return std::max(r, 0.3);
      });
    }
    case kStar: {
      const int points = rng.UniformInt(4, 8);
      const double inner = rng.Uniform(0.4, 0.7);
      Ring star;
      for (int i = 0; i < 2 * points; ++i) {
        const double t = kPi * i / points;
        const double rho = (i % 2 == 0) ? 1.0 : inner;
        star.push_back({rho * std::cos(t), rho * std::sin(t)});
      }
      return Densify(star, 0.03);
    }
    case kConcave: {
      const int which = rng.UniformInt(0, 2);
      const double t = rng.Uniform(0.35, 0.6);  // bar thickness, local units
      if (which == 0) {                         // L
        return Densify({{-1, -1}, {-1 + t, -1}, {-1 + t, 1 - t}, {1, 1 - t}, {1, 1}, {-1, 1}},
                       0.03);
      }
      if (which == 1) {  // U
        return Densify({{-1, -1},
                        {-1 + t, -1},
                        {-1 + t, 1 - t},
                        {1 - t, 1 - t},
                        {1 - t, -1},
                        {1, -1},
                        {1, 1},
                        {-1, 1}},
                       0.03);
      }
      // Crescent: the unit disc minus a disc of radius r2 centred at (d, 0).
      const double d = rng.Uniform(0.35, 0.6), r2 = rng.Uniform(0.75, 0.9);
      const double xi = (1.0 - r2 * r2 + d * d) / (2.0 * d);
      const double yi = std::sqrt(std::max(0.0, 1.0 - xi * xi));
      const double outer_from = std::atan2(yi, xi);                   // upper intersection
      const double inner_from = std::atan2(-yi, xi - d) + 2.0 * kPi;  // lower one, seen from (d,0)
      const double inner_to = std::atan2(yi, xi - d);
      Ring crescent;
      const int n = 160;
      for (int i = 0; i <= n; ++i) {  // outer arc, counter-clockwise round the far side
        const double a = outer_from + (2.0 * kPi - 2.0 * outer_from) * i / n;
        crescent.push_back({std::cos(a), std::sin(a)});
      }
      for (int i = 1; i < n; ++i) {  // inner arc back, clockwise
        const double a = inner_from + (inner_to - inner_from) * i / n;
        crescent.push_back({d + r2 * std::cos(a), r2 * std::sin(a)});
      }
      return crescent;
    }
  }
  throw std::logic_error("UnitShape: unknown kind");
}

Kind PickKind(const SyntheticConfig& c, Rng& rng) {
  const std::array<double, 4> w{c.ellipse_weight, c.blob_weight, c.star_weight, c.concave_weight};
  const double total = w[0] + w[1] + w[2] + w[3];
  double u = rng.Uniform(0.0, total);
  for (int k = 0; k < 4; ++k) {
    if (u < w[static_cast<std::size_t>(k)]) return static_cast<Kind>(k);
    u -= w[static_cast<std::size_t>(k)];
  }
  return kConcave;
}

cv::Scalar RandomColour(Rng& rng, double lo, double hi) {
  return {rng.Uniform(lo, hi), rng.Uniform(lo, hi), rng.Uniform(lo, hi)};
}

// A smooth random field: a (gw x gh) grid of values in [-1, 1] upsampled to `size`.
cv::Mat SmoothField(cv::Size size, int gw, int gh, int channels, Rng& rng) {
  cv::Mat grid(gh, gw, CV_32FC(channels));
  auto* p = grid.ptr<float>();
  for (std::size_t i = 0; i < grid.total() * static_cast<std::size_t>(channels); ++i) {
    p[i] = static_cast<float>(rng.Uniform(-1.0, 1.0));
  }
  cv::Mat out;
  cv::resize(grid, out, size, 0, 0, cv::INTER_CUBIC);
  return out;
}

void DrawBackground(const SyntheticConfig& c, Rng& rng, cv::Mat& image) {
  const cv::Size size(c.width, c.height);
  const cv::Scalar base = RandomColour(rng, 50.0, 205.0);
  cv::Mat canvas(size, CV_32FC3, base);
  // Low-frequency colour variation (lighting, large regions) ...
  canvas += SmoothField(size, 4, 3, 3, rng) * (25.0 + 35.0 * c.texture);
  // ... and a grainy texture, grey.
  if (c.texture > 0.0) {
    const int cell = rng.UniformInt(3, 8);
    cv::Mat grain =
        SmoothField(size, std::max(2, c.width / cell), std::max(2, c.height / cell), 1, rng);
    cv::Mat grain3;
    cv::merge(std::vector<cv::Mat>{grain, grain, grain}, grain3);
    canvas += grain3 * (40.0 * c.texture);
  }
  canvas.convertTo(image, CV_8UC3);
  // Distractors: unannotated shapes, some in the background's own colours, some in any colour.
  const int count =
      static_cast<int>(std::lround(c.clutter * 30.0 * c.width * c.height / (320.0 * 240.0)));
  const double side = std::min(c.width, c.height);
  for (int i = 0; i < count; ++i) {
    const cv::Scalar colour =
        rng.Bernoulli(0.5) ? base + RandomColour(rng, -70.0, 70.0) : RandomColour(rng, 0.0, 255.0);
    const cv::Point at(rng.UniformInt(0, c.width - 1), rng.UniformInt(0, c.height - 1));
    const int extent = std::max(2, static_cast<int>(side * rng.Uniform(0.03, 0.25)));
    const int thickness = rng.UniformInt(1, 3);
    switch (rng.UniformInt(0, 3)) {
      case 0: {
        const double a = rng.Uniform(0.0, kPi);
        const cv::Point d(static_cast<int>(extent * std::cos(a)),
                          static_cast<int>(extent * std::sin(a)));
        cv::line(image, at - d, at + d, colour, thickness, cv::LINE_AA);
        break;
      }
      case 1:
        cv::rectangle(image, at, at + cv::Point(extent, extent * rng.UniformInt(1, 3) / 2), colour,
                      rng.Bernoulli(0.5) ? cv::FILLED : thickness, cv::LINE_AA);
        break;
      case 2:
        cv::circle(image, at, extent / 2, colour, rng.Bernoulli(0.5) ? cv::FILLED : thickness,
                   cv::LINE_AA);
        break;
      default: {  // an object-like blob nobody annotated
        Ring blob = UnitShape(kBlob, rng);
        std::vector<cv::Point> pts;
        for (const Point& p : blob) {
          pts.emplace_back(at.x + static_cast<int>(p.x * extent * 0.5),
                           at.y + static_cast<int>(p.y * extent * 0.5));
        }
        cv::fillPoly(image, std::vector<std::vector<cv::Point>>{pts}, colour, cv::LINE_AA);
      }
    }
  }
}

// The object's colour field over `roi`: a base colour at `contrast` from the background behind it,
// modulated by stripes, spots or shading.
cv::Mat ObjectAppearance(const SyntheticConfig& c, const cv::Mat& behind, Rng& rng) {
  const cv::Scalar bg = cv::mean(behind);
  // A random direction in colour space; the side that clips less wins.
  std::array<double, 3> dir{rng.Normal(), rng.Normal(), rng.Normal()};
  const double norm =
      std::max(1e-9, std::sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]));
  const double distance = c.contrast * 150.0 * rng.Uniform(0.8, 1.2);
  cv::Scalar best;
  double best_kept = -1.0;
  for (double sign : {1.0, -1.0}) {
    cv::Scalar colour;
    double kept = 0.0;
    for (int k = 0; k < 3; ++k) {
      const double v = bg[k] + sign * distance * dir[static_cast<std::size_t>(k)] / norm;
      colour[k] = std::clamp(v, 0.0, 255.0);
      kept += (colour[k] - bg[k]) * (colour[k] - bg[k]);
    }
    if (kept > best_kept) {
      best_kept = kept;
      best = colour;
    }
  }
  const cv::Size size = behind.size();
  cv::Mat field(size, CV_32FC1, cv::Scalar(0.0));
  const double amplitude = 50.0 * c.texture;
  if (amplitude > 0.0) {
    const int pattern = rng.UniformInt(0, 2);
    if (pattern == 0) {  // stripes
      const double a = rng.Uniform(0.0, kPi), period = rng.Uniform(4.0, 16.0);
      const double ca = std::cos(a), sa = std::sin(a);
      for (int y = 0; y < size.height; ++y) {
        auto* row = field.ptr<float>(y);
        for (int x = 0; x < size.width; ++x) {
          row[x] = static_cast<float>(std::sin(2.0 * kPi * (x * ca + y * sa) / period));
        }
      }
    } else if (pattern == 1) {  // spots
      const int cell = rng.UniformInt(3, 8);
      field = SmoothField(size, std::max(2, size.width / cell), std::max(2, size.height / cell), 1,
                          rng);
    }
    // Every object gets some shading: lit from one side.
    const double a = rng.Uniform(0.0, 2.0 * kPi);
    const double ca = std::cos(a), sa = std::sin(a);
    const double half = 0.5 * std::max(size.width, size.height);
    for (int y = 0; y < size.height; ++y) {
      auto* row = field.ptr<float>(y);
      for (int x = 0; x < size.width; ++x) {
        row[x] += static_cast<float>(
            0.7 * ((x - 0.5 * size.width) * ca + (y - 0.5 * size.height) * sa) / half);
      }
    }
    field *= amplitude;
  }
  cv::Mat out(size, CV_32FC3, best);
  cv::Mat field3;
  cv::merge(std::vector<cv::Mat>{field, field, field}, field3);
  out += field3;
  return out;
}

// Adds noise with standard deviation `sigma` grey levels to every value: the sum of four 16-bit
// uniforms (Irwin-Hall, close to normal) from one 64-bit SplitMix64 draw, seeded from `rng`.
// SplitMix64 is a fixed, portable function, and several times cheaper per value than
// mt19937_64, which matters at one draw per pixel and channel.
void AddNoise(cv::Mat& image, double sigma, Rng& rng) {
  if (sigma <= 0.0) return;
  std::uint64_t state = rng.Next();
  // The sum of four U(0, 65536) has variance 4 * 65536^2 / 12.
  const double scale = sigma / (65536.0 * std::sqrt(4.0 / 12.0));
  for (int y = 0; y < image.rows; ++y) {
    auto* row = image.ptr<std::uint8_t>(y);
    for (int x = 0; x < image.cols * image.channels(); ++x) {
      state += 0x9E3779B97F4A7C15ULL;
      std::uint64_t r = state;
      r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9ULL;
      r = (r ^ (r >> 27)) * 0x94D049BB133111EBULL;
      r ^= r >> 31;
      const double sum = static_cast<double>((r & 0xFFFF) + ((r >> 16) & 0xFFFF) +
                                             ((r >> 32) & 0xFFFF) + (r >> 48)) -
                         2.0 * 65536.0;
      row[x] = cv::saturate_cast<std::uint8_t>(row[x] + sum * scale);
    }
  }
}

// The "human" polygon: simplified and jittered like clicks, kept simple (no self-crossings).
Instance HumanPolygon(const Ring& truth, const SyntheticConfig& c, Rng& rng) {
  const Ring simple = SimplifyRing(truth, c.simplify_epsilon);
  double jitter = c.click_jitter;
  for (int attempt = 0; attempt < 8; ++attempt) {
    Ring clicked = simple;
    for (Point& p : clicked) {
      p.x = std::clamp(p.x + rng.Normal(0.0, jitter), 0.0, static_cast<double>(c.width));
      p.y = std::clamp(p.y + rng.Normal(0.0, jitter), 0.0, static_cast<double>(c.height));
    }
    if (IsSimpleRing(clicked)) return Validate(MakeInstance(std::move(clicked)));
    if (attempt % 2 == 1) jitter *= 0.5;
  }
  return Validate(MakeInstance(simple));
}

}  // namespace

void SyntheticConfig::Validate() const {
  auto fail = [](const std::string& field, double value, const std::string& rule) {
    throw std::invalid_argument("SyntheticConfig." + field + " = " + std::to_string(value) + " (" +
                                rule + ")");
  };
  if (num_assets < 0 || num_assets > 1000000) fail("num_assets", num_assets, "must be in [0, 1e6]");
  if (width < 32 || width > 4096) fail("width", width, "must be in [32, 4096]");
  if (height < 32 || height > 4096) fail("height", height, "must be in [32, 4096]");
  if (min_objects < 0 || min_objects > 50) fail("min_objects", min_objects, "must be in [0, 50]");
  if (max_objects < min_objects || max_objects > 50) {
    fail("max_objects", max_objects, "must be in [min_objects, 50]");
  }
  if (!(min_size > 0.0 && min_size <= 0.95)) fail("min_size", min_size, "must be in (0, 0.95]");
  if (!(max_size >= min_size && max_size <= 0.95)) {
    fail("max_size", max_size, "must be in [min_size, 0.95]");
  }
  if (min_size * std::min(width, height) < 6.0) {
    fail("min_size", min_size, "objects must be at least 6 pixels across");
  }
  const std::array<std::pair<const char*, double>, 4> weights{{{"ellipse_weight", ellipse_weight},
                                                               {"blob_weight", blob_weight},
                                                               {"star_weight", star_weight},
                                                               {"concave_weight", concave_weight}}};
  double total = 0.0;
  for (const auto& [field, w] : weights) {
    if (!(w >= 0.0 && std::isfinite(w))) fail(field, w, "must be finite and >= 0");
    total += w;
  }
  if (!(total > 0.0)) fail("ellipse_weight", ellipse_weight, "the shape weights must not all be 0");
  if (!(contrast >= 0.0 && contrast <= 1.0)) fail("contrast", contrast, "must be in [0, 1]");
  if (!(clutter >= 0.0 && clutter <= 1.0)) fail("clutter", clutter, "must be in [0, 1]");
  if (!(texture >= 0.0 && texture <= 1.0)) fail("texture", texture, "must be in [0, 1]");
  if (!(blur_sigma >= 0.0 && blur_sigma <= 10.0))
    fail("blur_sigma", blur_sigma, "must be in [0, 10]");
  if (!(noise_sigma >= 0.0 && noise_sigma <= 100.0)) {
    fail("noise_sigma", noise_sigma, "must be in [0, 100]");
  }
  if (!(min_gap >= -1000.0 && min_gap <= 100.0))
    fail("min_gap", min_gap, "must be in [-1000, 100]");
  if (!(simplify_epsilon >= 0.0 && simplify_epsilon <= 10.0)) {
    fail("simplify_epsilon", simplify_epsilon, "must be in [0, 10]");
  }
  if (!(click_jitter >= 0.0 && click_jitter <= 5.0)) {
    fail("click_jitter", click_jitter, "must be in [0, 5]");
  }
}

std::vector<std::string> SyntheticPresetNames() { return {"easy", "default", "hard"}; }

std::vector<std::string> SyntheticClassNames() { return {"ellipse", "blob", "star", "concave"}; }

SyntheticConfig SyntheticPreset(const std::string& name) {
  SyntheticConfig c;
  if (name == "default") return c;
  if (name == "easy") {
    c.min_objects = 1;
    c.max_objects = 2;
    c.min_size = 0.3;
    c.max_size = 0.6;
    c.star_weight = 0.5;
    c.concave_weight = 0.5;
    c.contrast = 0.8;
    c.clutter = 0.1;
    c.texture = 0.1;
    c.blur_sigma = 0.5;
    c.noise_sigma = 2.0;
    return c;
  }
  if (name == "hard") {
    c.min_objects = 2;
    c.max_objects = 6;
    c.min_size = 0.12;
    c.max_size = 0.4;
    c.contrast = 0.3;
    c.clutter = 0.9;
    c.texture = 0.7;
    c.blur_sigma = 1.2;
    c.noise_sigma = 8.0;
    c.min_gap = -10.0;
    return c;
  }
  std::string valid;
  for (const std::string& n : SyntheticPresetNames()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown synthetic preset '" + name + "' (valid: " + valid + ")");
}

SyntheticScene RenderSyntheticScene(const SyntheticConfig& config, int index) {
  config.Validate();
  if (index < 0)
    throw std::invalid_argument("RenderSyntheticScene: index = " + std::to_string(index));
  Rng rng(Rng::Mix(config.seed, static_cast<std::uint64_t>(index)));
  SyntheticScene scene;
  DrawBackground(config, rng, scene.image);

  const int wanted = rng.UniformInt(config.min_objects, config.max_objects);
  const double side = std::min(config.width, config.height);
  cv::Mat occupied = cv::Mat::zeros(config.height, config.width, CV_8UC1);
  std::vector<Box> placed;
  for (int o = 0; o < wanted; ++o) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      const Kind kind = PickKind(config, rng);
      Ring shape = UnitShape(kind, rng);
      // Aspect, rotation, then scale so the longer side of the box is the drawn size.
      const double aspect = rng.Uniform(0.6, 1.4), angle = rng.Uniform(0.0, 2.0 * kPi);
      const double ca = std::cos(angle), sa = std::sin(angle);
      for (Point& p : shape) {
        const double x = p.x * aspect, y = p.y / aspect;
        p = {x * ca - y * sa, x * sa + y * ca};
      }
      const Bounds b = BoundsOf(shape);
      const double size = side * rng.Uniform(config.min_size, config.max_size);
      const double scale = size / std::max(b.width(), b.height());
      const double w = b.width() * scale, h = b.height() * scale;
      if (w + 4.0 > config.width || h + 4.0 > config.height) continue;
      const double left = rng.Uniform(2.0, config.width - w - 2.0);
      const double top = rng.Uniform(2.0, config.height - h - 2.0);
      for (Point& p : shape) p = {left + (p.x - b.x0) * scale, top + (p.y - b.y0) * scale};
      const Box box{left, top, left + w, top + h};
      const bool too_close = std::any_of(placed.begin(), placed.end(), [&](const Box& q) {
        const double g = config.min_gap;
        return !(box.x1 + g <= q.x0 || q.x1 + g <= box.x0 || box.y1 + g <= q.y0 ||
                 q.y1 + g <= box.y0);
      });
      if (too_close) continue;
      // Shapes never overlap (each polygon stays the whole visible object), even when boxes do.
      const cv::Rect roi(
          cv::Point(static_cast<int>(std::floor(box.x0)), static_cast<int>(std::floor(box.y0))),
          cv::Point(std::min(config.width, static_cast<int>(std::ceil(box.x1)) + 1),
                    std::min(config.height, static_cast<int>(std::ceil(box.y1)) + 1)));
      cv::Mat footprint = cv::Mat::zeros(roi.size(), CV_8UC1);
      FillRing(footprint, shape,
               {static_cast<double>(roi.x), static_cast<double>(roi.y), 1.0, 1.0, roi.width,
                roi.height});
      cv::dilate(footprint, footprint, cv::Mat(), cv::Point(-1, -1), 2);
      if (cv::countNonZero(footprint & occupied(roi)) > 0) continue;
      occupied(roi) |= footprint;

      // Coverage from a supersampled mask gives anti-aliased edges.
      cv::Mat fine = cv::Mat::zeros(roi.height * kSupersample, roi.width * kSupersample, CV_8UC1);
      FillRing(fine, shape,
               {static_cast<double>(roi.x), static_cast<double>(roi.y), kSupersample, kSupersample,
                fine.cols, fine.rows});
      cv::Mat alpha;
      cv::resize(fine, alpha, roi.size(), 0, 0, cv::INTER_AREA);
      alpha.convertTo(alpha, CV_32FC1, 1.0 / 255.0);
      cv::Mat alpha3;
      cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
      cv::Mat target = scene.image(roi);
      const cv::Mat appearance = ObjectAppearance(config, target, rng);
      cv::Mat behind;
      target.convertTo(behind, CV_32FC3);
      cv::Mat blended = appearance.mul(alpha3) + behind.mul(cv::Scalar::all(1.0) - alpha3);
      blended.convertTo(target, CV_8UC3);

      AnnotatedInstance instance;
      instance.shape = HumanPolygon(shape, config, rng);
      instance.class_id = static_cast<int>(kind);
      scene.instances.push_back(std::move(instance));
      scene.truth.push_back(std::move(shape));
      placed.push_back(box);
      break;
    }
  }
  if (config.blur_sigma > 0.0) {
    cv::GaussianBlur(scene.image, scene.image, cv::Size(), config.blur_sigma, config.blur_sigma,
                     cv::BORDER_REFLECT);
  }
  AddNoise(scene.image, config.noise_sigma, rng);
  return scene;
}

Dataset GenerateSynthetic(const SyntheticConfig& config, int threads) {
  config.Validate();
  Dataset dataset;
  dataset.class_names = SyntheticClassNames();
  dataset.assets.resize(static_cast<std::size_t>(config.num_assets));
  // Fast zlib settings: noisy images barely compress, and run-length coding is what pays.
  const std::vector<int> png{cv::IMWRITE_PNG_COMPRESSION, 1, cv::IMWRITE_PNG_STRATEGY,
                             cv::IMWRITE_PNG_STRATEGY_RLE};
  WorkerPool pool(threads);
  pool.ParallelFor(dataset.assets.size(), [&](std::size_t i, int) {
    SyntheticScene scene = RenderSyntheticScene(config, static_cast<int>(i));
    AssetRecord& asset = dataset.assets[i];
    char id[32];
    std::snprintf(id, sizeof id, "synthetic-%05zu", i);
    asset.id = id;
    asset.width = config.width;
    asset.height = config.height;
    if (!cv::imencode(".png", scene.image, asset.data, png)) {
      throw std::runtime_error("GenerateSynthetic: PNG encoding failed for " + asset.id);
    }
    asset.instances = std::move(scene.instances);
  });
  return dataset;
}

}  // namespace understudy
