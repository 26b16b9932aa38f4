#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "env/dataset.h"
#include "rewards/validation.h"

namespace understudy {

/** The annotation formats understudy reads. */
enum class DatasetFormat { kCoco, kVia, kLabelme, kYolo, kMasks };

/** "coco", "via", "labelme", "yolo", "masks"; throws std::invalid_argument naming the value. */
DatasetFormat ParseDatasetFormat(const std::string& name);
std::string FormatName(DatasetFormat format);

/** How to read a dataset; `images` overrides where image files are looked up. */
struct ImportOptions {
  std::filesystem::path images;     // empty: the format's own convention
  std::filesystem::path classes;    // class-name list, one per line (see docs/datasets.md)
  ValidationOptions validation;     // applied to every ring
  bool skip_bad_instances = false;  // false: a bad polygon is an error naming file and field
  std::string class_attribute;      // VIA: region attribute holding the class; empty: one class
  double max_outside = 1.0;         // a vertex further outside the image (pixels) is bad geometry
};

/** What an import skipped or noticed: counted, never silent. */
struct ImportReport {
  std::map<std::string, std::size_t> skipped_shapes;  // "polyline", "point", ...: not regions
  std::size_t skipped_instances = 0;   // bad geometry skipped under skip_bad_instances
  std::vector<std::string> problems;   // one message (file and field) per skipped instance
  std::size_t orphan_labels = 0;       // YOLO label files with no image
  std::size_t class_conflicts = 0;     // masks: instances whose pixels disagree on the class
  std::size_t simplified_rings = 0;    // traced rings simplified to fit max_vertices
  std::size_t repaired_instances = 0;  // self-intersecting geometry rebuilt by Validate (even-odd)
  std::vector<std::string> repairs;    // the first few repairs: file, field and what was wrong
  // Outer rings as the files hold them (after shape conversion, before validation, a closing
  // repeat included), one vertex count each: validation may drop, merge or split rings.
  std::vector<std::size_t> read_polygon_vertices;
};

/** Reads a dataset in `format` from `path` (a file or a folder, as the format needs). Throws
 *  ImportError naming the file and the field or line. */
Dataset LoadDataset(DatasetFormat format, const std::filesystem::path& path,
                    const ImportOptions& options = {});
/** The same, also telling what was skipped. */
Dataset LoadDataset(DatasetFormat format, const std::filesystem::path& path,
                    const ImportOptions& options, ImportReport& report);

/** A file that could not be imported; what() names the file and the field or line. */
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace understudy
