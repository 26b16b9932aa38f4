// Instance-id PNGs (PASCAL VOC SegmentationObject style), classes from a parallel class PNG.
#include <algorithm>
#include <cstring>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "env/import_common.h"

namespace understudy::detail {
namespace fs = std::filesystem;
namespace {

constexpr int kVoid = 255;  // VOC: unlabelled border / ignore (8-bit ids only)
const std::vector<std::string> kImageExtensions = {".jpg", ".jpeg", ".png", ".bmp"};

std::uint32_t Be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

// The PLTE entries of a PNG as packed BGR, in index order.
std::vector<std::uint32_t> PngPalette(const std::vector<std::uint8_t>& png,
                                      const std::string& where) {
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::uint32_t len = Be32(png.data() + at);
    const char* type = reinterpret_cast<const char*>(png.data() + at + 4);
    if (len > png.size() - at - 12) break;
    if (std::memcmp(type, "PLTE", 4) == 0) {
      if (len % 3 != 0 || len == 0)
        throw ImportError(where + ": PLTE chunk of " + std::to_string(len) + " bytes");
      std::vector<std::uint32_t> colours;
      for (std::size_t i = 0; i < len; i += 3) {
        const std::uint8_t* c = png.data() + at + 8 + i;
        colours.push_back((std::uint32_t{c[2]} << 16) | (std::uint32_t{c[1]} << 8) | c[0]);
      }
      return colours;
    }
    if (std::memcmp(type, "IDAT", 4) == 0) break;
    at += 12 + len;
  }
  throw ImportError(where + ": palette PNG without a PLTE chunk");
}

// A label image as CV_32S values: palette indices, or grey levels (8 or 16 bit).
cv::Mat ReadLabelPng(const fs::path& file, int* depth_bits) {
  const std::string where = file.string();
  std::vector<std::uint8_t> bytes;
  try {
    bytes = ReadFileBytes(file);
  } catch (const std::runtime_error& e) {
    throw ImportError(e.what());
  }
  std::optional<ImageInfo> info;
  try {
    info = ReadImageInfo(bytes);
  } catch (const std::invalid_argument& e) {
    throw ImportError(where + ": " + e.what());
  }
  if (!info || info->format != "png") throw ImportError(where + ": not a PNG");
  cv::Mat out;
  if (info->png_color_type == 3) {
    const std::vector<std::uint32_t> palette = PngPalette(bytes, where);
    std::unordered_map<std::uint32_t, int> index;
    for (std::size_t i = 0; i < palette.size(); ++i) {
      if (!index.emplace(palette[i], static_cast<int>(i)).second) {
        throw ImportError(where + ": palette entries " + std::to_string(index[palette[i]]) +
                          " and " + std::to_string(i) +
                          " share a colour, so ids cannot be recovered");
      }
    }
    const cv::Mat bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
    if (bgr.empty()) throw ImportError(where + ": cannot decode");
    out.create(bgr.rows, bgr.cols, CV_32S);
    for (int y = 0; y < bgr.rows; ++y) {
      const cv::Vec3b* in = bgr.ptr<cv::Vec3b>(y);
      int* o = out.ptr<int>(y);
      for (int x = 0; x < bgr.cols; ++x) {
        const std::uint32_t key =
            (std::uint32_t{in[x][0]} << 16) | (std::uint32_t{in[x][1]} << 8) | in[x][2];
        const auto it = index.find(key);
        if (it == index.end())
          throw ImportError(where + ": pixel (" + std::to_string(x) + ", " + std::to_string(y) +
                            ") has a colour not in the palette");
        o[x] = it->second;
      }
    }
    *depth_bits = 8;
  } else if (info->png_color_type == 0) {
    const cv::Mat grey = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    if (grey.empty() || grey.channels() != 1) throw ImportError(where + ": cannot decode");
    grey.convertTo(out, CV_32S);
    *depth_bits = grey.depth() == CV_16U ? 16 : 8;
  } else {
    throw ImportError(where + ": expected a palette or greyscale PNG of ids (colour type " +
                      std::to_string(info->png_color_type) + ")");
  }
  return out;
}

}  // namespace

Dataset LoadMasks(const fs::path& path, Context& ctx) {
  if (!fs::is_directory(path))
    throw ImportError(path.string() + ": expected a folder of instance PNGs");
  const fs::path root = Normal(path);
  const bool voc = fs::is_directory(root / "SegmentationObject");
  const fs::path objects_dir = voc ? root / "SegmentationObject" : root;
  const fs::path classes_dir = root / "SegmentationClass";
  const bool have_class_pngs = voc && fs::is_directory(classes_dir);
  fs::path images_dir = ctx.options.images.empty() ? fs::path() : Normal(ctx.options.images);
  if (images_dir.empty() && voc && fs::is_directory(root / "JPEGImages"))
    images_dir = root / "JPEGImages";
  if (images_dir.empty())
    throw ImportError(path.string() + ": no JPEGImages/ folder (pass the images folder)");

  Dataset data;
  data.image_root = images_dir.string();
  fs::path names_file = ctx.options.classes;
  if (names_file.empty() && voc && fs::is_regular_file(root / "class_names.txt"))
    names_file = root / "class_names.txt";
  const bool fixed_classes = !names_file.empty();
  if (fixed_classes) data.class_names = ReadClassList(names_file);
  int max_class = 0;

  const std::vector<fs::path> pngs = ListFiles(objects_dir, {".png"});
  if (pngs.empty()) throw ImportError(objects_dir.string() + ": no PNG files");
  for (const fs::path& png : pngs) {
    const std::string rel = RelativeTo(png, objects_dir);
    AssetRecord asset;
    fs::path image;
    for (const std::string& ext : kImageExtensions) {
      fs::path candidate = images_dir / rel;
      candidate.replace_extension(ext);
      if (fs::is_regular_file(candidate)) {
        image = candidate;
        break;
      }
    }
    if (image.empty())
      throw ImportError(png.string() + ": no image for it in " + images_dir.string());
    const ImageInfo info = SizeImageFile(image, png.string());
    asset.path = RelativeTo(image, images_dir);
    asset.id = asset.path;
    asset.width = info.width;
    asset.height = info.height;

    int bits = 8;
    const cv::Mat ids = ReadLabelPng(png, &bits);
    if (ids.cols != asset.width || ids.rows != asset.height) {
      throw ImportError(png.string() + ": " + std::to_string(ids.cols) + "x" +
                        std::to_string(ids.rows) + " but the image is " +
                        std::to_string(asset.width) + "x" + std::to_string(asset.height));
    }
    cv::Mat classes;
    if (have_class_pngs) {
      const fs::path class_png = classes_dir / rel;
      if (!fs::is_regular_file(class_png))
        throw ImportError(png.string() + ": no class PNG " + class_png.string());
      int class_bits = 8;
      classes = ReadLabelPng(class_png, &class_bits);
      if (classes.size() != ids.size())
        throw ImportError(class_png.string() + ": size differs from " + png.string());
    }
    // Void: 255 in 8-bit object ids (VOC borders) or in the class PNG (labelme's __ignore__).
    cv::Mat void_mask = bits == 8 ? (ids == kVoid) : cv::Mat(ids.size(), CV_8U, cv::Scalar(0));
    if (have_class_pngs) void_mask |= (classes == kVoid);
    if (cv::countNonZero(void_mask) > 0) {
      AddIgnore(asset, TraceForImport(void_mask, 0, 0, ctx), png.string() + ": void (255)", ctx);
    }
    std::map<int, std::map<int, std::size_t>> votes;  // id -> class -> pixels
    for (int y = 0; y < ids.rows; ++y) {
      const int* row = ids.ptr<int>(y);
      const int* crow = have_class_pngs ? classes.ptr<int>(y) : nullptr;
      for (int x = 0; x < ids.cols; ++x) {
        if (row[x] == 0 || (bits == 8 && row[x] == kVoid)) continue;
        ++votes[row[x]][crow != nullptr ? crow[x] : 0];
      }
    }
    for (const auto& [id, by_class] : votes) {
      const cv::Mat mask = ids == id;
      const std::string where = png.string() + ": id " + std::to_string(id);
      int class_id = 0;
      std::size_t best = 0;
      for (const auto& [c, n] : by_class) {
        if (n > best) {
          best = n;
          class_id = c;
        }
      }
      if (by_class.size() > 1) ++ctx.report.class_conflicts;
      if (have_class_pngs && (class_id == 0 || class_id == kVoid)) {
        throw ImportError(where + ": its pixels are background or void in the class PNG");
      }
      if (fixed_classes && class_id >= static_cast<int>(data.class_names.size())) {
        throw ImportError(where + ": class " + std::to_string(class_id) + " but " +
                          names_file.string() + " lists " +
                          std::to_string(data.class_names.size()) + " classes");
      }
      max_class = std::max(max_class, class_id);
      AddInstance(asset, TraceForImport(mask, 0, 0, ctx), class_id, false, where, ctx);
    }
    data.assets.push_back(std::move(asset));
  }
  if (!fixed_classes) {
    if (!have_class_pngs) {
      data.class_names = {"object"};
    } else {
      for (int i = 0; i <= max_class; ++i) data.class_names.push_back("class_" + std::to_string(i));
    }
  }
  return data;
}

}  // namespace understudy::detail
