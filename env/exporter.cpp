#include "env/exporter.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <set>
#include <string>
#include <vector>

#include "env/base64.h"
#include "env/image_header.h"
#include "env/mask_polygon.h"
#include "env/rle.h"

namespace understudy {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

void WriteText(const fs::path& file, const std::string& text) {
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw ExportError("cannot write '" + file.string() + "'");
  out << text;
  out.close();
  if (!out) throw ExportError("error writing '" + file.string() + "'");
}

// Writes inline bytes once; an existing file with other content is never overwritten.
void WriteImage(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
  std::error_code ec;
  if (fs::exists(file, ec)) {
    if (ReadFileBytes(file) == bytes) return;
    throw ExportError("'" + file.string() + "' exists with other content; not overwriting it");
  }
  WriteText(file, std::string(bytes.begin(), bytes.end()));
}

Json RingJson(const Ring& ring) {
  Json flat = Json::array();
  for (const Point& p : ring) {
    flat.push_back(p.x);
    flat.push_back(p.y);
  }
  return flat;
}

bool HasHoles(const Instance& inst) {
  for (const Polygon& p : inst.parts) {
    if (!p.holes.empty()) return true;
  }
  return false;
}

// Ids become file paths under the output folder: they must stay inside it.
void CheckId(const AssetRecord& a) {
  const fs::path p(a.id);
  bool up = false;
  for (const fs::path& c : p) up = up || c == "..";
  if (a.id.empty() || p.is_absolute() || p.has_root_name() || up) {
    throw ExportError("asset id '" + a.id + "' is not a relative path inside the output folder");
  }
}

void CheckClass(const Dataset& d, const AssetRecord& a, const AnnotatedInstance& inst) {
  if (inst.class_id < 0 || static_cast<std::size_t>(inst.class_id) >= d.class_names.size()) {
    throw ExportError("asset '" + a.id + "': class " + std::to_string(inst.class_id) +
                      " but the dataset has " + std::to_string(d.class_names.size()) +
                      " class names");
  }
}

}  // namespace

void ExportCoco(const Dataset& dataset, const fs::path& out_json, ExportReport* report) {
  ExportReport local;
  ExportReport& r = report != nullptr ? *report : local;
  Json images = Json::array(), annotations = Json::array(), categories = Json::array();
  for (std::size_t c = 0; c < dataset.class_names.size(); ++c) {
    categories.push_back({{"id", c + 1}, {"name", dataset.class_names[c]}, {"supercategory", ""}});
  }
  std::set<std::string> ids;
  std::size_t next_annotation = 1;
  for (std::size_t i = 0; i < dataset.assets.size(); ++i) {
    const AssetRecord& a = dataset.assets[i];
    CheckId(a);
    if (!ids.insert(a.id).second) throw ExportError("asset id '" + a.id + "' is repeated");
    if (a.width <= 0 || a.height <= 0)
      throw ExportError("asset '" + a.id + "': unknown image size");
    if (a.path.empty()) {
      WriteImage(out_json.parent_path() / a.id, a.data);
      ++r.inline_images_written;
    }
    images.push_back(
        {{"id", i + 1}, {"file_name", a.id}, {"width", a.width}, {"height", a.height}});
    r.dropped_ignore += a.ignore.size();
    for (const AnnotatedInstance& inst : a.instances) {
      CheckClass(dataset, a, inst);
      const Bounds b = BoundsOf(inst.shape);
      Json ann = {
          {"id", next_annotation++}, {"image_id", i + 1}, {"category_id", inst.class_id + 1}};
      if (HasHoles(inst.shape)) {
        const Rle rle = RleEncode(RasterizeInstance(inst.shape, a.width, a.height));
        ann["segmentation"] = {{"size", {a.height, a.width}}, {"counts", RleToString(rle)}};
        ++r.rle_instances;
      } else {
        Json polys = Json::array();
        for (const Polygon& p : inst.shape.parts) polys.push_back(RingJson(p.outer));
        ann["segmentation"] = std::move(polys);
      }
      ann["area"] = Area(inst.shape);
      ann["bbox"] = {b.x0, b.y0, b.width(), b.height()};
      ann["iscrowd"] = inst.crowd ? 1 : 0;
      annotations.push_back(std::move(ann));
    }
  }
  Json top = {{"info", {{"description", "exported by understudy"}}},
              {"images", std::move(images)},
              {"annotations", std::move(annotations)},
              {"categories", std::move(categories)}};
  WriteText(out_json, top.dump());
}

void ExportLabelme(const Dataset& dataset, const fs::path& out_dir, ExportReport* report) {
  ExportReport local;
  ExportReport& r = report != nullptr ? *report : local;
  for (const std::string& name : dataset.class_names) {
    if (name == "__ignore__")
      throw ExportError("class '__ignore__' would read back as an ignore region");
  }
  const fs::path out = fs::absolute(out_dir).lexically_normal();
  std::set<fs::path> written;
  for (const AssetRecord& a : dataset.assets) {
    CheckId(a);
    fs::path json_file = out / fs::path(a.id);
    json_file.replace_extension(".json");
    if (!written.insert(json_file).second)
      throw ExportError("two assets map to '" + json_file.string() + "'");
    Json shapes = Json::array();
    int next_group = 0;
    auto add = [&](const Instance& shape, const std::string& label, bool crowd) {
      Json group = nullptr;
      if (shape.parts.size() > 1) group = next_group++;
      for (const Polygon& p : shape.parts) {
        Json points = Json::array();
        for (const Point& q : p.outer) points.push_back({q.x, q.y});
        Json flags = Json::object();
        if (crowd) flags["crowd"] = true;
        shapes.push_back({{"label", label},
                          {"points", std::move(points)},
                          {"group_id", group},
                          {"shape_type", "polygon"},
                          {"flags", std::move(flags)}});
        r.dropped_holes += p.holes.size();
      }
    };
    for (const AnnotatedInstance& inst : a.instances) {
      CheckClass(dataset, a, inst);
      add(inst.shape, dataset.class_names[static_cast<std::size_t>(inst.class_id)], inst.crowd);
    }
    for (const Instance& region : a.ignore) add(region, "__ignore__", false);
    Json top = {{"version", "5.0.1"}, {"flags", Json::object()}, {"shapes", std::move(shapes)}};
    if (a.path.empty()) {
      top["imagePath"] = fs::path(a.id).filename().generic_string();
      top["imageData"] = Base64Encode(a.data);
    } else {
      const fs::path image = (fs::absolute(dataset.image_root) / a.path).lexically_normal();
      top["imagePath"] = image.lexically_relative(json_file.parent_path()).generic_string();
      top["imageData"] = nullptr;
    }
    top["imageHeight"] = a.height;
    top["imageWidth"] = a.width;
    WriteText(json_file, top.dump(2));
  }
}

}  // namespace understudy
