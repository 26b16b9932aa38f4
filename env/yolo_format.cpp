// Ultralytics YOLO segmentation labels: images/<split>/x.jpg <-> labels/<split>/x.txt.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "env/import_common.h"

namespace understudy::detail {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kImageExtensions = {".jpg", ".jpeg", ".png", ".bmp",
                                                   ".tif", ".tiff", ".webp"};

bool ParseDouble(const std::string& token, double* out) {
  if (token.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(token.c_str(), &end);
  if (end != token.c_str() + token.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// The images folder that mirrors `labels`: its last "labels" component becomes "images".
fs::path ImagesFor(const fs::path& labels) {
  fs::path out;
  std::vector<fs::path> parts(labels.begin(), labels.end());
  int last = -1;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "labels") last = static_cast<int>(i);
  }
  if (last < 0) return {};
  for (std::size_t i = 0; i < parts.size(); ++i)
    out /= (static_cast<int>(i) == last ? fs::path("images") : parts[i]);
  return out;
}

struct Line {
  int class_id;
  Ring ring;
  std::string where;
};

}  // namespace

Dataset LoadYolo(const fs::path& path, Context& ctx) {
  if (!fs::is_directory(path))
    throw ImportError(path.string() + ": expected a YOLO data set folder");
  const fs::path root = Normal(path);
  fs::path labels_dir = root, images_dir;
  if (fs::is_directory(root / "labels")) labels_dir = root / "labels";
  if (!ctx.options.images.empty()) {
    images_dir = Normal(ctx.options.images);
  } else if (fs::is_directory(root / "images")) {
    images_dir = root / "images";
  } else {
    images_dir = ImagesFor(labels_dir);
    if (images_dir.empty() || !fs::is_directory(images_dir)) {
      throw ImportError(path.string() + ": no images/ beside labels/ (pass the images folder)");
    }
  }

  Dataset data;
  const bool fixed_classes = !ctx.options.classes.empty();
  if (fixed_classes) data.class_names = ReadClassList(ctx.options.classes);
  int max_class = -1;

  const std::vector<fs::path> image_files = ListFiles(images_dir, kImageExtensions);
  if (image_files.empty()) throw ImportError(images_dir.string() + ": no images");
  std::set<fs::path> used_labels;
  data.image_root = images_dir.string();
  for (const fs::path& image : image_files) {
    AssetRecord asset;
    asset.path = RelativeTo(image, images_dir);
    asset.id = asset.path;
    fs::path label = labels_dir / fs::path(asset.path);
    label.replace_extension(".txt");
    const ImageInfo info = SizeImageFile(image, image.string());
    asset.width = info.width;
    asset.height = info.height;
    if (fs::is_regular_file(label)) {
      used_labels.insert(label);
      const std::string display = label.string();
      std::istringstream in(ReadTextFile(label, display));
      std::string text;
      std::size_t number = 0;
      while (std::getline(in, text)) {
        ++number;
        const std::string where = display + ":" + std::to_string(number);
        std::istringstream tokens(text);
        std::vector<std::string> t;
        for (std::string s; tokens >> s;) t.push_back(s);
        if (t.empty()) continue;
        double cls = 0;
        if (!ParseDouble(t[0], &cls) || cls < 0 || cls != std::floor(cls) || cls > 1e6) {
          throw ImportError(where + ": class id '" + t[0] + "' is not a non-negative integer");
        }
        const int class_id = static_cast<int>(cls);
        if (fixed_classes && class_id >= static_cast<int>(data.class_names.size())) {
          throw ImportError(where + ": class id " + t[0] + " but " + ctx.options.classes.string() +
                            " lists " + std::to_string(data.class_names.size()) + " classes");
        }
        const std::size_t coords = t.size() - 1;
        if (coords % 2 != 0) {
          throw ImportError(where + ": odd number of coordinates (" + std::to_string(coords) + ")");
        }
        Ring ring;
        for (std::size_t i = 1; i < t.size(); i += 2) {
          double x = 0, y = 0;
          if (!ParseDouble(t[i], &x) || !ParseDouble(t[i + 1], &y)) {
            throw ImportError(where + ": coordinate " + std::to_string((i + 1) / 2) + " ('" + t[i] +
                              " " + t[i + 1] + "') is not a pair of numbers");
          }
          ring.push_back({x * asset.width, y * asset.height});
        }
        max_class = std::max(max_class, class_id);
        if (coords == 4) {  // class cx cy w h: a detection box mixed into segment labels
          if (!ctx.options.skip_bad_instances)
            throw ImportError(where + ": a box (class cx cy w h), not a polygon");
          ++ctx.report.skipped_instances;
          ctx.report.problems.push_back(where + ": a box (class cx cy w h), not a polygon");
          continue;
        }
        AddInstance(asset, MakeInstance(std::move(ring)), class_id, false, where, ctx);
      }
    }
    data.assets.push_back(std::move(asset));
  }
  for (const fs::path& label : ListFiles(labels_dir, {".txt"})) {
    if (used_labels.count(label) == 0) ++ctx.report.orphan_labels;
  }
  if (!fixed_classes) {
    for (int i = 0; i <= max_class; ++i) data.class_names.push_back("class_" + std::to_string(i));
  }
  return data;
}

}  // namespace understudy::detail
