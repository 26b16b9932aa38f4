#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace understudy {

/**
 * What a late-joining frontend needs: the open assets of each project and, for every prompt
 * still awaiting its human annotation, the latest suggestion published for it (as encoded
 * envelopes). An asset is open from its `asset` event until an annotation with `complete: true`;
 * a prompt awaits its annotation until an annotation names it. At most `max_open_assets` assets
 * are tracked over all projects; beyond that the earliest announced is forgotten (counted).
 */
class SuggestionBoard {
 public:
  explicit SuggestionBoard(std::size_t max_open_assets);

  void OnAsset(const std::string& project, const std::string& asset);
  void OnAnnotation(const std::string& project, const std::string& asset, const std::string& prompt,
                    bool complete);
  /** A published suggestion; ignored when the asset is not open or the prompt is answered. */
  void OnSuggestion(const std::string& project, const std::string& asset, const std::string& prompt,
                    std::string envelope);

  /** The newest `limit` pending suggestions of `project`, oldest first. */
  std::vector<std::string_view> Latest(const std::string& project, std::size_t limit) const;

  std::size_t open_assets(const std::string& project) const;
  std::size_t open_assets() const { return order_.size(); }
  std::uint64_t evicted() const { return evicted_; }

 private:
  struct Pending {
    std::uint64_t seq = 0;  // publication order
    std::string envelope;
  };
  struct AssetState {
    std::map<std::string, Pending> pending;  // by prompt id
    std::set<std::string> answered;          // prompts with an annotation
    std::list<std::pair<std::string, std::string>>::iterator order;
  };
  using Assets = std::unordered_map<std::string, AssetState>;
  void Close(const std::string& project, Assets::iterator it);

  std::size_t max_open_;
  std::unordered_map<std::string, Assets> projects_;
  std::list<std::pair<std::string, std::string>> order_;  // (project, asset), oldest first
  std::uint64_t seq_ = 0;
  std::uint64_t evicted_ = 0;
};

}  // namespace understudy
