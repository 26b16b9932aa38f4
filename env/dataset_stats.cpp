#include "env/dataset_stats.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace understudy {

DatasetStats ComputeStats(const Dataset& dataset) {
  DatasetStats s;
  s.images = dataset.assets.size();
  s.class_names = dataset.class_names.size();
  std::vector<std::size_t> vertices;
  std::map<int, std::size_t> per_class;
  for (const AssetRecord& a : dataset.assets) {
    if (a.path.empty() && !a.data.empty()) ++s.inline_images;
    s.ignore_regions += a.ignore.size();
    for (const AnnotatedInstance& inst : a.instances) {
      ++s.instances;
      if (inst.crowd) ++s.crowd;
      if (inst.shape.parts.size() > 1) ++s.multi_part;
      ++per_class[inst.class_id];
      for (const Polygon& p : inst.shape.parts) {
        ++s.polygons;
        s.holes += p.holes.size();
        vertices.push_back(p.outer.size());
      }
    }
  }
  s.classes = per_class.size();
  for (const auto& [id, n] : per_class) {
    const bool named = id >= 0 && static_cast<std::size_t>(id) < dataset.class_names.size();
    s.instances_per_class.emplace_back(
        named ? dataset.class_names[static_cast<std::size_t>(id)] : "#" + std::to_string(id), n);
  }
  s.vertices = Summarise(std::move(vertices));
  return s;
}

VertexSummary Summarise(std::vector<std::size_t> counts) {
  VertexSummary v;
  if (counts.empty()) return v;
  std::sort(counts.begin(), counts.end());
  v.min = counts.front();
  v.max = counts.back();
  const std::size_t n = counts.size();
  v.median = n % 2 == 1 ? static_cast<double>(counts[n / 2])
                        : 0.5 * static_cast<double>(counts[n / 2 - 1] + counts[n / 2]);
  return v;
}

std::string StatsJson(const DatasetStats& s, const ImportReport& report) {
  nlohmann::ordered_json j;
  j["images"] = s.images;
  j["inline_images"] = s.inline_images;
  j["instances"] = s.instances;
  j["polygons"] = s.polygons;
  j["holes"] = s.holes;
  j["multi_part_instances"] = s.multi_part;
  j["classes"] = s.classes;
  j["class_names"] = s.class_names;
  j["crowd"] = s.crowd;
  j["ignore_regions"] = s.ignore_regions;
  j["vertices_per_polygon"] = {
      {"min", s.vertices.min}, {"median", s.vertices.median}, {"max", s.vertices.max}};
  const VertexSummary read = Summarise(report.read_polygon_vertices);
  j["read"] = {
      {"polygons", report.read_polygon_vertices.size()},
      {"vertices_per_polygon", {{"min", read.min}, {"median", read.median}, {"max", read.max}}}};
  nlohmann::ordered_json skipped;
  skipped["instances"] = report.skipped_instances;
  skipped["shapes"] = nlohmann::ordered_json::object();
  for (const auto& [type, n] : report.skipped_shapes) skipped["shapes"][type] = n;
  skipped["orphan_labels"] = report.orphan_labels;
  j["skipped"] = std::move(skipped);
  j["class_conflicts"] = report.class_conflicts;
  j["simplified_rings"] = report.simplified_rings;
  j["repaired_instances"] = report.repaired_instances;
  nlohmann::ordered_json per_class = nlohmann::ordered_json::object();
  for (const auto& [name, n] : s.instances_per_class) per_class[name] = n;
  j["instances_per_class"] = std::move(per_class);
  return j.dump();
}

}  // namespace understudy
