// Malformed input gives an ImportError that names the file, never a crash or another exception.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "env/base64.h"
#include "env/importer.h"
#include "tests/env/env_test_util.h"
#include "tests/support/shared_data.h"

namespace understudy {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using testing::TempDir;
using testing::WriteFile;

enum class Outcome { kLoaded, kImportError };

// Loads and classifies; any exception other than ImportError fails the test.
Outcome Try(DatasetFormat format, const fs::path& path, const ImportOptions& options,
            std::string* message = nullptr) {
  try {
    LoadDataset(format, path, options);
    return Outcome::kLoaded;
  } catch (const ImportError& e) {
    if (message != nullptr) *message = e.what();
    return Outcome::kImportError;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an ImportError: " << e.what();
    return Outcome::kImportError;
  }
}

void WriteJpeg(const fs::path& file, int w, int h) {
  fs::create_directories(file.parent_path());
  ASSERT_TRUE(cv::imwrite(file.string(), cv::Mat(h, w, CV_8UC3, cv::Scalar(1, 2, 3))));
}

// Cuts `text` at many offsets (every one of the first 64, then ~250 spread evenly) and loads
// each prefix from `file`: every strict prefix of a JSON document is an ImportError naming the
// file, unless only trailing whitespace was cut.
void TruncateEverywhere(DatasetFormat format, const std::string& text, const fs::path& file,
                        const ImportOptions& options) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < std::min<std::size_t>(64, text.size()); ++i) cuts.push_back(i);
  for (std::size_t k = 1; k < 250; ++k) cuts.push_back(text.size() * k / 250);
  for (std::size_t i = text.size() > 8 ? text.size() - 8 : 0; i < text.size(); ++i)
    cuts.push_back(i);
  for (std::size_t cut : cuts) {
    WriteFile(file, text.substr(0, cut));
    std::string message;
    const Outcome o = Try(format, file, options, &message);
    const bool only_space_cut = text.find_first_not_of(" \t\r\n", cut) == std::string::npos;
    if (o == Outcome::kLoaded) {
      EXPECT_TRUE(only_space_cut) << "a prefix of " << cut << " bytes loaded";
    } else {
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    }
  }
}

TEST(Malformed, TruncatedRealJsonFiles) {
  UNDERSTUDY_REQUIRE_SHARED_DATA(balloon, "balloon/balloon/val");
  UNDERSTUDY_REQUIRE_SHARED_DATA(lm, "labelme-examples/examples");
  TempDir dir;
  ImportOptions via;
  via.images = balloon;
  TruncateEverywhere(DatasetFormat::kVia, testing::ReadFile(balloon / "via_region_data.json"),
                     dir / "via.json", via);
  ImportOptions labelme;
  labelme.images = lm / "instance_segmentation/data_annotated";
  TruncateEverywhere(
      DatasetFormat::kLabelme,
      testing::ReadFile(lm / "instance_segmentation/data_annotated/2011_000006.json"),
      dir / "lm.json", labelme);
  // The tutorial file embeds its image: cuts inside imageData are invalid JSON too.
  labelme.images = lm / "tutorial";
  TruncateEverywhere(DatasetFormat::kLabelme, testing::ReadFile(lm / "tutorial/apc2016_obj3.json"),
                     dir / "apc.json", labelme);
  ImportOptions coco;
  coco.images = lm / "instance_segmentation/data_dataset_coco";
  TruncateEverywhere(
      DatasetFormat::kCoco,
      testing::ReadFile(lm / "instance_segmentation/data_dataset_coco/annotations.json"),
      dir / "coco.json", coco);
}

// Every value of a valid document replaced by every other JSON type: loads or an ImportError.
void MutateEveryNode(DatasetFormat format, const Json& doc, const fs::path& file,
                     const ImportOptions& options, std::size_t* errors, std::size_t* total) {
  const std::vector<Json> replacements = {nullptr,
                                          true,
                                          -1,
                                          1e308,
                                          2.5,
                                          "text",
                                          Json::array(),
                                          Json::object(),
                                          Json::array({Json::array()}),
                                          Json::array({1, "a"})};
  const Json flat = doc.flatten();
  std::vector<std::string> pointers;
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    // The leaf and each of its parents.
    for (Json::json_pointer p(it.key()); !p.empty(); p = p.parent_pointer()) {
      if (std::find(pointers.begin(), pointers.end(), p.to_string()) == pointers.end())
        pointers.push_back(p.to_string());
    }
  }
  for (const std::string& ptr : pointers) {
    for (const Json& r : replacements) {
      Json mutated = doc;
      mutated[Json::json_pointer(ptr)] = r;
      WriteFile(file, mutated.dump());
      std::string message;
      if (Try(format, file, options, &message) == Outcome::kImportError) {
        ++*errors;
        EXPECT_NE(message.find(file.string()), std::string::npos) << ptr << ": " << message;
      }
      ++*total;
    }
  }
}

TEST(Malformed, WrongTypesForEveryField) {
  TempDir dir;
  WriteJpeg(dir / "a.jpg", 40, 30);
  std::size_t errors = 0, total = 0;
  const Json via = Json::parse(R"({"a.jpg1": {"filename": "a.jpg", "size": 1, "regions": {
      "0": {"shape_attributes": {"name": "polygon", "all_points_x": [1, 20, 10], "all_points_y": [1, 1, 20]}, "region_attributes": {"c": "x"}},
      "1": {"shape_attributes": {"name": "rect", "x": 1, "y": 2, "width": 5, "height": 6}, "region_attributes": {"c": "y"}},
      "2": {"shape_attributes": {"name": "ellipse", "cx": 10, "cy": 10, "rx": 5, "ry": 3, "theta": 0.5}, "region_attributes": {"c": "x"}}}}})");
  ImportOptions with_attribute;
  with_attribute.class_attribute = "c";
  MutateEveryNode(DatasetFormat::kVia, via, dir / "via.json", with_attribute, &errors, &total);

  const Json labelme = Json::parse(
      R"({"version": "5.0.1", "imagePath": "a.jpg", "imageData": null, "imageHeight": 30, "imageWidth": 40,
    "shapes": [{"label": "p", "points": [[1, 1], [20, 1], [10, 20]], "group_id": 1, "shape_type": "polygon", "flags": {"crowd": false}},
               {"label": "p", "points": [[21, 1], [30, 1], [25, 20]], "group_id": 1, "shape_type": "polygon", "flags": {}},
               {"label": "q", "points": [[1, 1], [5, 5]], "group_id": null, "shape_type": "rectangle", "flags": {}}]})");
  MutateEveryNode(DatasetFormat::kLabelme, labelme, dir / "lm.json", {}, &errors, &total);

  const Json coco =
      Json::parse(R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 30}],
    "categories": [{"id": 1, "name": "p"}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": [[1, 1, 20, 1, 10, 20]]},
                    {"id": 2, "image_id": 1, "category_id": 1, "iscrowd": 1, "segmentation": {"size": [30, 40], "counts": [5, 10, 1185]}}]})");
  MutateEveryNode(DatasetFormat::kCoco, coco, dir / "coco.json", {}, &errors, &total);
  // Most replacements break a required field; all of those were reported as ImportErrors.
  EXPECT_GT(errors, total / 2) << errors << " of " << total;
}

TEST(Malformed, ErrorsNameTheField) {
  TempDir dir;
  WriteJpeg(dir / "a.jpg", 40, 30);
  std::string m;
  WriteFile(
      dir / "c.json",
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": "40", "height": 30}], "categories": [], "annotations": []})");
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "c.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("images[0].width: expected an integer, found string"), std::string::npos) << m;
  WriteFile(
      dir / "c.json",
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 41, "height": 30}], "categories": [], "annotations": []})");
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "c.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("says 41x30 but 'a.jpg' is 40x30"), std::string::npos) << m;
  WriteFile(
      dir / "c.json",
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 30}], "categories": [{"id": 1, "name": "p"}],
    "annotations": [{"image_id": 1, "category_id": 1, "segmentation": {"size": [30, 40], "counts": "0;"}}]})");
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "c.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("annotations[0].segmentation.counts: RLE"), std::string::npos) << m;
  WriteFile(
      dir / "v.json",
      R"({"k": {"filename": "a.jpg", "regions": {"3": {"shape_attributes": {"name": "polygon", "all_points_x": [1, 2, 3], "all_points_y": [1, 2]}}}}})");
  ASSERT_EQ(Try(DatasetFormat::kVia, dir / "v.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(
      m.find(
          "v.json: k.regions['3'].shape_attributes.all_points_y: 2 values but all_points_x has 3"),
      std::string::npos)
      << m;
}

TEST(Malformed, MissingImages) {
  TempDir dir;
  std::string m;
  WriteFile(dir / "v.json", R"({"k": {"filename": "nope.jpg", "regions": []}})");
  ASSERT_EQ(Try(DatasetFormat::kVia, dir / "v.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("nope.jpg' not found"), std::string::npos) << m;
  WriteFile(dir / "l.json", R"({"imagePath": "gone.png", "shapes": []})");
  ASSERT_EQ(Try(DatasetFormat::kLabelme, dir / "l.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("l.json: imagePath: image"), std::string::npos) << m;
  WriteFile(
      dir / "c.json",
      R"({"images": [{"id": 1, "file_name": "x/gone.jpg", "width": 4, "height": 3}], "categories": [], "annotations": []})");
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "c.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("images[0].file_name: image"), std::string::npos) << m;
  TempDir masks;
  ASSERT_TRUE(fs::create_directories(masks / "SegmentationObject"));
  fs::create_directories(masks / "JPEGImages");
  ASSERT_TRUE(cv::imwrite((masks / "SegmentationObject/a.png").string(),
                          cv::Mat(3, 3, CV_8U, cv::Scalar(1))));
  ASSERT_EQ(Try(DatasetFormat::kMasks, masks.path(), {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("no image for it"), std::string::npos) << m;
  EXPECT_EQ(Try(DatasetFormat::kCoco, dir / "absent.json", {}, &m), Outcome::kImportError);
}

TEST(Malformed, YoloLines) {
  TempDir dir;
  WriteJpeg(dir / "images/a.jpg", 10, 10);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0 0.1 0.1 0.5 0.1 0.5\n", "a.txt:1: odd number of coordinates (5)"},
      {"0 0.1 0.1 0.5 0.1 0.5 0.5\n1 0.1 0.1 0.5 x 0.5 0.5\n", "a.txt:2: coordinate 2"},
      {"-1 0.1 0.1 0.5 0.1 0.5 0.5\n", "a.txt:1: class id '-1'"},
      {"cat 0.1 0.1 0.5 0.1 0.5 0.5\n", "a.txt:1: class id 'cat'"},
      {"0 0.1 0.1 2.5 0.1 0.5 0.5\n", "a.txt:1: vertex (25, 1) lies outside the 10x10 image"},
      {"0 0.5 0.5 0.2 0.2\n", "a.txt:1: a box (class cx cy w h)"},
      {"0 0.1 0.1 0.2 0.2\n", "a.txt:1: a box"},
      {"0 0.1 0.1\n", "a.txt:1: "},  // geometry messages come from Validate()
      {"0 0.1 0.1 0.2 0.2 0.3 0.3\n", "a.txt:1: "},
      {"0 nan 0.1 0.5 0.1 0.5 0.5\n", "a.txt:1: coordinate 1"},
  };
  for (const auto& [text, expected] : cases) {
    WriteFile(dir / "labels/a.txt", text);
    std::string m;
    ASSERT_EQ(Try(DatasetFormat::kYolo, dir.path(), {}, &m), Outcome::kImportError) << text;
    EXPECT_NE(m.find(expected), std::string::npos) << m;
  }
  ImportOptions names;
  WriteFile(dir / "names.txt", "only\n");
  names.classes = dir / "names.txt";
  WriteFile(dir / "labels/a.txt", "1 0.1 0.1 0.5 0.1 0.5 0.5\n");
  std::string m;
  ASSERT_EQ(Try(DatasetFormat::kYolo, dir.path(), names, &m), Outcome::kImportError);
  EXPECT_NE(m.find("lists 1 classes"), std::string::npos) << m;
}

TEST(Malformed, BadBase64AndCorruptImages) {
  TempDir dir;
  std::string m;
  WriteFile(dir / "l.json",
            R"({"imagePath": "l.jpg", "imageData": "iVBOR!!w0KGgo=", "shapes": []})");
  ASSERT_EQ(Try(DatasetFormat::kLabelme, dir / "l.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("imageData: base64: invalid character"), std::string::npos) << m;
  WriteFile(
      dir / "l.json",
      R"({"imagePath": "l.jpg", "imageData": "aGVsbG8gd29ybGQ=", "shapes": []})");  // "hello world"
  ASSERT_EQ(Try(DatasetFormat::kLabelme, dir / "l.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("imageData: not a decodable image"), std::string::npos) << m;
  // A PNG cut in half: the header still reads, the pixels do not.
  std::vector<std::uint8_t> png;
  cv::imencode(".png", cv::Mat(30, 30, CV_8U, cv::Scalar(1)), png);
  png.resize(png.size() / 2);
  WriteFile(
      dir / "l.json",
      R"({"imagePath": "l.jpg", "imageData": null, "shapes": [{"label": "a", "points": [[0, 0], [29, 29]], "shape_type": "mask", "mask": ")" +
          Base64Encode(png) + R"("}]})");
  WriteJpeg(dir / "l.jpg", 40, 40);
  ASSERT_EQ(Try(DatasetFormat::kLabelme, dir / "l.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("shapes[0].mask: not a decodable PNG"), std::string::npos) << m;
  TempDir masks;
  WriteJpeg(masks / "JPEGImages/a.jpg", 30, 30);
  fs::create_directories(masks / "SegmentationObject");
  testing::WriteBytes(masks / "SegmentationObject/a.png", png);
  ASSERT_EQ(Try(DatasetFormat::kMasks, masks.path(), {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("a.png: cannot decode"), std::string::npos) << m;
  testing::WriteFile(masks / "SegmentationObject/a.png", "\x89PNG\r\n\x1a\n-------");
  ASSERT_EQ(Try(DatasetFormat::kMasks, masks.path(), {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("PNG header"), std::string::npos) << m;
  // An image file that is not an image at all.
  WriteFile(dir / "v.json", R"({"k": {"filename": "v.json", "regions": []}})");
  ASSERT_EQ(Try(DatasetFormat::kVia, dir / "v.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("not a decodable image"), std::string::npos) << m;
}

TEST(Malformed, DeepNestingAndHugeNumbers) {
  TempDir dir;
  WriteFile(dir / "deep.json", std::string(100000, '[') + std::string(100000, ']'));
  std::string m;
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "deep.json", {}, &m), Outcome::kImportError);
  EXPECT_NE(m.find("expected a COCO object"), std::string::npos) << m;
  WriteJpeg(dir / "a.jpg", 4, 4);
  WriteFile(
      dir / "c.json",
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}], "categories": [{"id": 1, "name": "p"}],
    "annotations": [{"image_id": 1, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [99999999999999999999]}}]})");
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "c.json", {}, &m), Outcome::kImportError);
  WriteFile(
      dir / "c.json",
      R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}], "categories": [{"id": 1, "name": "p"}],
    "annotations": [{"image_id": 1, "category_id": 1, "segmentation": [[1e400, 0, 1, 1, 0, 1]]}]})");
  ASSERT_EQ(Try(DatasetFormat::kCoco, dir / "c.json", {}, &m), Outcome::kImportError);
}

}  // namespace
}  // namespace understudy
