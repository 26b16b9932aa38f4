#include "transport/http_state.h"

#include <utility>

#include "transport/http_target.h"

namespace understudy::web {

bool ConnectionSet::Add(const Connection* key, std::weak_ptr<Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  live_[key] = std::move(c);
  return true;
}

void ConnectionSet::Remove(const Connection* key) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(key);
}

void ConnectionSet::CloseAll() {
  // Strong references are taken under the lock but released after it: dropping the last one runs
  // the connection's destructor, which calls Remove().
  std::vector<std::shared_ptr<Connection>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    targets.reserve(live_.size());
    for (auto& [key, weak] : live_) {
      if (auto c = weak.lock()) targets.push_back(std::move(c));
    }
  }
  for (auto& c : targets) c->Close();
}

std::size_t ConnectionSet::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size();
}

bool WsHub::Subscribe(const std::string& project, const WsSubscriber* key,
                      std::weak_ptr<WsSubscriber> s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  projects_[project][key] = std::move(s);
  return true;
}

bool WsHub::Unsubscribe(const std::string& project, const WsSubscriber* key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = projects_.find(project);
  if (it == projects_.end() || it->second.erase(key) == 0) return false;
  if (it->second.empty()) projects_.erase(it);
  return true;
}

std::size_t WsHub::Publish(const std::string& project,
                           const std::shared_ptr<const std::string>& frame) {
  // Delivering under the lock is what makes Close() a barrier; Deliver() only queues and posts.
  // The strong references outlive the lock for the same reason as in ConnectionSet::CloseAll().
  std::vector<std::shared_ptr<WsSubscriber>> targets;
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return 0;
  auto it = projects_.find(project);
  if (it == projects_.end()) return 0;
  targets.reserve(it->second.size());
  for (auto& [key, weak] : it->second) {
    if (auto s = weak.lock()) {
      s->Deliver(frame);
      targets.push_back(std::move(s));
    }
  }
  return targets.size();
}

std::size_t WsHub::Count(const std::string& project) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = projects_.find(project);
  return it == projects_.end() ? 0 : it->second.size();
}

std::map<std::string, std::size_t> WsHub::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::size_t> out;
  for (const auto& [project, subs] : projects_) out[project] = subs.size();
  return out;
}

void WsHub::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

ServerState::ServerState(HttpConfig config, HttpHandlers handlers, MetricsRegistry& metrics)
    : config_(std::move(config)), handlers_(std::move(handlers)), metrics_(metrics) {}

std::string ServerState::MetricsText() const {
  return handlers_.metrics_text ? handlers_.metrics_text() : metrics_.RenderText();
}

std::string ServerState::StatusJson() const {
  if (handlers_.status_json) return handlers_.status_json();
  std::string out = "{\"ws_clients\":{";
  bool first = true;
  for (const auto& [project, n] : hub_.Counts()) {
    if (!first) out += ',';
    first = false;
    out += JsonQuote(project) + ':' + std::to_string(n);
  }
  return out + "}}";
}

bool ServerState::Healthy() const { return handlers_.healthy ? handlers_.healthy() : true; }

std::optional<std::string> ServerState::Snapshot(const std::string& project) const {
  if (!handlers_.ws_snapshot) return std::nullopt;
  return handlers_.ws_snapshot(project);
}

void ServerState::CountRequest(const char* path, unsigned code, double seconds) {
  metrics_
      .GetCounter("understudy_http_requests_total", "HTTP requests answered, by route and status",
                  {{"path", path}, {"code", std::to_string(code)}})
      .Inc();
  metrics_
      .GetHistogram("understudy_http_request_duration_seconds",
                    "Time from a request's last byte to its response's last byte, by route",
                    DefaultLatencyBuckets(), {{"path", path}})
      .Observe(seconds);
}

void ServerState::CountError(const char* op, const std::string& message) {
  metrics_
      .GetCounter("understudy_http_io_errors_total",
                  "Unexpected socket errors on the HTTP/WebSocket side, by operation", {{"op", op}})
      .Inc();
  if (handlers_.log) handlers_.log(std::string("http ") + op + ": " + message);
}

WsProjectMetrics ServerState::ProjectMetrics(const std::string& project) {
  const MetricLabels labels = {{"project", project}};
  WsProjectMetrics m;
  m.clients = &metrics_.GetGauge("understudy_ws_clients",
                                 "WebSocket clients subscribed, by project", labels);
  m.queued = &metrics_.GetGauge("understudy_ws_queued_frames",
                                "Frames waiting in WebSocket client queues, by project", labels);
  m.sent =
      &metrics_.GetCounter("understudy_ws_sent_total",
                           "Published frames written to WebSocket clients, by project", labels);
  m.dropped = &metrics_.GetCounter(
      "understudy_ws_dropped_total",
      "Published frames dropped from full WebSocket client queues (oldest first), by project",
      labels);
  return m;
}

}  // namespace understudy::web
