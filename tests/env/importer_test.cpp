// Each format on small fixtures written here: shapes, classes, crowds, groups, inline images.
#include "env/importer.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "env/base64.h"
#include "env/dataset_stats.h"
#include "env/exporter.h"
#include "env/rle.h"
#include "tests/env/dataset_compare.h"
#include "tests/env/env_test_util.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

void WriteJpeg(const fs::path& file, int w, int h) {
  fs::create_directories(file.parent_path());
  ASSERT_TRUE(cv::imwrite(file.string(), cv::Mat(h, w, CV_8UC3, cv::Scalar(40, 80, 120))));
}

std::vector<std::uint8_t> PngBytes(const cv::Mat& m) {
  std::vector<std::uint8_t> out;
  cv::imencode(".png", m, out);
  return out;
}

TEST(DatasetFormat, NamesRoundTrip) {
  for (const char* n : {"coco", "via", "labelme", "yolo", "masks"})
    EXPECT_EQ(FormatName(ParseDatasetFormat(n)), n);
  EXPECT_THROW(ParseDatasetFormat("voc"), std::invalid_argument);
}

TEST(ViaImport, Version1ShapesAndSkippedShapes) {
  TempDir dir;
  WriteJpeg(dir / "a.jpg", 100, 80);
  WriteFile(dir / "via.json",
            R"({"a.jpg123": {"filename": "a.jpg", "size": 123, "file_attributes": {},
    "regions": {
      "0": {"shape_attributes": {"name": "polygon", "all_points_x": [10, 50, 30, 10], "all_points_y": [10, 10, 40, 10]}, "region_attributes": {}},
      "1": {"shape_attributes": {"name": "rect", "x": 5, "y": 6, "width": 20, "height": 10}, "region_attributes": {}},
      "2": {"shape_attributes": {"name": "circle", "cx": 50, "cy": 40, "r": 10}, "region_attributes": {}},
      "3": {"shape_attributes": {"name": "ellipse", "cx": 50, "cy": 40, "rx": 20, "ry": 5}, "region_attributes": {}},
      "4": {"shape_attributes": {"name": "polyline", "all_points_x": [1, 2], "all_points_y": [1, 2]}, "region_attributes": {}},
      "5": {"shape_attributes": {"name": "point", "cx": 1, "cy": 2}, "region_attributes": {}}}}})");
  ImportReport report;
  const Dataset d = LoadDataset(DatasetFormat::kVia, dir / "via.json", {}, report);
  ASSERT_EQ(d.assets.size(), 1u);
  const AssetRecord& a = d.assets[0];
  EXPECT_EQ(a.id, "a.jpg");
  EXPECT_EQ(a.width, 100);
  EXPECT_EQ(a.height, 80);
  ASSERT_EQ(a.instances.size(), 4u);
  EXPECT_EQ(a.instances[0].shape.parts[0].outer.size(), 3u);  // closing repeat dropped
  EXPECT_DOUBLE_EQ(Area(a.instances[1].shape), 200.0);
  EXPECT_NEAR(Area(a.instances[2].shape), M_PI * 100, 1e-9);  // area-preserving 64-gon
  EXPECT_EQ(a.instances[2].shape.parts[0].outer.size(), 64u);
  EXPECT_NEAR(Area(a.instances[3].shape), M_PI * 100, 1e-9);
  EXPECT_EQ(report.skipped_shapes["via:polyline"], 1u);
  EXPECT_EQ(report.skipped_shapes["via:point"], 1u);
  EXPECT_EQ(d.class_names, std::vector<std::string>{"object"});
}

TEST(ViaImport, Version2ProjectWithClassAttributeAndOrder) {
  TempDir dir;
  WriteJpeg(dir / "img/b.jpg", 60, 60);
  WriteJpeg(dir / "img/a.jpg", 60, 60);
  WriteFile(dir / "proj.json", R"({"_via_settings": {}, "_via_attributes": {},
    "_via_image_id_list": ["b.jpg1", "a.jpg1"],
    "_via_img_metadata": {
      "a.jpg1": {"filename": "a.jpg", "size": 1, "regions": [
        {"shape_attributes": {"name": "rect", "x": 1, "y": 1, "width": 5, "height": 5}, "region_attributes": {"kind": "cat"}}]},
      "b.jpg1": {"filename": "b.jpg", "size": 1, "regions": [
        {"shape_attributes": {"name": "rect", "x": 1, "y": 1, "width": 5, "height": 5}, "region_attributes": {"kind": {"dog": true, "cat": false}}},
        {"shape_attributes": {"name": "rect", "x": 2, "y": 2, "width": 5, "height": 5}, "region_attributes": {"kind": "cat"}}]}}})");
  ImportOptions options;
  options.images = dir / "img";
  options.class_attribute = "kind";
  const Dataset d = LoadDataset(DatasetFormat::kVia, dir / "proj.json", options);
  ASSERT_EQ(d.assets.size(), 2u);
  EXPECT_EQ(d.assets[0].id, "b.jpg");  // _via_image_id_list order
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"dog", "cat"}));
  EXPECT_EQ(d.assets[0].instances[0].class_id, 0);
  EXPECT_EQ(d.assets[0].instances[1].class_id, 1);
  EXPECT_EQ(d.assets[1].instances[0].class_id, 1);
}

TEST(LabelmeImport, GroupsIgnoreInlineImageAndShapeTypes) {
  TempDir dir;
  cv::Mat img(50, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  const std::string data = Base64Encode(PngBytes(img));
  cv::Mat mask(5, 6, CV_8U, cv::Scalar(0));
  mask(cv::Rect(1, 1, 3, 2)) = 255;
  WriteFile(dir / "x.json",
            R"({"version": "5.0.1", "flags": {}, "imagePath": "x.json", "imageData": ")" + data +
                R"(", "imageHeight": 50, "imageWidth": 40, "shapes": [
    {"label": "dog", "points": [[1,1],[10,1],[10,10]], "group_id": 3, "shape_type": "polygon", "flags": {}},
    {"label": "cat", "points": [[20,20],[30,20],[30,30]], "group_id": null, "shape_type": "polygon", "flags": {}},
    {"label": "dog", "points": [[12,1],[20,1],[20,10]], "group_id": 3, "shape_type": "polygon", "flags": {}},
    {"label": "dog", "points": [[1,30],[5,34]], "group_id": null, "shape_type": "rectangle", "flags": {"crowd": true}},
    {"label": "__ignore__", "points": [[30,40],[39,40],[39,49]], "group_id": null, "shape_type": "polygon", "flags": {}},
    {"label": "dog", "points": [[20,40],[25,40]], "group_id": null, "shape_type": "circle", "flags": {}},
    {"label": "dog", "points": [[2,2],[7,6]], "group_id": null, "shape_type": "mask", "mask": ")" +
                Base64Encode(PngBytes(mask)) + R"(", "flags": {}},
    {"label": "dog", "points": [[1,1],[3,3]], "group_id": null, "shape_type": "line", "flags": {}}]})");
  ImportReport report;
  const Dataset d = LoadDataset(DatasetFormat::kLabelme, dir.path(), {}, report);
  ASSERT_EQ(d.assets.size(), 1u);
  const AssetRecord& a = d.assets[0];
  EXPECT_EQ(a.id, "x.png");  // imagePath names the JSON: the id takes the inline image's type
  EXPECT_TRUE(a.path.empty());
  EXPECT_EQ(cv::imdecode(a.data, cv::IMREAD_COLOR).cols, 40);
  ASSERT_EQ(a.instances.size(), 5u);
  EXPECT_EQ(a.instances[0].shape.parts.size(), 2u);  // group 3 joins the two "dog" triangles
  EXPECT_EQ(d.class_names[static_cast<std::size_t>(a.instances[1].class_id)], "cat");
  EXPECT_TRUE(a.instances[2].crowd);
  EXPECT_DOUBLE_EQ(Area(a.instances[2].shape), 16.0);
  EXPECT_NEAR(Area(a.instances[3].shape), M_PI * 25, 1e-9);
  EXPECT_DOUBLE_EQ(Area(a.instances[4].shape), 6.0);  // 3x2 mask pixels
  EXPECT_EQ(BoundsOf(a.instances[4].shape).x0, 3.0);  // mask pixel (1,1) offset by the box (2,2)
  EXPECT_EQ(a.ignore.size(), 1u);
  EXPECT_EQ(report.skipped_shapes["labelme:line"], 1u);
}

TEST(LabelmeImport, ExportRoundTripKeepsGroupsCrowdsAndIgnore) {
  TempDir dir;
  WriteJpeg(dir / "in/p.jpg", 64, 48);
  WriteFile(
      dir / "in/p.json",
      R"({"imagePath": "p.jpg", "imageData": null, "imageHeight": 48, "imageWidth": 64, "shapes": [
    {"label": "a", "points": [[1,1],[10,1],[10,10]], "group_id": 7, "shape_type": "polygon", "flags": {}},
    {"label": "a", "points": [[12,1],[20,1],[20,10]], "group_id": 7, "shape_type": "polygon", "flags": {}},
    {"label": "b", "points": [[30,30],[40,30],[40,40]], "shape_type": "polygon", "flags": {"crowd": true}},
    {"label": "__ignore__", "points": [[50,40],[60,40],[60,47]], "group_id": null, "shape_type": "polygon"}]})");
  const Dataset d = LoadDataset(DatasetFormat::kLabelme, dir / "in");
  ExportLabelme(d, dir / "out");
  ASSERT_TRUE(fs::exists(dir / "out/p.json"));
  ImportOptions options;
  const Dataset back = LoadDataset(DatasetFormat::kLabelme, dir / "out", options);
  ASSERT_EQ(back.assets.size(), 1u);
  EXPECT_EQ(back.assets[0].width, 64);
  // The image stays where it was; the exported imagePath points back at it.
  EXPECT_EQ(fs::path(back.image_root) / back.assets[0].path,
            fs::path(d.image_root) / d.assets[0].path);
  Dataset expected = d;
  expected.assets[0].id = back.assets[0].id;
  expected.assets[0].path = back.assets[0].path;
  EXPECT_EQ(testing::CompareDatasets(expected, back), "");
}

TEST(CocoImport, PolygonsRleCrowdAndCategoryMapping) {
  TempDir dir;
  WriteJpeg(dir / "images/i.jpg", 20, 10);
  cv::Mat m(10, 20, CV_8U, cv::Scalar(0));
  m(cv::Rect(2, 2, 8, 6)) = 1;
  m(cv::Rect(4, 4, 2, 2)) = 0;  // a hole
  const Rle rle = RleEncode(m);
  std::string counts_list;
  for (std::uint32_t c : rle.counts)
    counts_list += (counts_list.empty() ? "" : ",") + std::to_string(c);
  WriteFile(dir / "ann.json",
            R"({"images": [{"id": 7, "file_name": "images/i.jpg", "width": 20, "height": 10}],
    "categories": [{"id": 90, "name": "zebra"}, {"id": 3, "name": "car"}],
    "annotations": [
      {"id": 1, "image_id": 7, "category_id": 90, "iscrowd": 0, "segmentation": [[1,1, 5,1, 5,5], [10,1, 15,1, 15,5]]},
      {"id": 2, "image_id": 7, "category_id": 3, "iscrowd": 1, "segmentation": {"size": [10, 20], "counts": [)" +
                counts_list + R"(]}},
      {"id": 3, "image_id": 7, "category_id": 3, "iscrowd": 0, "segmentation": {"size": [10, 20], "counts": ")" +
                RleToString(rle) + R"("}}]})");
  const Dataset d = LoadDataset(DatasetFormat::kCoco, dir / "ann.json");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"car", "zebra"}));  // ascending category id
  ASSERT_EQ(d.assets.size(), 1u);
  const AssetRecord& a = d.assets[0];
  EXPECT_EQ(a.id, "images/i.jpg");
  ASSERT_EQ(a.instances.size(), 3u);
  EXPECT_EQ(a.instances[0].class_id, 1);
  EXPECT_EQ(a.instances[0].shape.parts.size(), 2u);
  EXPECT_TRUE(a.instances[1].crowd);
  EXPECT_FALSE(a.instances[2].crowd);
  for (int k : {1, 2}) {
    EXPECT_DOUBLE_EQ(Area(a.instances[k].shape), 44.0);  // 48 pixels less the 4-pixel hole
    ASSERT_EQ(a.instances[k].shape.parts.size(), 1u);
    EXPECT_EQ(a.instances[k].shape.parts[0].holes.size(), 1u);
  }
  EXPECT_EQ(ComputeStats(d).crowd, 1u);
}

TEST(CocoImport, ExportImportIdentityWithMultiPartHolesAndInline) {
  TempDir dir;
  WriteJpeg(dir / "src/a.jpg", 32, 24);
  Dataset d;
  d.image_root = (dir / "src").string();
  d.class_names = {"x", "y"};
  AssetRecord a;
  a.id = a.path = "a.jpg";
  a.width = 32;
  a.height = 24;
  Instance two;
  two.parts.push_back(Polygon{{{1.25, 1.5}, {9.75, 1.5}, {9.75, 8.125}}, {}});
  two.parts.push_back(Polygon{{{20, 2}, {30, 2}, {30, 12}, {20, 12}}, {}});
  a.instances.push_back({two, 1, false});
  // A pixel-edge instance with a hole (as traced from a mask): RLE in COCO, traced back exactly.
  Instance holed;
  holed.parts.push_back(
      Polygon{{{3, 12}, {13, 12}, {13, 22}, {3, 22}}, {{{6, 15}, {6, 18}, {9, 18}, {9, 15}}}});
  a.instances.push_back({holed, 0, true});
  d.assets.push_back(a);
  AssetRecord inl;
  inl.id = "inline/b.png";
  inl.data = PngBytes(cv::Mat(10, 12, CV_8UC3, cv::Scalar(9, 9, 9)));
  inl.width = 12;
  inl.height = 10;
  inl.instances.push_back({MakeInstance({{1, 1}, {5, 1}, {5, 5}}), 0, false});
  d.assets.push_back(inl);

  // Validate first, as every importer does, so the comparison is on normalised rings.
  Dataset valid = d;
  for (AssetRecord& r : valid.assets) {
    for (AnnotatedInstance& i : r.instances) i.shape = Validate(i.shape);
  }
  ExportReport report;
  ExportCoco(valid, dir / "out/coco.json", &report);
  EXPECT_EQ(report.rle_instances, 1u);
  EXPECT_EQ(report.inline_images_written, 1u);
  ImportOptions options;
  options.images = dir / "src";
  // The inline image was written beside the JSON; copy it under the image root for re-import.
  fs::create_directories(dir / "src/inline");
  fs::copy_file(dir / "out/inline/b.png", dir / "src/inline/b.png");
  const Dataset back = LoadDataset(DatasetFormat::kCoco, dir / "out/coco.json", options);
  Dataset expected = valid;
  expected.assets[1].data.clear();
  expected.assets[1].path = expected.assets[1].id;
  EXPECT_EQ(testing::CompareDatasets(expected, back), "");
}

TEST(YoloImport, LayoutClassesAndBackgroundImages) {
  TempDir dir;
  WriteJpeg(dir / "images/train/a.jpg", 200, 100);
  WriteJpeg(dir / "images/train/empty.jpg", 50, 50);
  WriteFile(dir / "labels/train/a.txt", "1 0.1 0.1 0.5 0.1 0.5 0.5\n\n0 0 0 1 0 1 1 0 1\n");
  WriteFile(dir / "labels/train/orphan.txt", "0 0.1 0.1 0.2 0.1 0.2 0.2\n");
  WriteFile(dir / "names.txt", "cat\ndog\n\n");
  ImportOptions options;
  options.classes = dir / "names.txt";
  ImportReport report;
  const Dataset d = LoadDataset(DatasetFormat::kYolo, dir.path(), options, report);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(d.assets.size(), 2u);
  EXPECT_EQ(d.assets[0].id, "train/a.jpg");
  ASSERT_EQ(d.assets[0].instances.size(), 2u);
  EXPECT_EQ(d.assets[0].instances[0].class_id, 1);
  EXPECT_DOUBLE_EQ(Area(d.assets[0].instances[0].shape), 0.5 * 80 * 40);
  EXPECT_DOUBLE_EQ(Area(d.assets[0].instances[1].shape), 200.0 * 100);
  EXPECT_TRUE(d.assets[1].instances.empty());
  EXPECT_EQ(report.orphan_labels, 1u);
  // Without a list: numbered names up to the largest id; a labels folder finds its images.
  const Dataset numbered = LoadDataset(DatasetFormat::kYolo, dir / "labels/train");
  EXPECT_EQ(numbered.class_names, (std::vector<std::string>{"class_0", "class_1"}));
  EXPECT_EQ(numbered.assets[0].id, "a.jpg");
}

TEST(MasksImport, GreyscaleIdsWithClassPngAndVoid) {
  TempDir dir;
  WriteJpeg(dir / "JPEGImages/m.jpg", 30, 20);
  cv::Mat ids(20, 30, CV_8U, cv::Scalar(0)), cls(20, 30, CV_8U, cv::Scalar(0));
  ids(cv::Rect(1, 1, 10, 10)) = 1;
  ids(cv::Rect(4, 4, 3, 3)) = 0;  // hole in object 1
  ids(cv::Rect(15, 2, 5, 5)) = 2;
  ids(cv::Rect(22, 2, 3, 3)) = 2;     // object 2 in two pieces
  ids(cv::Rect(0, 15, 30, 2)) = 255;  // void band
  cls.setTo(3, ids == 1);
  cls.setTo(1, ids == 2);
  cls.setTo(255, ids == 255);
  fs::create_directories(dir / "SegmentationObject");
  fs::create_directories(dir / "SegmentationClass");
  ASSERT_TRUE(cv::imwrite((dir / "SegmentationObject/m.png").string(), ids));
  ASSERT_TRUE(cv::imwrite((dir / "SegmentationClass/m.png").string(), cls));
  WriteFile(dir / "class_names.txt", "_background_\nbird\ncow\ncat\n");
  const Dataset d = LoadDataset(DatasetFormat::kMasks, dir.path());
  ASSERT_EQ(d.assets.size(), 1u);
  const AssetRecord& a = d.assets[0];
  ASSERT_EQ(a.instances.size(), 2u);
  EXPECT_EQ(d.class_names[static_cast<std::size_t>(a.instances[0].class_id)], "cat");
  EXPECT_DOUBLE_EQ(Area(a.instances[0].shape), 100.0 - 9.0);
  EXPECT_EQ(a.instances[0].shape.parts[0].holes.size(), 1u);
  EXPECT_EQ(d.class_names[static_cast<std::size_t>(a.instances[1].class_id)], "bird");
  EXPECT_EQ(a.instances[1].shape.parts.size(), 2u);
  ASSERT_EQ(a.ignore.size(), 1u);
  EXPECT_DOUBLE_EQ(Area(a.ignore[0]), 60.0);
}

TEST(Import, SkipBadInstancesCountsInsteadOfFailing) {
  TempDir dir;
  WriteJpeg(dir / "a.jpg", 100, 100);
  WriteFile(dir / "via.json", R"({"a.jpg1": {"filename": "a.jpg", "regions": [
    {"shape_attributes": {"name": "polygon", "all_points_x": [1, 2], "all_points_y": [1, 2]}},
    {"shape_attributes": {"name": "polygon", "all_points_x": [1, 500, 1], "all_points_y": [1, 1, 9]}},
    {"shape_attributes": {"name": "polygon", "all_points_x": [1, 50, 1], "all_points_y": [1, 1, 9]}}]}})");
  try {
    LoadDataset(DatasetFormat::kVia, dir / "via.json");
    FAIL() << "a two-vertex polygon was accepted";
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("via.json: ['a.jpg1'].regions[0]"), std::string::npos)
        << e.what();
  }
  ImportOptions skip;
  skip.skip_bad_instances = true;
  ImportReport report;
  const Dataset d = LoadDataset(DatasetFormat::kVia, dir / "via.json", skip, report);
  EXPECT_EQ(d.assets[0].instances.size(), 1u);
  EXPECT_EQ(report.skipped_instances, 2u);
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_NE(report.problems[1].find("outside the 100x100 image"), std::string::npos)
      << report.problems[1];
}

}  // namespace
}  // namespace understudy

namespace understudy {
namespace {

TEST(Export, RefusesIdsThatWouldWriteOutsideTheOutputAndUnknownClasses) {
  testing::TempDir dir;
  Dataset d;
  d.class_names = {"a"};
  AssetRecord a;
  a.id = "../escape.png";
  a.data = {1, 2, 3};
  a.width = a.height = 4;
  d.assets.push_back(a);
  EXPECT_THROW(ExportCoco(d, dir / "out.json"), ExportError);
  EXPECT_THROW(ExportLabelme(d, dir / "lm"), ExportError);
  EXPECT_FALSE(std::filesystem::exists(dir.path().parent_path() / "escape.png"));
  d.assets[0].id = "ok.png";
  d.assets[0].instances.push_back({MakeInstance({{0, 0}, {2, 0}, {2, 2}}), 3, false});
  EXPECT_THROW(ExportCoco(d, dir / "out.json"), ExportError);
}

}  // namespace
}  // namespace understudy
