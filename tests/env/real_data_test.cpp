// The importers against the real annotated sets in ../shared/data: the counts their SOURCE.md
// files state, and geometry cross-checks against independent files of the same sets.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>
#include <sstream>

#include "env/asset_store.h"
#include "env/dataset_stats.h"
#include "env/exporter.h"
#include "env/importer.h"
#include "env/mask_polygon.h"
#include "rewards/iou.h"
#include "tests/env/dataset_compare.h"
#include "tests/env/env_test_util.h"
#include "tests/support/shared_data.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using testing::CompareDatasets;
using testing::TempDir;

bool HasAsset(const Dataset& d, const std::string& id) {
  return std::any_of(d.assets.begin(), d.assets.end(),
                     [&](const AssetRecord& a) { return a.id == id; });
}

// Throws (failing the test with the id) when absent; the tests check HasAsset first.
const AssetRecord& AssetById(const Dataset& d, const std::string& id) {
  for (const AssetRecord& a : d.assets) {
    if (a.id == id) return a;
  }
  throw std::out_of_range("no asset '" + id + "'");
}

double MaskIou(const cv::Mat& a, const cv::Mat& b) {
  const double inter = cv::countNonZero(a & b);
  const double uni = cv::countNonZero(a | b);
  return uni > 0 ? inter / uni : 0.0;
}

TEST(RealData, BalloonCountsMatchSource) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "balloon/balloon");
  const Dataset train = LoadDataset(DatasetFormat::kVia, root / "train/via_region_data.json");
  const Dataset val = LoadDataset(DatasetFormat::kVia, root / "val/via_region_data.json");
  const DatasetStats t = ComputeStats(train), v = ComputeStats(val);
  EXPECT_EQ(t.images, 61u);
  EXPECT_EQ(t.instances, 255u);
  EXPECT_EQ(v.images, 13u);
  EXPECT_EQ(v.instances, 50u);
  ImportReport report;
  const DatasetStats all = ComputeStats(LoadDataset(DatasetFormat::kVia, root, {}, report));
  EXPECT_EQ(all.images, 74u);
  EXPECT_EQ(all.instances, 305u);
  EXPECT_EQ(all.classes, 1u);
  // As the file holds them: 305 polygons of 8-100 vertices, median 27 (SOURCE.md), the closing
  // repeat included.
  EXPECT_EQ(report.read_polygon_vertices.size(), 305u);
  const VertexSummary read = Summarise(report.read_polygon_vertices);
  EXPECT_EQ(read.min, 8u);
  EXPECT_EQ(read.median, 27.0);
  EXPECT_EQ(read.max, 100u);
  // Validated: the closing repeat is dropped.
  EXPECT_EQ(all.vertices.min, 7u);
  EXPECT_EQ(all.vertices.max, 99u);
  EXPECT_EQ(all.vertices.median, 26.0);
}

TEST(RealData, BalloonBoxesEqualTheCrosscheckCsvExactly) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "balloon/balloon");
  UNDERSTUDY_REQUIRE_SHARED_DATA(csv, "balloon/crosscheck/balloon-data.csv");
  const Dataset d = LoadDataset(DatasetFormat::kVia, root);
  // Regions that Validate() had to repair (kReject would refuse them): a repair drops zero-area
  // spikes, so their box may shrink, never grow. Every other box must match exactly.
  ImportOptions reject;
  reject.validation.self_intersection = SelfIntersectionPolicy::kReject;
  reject.skip_bad_instances = true;
  ImportReport rejected;
  LoadDataset(DatasetFormat::kVia, root, reject, rejected);
  EXPECT_LE(rejected.skipped_instances, 3u);  // a few at most in a hand-checked set
  auto repaired = [&](const std::string& name, std::size_t k) {
    for (const std::string& p : rejected.problems) {
      if (p.find("['" + name) != std::string::npos &&
          p.find("].regions['" + std::to_string(k) + "']") != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  std::size_t exact = 0;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  const std::regex row(R"(^([^,]+),(\d+),(\d+),"\[(.*)\]",(\d+)$)");
  const std::regex box(R"(\{'xmin': (\d+), 'ymin': (\d+), 'xmax': (\d+), 'ymax': (\d+)\})");
  std::size_t rows = 0, boxes = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, row)) << line;
    ++rows;
    const std::string name = m[1];
    const std::string id = HasAsset(d, "train/" + name) ? "train/" + name : "val/" + name;
    ASSERT_TRUE(HasAsset(d, id)) << name;
    const AssetRecord* a = &AssetById(d, id);
    EXPECT_EQ(a->height, std::stoi(m[2])) << name;
    EXPECT_EQ(a->width, std::stoi(m[3])) << name;
    ASSERT_EQ(a->instances.size(), std::stoul(m[5])) << name;
    const std::string list = m[4];
    std::size_t k = 0;
    for (std::sregex_iterator it(list.begin(), list.end(), box), end; it != end; ++it, ++k) {
      ASSERT_LT(k, a->instances.size());
      const Bounds b = BoundsOf(a->instances[k].shape);
      const double x0 = std::stod((*it)[1]), y0 = std::stod((*it)[2]);
      const double x1 = std::stod((*it)[3]), y1 = std::stod((*it)[4]);
      if (repaired(name, k)) {
        EXPECT_TRUE(b.x0 >= x0 && b.y0 >= y0 && b.x1 <= x1 && b.y1 <= y1)
            << name << " region " << k;
      } else {
        EXPECT_EQ(b.x0, x0) << name << " region " << k;
        EXPECT_EQ(b.y0, y0) << name << " region " << k;
        EXPECT_EQ(b.x1, x1) << name << " region " << k;
        EXPECT_EQ(b.y1, y1) << name << " region " << k;
        ++exact;
      }
      ++boxes;
    }
    EXPECT_EQ(k, a->instances.size()) << name;
  }
  EXPECT_EQ(rows, 74u);
  EXPECT_EQ(boxes, 305u);
  EXPECT_EQ(exact + rejected.skipped_instances, 305u);
}

TEST(RealData, Coco128SegCountsMatchSource) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "coco128-seg/coco128-seg");
  ImportReport report;
  const Dataset d = LoadDataset(DatasetFormat::kYolo, root, {}, report);
  const DatasetStats s = ComputeStats(d);
  EXPECT_EQ(s.images, 128u);
  EXPECT_EQ(s.instances, 929u);
  EXPECT_EQ(s.classes, 71u);
  // As the files hold them: one polygon per line, 4-179 vertices, median 18 (SOURCE.md).
  EXPECT_EQ(report.read_polygon_vertices.size(), 929u);
  const VertexSummary read = Summarise(report.read_polygon_vertices);
  EXPECT_EQ(read.min, 4u);
  EXPECT_EQ(read.median, 18.0);
  EXPECT_EQ(read.max, 179u);
  // Validation may split the converter's merged rings (thin connecting segments) into parts.
  EXPECT_GE(s.polygons, 929u);
  EXPECT_LE(s.vertices.max, 179u);
  // Shapely (GEOS) independently finds 86 of the 929 rings invalid; exactly those are repaired.
  EXPECT_EQ(report.repaired_instances, 86u);
  EXPECT_FALSE(report.repairs.empty());
  EXPECT_EQ(report.orphan_labels, 0u);
  std::size_t person = 0, unlabelled = 0;
  for (const AssetRecord& a : d.assets) {
    if (a.instances.empty()) ++unlabelled;
    for (const AnnotatedInstance& i : a.instances) person += i.class_id == 0;
    EXPECT_GE(a.width, 333);
    EXPECT_LE(a.width, 640);
  }
  EXPECT_EQ(person, 254u);
  EXPECT_EQ(unlabelled, 2u);
  ASSERT_TRUE(HasAsset(d, "train2017/000000000250.jpg"));
  EXPECT_TRUE(AssetById(d, "train2017/000000000250.jpg").instances.empty());
}

TEST(RealData, LabelmeInstancesGroupsAndIgnoreMatchSource) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "labelme-examples/examples");
  ImportReport seg_report;
  const Dataset seg = LoadDataset(DatasetFormat::kLabelme,
                                  root / "instance_segmentation/data_annotated", {}, seg_report);
  const DatasetStats s = ComputeStats(seg);
  EXPECT_EQ(s.images, 3u);
  // 18 polygons -> 12 instances + 2 __ignore__ regions.
  EXPECT_EQ(seg_report.read_polygon_vertices.size(), 18u);
  EXPECT_EQ(s.instances, 12u);
  EXPECT_EQ(s.ignore_regions, 2u);
  EXPECT_GE(s.multi_part, 1u);
  ASSERT_TRUE(HasAsset(seg, "2011_000006.jpg"));
  const AssetRecord* sofa_image = &AssetById(seg, "2011_000006.jpg");
  ASSERT_EQ(sofa_image->instances.size(), 6u);
  EXPECT_EQ(seg.class_names[static_cast<std::size_t>(sofa_image->instances[5].class_id)], "sofa");
  // An occluded sofa: 4 polygons with group_id 0 make one instance (validation may merge the
  // overlapping ones), covering the box of all four.
  const nlohmann::json raw = nlohmann::json::parse(
      testing::ReadFile(root / "instance_segmentation/data_annotated/2011_000006.json"));
  Bounds sofa_box;
  int sofa_polygons = 0;
  for (const auto& shape : raw["shapes"]) {
    if (shape["label"] != "sofa") continue;
    ++sofa_polygons;
    Ring ring;
    for (const auto& p : shape["points"]) ring.push_back({p[0].get<double>(), p[1].get<double>()});
    const Bounds b = BoundsOf(ring);
    sofa_box = sofa_box.empty() ? b
                                : Bounds{std::min(sofa_box.x0, b.x0), std::min(sofa_box.y0, b.y0),
                                         std::max(sofa_box.x1, b.x1), std::max(sofa_box.y1, b.y1)};
  }
  EXPECT_EQ(sofa_polygons, 4);
  const Bounds got = BoundsOf(sofa_image->instances[5].shape);
  EXPECT_EQ(got.x0, sofa_box.x0);
  EXPECT_EQ(got.y0, sofa_box.y0);
  EXPECT_EQ(got.x1, sofa_box.x1);
  EXPECT_EQ(got.y1, sofa_box.y1);

  ImportReport tutorial_report, video_report;
  const Dataset tutorial =
      LoadDataset(DatasetFormat::kLabelme, root / "tutorial", {}, tutorial_report);
  ASSERT_EQ(tutorial.assets.size(), 1u);
  const AssetRecord& apc = tutorial.assets[0];
  EXPECT_TRUE(apc.path.empty());  // imagePath names the JSON itself: the image is inline only
  EXPECT_EQ(apc.id, "apc2016_obj3.jpg");
  EXPECT_EQ(apc.instances.size(), 4u);
  const cv::Mat decoded = cv::imdecode(apc.data, cv::IMREAD_COLOR);
  EXPECT_EQ(decoded.cols, 1210);
  EXPECT_EQ(decoded.rows, 907);

  const DatasetStats video = ComputeStats(LoadDataset(
      DatasetFormat::kLabelme, root / "video_annotation/data_annotated", {}, video_report));
  EXPECT_EQ(video.images, 5u);
  EXPECT_EQ(video.instances, 15u);
  // SOURCE.md: "41 polygons on real images (18 + 4 + 15)"; the three sets hold 18 + 4 + 15 = 37.
  EXPECT_EQ(seg_report.read_polygon_vertices.size() + tutorial_report.read_polygon_vertices.size() +
                video_report.read_polygon_vertices.size(),
            37u);

  ImportReport report;
  const DatasetStats prim =
      ComputeStats(LoadDataset(DatasetFormat::kLabelme, root / "primitives", {}, report));
  EXPECT_EQ(prim.instances, 5u);  // rectangle, circle, rectangle, polygon, mask
  EXPECT_EQ(report.skipped_shapes["labelme:line"], 1u);
  EXPECT_EQ(report.skipped_shapes["labelme:point"], 1u);
  EXPECT_EQ(report.skipped_shapes["labelme:linestrip"], 1u);
}

// labelme2voc rasterised the polygons with PIL (which fills a closed span at integer coordinates,
// so its rasters run 0.4-6.8% above the polygon area). Our pixel-centre raster is compared with it.
TEST(RealData, LabelmePolygonsMatchTheirVocMasks) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "labelme-examples/examples/instance_segmentation");
  const Dataset d = LoadDataset(DatasetFormat::kLabelme, root / "data_annotated");
  double sum_pil = 0, sum_centre = 0;
  std::size_t n = 0;
  for (const AssetRecord& a : d.assets) {
    fs::path png = root / "data_dataset_voc/SegmentationObject" / a.id;
    png.replace_extension(".png");
    // Palette indices, read through the masks importer's own path would be circular: use the
    // grey levels of a palette-free decode instead (IMREAD_UNCHANGED keeps palette PNGs as BGR),
    // so match each instance to the object colour it overlaps most.
    const cv::Mat bgr = cv::imread(png.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(bgr.empty()) << png;
    std::vector<cv::Vec3b> colours;
    for (int y = 0; y < bgr.rows; ++y) {
      for (int x = 0; x < bgr.cols; ++x) {
        const cv::Vec3b c = bgr.at<cv::Vec3b>(y, x);
        if (c != cv::Vec3b(0, 0, 0) &&
            std::find(colours.begin(), colours.end(), c) == colours.end())
          colours.push_back(c);
      }
    }
    for (const AnnotatedInstance& inst : a.instances) {
      const cv::Mat pil = RasterizeInstance(inst.shape, a.width, a.height, 0.0);
      const cv::Mat centre = RasterizeInstance(inst.shape, a.width, a.height, 0.5);
      double best_pil = 0, best_centre = 0;
      for (const cv::Vec3b& c : colours) {
        cv::Mat obj;
        cv::inRange(bgr, c, c, obj);
        obj = obj / 255;
        best_pil = std::max(best_pil, MaskIou(pil, obj));
        best_centre = std::max(best_centre, MaskIou(centre, obj));
      }
      EXPECT_GT(best_centre, 0.9) << a.id;  // occlusion by later shapes costs a few percent
      sum_pil += best_pil;
      sum_centre += best_centre;
      ++n;
    }
  }
  ASSERT_EQ(n, 12u);
  const double mean_pil = sum_pil / n, mean_centre = sum_centre / n;
  RecordProperty("mean_iou_integer_sampling", std::to_string(mean_pil));
  RecordProperty("mean_iou_centre_sampling", std::to_string(mean_centre));
  std::cout << "labelme vs VOC masks: mean raster IoU " << mean_centre
            << " (pixel-centre sampling), " << mean_pil << " (integer sampling)\n";
  EXPECT_GE(mean_centre, 0.97);
}

TEST(RealData, MasksImportAgreesWithTheLabelmePolygons) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "labelme-examples/examples/instance_segmentation");
  const Dataset masks = LoadDataset(DatasetFormat::kMasks, root / "data_dataset_voc");
  ImportOptions with_list;
  with_list.classes = root / "labels.txt";
  const Dataset polys = LoadDataset(DatasetFormat::kLabelme, root / "data_annotated", with_list);
  ASSERT_EQ(masks.class_names, polys.class_names);  // labels.txt less __ignore__ == class_names.txt
  const DatasetStats ms = ComputeStats(masks);
  EXPECT_EQ(ms.instances, 12u);
  EXPECT_EQ(ms.ignore_regions, 2u);
  double sum = 0;
  std::size_t n = 0;
  for (const AssetRecord& a : polys.assets) {
    ASSERT_TRUE(HasAsset(masks, a.id));
    const AssetRecord* m = &AssetById(masks, a.id);
    ASSERT_EQ(m->instances.size(), a.instances.size()) << a.id;
    for (const AnnotatedInstance& p : a.instances) {
      double best = 0;
      for (const AnnotatedInstance& q : m->instances) {
        if (q.class_id != p.class_id) continue;
        // The PNG pixel (i, j) was painted for the point (i, j): move the traced edges back by 1/2.
        Instance shifted = q.shape;
        for (Polygon& part : shifted.parts) {
          for (Point& v : part.outer) v = {v.x - 0.5, v.y - 0.5};
          for (Ring& h : part.holes) {
            for (Point& v : h) v = {v.x - 0.5, v.y - 0.5};
          }
        }
        best = std::max(best, ExactIou(p.shape, shifted));
      }
      sum += best;
      ++n;
    }
  }
  const double mean = sum / n;
  std::cout << "masks importer vs labelme polygons: mean exact IoU " << mean << " over " << n
            << " instances\n";
  EXPECT_GE(mean, 0.94);  // measured 0.9515: the PNGs carry PIL's extra outline pixels
}

TEST(RealData, LabelmeAndItsOwnCocoExportAgree) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "labelme-examples/examples/instance_segmentation");
  const Dataset coco =
      LoadDataset(DatasetFormat::kCoco, root / "data_dataset_coco/annotations.json");
  ImportOptions with_list;
  with_list.classes = root / "labels.txt";
  const Dataset lm = LoadDataset(DatasetFormat::kLabelme, root / "data_annotated", with_list);
  EXPECT_EQ(coco.class_names, lm.class_names);
  EXPECT_EQ(ComputeStats(coco).instances, 12u);
  for (const AssetRecord& a : lm.assets) {
    ASSERT_TRUE(HasAsset(coco, "JPEGImages/" + a.id)) << a.id;
    const AssetRecord* c = &AssetById(coco, "JPEGImages/" + a.id);
    ASSERT_EQ(c->instances.size(), a.instances.size());
    for (std::size_t k = 0; k < a.instances.size(); ++k) {
      EXPECT_EQ(c->instances[k].class_id, a.instances[k].class_id);
      EXPECT_NEAR(Area(c->instances[k].shape), Area(a.instances[k].shape), 1e-6)
          << a.id << " " << k;
    }
  }
  // COCO `area` is labelme2coco's pixel count of the PIL raster, outline included. SOURCE.md says
  // it is 0.4-6% below the polygon area; in this file it is 0.4-6.8% above it.
  const std::string text = testing::ReadFile(root / "data_dataset_coco/annotations.json");
  std::vector<double> areas;
  const std::regex area_re(R"("area": ([0-9.]+))");
  for (std::sregex_iterator it(text.begin(), text.end(), area_re), end; it != end; ++it)
    areas.push_back(std::stod((*it)[1]));
  ASSERT_EQ(areas.size(), 12u);
  std::size_t k = 0;
  for (const AssetRecord& a : coco.assets) {
    for (const AnnotatedInstance& i : a.instances) {
      const double ratio = areas[k++] / Area(i.shape);
      EXPECT_GT(ratio, 1.0) << a.id;
      EXPECT_LT(ratio, 1.07) << a.id;
    }
  }
}

bool HasHoles(const Instance& inst) {
  return std::any_of(inst.parts.begin(), inst.parts.end(),
                     [](const Polygon& p) { return !p.holes.empty(); });
}

// COCO export then import gives the model back exactly; the one exception is an instance with
// holes (COCO polygons have none, so it travels as RLE), which comes back as its traced raster.
TEST(RealData, CocoExportThenImportIsTheIdentity) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(coco128, "coco128-seg/coco128-seg");
  UNDERSTUDY_REQUIRE_SHARED_DATA(labelme,
                                 "labelme-examples/examples/instance_segmentation/data_annotated");
  for (const auto& [format, path] :
       {std::pair{DatasetFormat::kYolo, coco128}, std::pair{DatasetFormat::kLabelme, labelme}}) {
    Dataset original = LoadDataset(format, path);
    std::size_t ignore = 0, holed = 0;
    for (const AssetRecord& a : original.assets) {
      ignore += a.ignore.size();
      for (const AnnotatedInstance& i : a.instances) holed += HasHoles(i.shape);
    }
    TempDir dir;
    ExportReport report;
    ExportCoco(original, dir / "out.json", &report);
    EXPECT_EQ(report.rle_instances, holed);
    EXPECT_EQ(report.dropped_ignore, ignore);  // COCO has no ignore regions: counted, dropped
    for (AssetRecord& a : original.assets) a.ignore.clear();
    ImportOptions options;
    options.images = original.image_root;
    Dataset back = LoadDataset(DatasetFormat::kCoco, dir / "out.json", options);
    ASSERT_EQ(back.assets.size(), original.assets.size());
    for (std::size_t i = 0; i < back.assets.size(); ++i) {
      auto& got = back.assets[i].instances;
      const auto& want = original.assets[i].instances;
      for (std::size_t k = 0; k < std::min(got.size(), want.size()); ++k) {
        if (!HasHoles(want[k].shape)) continue;
        EXPECT_GT(ExactIou(got[k].shape, want[k].shape), 0.95) << path << " asset " << i;
        got[k].shape = want[k].shape;  // compared by IoU; everything else must match exactly
      }
    }
    EXPECT_EQ(CompareDatasets(original, back), "") << path;
    EXPECT_EQ(back.image_root, original.image_root);
    if (format == DatasetFormat::kYolo) {
      EXPECT_EQ(holed, 0u);  // YOLO rings have no holes: coco128-seg round-trips exactly
    }
  }
}

}  // namespace
}  // namespace understudy

namespace understudy {
namespace {

// The sizes the importers read from image headers are the sizes the asset store decodes, for
// every real image (EXIF orientation included).
TEST(RealData, HeaderSizesEqualDecodedSizesThroughTheAssetStore) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(root, "");
  UNDERSTUDY_REQUIRE_SHARED_DATA(balloon, "balloon/balloon");
  UNDERSTUDY_REQUIRE_SHARED_DATA(coco128, "coco128-seg/coco128-seg");
  UNDERSTUDY_REQUIRE_SHARED_DATA(tutorial, "labelme-examples/examples/tutorial");
  AssetStoreOptions options;
  options.data_root = root;
  options.cache_bytes = 64u << 20;
  std::size_t checked = 0;
  for (const Dataset& d :
       {LoadDataset(DatasetFormat::kVia, balloon), LoadDataset(DatasetFormat::kYolo, coco128),
        LoadDataset(DatasetFormat::kLabelme, tutorial)}) {
    AssetStore store(options);
    AddDataset(store, d);
    for (const AssetRecord& a : d.assets) {
      const cv::Mat image = store.Get(a.id);
      EXPECT_EQ(image.cols, a.width) << a.id;
      EXPECT_EQ(image.rows, a.height) << a.id;
      ++checked;
    }
    EXPECT_LE(store.cache_stats().bytes, options.cache_bytes);
  }
  EXPECT_EQ(checked, 74u + 128u + 1u);
}

}  // namespace
}  // namespace understudy
