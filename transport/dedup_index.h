#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

namespace understudy {

/**
 * Which (client, id) pairs have been logged, so that a client's retry is acknowledged without
 * being logged twice. Bounded: it remembers the last `window` ids of each client, for the
 * `max_clients` most recently active clients. A retry is recognised if fewer than `window`
 * newer events of the same client were logged since the original, and the client is among the
 * `max_clients` most recently active. The server rebuilds it from the event log on restart.
 * Memory: about window * (id length + 100 bytes) per client.
 */
class DedupIndex {
 public:
  DedupIndex(std::size_t window, std::size_t max_clients);

  /** The lsn (client, id) was logged under, if remembered; marks the client active. */
  std::optional<std::uint64_t> Find(const std::string& client, const std::string& id);
  /** Remembers (client, id) -> lsn, forgetting the client's oldest id beyond the window. */
  void Insert(const std::string& client, const std::string& id, std::uint64_t lsn);

  std::size_t clients() const { return clients_.size(); }
  /** Ids remembered for `client` (0 when unknown). */
  std::size_t ids(const std::string& client) const;

 private:
  struct Window {
    std::unordered_map<std::string, std::uint64_t> lsn_of;
    std::deque<const std::string*> order;  // keys of lsn_of, oldest first (node keys are stable)
    std::list<std::string>::iterator lru;
  };
  Window& Touch(const std::string& client);

  std::size_t window_;
  std::size_t max_clients_;
  std::unordered_map<std::string, Window> clients_;
  std::list<std::string> lru_;  // most recently active first
};

}  // namespace understudy
