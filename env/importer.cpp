#include "env/importer.h"

#include <stdexcept>

#include "env/import_common.h"

namespace understudy {

DatasetFormat ParseDatasetFormat(const std::string& name) {
  if (name == "coco") return DatasetFormat::kCoco;
  if (name == "via") return DatasetFormat::kVia;
  if (name == "labelme") return DatasetFormat::kLabelme;
  if (name == "yolo") return DatasetFormat::kYolo;
  if (name == "masks") return DatasetFormat::kMasks;
  throw std::invalid_argument("unknown dataset format '" + name +
                              "' (expected coco, via, labelme, yolo or masks)");
}

std::string FormatName(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kCoco:
      return "coco";
    case DatasetFormat::kVia:
      return "via";
    case DatasetFormat::kLabelme:
      return "labelme";
    case DatasetFormat::kYolo:
      return "yolo";
    case DatasetFormat::kMasks:
      return "masks";
  }
  throw std::invalid_argument("unknown DatasetFormat value");
}

Dataset LoadDataset(DatasetFormat format, const std::filesystem::path& path,
                    const ImportOptions& options) {
  ImportReport report;
  return LoadDataset(format, path, options, report);
}

Dataset LoadDataset(DatasetFormat format, const std::filesystem::path& path,
                    const ImportOptions& options, ImportReport& report) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ImportError(path.string() + ": not found");
  if (!options.images.empty() && !std::filesystem::is_directory(options.images, ec)) {
    throw ImportError(options.images.string() + ": image folder not found");
  }
  if (!(options.max_outside >= 0)) {
    throw std::invalid_argument("ImportOptions::max_outside must be >= 0, got " +
                                std::to_string(options.max_outside));
  }
  detail::Context ctx{options, report};
  try {
    switch (format) {
      case DatasetFormat::kCoco:
        return detail::LoadCoco(path, ctx);
      case DatasetFormat::kVia:
        return detail::LoadVia(path, ctx);
      case DatasetFormat::kLabelme:
        return detail::LoadLabelme(path, ctx);
      case DatasetFormat::kYolo:
        return detail::LoadYolo(path, ctx);
      case DatasetFormat::kMasks:
        return detail::LoadMasks(path, ctx);
    }
  } catch (const std::filesystem::filesystem_error& e) {
    throw ImportError(path.string() + ": " + e.what());
  }
  throw std::invalid_argument("unknown DatasetFormat value");
}

}  // namespace understudy
