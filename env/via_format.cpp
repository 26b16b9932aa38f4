// VGG Image Annotator (VIA) 1.x and 2.x JSON.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "env/import_common.h"

namespace understudy::detail {
namespace fs = std::filesystem;
namespace {

Ring PolygonRing(const JsonNode& shape) {
  const JsonNode xs = shape["all_points_x"], ys = shape["all_points_y"];
  const std::size_t n = xs.ArraySize();
  if (ys.ArraySize() != n) {
    ys.Fail(std::to_string(ys.ArraySize()) + " values but all_points_x has " + std::to_string(n));
  }
  Ring ring;
  ring.reserve(n);
  for (std::size_t i = 0; i < n; ++i) ring.push_back({xs.At(i).Number(), ys.At(i).Number()});
  return ring;
}

std::string ClassValue(const JsonNode& attrs, const std::string& name) {
  const JsonNode v = attrs[name];
  if (v.IsString()) return v.String();
  if (v.raw().is_number()) return v.raw().dump();
  if (v.IsObject()) {  // a checkbox attribute: {option: true, ...}
    std::string chosen;
    int count = 0;
    v.ForEachMember([&](const std::string& key, const JsonNode& on) {
      if (on.Bool()) {
        chosen = key;
        ++count;
      }
    });
    if (count != 1) v.Fail("expected exactly one option set, found " + std::to_string(count));
    return chosen;
  }
  v.Fail(std::string("expected a class name, found ") + v.raw().type_name());
}

struct Entry {
  fs::path image;
  AssetRecord asset;
};

}  // namespace

Dataset LoadVia(const fs::path& path, Context& ctx) {
  const bool folder = fs::is_directory(path);
  const std::vector<fs::path> files =
      folder ? ListFiles(path, {".json"}) : std::vector<fs::path>{path};
  if (files.empty()) throw ImportError(path.string() + ": no .json files");
  const fs::path base = Normal(folder ? path : path.parent_path());

  Dataset data;
  const bool by_attribute = !ctx.options.class_attribute.empty();
  const bool fixed_classes = !ctx.options.classes.empty();
  if (fixed_classes) data.class_names = ReadClassList(ctx.options.classes);
  if (!by_attribute) {
    if (!fixed_classes) data.class_names = {"object"};
    if (data.class_names.size() != 1) {
      throw ImportError(
          ctx.options.classes.string() +
          ": without a class attribute a VIA import has exactly one class, the list has " +
          std::to_string(data.class_names.size()));
    }
  }

  std::vector<Entry> entries;
  std::set<fs::path> seen;
  for (const fs::path& file : files) {
    const std::string display = file.string();
    const Json json = ParseJsonFile(file, display);
    const JsonNode top(json, display, "");
    if (!top.IsObject())
      top.Fail(std::string("expected a VIA project object, found ") + json.type_name());
    const fs::path image_dir =
        ctx.options.images.empty() ? Normal(file.parent_path()) : Normal(ctx.options.images);

    JsonNode metadata = top;
    std::vector<std::string> order;
    if (top.Has("_via_img_metadata")) {  // VIA 2.x project
      metadata = top["_via_img_metadata"];
      JsonNode ids = top;
      if (top.Find("_via_image_id_list", &ids)) {
        ids.ForEachElement([&](std::size_t, const JsonNode& id) { order.push_back(id.String()); });
      }
    }
    if (order.empty()) {
      metadata.ForEachMember(
          [&](const std::string& key, const JsonNode&) { order.push_back(key); });
    }
    for (const std::string& key : order) {
      const JsonNode item = metadata[key];
      const std::string& filename = item["filename"].String();
      if (filename.empty()) item["filename"].Fail("empty file name");
      Entry entry;
      entry.image = Normal(image_dir / filename);
      if (!seen.insert(entry.image).second)
        item["filename"].Fail("image '" + filename + "' listed twice");
      const ImageInfo info = SizeImageFile(entry.image, item["filename"].Where());
      entry.asset.width = info.width;
      entry.asset.height = info.height;

      const JsonNode regions = item["regions"];
      if (!regions.IsArray() && !regions.IsObject()) {
        regions.Fail(std::string("expected an array or object of regions, found ") +
                     regions.raw().type_name());
      }
      auto read_region = [&](const JsonNode& region) {
        const JsonNode shape = region["shape_attributes"];
        const std::string& name = shape["name"].String();
        Instance raw;
        if (name == "polygon") {
          raw = MakeInstance(PolygonRing(shape));
        } else if (name == "rect") {
          const double x = shape["x"].Number(), y = shape["y"].Number();
          const double w = shape["width"].Number(), h = shape["height"].Number();
          raw = MakeInstance({{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}});
        } else if (name == "circle") {
          const double r = shape["r"].Number();
          raw = MakeInstance(EllipseRing(shape["cx"].Number(), shape["cy"].Number(), r, r));
        } else if (name == "ellipse") {
          JsonNode theta = shape;
          const double t = shape.Find("theta", &theta) ? theta.Number() : 0.0;
          raw = MakeInstance(EllipseRing(shape["cx"].Number(), shape["cy"].Number(),
                                         shape["rx"].Number(), shape["ry"].Number(), t));
        } else if (name == "polyline" || name == "point") {
          SkipShape("via:" + name, ctx);
          return;
        } else {
          shape["name"].Fail("unknown VIA shape '" + name + "'");
        }
        int class_id = 0;
        if (by_attribute) {
          const std::string value =
              ClassValue(region["region_attributes"], ctx.options.class_attribute);
          if (fixed_classes) {
            const auto it = std::find(data.class_names.begin(), data.class_names.end(), value);
            if (it == data.class_names.end()) {
              region["region_attributes"][ctx.options.class_attribute].Fail(
                  "class '" + value + "' is not in " + ctx.options.classes.string());
            }
            class_id = static_cast<int>(it - data.class_names.begin());
          } else {
            class_id = ClassIndex(data.class_names, value);
          }
        }
        AddInstance(entry.asset, std::move(raw), class_id, false, region.Where(), ctx);
      };
      if (regions.IsArray()) {
        regions.ForEachElement([&](std::size_t, const JsonNode& r) { read_region(r); });
      } else {
        regions.ForEachMember([&](const std::string&, const JsonNode& r) { read_region(r); });
      }
      entries.push_back(std::move(entry));
    }
  }

  std::vector<fs::path> images;
  for (const Entry& e : entries) images.push_back(e.image);
  const fs::path root =
      CommonRoot(ctx.options.images.empty() ? base : Normal(ctx.options.images), images);
  data.image_root = root.string();
  for (Entry& e : entries) {
    e.asset.path = RelativeTo(e.image, root);
    e.asset.id = e.asset.path;
    data.assets.push_back(std::move(e.asset));
  }
  return data;
}

}  // namespace understudy::detail
