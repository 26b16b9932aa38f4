// labelme JSON: one file per image.
#include <algorithm>
#include <cmath>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "env/base64.h"
#include "env/import_common.h"

namespace understudy::detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kIgnoreLabel = "__ignore__";

Point ReadPoint(const JsonNode& p) {
  if (p.ArraySize() != 2)
    p.Fail("expected [x, y], found " + std::to_string(p.ArraySize()) + " values");
  return {p.At(0).Number(), p.At(1).Number()};
}

std::vector<Point> ReadPoints(const JsonNode& points) {
  std::vector<Point> out;
  points.ForEachElement([&](std::size_t, const JsonNode& p) { out.push_back(ReadPoint(p)); });
  return out;
}

// The parts one shape contributes, or nullopt for a shape that is not a region.
std::optional<Instance> ShapeGeometry(const JsonNode& shape, const std::string& type,
                                      Context& ctx) {
  const JsonNode points = shape["points"];
  const std::vector<Point> pts = ReadPoints(points);
  auto need = [&](std::size_t n) {
    if (pts.size() != n) {
      points.Fail("a " + type + " needs " + std::to_string(n) + " points, found " +
                  std::to_string(pts.size()));
    }
  };
  if (type == "polygon") return MakeInstance(pts);
  if (type == "rectangle") {
    need(2);
    const double x0 = std::min(pts[0].x, pts[1].x), x1 = std::max(pts[0].x, pts[1].x);
    const double y0 = std::min(pts[0].y, pts[1].y), y1 = std::max(pts[0].y, pts[1].y);
    return MakeInstance({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}});
  }
  if (type == "circle") {
    need(2);
    const double r = std::hypot(pts[1].x - pts[0].x, pts[1].y - pts[0].y);
    return MakeInstance(EllipseRing(pts[0].x, pts[0].y, r, r));
  }
  if (type == "mask") {  // labelme 5: a PNG of the box from points[0] to points[1], inclusive
    need(2);
    const JsonNode mask_node = shape["mask"];
    std::vector<std::uint8_t> png;
    try {
      png = Base64Decode(mask_node.String());
    } catch (const std::invalid_argument& e) {
      mask_node.Fail(e.what());
    }
    const cv::Mat mask = png.empty() ? cv::Mat() : cv::imdecode(png, cv::IMREAD_GRAYSCALE);
    if (mask.empty()) mask_node.Fail("not a decodable PNG");
    const double x0 = std::floor(std::min(pts[0].x, pts[1].x)),
                 y0 = std::floor(std::min(pts[0].y, pts[1].y));
    const double w = std::floor(std::max(pts[0].x, pts[1].x)) - x0 + 1;
    const double h = std::floor(std::max(pts[0].y, pts[1].y)) - y0 + 1;
    if (mask.cols != w || mask.rows != h) {
      mask_node.Fail("the mask is " + std::to_string(mask.cols) + "x" + std::to_string(mask.rows) +
                     " but its box is " + std::to_string(static_cast<long long>(w)) + "x" +
                     std::to_string(static_cast<long long>(h)));
    }
    return TraceForImport(mask, x0, y0, ctx);
  }
  if (type == "line" || type == "point" || type == "linestrip" || type == "points") {
    SkipShape("labelme:" + type, ctx);
    return std::nullopt;
  }
  shape["shape_type"].Fail("unknown labelme shape type '" + type + "'");
}

bool IsImageExtension(const std::string& ext) {
  static const std::set<std::string> known = {".jpg", ".jpeg", ".png", ".bmp",
                                              ".tif", ".tiff", ".webp"};
  return known.count(ext) != 0;
}

struct Pending {
  std::string label;
  Instance raw;
  bool crowd = false;
  std::string where;
};

struct Entry {
  fs::path image;
  AssetRecord asset;
};

}  // namespace

Dataset LoadLabelme(const fs::path& path, Context& ctx) {
  const bool folder = fs::is_directory(path);
  const std::vector<fs::path> files =
      folder ? ListFiles(path, {".json"}) : std::vector<fs::path>{path};
  if (files.empty()) throw ImportError(path.string() + ": no .json files");
  const fs::path base = Normal(folder ? path : path.parent_path());

  Dataset data;
  const bool fixed_classes = !ctx.options.classes.empty();
  if (fixed_classes) {
    for (std::string& name : ReadClassList(ctx.options.classes)) {
      if (name != kIgnoreLabel) data.class_names.push_back(std::move(name));
    }
  }

  std::vector<Entry> entries;
  std::set<fs::path> seen;
  for (const fs::path& file : files) {
    const std::string display = file.string();
    const Json json = ParseJsonFile(file, display);
    const JsonNode top(json, display, "");
    if (!top.IsObject() || !top.Has("shapes")) top.Fail("not a labelme file (no 'shapes')");
    const fs::path json_dir = Normal(file.parent_path());
    std::string image_path = top["imagePath"].String();
    std::replace(image_path.begin(), image_path.end(), '\\', '/');  // written on Windows
    if (image_path.empty()) top["imagePath"].Fail("empty");

    Entry entry;
    entry.image =
        Normal((ctx.options.images.empty() ? json_dir : Normal(ctx.options.images)) / image_path);
    ImageInfo info;
    JsonNode image_data = top;
    if (top.Find("imageData", &image_data)) {
      try {
        entry.asset.data = Base64Decode(image_data.String());
      } catch (const std::invalid_argument& e) {
        image_data.Fail(e.what());
      }
      info = SizeImageBytes(entry.asset.data, image_data.Where());
      // imagePath may name the JSON itself (the image lives only inline): name it as an image.
      if (!IsImageExtension(LowerExtension(entry.image))) {
        entry.image.replace_extension("." + ImageExtension(entry.asset.data));
      }
    } else {
      info = SizeImageFile(entry.image, top["imagePath"].Where());
    }
    if (!seen.insert(entry.image).second)
      top["imagePath"].Fail("image '" + image_path + "' has two annotation files");
    for (const auto& [key, actual] : {std::pair<const char*, int>{"imageWidth", info.width},
                                      std::pair<const char*, int>{"imageHeight", info.height}}) {
      JsonNode n = top;
      if (!top.Find(key, &n)) continue;
      const auto said = n.Int(1, 1 << 30);
      if (said != actual) {
        n.Fail("says " + std::to_string(said) + " but the image is " + std::to_string(info.width) +
               "x" + std::to_string(info.height));
      }
    }
    entry.asset.width = info.width;
    entry.asset.height = info.height;

    // Shapes with the same (label, group_id) are the parts of one instance.
    std::vector<Pending> pending;
    std::map<std::pair<std::string, std::int64_t>, std::size_t> groups;
    top["shapes"].ForEachElement([&](std::size_t, const JsonNode& shape) {
      const std::string& label = shape["label"].String();
      JsonNode type_node = shape;
      const std::string type =
          shape.Find("shape_type", &type_node) ? type_node.String() : "polygon";
      std::optional<Instance> geometry = ShapeGeometry(shape, type, ctx);
      if (!geometry) return;
      bool crowd = false;
      JsonNode flags = shape;
      if (shape.Find("flags", &flags)) {
        JsonNode c = flags;
        if (flags.Find("crowd", &c)) crowd = c.Bool();
      }
      JsonNode group = shape;
      if (shape.Find("group_id", &group)) {
        const auto key = std::make_pair(label, group.Int(INT64_MIN, INT64_MAX));
        const auto it = groups.find(key);
        if (it != groups.end()) {
          Pending& p = pending[it->second];
          for (Polygon& part : geometry->parts) p.raw.parts.push_back(std::move(part));
          p.where += "+" + shape.path();
          p.crowd = p.crowd || crowd;
          return;
        }
        groups.emplace(key, pending.size());
      }
      pending.push_back(Pending{label, std::move(*geometry), crowd, shape.Where()});
    });
    for (Pending& p : pending) {
      if (p.label == kIgnoreLabel) {
        AddIgnore(entry.asset, std::move(p.raw), p.where, ctx);
        continue;
      }
      int class_id;
      if (fixed_classes) {
        const auto it = std::find(data.class_names.begin(), data.class_names.end(), p.label);
        if (it == data.class_names.end()) {
          throw ImportError(p.where + ": label '" + p.label + "' is not in " +
                            ctx.options.classes.string());
        }
        class_id = static_cast<int>(it - data.class_names.begin());
      } else {
        class_id = ClassIndex(data.class_names, p.label);
      }
      AddInstance(entry.asset, std::move(p.raw), class_id, p.crowd, p.where, ctx);
    }
    entries.push_back(std::move(entry));
  }

  std::vector<fs::path> images;
  for (const Entry& e : entries) images.push_back(e.image);
  const fs::path root =
      CommonRoot(ctx.options.images.empty() ? base : Normal(ctx.options.images), images);
  data.image_root = root.string();
  for (Entry& e : entries) {
    e.asset.id = RelativeTo(e.image, root);
    if (e.asset.data.empty()) e.asset.path = e.asset.id;
    data.assets.push_back(std::move(e.asset));
  }
  return data;
}

}  // namespace understudy::detail
