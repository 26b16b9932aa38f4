#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

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
  std::filesystem::path images;    // empty: the format's own convention
  std::filesystem::path classes;   // YOLO: class-name list (one per line); masks: optional
  ValidationOptions validation;    // applied to every ring
  bool skip_bad_instances = false; // false: a bad polygon is an error naming file and field
};

/** Reads a dataset in `format` from `path` (a file or a folder, as the format needs). Throws
 *  ImportError naming the file and the field or line. */
Dataset LoadDataset(DatasetFormat format, const std::filesystem::path& path,
                    const ImportOptions& options = {});

/** A file that could not be imported; what() names the file and the field or line. */
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace understudy
