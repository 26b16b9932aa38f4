#pragma once
// Field-by-field dataset equality for round-trip tests, with a message saying where they differ.

#include <string>

#include "env/dataset.h"

namespace understudy::testing {

inline std::string CompareRings(const Ring& a, const Ring& b) {
  if (a.size() != b.size())
    return std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " vertices";
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return "vertex " + std::to_string(i) + " differs";
  }
  return "";
}

inline std::string CompareInstances(const Instance& a, const Instance& b) {
  if (a.parts.size() != b.parts.size()) return "part count differs";
  for (std::size_t p = 0; p < a.parts.size(); ++p) {
    std::string d = CompareRings(a.parts[p].outer, b.parts[p].outer);
    if (!d.empty()) return "part " + std::to_string(p) + " outer: " + d;
    if (a.parts[p].holes.size() != b.parts[p].holes.size())
      return "part " + std::to_string(p) + " hole count differs";
    for (std::size_t h = 0; h < a.parts[p].holes.size(); ++h) {
      d = CompareRings(a.parts[p].holes[h], b.parts[p].holes[h]);
      if (!d.empty()) return "part " + std::to_string(p) + " hole " + std::to_string(h) + ": " + d;
    }
  }
  return "";
}

/** "" when equal; otherwise where the first difference is. image_root is not compared. */
inline std::string CompareDatasets(const Dataset& a, const Dataset& b) {
  if (a.class_names != b.class_names) return "class names differ";
  if (a.assets.size() != b.assets.size()) return "asset count differs";
  for (std::size_t i = 0; i < a.assets.size(); ++i) {
    const AssetRecord& x = a.assets[i];
    const AssetRecord& y = b.assets[i];
    const std::string at = "asset " + std::to_string(i) + " ('" + x.id + "'): ";
    if (x.id != y.id) return at + "id differs ('" + y.id + "')";
    if (x.path != y.path) return at + "path differs ('" + y.path + "')";
    if (x.data != y.data) return at + "inline data differs";
    if (x.width != y.width || x.height != y.height) return at + "size differs";
    if (x.instances.size() != y.instances.size()) return at + "instance count differs";
    for (std::size_t k = 0; k < x.instances.size(); ++k) {
      const std::string ik = at + "instance " + std::to_string(k) + ": ";
      if (x.instances[k].class_id != y.instances[k].class_id) return ik + "class differs";
      if (x.instances[k].crowd != y.instances[k].crowd) return ik + "crowd differs";
      const std::string d = CompareInstances(x.instances[k].shape, y.instances[k].shape);
      if (!d.empty()) return ik + d;
    }
    if (x.ignore.size() != y.ignore.size()) return at + "ignore region count differs";
    for (std::size_t k = 0; k < x.ignore.size(); ++k) {
      const std::string d = CompareInstances(x.ignore[k], y.ignore[k]);
      if (!d.empty()) return at + "ignore " + std::to_string(k) + ": " + d;
    }
  }
  return "";
}

}  // namespace understudy::testing
