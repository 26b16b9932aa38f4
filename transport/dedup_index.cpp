#include "transport/dedup_index.h"

#include <stdexcept>

namespace understudy {

DedupIndex::DedupIndex(std::size_t window, std::size_t max_clients)
    : window_(window), max_clients_(max_clients) {
  if (window_ == 0) throw std::invalid_argument("dedup_window must be at least 1");
  if (max_clients_ == 0) throw std::invalid_argument("dedup_clients must be at least 1");
}

DedupIndex::Window& DedupIndex::Touch(const std::string& client) {
  auto it = clients_.find(client);
  if (it != clients_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  if (clients_.size() >= max_clients_) {
    clients_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(client);
  Window& w = clients_[client];
  w.lru = lru_.begin();
  return w;
}

std::optional<std::uint64_t> DedupIndex::Find(const std::string& client, const std::string& id) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  const auto found = it->second.lsn_of.find(id);
  if (found == it->second.lsn_of.end()) return std::nullopt;
  return found->second;
}

void DedupIndex::Insert(const std::string& client, const std::string& id, std::uint64_t lsn) {
  Window& w = Touch(client);
  auto [it, inserted] = w.lsn_of.emplace(id, lsn);
  if (!inserted) {
    it->second = lsn;
    return;
  }
  w.order.push_back(&it->first);
  if (w.order.size() > window_) {
    w.lsn_of.erase(w.lsn_of.find(*w.order.front()));
    w.order.pop_front();
  }
}

std::size_t DedupIndex::ids(const std::string& client) const {
  const auto it = clients_.find(client);
  return it == clients_.end() ? 0 : it->second.lsn_of.size();
}

}  // namespace understudy
