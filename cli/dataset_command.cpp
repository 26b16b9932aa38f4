// `understudy dataset stats|convert`: thin wrappers over env's importers and exporters.
#include <CLI/App.hpp>
#include <CLI/Validators.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"
#include "env/dataset_stats.h"
#include "env/exporter.h"
#include "env/importer.h"

namespace understudy::cli {
namespace {

struct DatasetArgs {
  std::string format;
  std::string path;
  std::string images;
  std::string classes;
  std::string class_attribute;
  bool skip_bad = false;
  std::string to;
  std::string out;
};

void AddImportOptions(CLI::App* sub, DatasetArgs& a) {
  sub->add_option("--format", a.format, "Annotation format of PATH")
      ->required()
      ->check(CLI::IsMember({"coco", "via", "labelme", "yolo", "masks"}));
  sub->add_option("path", a.path,
                  "coco: the JSON file; via, labelme: a JSON file or a folder of them; yolo: the "
                  "folder with images/ and labels/ (or a labels folder); masks: a VOC folder with "
                  "SegmentationObject/ (or a folder of instance-id PNGs with --images)")
      ->required();
  sub->add_option("--images", a.images,
                  "Folder the image paths are relative to (overrides the format's own convention)");
  sub->add_option("--classes", a.classes,
                  "Class-name list, one per line (yolo, masks, labelme; via without "
                  "--class-attribute: one name)");
  sub->add_option("--class-attribute", a.class_attribute,
                  "via: the region attribute that holds the class");
  sub->add_flag(
      "--skip-bad", a.skip_bad,
      "Skip and count bad polygons instead of failing (exit code 3 when any were skipped)");
}

Dataset Import(const DatasetArgs& a, ImportReport& report) {
  ImportOptions options;
  options.images = a.images;
  options.classes = a.classes;
  options.class_attribute = a.class_attribute;
  options.skip_bad_instances = a.skip_bad;
  return LoadDataset(ParseDatasetFormat(a.format), a.path, options, report);
}

int ReportSkipped(const ImportReport& report) {
  if (report.skipped_instances == 0) return kOk;
  std::cerr << "understudy: skipped " << report.skipped_instances << " bad instance(s):\n";
  constexpr std::size_t kShown = 20;
  for (std::size_t i = 0; i < report.problems.size() && i < kShown; ++i)
    std::cerr << "  " << report.problems[i] << "\n";
  if (report.problems.size() > kShown)
    std::cerr << "  ... and " << report.problems.size() - kShown << " more\n";
  return kBadInput;
}

}  // namespace

void RegisterDatasetCommand(CLI::App& app) {
  auto args = std::make_shared<DatasetArgs>();
  CLI::App* dataset = app.add_subcommand(
      "dataset", "Inspect and convert annotated data sets (see docs/datasets.md)");
  dataset->require_subcommand(1, 1);

  CLI::App* stats = dataset->add_subcommand("stats",
                                            "Print one JSON object: images, instances, polygons, "
                                            "holes, classes, crowd, vertices per polygon, skipped");
  AddImportOptions(stats, *args);
  SetRunner(stats, [args] {
    ImportReport report;
    const Dataset data = Import(*args, report);
    std::cout << StatsJson(ComputeStats(data), report) << std::endl;
    return ReportSkipped(report);
  });

  CLI::App* convert =
      dataset->add_subcommand("convert", "Convert a data set to COCO JSON or labelme JSON files");
  AddImportOptions(convert, *args);
  convert->add_option("--to", args->to, "Output format")
      ->required()
      ->check(CLI::IsMember({"coco", "labelme"}));
  convert
      ->add_option("out", args->out,
                   "coco: the JSON file to write; labelme: the folder to write into")
      ->required();
  SetRunner(convert, [args] {
    ImportReport report;
    const Dataset data = Import(*args, report);
    ExportReport written;
    if (args->to == "coco") {
      ExportCoco(data, args->out, &written);
    } else {
      ExportLabelme(data, args->out, &written);
    }
    const DatasetStats s = ComputeStats(data);
    nlohmann::ordered_json summary = {{"written", args->out},
                                      {"format", args->to},
                                      {"images", s.images},
                                      {"instances", s.instances},
                                      {"image_root", data.image_root},
                                      {"rle_instances", written.rle_instances},
                                      {"dropped_holes", written.dropped_holes},
                                      {"dropped_ignore_regions", written.dropped_ignore},
                                      {"inline_images_written", written.inline_images_written}};
    std::cout << summary.dump() << std::endl;
    return ReportSkipped(report);
  });
}

}  // namespace understudy::cli
