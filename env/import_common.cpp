#include "env/import_common.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <utility>

#include "env/mask_polygon.h"
#include "rewards/validation.h"

namespace understudy::detail {
namespace fs = std::filesystem;
namespace {

bool IsIdentifier(const std::string& key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

const char* TypeName(const Json& j) { return j.type_name(); }

}  // namespace

void JsonNode::Fail(const std::string& message) const {
  throw ImportError(Where() + ": " + message);
}

bool JsonNode::Has(const std::string& key) const {
  return json_->is_object() && json_->find(key) != json_->end();
}

JsonNode JsonNode::operator[](const std::string& key) const {
  if (!json_->is_object()) Fail(std::string("expected an object, found ") + TypeName(*json_));
  const auto it = json_->find(key);
  const std::string child =
      IsIdentifier(key) ? (path_.empty() ? key : path_ + "." + key) : path_ + "['" + key + "']";
  if (it == json_->end()) throw ImportError(file_ + ": " + child + ": missing");
  return JsonNode(*it, file_, child);
}

bool JsonNode::Find(const std::string& key, JsonNode* out) const {
  if (!json_->is_object()) Fail(std::string("expected an object, found ") + TypeName(*json_));
  const auto it = json_->find(key);
  if (it == json_->end() || it->is_null()) return false;
  *out = (*this)[key];
  return true;
}

JsonNode JsonNode::At(std::size_t index) const {
  if (!json_->is_array()) Fail(std::string("expected an array, found ") + TypeName(*json_));
  if (index >= json_->size()) Fail("index " + std::to_string(index) + " out of range");
  return JsonNode((*json_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

std::size_t JsonNode::ArraySize() const {
  if (!json_->is_array()) Fail(std::string("expected an array, found ") + TypeName(*json_));
  return json_->size();
}

void JsonNode::ForEachMember(
    const std::function<void(const std::string&, const JsonNode&)>& fn) const {
  if (!json_->is_object()) Fail(std::string("expected an object, found ") + TypeName(*json_));
  for (auto it = json_->begin(); it != json_->end(); ++it) fn(it.key(), (*this)[it.key()]);
}

void JsonNode::ForEachElement(const std::function<void(std::size_t, const JsonNode&)>& fn) const {
  const std::size_t n = ArraySize();
  for (std::size_t i = 0; i < n; ++i) fn(i, At(i));
}

const std::string& JsonNode::String() const {
  if (!json_->is_string()) Fail(std::string("expected a string, found ") + TypeName(*json_));
  return json_->get_ref<const std::string&>();
}

double JsonNode::Number() const {
  if (!json_->is_number()) Fail(std::string("expected a number, found ") + TypeName(*json_));
  const double v = json_->get<double>();
  if (!std::isfinite(v)) Fail("not a finite number");
  return v;
}

std::int64_t JsonNode::Int(std::int64_t min, std::int64_t max) const {
  if (!json_->is_number()) Fail(std::string("expected an integer, found ") + TypeName(*json_));
  std::int64_t v = 0;
  if (json_->is_number_unsigned()) {
    const auto u = json_->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max)) Fail(std::to_string(u) + " is out of range");
    v = static_cast<std::int64_t>(u);
  } else if (json_->is_number_integer()) {
    v = json_->get<std::int64_t>();
  } else {
    const double d = json_->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
        d > static_cast<double>(max)) {
      Fail(json_->dump() + " is not an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "]");
    }
    v = static_cast<std::int64_t>(d);
  }
  if (v < min || v > max) {
    Fail(std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
         std::to_string(max) + "]");
  }
  return v;
}

bool JsonNode::Bool() const {
  if (!json_->is_boolean()) Fail(std::string("expected a boolean, found ") + TypeName(*json_));
  return json_->get<bool>();
}

std::string ReadTextFile(const fs::path& path, const std::string& display) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ImportError(display + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ImportError(display + ": read error");
  return ss.str();
}

Json ParseJsonFile(const fs::path& path, const std::string& display) {
  const std::string text = ReadTextFile(path, display);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // syntax errors, and number overflow (out_of_range)
    throw ImportError(display + ": invalid JSON: " + e.what());
  }
}

namespace {

std::string CheckInside(const Instance& inst, const AssetRecord& asset, double slack) {
  if (asset.width <= 0 || asset.height <= 0) return "";
  // Holes lie inside their outer ring, so checking the outer rings is enough.
  for (const Polygon& p : inst.parts) {
    for (const Point& q : p.outer) {
      if (q.x < -slack || q.y < -slack || q.x > asset.width + slack || q.y > asset.height + slack) {
        std::ostringstream ss;
        ss << "vertex (" << q.x << ", " << q.y << ") lies outside the " << asset.width << "x"
           << asset.height << " image";
        return ss.str();
      }
    }
  }
  return "";
}

// Enough to show what kind of repairs a dataset needs without growing with its size.
constexpr std::size_t kMaxListedRepairs = 20;

bool Accept(AssetRecord& asset, Instance raw, const std::string& where, Context& ctx,
            const std::function<void(Instance)>& add) {
  for (const Polygon& p : raw.parts) ctx.report.read_polygon_vertices.push_back(p.outer.size());
  std::string problem;
  Instance valid;
  try {
    ValidationReport validation;
    valid = Validate(std::move(raw), ctx.options.validation, &validation);
    if (validation.repaired) {
      ++ctx.report.repaired_instances;
      if (ctx.report.repairs.size() < kMaxListedRepairs) {
        ctx.report.repairs.push_back(where + ": " + validation.problem);
      }
    }
    problem = CheckInside(valid, asset, ctx.options.max_outside);
  } catch (const GeometryError& e) {
    problem = e.what();
  }
  if (problem.empty()) {
    add(std::move(valid));
    return true;
  }
  if (!ctx.options.skip_bad_instances) throw ImportError(where + ": " + problem);
  ++ctx.report.skipped_instances;
  ctx.report.problems.push_back(where + ": " + problem);
  return false;
}

}  // namespace

bool AddInstance(AssetRecord& asset, Instance raw, int class_id, bool crowd,
                 const std::string& where, Context& ctx) {
  return Accept(asset, std::move(raw), where, ctx, [&](Instance v) {
    asset.instances.push_back(AnnotatedInstance{std::move(v), class_id, crowd});
  });
}

bool AddIgnore(AssetRecord& asset, Instance raw, const std::string& where, Context& ctx) {
  return Accept(asset, std::move(raw), where, ctx,
                [&](Instance v) { asset.ignore.push_back(std::move(v)); });
}

void SkipShape(const std::string& type, Context& ctx) { ++ctx.report.skipped_shapes[type]; }

Ring EllipseRing(double cx, double cy, double rx, double ry, double theta) {
  // Scale the inscribed polygon's radii so its area equals pi*rx*ry.
  const double n = kEllipseVertices;
  const double k = std::sqrt(2.0 * M_PI / (n * std::sin(2.0 * M_PI / n)));
  const double c = std::cos(theta), s = std::sin(theta);
  Ring ring;
  ring.reserve(kEllipseVertices);
  for (int i = 0; i < kEllipseVertices; ++i) {
    const double a = 2.0 * M_PI * i / n;
    const double x = k * rx * std::cos(a), y = k * ry * std::sin(a);
    ring.push_back({cx + c * x - s * y, cy + s * x + c * y});
  }
  return ring;
}

ImageInfo SizeImageBytes(const std::vector<std::uint8_t>& bytes, const std::string& where) {
  std::optional<ImageInfo> info;
  try {
    info = ReadImageInfo(bytes);
  } catch (const std::invalid_argument& e) {
    throw ImportError(where + ": " + e.what());
  }
  if (info) return *info;
  // A format without a header reader here (WebP, TIFF, ...): decode it to learn the size.
  const cv::Mat m = cv::imdecode(
      cv::Mat(1, static_cast<int>(bytes.size()), CV_8U, const_cast<std::uint8_t*>(bytes.data())),
      cv::IMREAD_COLOR);
  if (m.empty()) throw ImportError(where + ": not a decodable image");
  ImageInfo decoded;
  decoded.format = ImageExtension(bytes);
  decoded.width = m.cols;
  decoded.height = m.rows;
  return decoded;
}

ImageInfo SizeImageFile(const fs::path& file, const std::string& where) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw ImportError(where + ": image '" + file.string() + "' not found");
  // The header normally sits in the first few kilobytes; read the rest only when it does not.
  constexpr std::size_t kPrefix = 64 * 1024;
  std::vector<std::uint8_t> prefix;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ImportError(where + ": cannot open image '" + file.string() + "'");
    prefix.resize(kPrefix);
    in.read(reinterpret_cast<char*>(prefix.data()), static_cast<std::streamsize>(kPrefix));
    prefix.resize(static_cast<std::size_t>(in.gcount()));
  }
  if (prefix.size() == kPrefix) {
    try {
      if (auto info = ReadImageInfo(prefix)) return *info;
    } catch (const std::invalid_argument&) {
      // The prefix may end inside a long EXIF block: read the whole file below.
    }
  }
  try {
    return SizeImageBytes(ReadFileBytes(file), where + ": image '" + file.string() + "'");
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const ImportError*>(&e) != nullptr) throw;
    throw ImportError(where + ": " + e.what());
  }
}

Instance TraceForImport(const cv::Mat& mask, double dx, double dy, Context& ctx) {
  Instance inst = TraceMask(mask);
  const std::size_t cap = ctx.options.validation.max_vertices;
  auto fit = [&](Ring& ring) {
    if (ring.size() > cap) {
      std::vector<cv::Point2f> in, out;
      for (const Point& p : ring) in.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
      for (double tol = 0.25; tol <= 64.0; tol *= 2) {
        cv::approxPolyDP(in, out, tol, true);
        if (out.size() <= cap) break;
      }
      ring.clear();
      for (const cv::Point2f& p : out) ring.push_back({p.x, p.y});
      ++ctx.report.simplified_rings;
    }
    for (Point& p : ring) {
      p.x += dx;
      p.y += dy;
    }
  };
  for (Polygon& p : inst.parts) {
    fit(p.outer);
    for (Ring& h : p.holes) fit(h);
  }
  return inst;
}

std::vector<std::string> ReadClassList(const fs::path& path) {
  const std::string text = ReadTextFile(path, path.string());
  std::vector<std::string> names;
  std::istringstream in(text);
  std::string line;
  std::size_t number = 0;
  std::size_t blank_from = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto b = line.find_first_not_of(" \t");
    const auto e = line.find_last_not_of(" \t");
    line = b == std::string::npos ? "" : line.substr(b, e - b + 1);
    if (line.empty()) {
      if (blank_from == 0) blank_from = number;
      continue;
    }
    if (blank_from != 0) {
      throw ImportError(path.string() + ":" + std::to_string(blank_from) +
                        ": blank line inside the class list");
    }
    names.push_back(line);
  }
  if (names.empty()) throw ImportError(path.string() + ": no class names");
  return names;
}

int ClassIndex(std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it != names.end()) return static_cast<int>(it - names.begin());
  names.push_back(name);
  return static_cast<int>(names.size() - 1);
}

fs::path Normal(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

std::string RelativeTo(const fs::path& file, const fs::path& root) {
  return file.lexically_relative(root).generic_string();
}

fs::path CommonRoot(const fs::path& base, const std::vector<fs::path>& files) {
  fs::path root = base;
  for (const fs::path& f : files) {
    const fs::path parent = f.parent_path();
    fs::path common;
    auto a = root.begin(), b = parent.begin();
    for (; a != root.end() && b != parent.end() && *a == *b; ++a, ++b) common /= *a;
    root = common;
  }
  return root;
}

std::string LowerExtension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

std::vector<fs::path> ListFiles(const fs::path& dir, const std::vector<std::string>& extensions) {
  std::vector<fs::path> files;
  for (const auto& entry :
       fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = LowerExtension(entry.path());
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace understudy::detail
