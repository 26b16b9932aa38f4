#pragma once
// Helpers shared by the format readers (env/*_format.cpp); not part of the env API.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "env/dataset.h"
#include "env/image_header.h"
#include "env/importer.h"

namespace cv {
class Mat;
}

namespace understudy::detail {

using Json = nlohmann::ordered_json;

/** A JSON value with the file and the field path it came from, for error messages. */
class JsonNode {
 public:
  JsonNode(const Json& json, std::string file, std::string path)
      : json_(&json), file_(std::move(file)), path_(std::move(path)) {}

  const Json& raw() const { return *json_; }
  const std::string& path() const { return path_; }
  std::string Where() const { return file_ + ": " + (path_.empty() ? "(top level)" : path_); }
  [[noreturn]] void Fail(const std::string& message) const;

  bool IsNull() const { return json_->is_null(); }
  bool IsObject() const { return json_->is_object(); }
  bool IsArray() const { return json_->is_array(); }
  bool IsString() const { return json_->is_string(); }
  bool Has(const std::string& key) const;  // an object with this key, whatever its value

  /** The member; fails when this is not an object or the key is absent. */
  JsonNode operator[](const std::string& key) const;
  /** The member, or nullopt-like false when absent or null. */
  bool Find(const std::string& key, JsonNode* out) const;
  JsonNode At(std::size_t index) const;

  std::size_t ArraySize() const;  // fails unless an array
  void ForEachMember(const std::function<void(const std::string&, const JsonNode&)>& fn) const;
  void ForEachElement(const std::function<void(std::size_t, const JsonNode&)>& fn) const;

  const std::string& String() const;
  double Number() const;  // finite
  std::int64_t Int(std::int64_t min, std::int64_t max) const;
  bool Bool() const;

 private:
  const Json* json_;
  std::string file_;
  std::string path_;
};

/** The file's JSON; an ImportError names the file and the line and column on a syntax error. */
Json ParseJsonFile(const std::filesystem::path& path, const std::string& display);

/** Whole text of a file; ImportError when unreadable. */
std::string ReadTextFile(const std::filesystem::path& path, const std::string& display);

/** Where a reader is and what it was told. */
struct Context {
  const ImportOptions& options;
  ImportReport& report;
};

/**
 * Validates `raw`, checks that it lies within the image (options.max_outside) and appends it to
 * the asset. A bad instance throws ImportError("<where>: <why>"), or is counted and skipped under
 * skip_bad_instances; returns whether it was added.
 */
bool AddInstance(AssetRecord& asset, Instance raw, int class_id, bool crowd,
                 const std::string& where, Context& ctx);
/** The same for an ignore region. */
bool AddIgnore(AssetRecord& asset, Instance raw, const std::string& where, Context& ctx);

/** A shape that is not a region (a line, a point): counted under its type. */
void SkipShape(const std::string& type, Context& ctx);

/** The number of vertices ellipses and circles become (area-preserving, see docs/datasets.md). */
inline constexpr int kEllipseVertices = 64;
/** An ellipse centred at (cx, cy) with radii rx, ry, rotated by theta radians (clockwise on
 *  screen), as a ring whose area equals the ellipse's. */
Ring EllipseRing(double cx, double cy, double rx, double ry, double theta = 0.0);

/** Size of an image file from its header (decoding only unknown formats); ImportError naming
 *  `where` when it is missing or unreadable. */
ImageInfo SizeImageFile(const std::filesystem::path& file, const std::string& where);
ImageInfo SizeImageBytes(const std::vector<std::uint8_t>& bytes, const std::string& where);

/** Traces a binary mask into an instance offset by (dx, dy), simplifying only rings that would
 *  exceed the vertex cap (counted in the report). */
Instance TraceForImport(const cv::Mat& mask, double dx, double dy, Context& ctx);

/** Class names from a file, one per line (trailing blank lines ignored). */
std::vector<std::string> ReadClassList(const std::filesystem::path& path);

/** Index of `name` in `names`, appending it when absent. */
int ClassIndex(std::vector<std::string>& names, const std::string& name);

/** `p` made absolute and lexically normal. */
std::filesystem::path Normal(const std::filesystem::path& p);

/** Generic (forward-slash) path of `file` relative to `root`; both absolute and normal. */
std::string RelativeTo(const std::filesystem::path& file, const std::filesystem::path& root);

/** The deepest folder containing `base` and every file in `files` (all absolute and normal). */
std::filesystem::path CommonRoot(const std::filesystem::path& base,
                                 const std::vector<std::filesystem::path>& files);

/** Files under `dir` (recursively) whose extension (lower case, with dot) is in `extensions`,
 *  sorted by path. */
std::vector<std::filesystem::path> ListFiles(const std::filesystem::path& dir,
                                             const std::vector<std::string>& extensions);

/** Lower-case extension with the dot. */
std::string LowerExtension(const std::filesystem::path& p);

// The format readers, dispatched by LoadDataset.
Dataset LoadCoco(const std::filesystem::path& path, Context& ctx);
Dataset LoadVia(const std::filesystem::path& path, Context& ctx);
Dataset LoadLabelme(const std::filesystem::path& path, Context& ctx);
Dataset LoadYolo(const std::filesystem::path& path, Context& ctx);
Dataset LoadMasks(const std::filesystem::path& path, Context& ctx);

}  // namespace understudy::detail
