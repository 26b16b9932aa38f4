// COCO instance-segmentation JSON: polygons, uncompressed and compressed RLE, iscrowd.
#include <algorithm>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <utility>
#include <vector>

#include "env/import_common.h"
#include "env/rle.h"

namespace understudy::detail {
namespace fs = std::filesystem;
namespace {

constexpr std::int64_t kMaxSide = 1 << 20;

Instance PolygonsOf(const JsonNode& seg) {
  Instance raw;
  seg.ForEachElement([&](std::size_t, const JsonNode& ring_node) {
    const std::size_t n = ring_node.ArraySize();
    if (n % 2 != 0) ring_node.Fail("odd number of coordinates (" + std::to_string(n) + ")");
    Ring ring;
    ring.reserve(n / 2);
    for (std::size_t i = 0; i < n; i += 2)
      ring.push_back({ring_node.At(i).Number(), ring_node.At(i + 1).Number()});
    raw.parts.push_back(Polygon{std::move(ring), {}});
  });
  return raw;
}

Instance RleOf(const JsonNode& seg, const AssetRecord& asset, Context& ctx) {
  const JsonNode size = seg["size"];
  if (size.ArraySize() != 2) size.Fail("expected [height, width]");
  const auto h = static_cast<int>(size.At(0).Int(0, kMaxSide));
  const auto w = static_cast<int>(size.At(1).Int(0, kMaxSide));
  if (h != asset.height || w != asset.width) {
    size.Fail("[" + std::to_string(h) + ", " + std::to_string(w) + "] differs from the image's " +
              std::to_string(asset.height) + "x" + std::to_string(asset.width));
  }
  const JsonNode counts = seg["counts"];
  Rle rle;
  try {
    if (counts.IsString()) {
      rle = RleFromString(counts.String(), h, w);
    } else {
      rle = Rle{h, w, {}};
      counts.ForEachElement([&](std::size_t, const JsonNode& c) {
        rle.counts.push_back(static_cast<std::uint32_t>(c.Int(0, 0xffffffffLL)));
      });
    }
    CheckRle(rle);
  } catch (const std::invalid_argument& e) {
    counts.Fail(e.what());
  }
  return TraceForImport(RleDecode(rle), 0, 0, ctx);
}

}  // namespace

Dataset LoadCoco(const fs::path& path, Context& ctx) {
  if (fs::is_directory(path))
    throw ImportError(path.string() + ": expected a COCO .json file, found a folder");
  const std::string display = path.string();
  const Json json = ParseJsonFile(path, display);
  const JsonNode top(json, display, "");
  if (!top.IsObject()) top.Fail(std::string("expected a COCO object, found ") + json.type_name());
  const fs::path image_dir =
      ctx.options.images.empty() ? Normal(path.parent_path()) : Normal(ctx.options.images);

  Dataset data;
  // Categories: dense class indices in ascending id order, names kept.
  std::vector<std::pair<std::int64_t, std::string>> categories;
  top["categories"].ForEachElement([&](std::size_t, const JsonNode& c) {
    categories.emplace_back(c["id"].Int(INT64_MIN, INT64_MAX), c["name"].String());
  });
  std::sort(categories.begin(), categories.end());
  std::map<std::int64_t, int> class_of;
  for (const auto& [id, name] : categories) {
    if (!class_of.emplace(id, static_cast<int>(data.class_names.size())).second) {
      top["categories"].Fail("category id " + std::to_string(id) + " appears twice");
    }
    data.class_names.push_back(name);
  }

  std::map<std::int64_t, std::size_t> asset_of;
  std::vector<fs::path> images;
  top["images"].ForEachElement([&](std::size_t, const JsonNode& im) {
    const std::int64_t id = im["id"].Int(INT64_MIN, INT64_MAX);
    if (!asset_of.emplace(id, data.assets.size()).second)
      im["id"].Fail("image id " + std::to_string(id) + " appears twice");
    AssetRecord asset;
    const std::string& name = im["file_name"].String();
    if (name.empty()) im["file_name"].Fail("empty");
    asset.width = static_cast<int>(im["width"].Int(1, kMaxSide));
    asset.height = static_cast<int>(im["height"].Int(1, kMaxSide));
    const fs::path file = Normal(image_dir / name);
    const ImageInfo info = SizeImageFile(file, im["file_name"].Where());
    if (info.width != asset.width || info.height != asset.height) {
      im.Fail("says " + std::to_string(asset.width) + "x" + std::to_string(asset.height) +
              " but '" + name + "' is " + std::to_string(info.width) + "x" +
              std::to_string(info.height));
    }
    images.push_back(file);
    data.assets.push_back(std::move(asset));
  });

  top["annotations"].ForEachElement([&](std::size_t, const JsonNode& a) {
    const JsonNode image_id = a["image_id"];
    const auto asset_it = asset_of.find(image_id.Int(INT64_MIN, INT64_MAX));
    if (asset_it == asset_of.end()) image_id.Fail("no image with this id");
    const JsonNode category = a["category_id"];
    const auto class_it = class_of.find(category.Int(INT64_MIN, INT64_MAX));
    if (class_it == class_of.end()) category.Fail("no category with this id");
    bool crowd = false;
    JsonNode iscrowd = a;
    if (a.Find("iscrowd", &iscrowd))
      crowd = iscrowd.raw().is_boolean() ? iscrowd.Bool() : iscrowd.Int(0, 1) == 1;
    AssetRecord& asset = data.assets[asset_it->second];
    const JsonNode seg = a["segmentation"];
    Instance raw;
    if (seg.IsArray()) {
      raw = PolygonsOf(seg);
    } else if (seg.IsObject()) {
      raw = RleOf(seg, asset, ctx);
    } else {
      seg.Fail(std::string("expected polygons or RLE, found ") + seg.raw().type_name());
    }
    AddInstance(asset, std::move(raw), class_it->second, crowd, a.Where(), ctx);
  });

  const fs::path root = CommonRoot(image_dir, images);
  data.image_root = root.string();
  for (std::size_t i = 0; i < data.assets.size(); ++i) {
    data.assets[i].path = RelativeTo(images[i], root);
    data.assets[i].id = data.assets[i].path;
  }
  // Two image entries naming one file would be one asset under two ids.
  std::map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < data.assets.size(); ++i) {
    if (!by_id.emplace(data.assets[i].id, i).second) {
      top["images"].At(i)["file_name"].Fail("'" + data.assets[i].id + "' is listed twice");
    }
  }
  return data;
}

}  // namespace understudy::detail
