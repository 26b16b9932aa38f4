#include "transport/suggestion_board.h"

#include <algorithm>
#include <stdexcept>

namespace understudy {

SuggestionBoard::SuggestionBoard(std::size_t max_open_assets) : max_open_(max_open_assets) {
  if (max_open_ == 0) throw std::invalid_argument("max_open_assets must be at least 1");
}

void SuggestionBoard::OnAsset(const std::string& project, const std::string& asset) {
  const auto pit = projects_.find(project);
  if (pit != projects_.end() && pit->second.count(asset) != 0) return;  // announced again
  if (order_.size() >= max_open_) {
    const auto [p, a] = order_.front();  // copies: Close erases the list node
    Close(p, projects_.find(p)->second.find(a));
    ++evicted_;
  }
  order_.emplace_back(project, asset);
  AssetState& s = projects_[project][asset];
  s.order = std::prev(order_.end());
}

void SuggestionBoard::Close(const std::string& project, Assets::iterator it) {
  auto pit = projects_.find(project);
  order_.erase(it->second.order);
  pit->second.erase(it);
  if (pit->second.empty()) projects_.erase(pit);
}

void SuggestionBoard::OnAnnotation(const std::string& project, const std::string& asset,
                                   const std::string& prompt, bool complete) {
  auto pit = projects_.find(project);
  if (pit == projects_.end()) return;
  auto it = pit->second.find(asset);
  if (it == pit->second.end()) return;
  if (complete) {
    Close(project, it);
    return;
  }
  if (!prompt.empty()) {
    it->second.pending.erase(prompt);
    it->second.answered.insert(prompt);
  }
}

void SuggestionBoard::OnSuggestion(const std::string& project, const std::string& asset,
                                   const std::string& prompt, std::string envelope) {
  auto pit = projects_.find(project);
  if (pit == projects_.end()) return;
  auto it = pit->second.find(asset);
  if (it == pit->second.end() || it->second.answered.count(prompt) != 0) return;
  it->second.pending[prompt] = Pending{++seq_, std::move(envelope)};
}

std::vector<std::string_view> SuggestionBoard::Latest(const std::string& project,
                                                      std::size_t limit) const {
  std::vector<const Pending*> all;
  const auto pit = projects_.find(project);
  if (pit != projects_.end()) {
    for (const auto& [asset, state] : pit->second) {
      for (const auto& [prompt, pending] : state.pending) all.push_back(&pending);
    }
  }
  std::sort(all.begin(), all.end(),
            [](const Pending* a, const Pending* b) { return a->seq < b->seq; });
  const std::size_t skip = all.size() > limit ? all.size() - limit : 0;
  std::vector<std::string_view> out;
  out.reserve(all.size() - skip);
  for (std::size_t i = skip; i < all.size(); ++i) out.emplace_back(all[i]->envelope);
  return out;
}

std::size_t SuggestionBoard::open_assets(const std::string& project) const {
  const auto pit = projects_.find(project);
  return pit == projects_.end() ? 0 : pit->second.size();
}

}  // namespace understudy
