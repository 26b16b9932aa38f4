#include "transport/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>
#include <zmq_addon.hpp>

#include "transport/codec.h"
#include "transport/dedup_index.h"
#include "transport/json_format.h"
#include "transport/sendable.h"
#include "transport/suggestion_board.h"
#include "transport/zmq_context.h"

#ifndef UNDERSTUDY_VERSION
#define UNDERSTUDY_VERSION "dev"
#endif

namespace understudy {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kDefaultLatestLimit = 1000;
constexpr std::uint64_t kMaxLatestLimit = 10000;
constexpr int kRecvBurst = 256;  // messages read per poll before checking the commit clock
constexpr std::chrono::milliseconds kIdlePoll{50};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// libzmq generates routing ids for peers that did not set one: 5 bytes starting with a zero
// byte (ids starting with zero are reserved for libzmq). Those change on every reconnect.
bool ClientChosen(const std::string& routing_id) {
  return !routing_id.empty() && routing_id[0] != '\0';
}

std::string AssetKey(const std::string& project, const std::string& asset) {
  std::string k;
  k.reserve(project.size() + 1 + asset.size());
  k += project;
  k += '\0';
  k += asset;
  return k;
}

// What the ingest thread hands the worker, as a pointer over inproc.
struct WorkItem {
  enum class Kind { kEvent, kQuery, kStop } kind = Kind::kEvent;
  Message message;
  std::string routing_id;  // kQuery: where the reply goes
  bool delimiter = false;  // kQuery: the request came REQ-style, with an empty frame
  Clock::time_point received;
};

// What the worker hands back.
struct OutItem {
  enum class Kind { kLog, kReply, kDone } kind = Kind::kLog;
  std::string bytes;
  std::uint64_t ref = 0;
  std::string routing_id;
  bool delimiter = false;
};

template <typename T>
bool SendPointer(zmq::socket_t& s, std::unique_ptr<T>& item, zmq::send_flags flags) {
  T* raw = item.get();
  zmq::message_t m(&raw, sizeof raw);
  if (!s.send(m, flags)) return false;
  item.release();  // the receiver owns it now
  return true;
}

template <typename T>
std::unique_ptr<T> TakePointer(const zmq::message_t& m) {
  T* raw = nullptr;
  std::memcpy(&raw, m.data(), sizeof raw);
  return std::unique_ptr<T>(raw);
}

const char* CallName(MessageType t) {
  switch (t) {
    case MessageType::kAsset:
      return "asset";
    case MessageType::kPrompt:
      return "prompt";
    case MessageType::kAnnotation:
      return "annotation";
    case MessageType::kControl:
      return "control";
    default:
      return "feedback";
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerConfig c, std::unique_ptr<Engine> e, MetricsRegistry& reg, ServerHooks h)
      : config(std::move(c)),
        engine(std::move(e)),
        registry(reg),
        hooks(std::move(h)),
        dedup(std::max<std::uint64_t>(config.dedup_window, 1),
              std::max<std::uint64_t>(config.dedup_clients, 1)),
        board(std::max<std::uint64_t>(config.max_open_assets, 1)) {
    RegisterMetrics();
  }

  // ---- configuration and state ------------------------------------------------------------------
  ServerConfig config;
  std::unique_ptr<Engine> engine;
  MetricsRegistry& registry;
  ServerHooks hooks;
  DecodeLimits limits;

  std::unique_ptr<EventLogWriter> log;
  RecoveryReport recovery;
  DedupIndex dedup;                              // ingest thread
  std::unordered_set<std::string> known_assets;  // ingest thread
  SuggestionBoard board;                         // worker thread

  std::unique_ptr<zmq::socket_t> router, publisher, ingest_pair, worker_pair, monitor;
  std::unique_ptr<zmq::socket_t> durable_in, durable_out;  // committer -> ingest: durable lsns
  std::string ingest_ep, publish_ep;

  std::thread ingest_thread, worker_thread, committer_thread;

  // Group commits queued by the ingest thread for the committer thread, which writes and syncs
  // them while the ingest thread goes on validating, logging and forwarding.
  std::mutex commit_mu;
  std::condition_variable commit_cv;
  std::vector<LogBatch> commit_queue;
  bool commit_stop = false;
  std::exception_ptr commit_error;
  static constexpr std::uint64_t kCommitFailed = ~0ull;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> abandon{false};  // worker: drop queued events (shutdown deadline)
  std::atomic<bool> worker_exited{false};
  std::atomic<bool> done{false};
  std::mutex done_mu;
  std::condition_variable done_cv;
  std::exception_ptr fatal;
  std::mutex fatal_mu;

  std::atomic<std::uint64_t> last_lsn{0}, durable_lsn{0}, known_count{0};
  std::atomic<std::uint64_t> forwarded{0}, processed{0};
  Clock::time_point started = Clock::now();
  std::string boot_id;
  std::uint64_t next_out_id = 0;  // worker thread

  mutable std::mutex status_mu;
  std::string status_json;
  EngineStatus last_status;  // as of the last refresh, for SnapshotJson
  // The worker is the only writer of `board`; it holds this while it changes the board, and
  // other threads (SnapshotJson) hold it while they read.
  mutable std::mutex board_mu;
  std::map<std::string, std::string> gate_modes;  // worker: last mode per project, for metrics
  std::string model_version_metric;

  // ---- metrics ----------------------------------------------------------------------------------
  std::array<Counter*, kMessageTypeCount> messages{};
  std::array<Counter*, kErrorCodeCount> errors{};
  Counter* acks = nullptr;
  Counter* duplicates = nullptr;
  Histogram* ack_latency = nullptr;
  Histogram* commit_seconds = nullptr;
  Counter* log_in = nullptr;
  Counter* log_out = nullptr;
  Gauge* last_lsn_gauge = nullptr;
  Gauge* durable_lsn_gauge = nullptr;
  Histogram* suggestion_latency = nullptr;
  std::map<std::string, Histogram*> engine_seconds;
  std::map<std::string, Counter*> engine_errors;
  Counter* published = nullptr;
  Counter* withheld = nullptr;
  Counter* no_suggestion = nullptr;
  Counter* gate_events = nullptr;
  Counter* hook_errors = nullptr;
  Counter* repairs = nullptr;
  Counter* queue_drops = nullptr;
  Counter* queue_waits = nullptr;
  Histogram* queue_wait_seconds = nullptr;
  Gauge* queue_depth = nullptr;
  Counter* scores = nullptr;
  Histogram* blind_reward = nullptr;
  Counter* connections = nullptr;
  Counter* disconnections = nullptr;
  Gauge* open_assets = nullptr;
  Gauge* known_assets_gauge = nullptr;

  void RegisterMetrics() {
    auto& r = registry;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      messages[i] = &r.GetCounter("understudy_messages_total", "Valid messages received, by type",
                                  {{"type", ToString(static_cast<MessageType>(i))}});
    }
    for (std::size_t i = 0; i < errors.size(); ++i) {
      errors[i] = &r.GetCounter("understudy_errors_total", "Messages rejected, by error code",
                                {{"code", ToString(static_cast<ErrorCode>(i))}});
    }
    acks = &r.GetCounter("understudy_acks_total", "Events acknowledged after a durable write");
    duplicates =
        &r.GetCounter("understudy_duplicates_total",
                      "Events acknowledged as duplicates of logged ones, not logged again");
    ack_latency = &r.GetHistogram("understudy_ack_latency_seconds",
                                  "From receipt of an event to its ack (includes group commit)",
                                  DefaultLatencyBuckets());
    commit_seconds = &r.GetHistogram("understudy_log_commit_seconds",
                                     "Duration of one group commit (write + fdatasync)",
                                     DefaultLatencyBuckets());
    log_in = &r.GetCounter("understudy_log_records_total", "Records appended to the event log",
                           {{"dir", "in"}});
    log_out = &r.GetCounter("understudy_log_records_total", "Records appended to the event log",
                            {{"dir", "out"}});
    last_lsn_gauge = &r.GetGauge("understudy_log_last_lsn", "Last log sequence number appended");
    durable_lsn_gauge =
        &r.GetGauge("understudy_log_durable_lsn", "Last log sequence number known on disk");
    suggestion_latency = &r.GetHistogram(
        "understudy_suggestion_latency_seconds",
        "From receipt of a prompt to its suggestion on PUB (queueing and engine time included)",
        DefaultLatencyBuckets());
    for (const char* call : {"asset", "prompt", "annotation", "feedback", "control"}) {
      engine_seconds[call] =
          &r.GetHistogram("understudy_engine_seconds", "Time spent in one Engine call, by call",
                          DefaultLatencyBuckets(), {{"call", call}});
      engine_errors[call] = &r.GetCounter("understudy_engine_errors_total",
                                          "Engine calls that threw, by call", {{"call", call}});
    }
    published = &r.GetCounter("understudy_suggestions_total", "Engine answers to prompts",
                              {{"outcome", "published"}});
    withheld = &r.GetCounter("understudy_suggestions_total", "Engine answers to prompts",
                             {{"outcome", "withheld"}});
    no_suggestion = &r.GetCounter("understudy_suggestions_total", "Engine answers to prompts",
                                  {{"outcome", "none"}});
    gate_events = &r.GetCounter("understudy_gate_events_total", "Gate mode changes published");
    hook_errors = &r.GetCounter("understudy_publish_hook_errors_total",
                                "Failures of the on_publish hook (the WebSocket feed)");
    repairs = &r.GetCounter("understudy_geometry_repairs_total",
                            "Annotation instances whose invalid geometry the server repaired");
    queue_drops = &r.GetCounter(
        "understudy_worker_queue_drops_total",
        "Events logged but never given to the engine (its worker had stopped on an error)");
    queue_waits =
        &r.GetCounter("understudy_worker_queue_waits_total",
                      "Times ingest paused reading clients because the engine's queue was full");
    queue_wait_seconds = &r.GetHistogram("understudy_worker_queue_wait_seconds",
                                         "How long ingest waited for room in the engine's queue",
                                         DefaultLatencyBuckets());
    scores = &r.GetCounter("understudy_scores_total",
                           "Blind predictions scored against their human annotation");
    blind_reward = &r.GetHistogram(
        "understudy_blind_reward", "Blind rewards of the engine's predictions, all projects",
        {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0});
    queue_depth = &r.GetGauge("understudy_worker_queue_depth", "Events waiting for the engine");
    connections = &r.GetCounter("understudy_connections_total", "Ingest connections accepted");
    disconnections =
        &r.GetCounter("understudy_disconnects_total",
                      "Ingest connections closed (by the peer, or by libzmq for a message over "
                      "zmq_max_message_bytes)");
    open_assets = &r.GetGauge("understudy_open_assets", "Assets open (announced, not complete)");
    known_assets_gauge =
        &r.GetGauge("understudy_known_assets", "Assets announced since the log began");
  }

  // ---- start ------------------------------------------------------------------------------------

  void Rebuild(const LogRecord& rec) {
    EnvelopeSummary s;
    try {
      s = Summarize(rec.message);
    } catch (const ProtocolError& e) {
      throw EventLogError("log record lsn " + std::to_string(rec.lsn) +
                          " does not hold a valid message: " + e.what());
    }
    if (rec.direction == Direction::kIn) {
      if (IsEvent(s.type)) dedup.Insert(rec.client, s.id, rec.lsn);
      if (s.type == MessageType::kAsset) {
        known_assets.insert(AssetKey(s.project, s.asset));
        board.OnAsset(s.project, s.asset);
      } else if (s.type == MessageType::kAnnotation) {
        board.OnAnnotation(s.project, s.asset, s.prompt, s.complete);
      }
    } else if (s.type == MessageType::kSuggestion && !s.withheld) {
      board.OnSuggestion(s.project, s.asset, s.prompt, rec.message);
    }
  }

  void Start() {
    config.Validate();
    limits.max_message_bytes = config.max_message_bytes;
    limits.max_instances = config.max_instances;
    limits.geometry.max_vertices = config.max_vertices;

    EventLogOptions lo;
    lo.dir = config.log_dir;
    lo.segment_bytes = config.segment_bytes;
    lo.max_record_bytes =
        std::min<std::uint64_t>(config.zmq_max_message_bytes + 4096, 0xFFFFFFFFull);
    log = std::make_unique<EventLogWriter>(lo, [this](const LogRecord& r) { Rebuild(r); });
    recovery = log->recovery();
    last_lsn = log->last_lsn();
    durable_lsn = log->durable_lsn();
    known_count = known_assets.size();
    last_lsn_gauge->Set(static_cast<double>(last_lsn));
    durable_lsn_gauge->Set(static_cast<double>(durable_lsn));
    known_assets_gauge->Set(static_cast<double>(known_count));
    open_assets->Set(static_cast<double>(board.open_assets()));
    registry.GetGauge("understudy_recovery_cut_bytes", "Bytes cut from a torn log tail at start")
        .Set(static_cast<double>(recovery.bytes_cut));
    registry
        .GetGauge("understudy_recovery_cut_records", "Records cut from a torn log tail at start")
        .Set(static_cast<double>(recovery.records_cut));

    char boot[32];
    std::snprintf(boot, sizeof boot, "%llx", static_cast<unsigned long long>(WallNs()));
    boot_id = boot;

    zmq::context_t& ctx = ProcessContext();
    router = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::router);
    router->set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(config.zmq_max_message_bytes));
    router->set(zmq::sockopt::router_handover, 1);  // a reconnecting client takes its id back
    router->set(zmq::sockopt::sndhwm, 100000);      // acks; a peer that never reads loses them
    router->set(zmq::sockopt::rcvhwm, 100000);
    router->set(zmq::sockopt::linger, 1000);
    router->bind(config.ingest_endpoint);
    ingest_ep = router->get(zmq::sockopt::last_endpoint);

    publisher = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::pub);
    publisher->set(zmq::sockopt::sndhwm, 100000);
    publisher->set(zmq::sockopt::linger, 500);
    publisher->bind(config.publish_endpoint);
    publish_ep = publisher->get(zmq::sockopt::last_endpoint);

    // Unique per server in this process: a closed socket's inproc name is released
    // asynchronously, so a name reused by the next server (say, after a restart) could clash.
    static std::atomic<std::uint64_t> servers{0};
    const std::string tag = std::to_string(++servers);
    const std::string monitor_ep = "inproc://understudy-monitor-" + tag;
    if (zmq_socket_monitor(router->handle(), monitor_ep.c_str(),
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      throw zmq::error_t();
    }
    monitor = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::pair);
    monitor->set(zmq::sockopt::linger, 0);
    monitor->connect(monitor_ep);

    const std::string durable_ep = "inproc://understudy-durable-" + tag;
    durable_in = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::pair);
    durable_in->set(zmq::sockopt::linger, 0);
    durable_in->bind(durable_ep);
    durable_out = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::pair);
    durable_out->set(zmq::sockopt::linger, 0);
    durable_out->connect(durable_ep);

    const std::string work_ep = "inproc://understudy-work-" + tag;
    const int hwm = static_cast<int>(config.worker_queue);
    ingest_pair = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::pair);
    ingest_pair->set(zmq::sockopt::sndhwm, hwm);
    ingest_pair->set(zmq::sockopt::rcvhwm, hwm);
    ingest_pair->set(zmq::sockopt::linger, 0);
    ingest_pair->bind(work_ep);
    worker_pair = std::make_unique<zmq::socket_t>(ctx, zmq::socket_type::pair);
    worker_pair->set(zmq::sockopt::sndhwm, hwm);
    worker_pair->set(zmq::sockopt::rcvhwm, hwm);
    worker_pair->set(zmq::sockopt::linger, 0);
    worker_pair->connect(work_ep);

    RefreshStatus();
    // Thread creation is the memory barrier that hands each socket to its one owning thread.
    committer_thread = std::thread([this] { CommitterMain(); });
    worker_thread = std::thread([this] { WorkerMain(); });
    ingest_thread = std::thread([this] { IngestMain(); });
  }

  void SetFatal(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(fatal_mu);
    if (!fatal) fatal = e;
    stop_requested = true;
  }

  // ---- ingest thread ----------------------------------------------------------------------------

  struct PendingAck {
    std::string routing_id;
    bool delimiter;
    std::string id;
    std::string project;
    std::uint64_t lsn;
    bool duplicate;
    Clock::time_point received;
  };
  std::vector<PendingAck> pending;               // waiting for the commit that makes them durable
  std::optional<Clock::time_point> dirty_since;  // first append since the last commit

  void Reply(const std::string& routing_id, bool delimiter, const std::string& bytes) {
    // Unroutable (peer gone) or over the peer's HWM: ROUTER drops it; the client will retry.
    router->send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (delimiter)
      router->send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    router->send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  }

  void Reject(const std::string& routing_id, bool delimiter, const Header& partial, ErrorCode code,
              const std::string& what) {
    errors[static_cast<std::size_t>(code)]->Inc();
    Reply(routing_id, delimiter,
          EncodeError(partial.id, partial.project, WallSeconds(), code, what));
  }

  // Hands an item to the worker. The engine must see every event (for an agent, an annotation is
  // a training example and a gate sample), so when its queue is full this waits instead of
  // dropping. While it waits it keeps the ingest thread's other duties going (the worker's
  // outputs, durable reports and their acks, group commits) but does not read the ROUTER: that is
  // the backpressure, felt by clients as acks that come later and, past ZeroMQ's queues, as
  // sends that block or time out.
  void Forward(std::unique_ptr<WorkItem> item) {
    if (SendPointer(*ingest_pair, item, zmq::send_flags::dontwait)) {
      ++forwarded;
      return;
    }
    queue_waits->Inc();
    const Clock::time_point t0 = Clock::now();
    const auto interval = std::chrono::microseconds(config.commit_interval_us);
    bool worker_done = false;  // no stop marker is queued while ingest still forwards events
    while (!worker_exited) {
      if (dirty_since && (Clock::now() >= *dirty_since + interval ||
                          log->pending_bytes() >= config.commit_bytes)) {
        SubmitCommit();
      }
      std::vector<zmq::pollitem_t> items = {
          {ingest_pair->handle(), 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0},
          {durable_in->handle(), 0, ZMQ_POLLIN, 0},
      };
      zmq::poll(items, std::chrono::milliseconds(1));
      if ((items[1].revents & ZMQ_POLLIN) != 0) DrainDurable();
      DrainWorkerOutput(true, worker_done);
      if (SendPointer(*ingest_pair, item, zmq::send_flags::dontwait)) {
        ++forwarded;
        queue_wait_seconds->Observe(Seconds(Clock::now() - t0));
        return;
      }
    }
    queue_drops->Inc();  // the worker died on an error: the event is logged but unseen
  }

  void HandleClientMessage(std::vector<zmq::message_t>& frames) {
    const Clock::time_point received = Clock::now();
    const std::string routing_id = frames[0].to_string();
    const bool delimiter = frames.size() == 3;
    Header partial;
    if (frames.size() < 2 || frames.size() > 3 || (delimiter && frames[1].size() != 0)) {
      Reject(routing_id, frames.size() == 3, partial, ErrorCode::kMalformed,
             "expected one message frame (DEALER) or an empty frame and one message frame (REQ), "
             "got " +
                 std::to_string(frames.size() - 1) + " frames");
      return;
    }
    const zmq::message_t& body = frames.back();
    const std::string_view bytes(static_cast<const char*>(body.data()), body.size());
    Message m;
    try {
      m = Decode(bytes, limits, &partial);
    } catch (const ProtocolError& e) {
      Reject(routing_id, delimiter, partial, e.code(), e.what());
      return;
    }
    const Header& h = m.header;
    if (h.type == MessageType::kStatus) {
      const auto* q = std::get_if<StatusQuery>(&m.body);
      if (q == nullptr) {
        Reject(routing_id, delimiter, partial, ErrorCode::kBadField,
               "field 'payload': a status query has only `query` and `limit`");
        return;
      }
      messages[static_cast<std::size_t>(h.type)]->Inc();
      auto item = std::make_unique<WorkItem>();
      item->kind = WorkItem::Kind::kQuery;
      item->message = std::move(m);
      item->routing_id = routing_id;
      item->delimiter = delimiter;
      item->received = received;
      Forward(std::move(item));
      return;
    }
    if (!IsEvent(h.type)) {
      Reject(routing_id, delimiter, partial, ErrorCode::kUnknownType,
             std::string("type '") + ToString(h.type) + "' is sent by the server, not to it");
      return;
    }
    if (!ClientChosen(routing_id)) {
      Reject(routing_id, delimiter, partial, ErrorCode::kNoClientId,
             "events need a client-chosen ZMQ_ROUTING_ID (non-empty, not starting with a zero "
             "byte) so that retries can be recognised");
      return;
    }
    if (const std::optional<std::uint64_t> lsn = dedup.Find(routing_id, h.id)) {
      duplicates->Inc();
      PendingAck ack{routing_id, delimiter, h.id, h.project, *lsn, true, received};
      if (*lsn <= durable_lsn) {
        SendAck(ack);
      } else {
        pending.push_back(std::move(ack));  // the original is not on disk yet
      }
      return;
    }
    std::string asset;
    std::visit(
        [&](auto& body_event) {
          using T = std::decay_t<decltype(body_event)>;
          if constexpr (std::is_same_v<T, AssetEvent> || std::is_same_v<T, PromptEvent> ||
                        std::is_same_v<T, AnnotationEvent> || std::is_same_v<T, FeedbackEvent>) {
            asset = body_event.asset;
          }
        },
        m.body);
    const std::string key = AssetKey(h.project, asset);
    if (h.type != MessageType::kAsset && h.type != MessageType::kControl &&
        known_assets.count(key) == 0) {
      Reject(routing_id, delimiter, partial, ErrorCode::kUnknownAsset,
             "asset '" + asset + "' was never announced in project '" + h.project + "'");
      return;
    }
    const std::int64_t now_ns = WallNs();
    const std::uint64_t lsn = log->Append(Direction::kIn, now_ns, routing_id, 0, bytes);
    if (!dirty_since) dirty_since = received;
    log_in->Inc();
    last_lsn = lsn;
    dedup.Insert(routing_id, h.id, lsn);
    if (h.type == MessageType::kAsset && known_assets.insert(key).second) {
      known_count = known_assets.size();
    }
    messages[static_cast<std::size_t>(h.type)]->Inc();
    if (const auto* a = std::get_if<AnnotationEvent>(&m.body)) {
      for (const LabeledInstance& li : a->instances) repairs->Inc(li.repaired ? 1 : 0);
    }
    pending.push_back(PendingAck{routing_id, delimiter, h.id, h.project, lsn, false, received});

    auto item = std::make_unique<WorkItem>();
    item->kind = WorkItem::Kind::kEvent;
    item->received = received;
    item->message = std::move(m);
    std::visit(
        [&](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, AssetEvent> || std::is_same_v<T, PromptEvent> ||
                        std::is_same_v<T, AnnotationEvent> || std::is_same_v<T, FeedbackEvent> ||
                        std::is_same_v<T, ControlEvent>) {
            e.meta.client = routing_id;
            e.meta.received_ns = now_ns;
            e.meta.lsn = lsn;
          }
        },
        item->message.body);
    Forward(std::move(item));
  }

  void SendAck(const PendingAck& a) {
    // Counted before sending, so that anyone who has the ack also sees it in /metrics.
    acks->Inc();
    ack_latency->Observe(Seconds(Clock::now() - a.received));
    Reply(a.routing_id, a.delimiter, EncodeAck(a.id, a.project, WallSeconds(), a.lsn, a.duplicate));
  }

  // Hands everything appended so far to the committer thread; acks follow when it reports.
  void SubmitCommit() {
    dirty_since.reset();
    LogBatch batch = log->TakeBatch();
    if (batch.pieces.empty()) return;
    {
      std::lock_guard<std::mutex> lock(commit_mu);
      commit_queue.push_back(std::move(batch));
    }
    commit_cv.notify_one();
  }

  // The committer made everything up to `durable` durable: send the acks that were waiting.
  void OnDurable(std::uint64_t durable) {
    durable_lsn = durable;
    durable_lsn_gauge->Set(static_cast<double>(durable));
    last_lsn_gauge->Set(static_cast<double>(log->last_lsn()));
    known_assets_gauge->Set(static_cast<double>(known_count));
    std::size_t kept = 0;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (pending[i].lsn <= durable) {
        SendAck(pending[i]);
      } else {
        // Never move an element onto itself: a self-moved PendingAck loses its strings (with
        // libstdc++ even short ones), and an ack with no routing id is dropped by the ROUTER.
        if (kept != i) pending[kept] = std::move(pending[i]);
        ++kept;
      }
    }
    pending.resize(kept);
  }

  void DrainDurable() {
    zmq::message_t m;
    while (durable_in->recv(m, zmq::recv_flags::dontwait)) {
      std::uint64_t lsn = 0;
      std::memcpy(&lsn, m.data(), sizeof lsn);
      if (lsn == kCommitFailed) std::rethrow_exception(commit_error);  // fatal: nothing acked
      OnDurable(lsn);
    }
  }

  // ---- committer thread
  // ---------------------------------------------------------------------------

  void CommitterMain() {
    for (;;) {
      std::vector<LogBatch> batches;
      {
        std::unique_lock<std::mutex> lock(commit_mu);
        commit_cv.wait(lock, [this] { return !commit_queue.empty() || commit_stop; });
        if (commit_queue.empty()) break;  // stopping, and nothing left to write
        batches.swap(commit_queue);
      }
      // Batches queued while the previous sync ran are written together: one sync for all.
      LogBatch merged = std::move(batches.front());
      for (std::size_t i = 1; i < batches.size(); ++i) {
        for (LogBatch::Piece& p : batches[i].pieces) merged.pieces.push_back(std::move(p));
        merged.last_lsn = batches[i].last_lsn;
      }
      std::uint64_t report = merged.last_lsn;
      const Clock::time_point t0 = Clock::now();
      try {
        log->WriteBatch(std::move(merged), true);
        commit_seconds->Observe(Seconds(Clock::now() - t0));
      } catch (const std::exception&) {
        commit_error = std::current_exception();  // read by the ingest thread after the message
        report = kCommitFailed;
      }
      durable_out->send(zmq::buffer(&report, sizeof report), zmq::send_flags::none);
      if (report == kCommitFailed) break;
    }
  }

  void StopCommitter() {
    {
      std::lock_guard<std::mutex> lock(commit_mu);
      commit_stop = true;
    }
    commit_cv.notify_one();
    if (committer_thread.joinable()) committer_thread.join();
  }

  // Takes the worker's outputs; with keep = false (after a fatal error) they are dropped.
  void DrainWorkerOutput(bool keep, bool& worker_done) {
    zmq::message_t m;
    while (ingest_pair->recv(m, zmq::recv_flags::dontwait)) {
      std::unique_ptr<OutItem> out = TakePointer<OutItem>(m);
      if (!keep && out->kind != OutItem::Kind::kDone) continue;
      switch (out->kind) {
        case OutItem::Kind::kLog:
          log->Append(Direction::kOut, WallNs(), "", out->ref, out->bytes);
          if (!dirty_since) dirty_since = Clock::now();
          log_out->Inc();
          last_lsn = log->last_lsn();
          break;
        case OutItem::Kind::kReply:
          Reply(out->routing_id, out->delimiter, out->bytes);
          break;
        case OutItem::Kind::kDone:
          worker_done = true;
          break;
      }
    }
  }

  void HandleMonitor() {
    std::vector<zmq::message_t> frames;
    while (zmq::recv_multipart(*monitor, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      if (!frames.empty() && frames[0].size() >= 2) {
        std::uint16_t event = 0;
        std::memcpy(&event, frames[0].data(), sizeof event);
        if (event == ZMQ_EVENT_ACCEPTED) connections->Inc();
        if (event == ZMQ_EVENT_DISCONNECTED) disconnections->Inc();
      }
      frames.clear();
    }
  }

  // Queues the stop marker behind every forwarded item. Never blocks on a full queue: it keeps
  // taking the worker's outputs meanwhile, so that neither thread waits on the other.
  void SendStop(bool keep_outputs, bool& worker_done) {
    auto stop = std::make_unique<WorkItem>();
    stop->kind = WorkItem::Kind::kStop;
    while (!worker_exited) {
      if (SendPointer(*ingest_pair, stop, zmq::send_flags::dontwait)) return;
      std::vector<zmq::pollitem_t> items = {
          {ingest_pair->handle(), 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0}};
      zmq::poll(items, kIdlePoll);
      DrainWorkerOutput(keep_outputs, worker_done);
    }
  }

  void RunIngest() {
    const auto interval = std::chrono::microseconds(config.commit_interval_us);
    bool stop_sent = false;
    bool worker_done = false;
    Clock::time_point stop_deadline;
    std::vector<zmq::message_t> frames;
    frames.reserve(4);
    while (!worker_done && !worker_exited) {
      const Clock::time_point now = Clock::now();
      if (stop_requested && !stop_sent) {
        // Everything forwarded so far is ahead of this in the queue: the worker drains it first.
        SendStop(true, worker_done);
        stop_sent = true;
        stop_deadline = now + std::chrono::milliseconds(config.shutdown_timeout_ms);
      }
      if (stop_sent && now >= stop_deadline) abandon = true;

      std::chrono::milliseconds timeout = kIdlePoll;
      if (dirty_since) {
        const auto left = *dirty_since + interval - now;
        timeout = std::max(std::chrono::milliseconds(0),
                           std::chrono::ceil<std::chrono::milliseconds>(left));
        if (config.commit_interval_us == 0) timeout = std::chrono::milliseconds(0);
      }
      const bool accepting = !stop_requested;
      std::vector<zmq::pollitem_t> items = {
          {ingest_pair->handle(), 0, ZMQ_POLLIN, 0},
          {monitor->handle(), 0, ZMQ_POLLIN, 0},
          {durable_in->handle(), 0, ZMQ_POLLIN, 0},
      };
      if (accepting) items.push_back({router->handle(), 0, ZMQ_POLLIN, 0});
      zmq::poll(items, timeout);

      if ((items[2].revents & ZMQ_POLLIN) != 0) DrainDurable();
      if (accepting && (items[3].revents & ZMQ_POLLIN) != 0) {
        for (int i = 0; i < kRecvBurst; ++i) {
          frames.clear();
          if (!zmq::recv_multipart(*router, std::back_inserter(frames),
                                   zmq::recv_flags::dontwait)) {
            break;
          }
          HandleClientMessage(frames);
          if (log->pending_bytes() >= config.commit_bytes) SubmitCommit();
        }
      }
      if ((items[0].revents & ZMQ_POLLIN) != 0) DrainWorkerOutput(true, worker_done);
      if ((items[1].revents & ZMQ_POLLIN) != 0) HandleMonitor();
      queue_depth->Set(static_cast<double>(forwarded.load() - processed.load()));

      if (dirty_since &&
          (config.commit_interval_us == 0 || Clock::now() >= *dirty_since + interval ||
           log->pending_bytes() >= config.commit_bytes)) {
        SubmitCommit();
      }
    }
    // The worker has drained (or died); take what it sent last. Make everything durable, send
    // the last acks, then close the log on this thread once the committer is gone.
    DrainWorkerOutput(true, worker_done);
    SubmitCommit();
    while (durable_lsn < log->last_lsn()) {
      std::vector<zmq::pollitem_t> items = {{durable_in->handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, kIdlePoll);
      DrainDurable();
    }
    StopCommitter();
    log->Close();
  }

  void IngestMain() {
    try {
      RunIngest();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "understudy serve: ingest stopped: %s\n", e.what());
      SetFatal(std::current_exception());
      // Nothing pending is acked. Let the worker finish so its thread can be joined.
      abandon = true;
      try {
        bool worker_done = false;
        SendStop(false, worker_done);
        while (!worker_done && !worker_exited) {
          std::vector<zmq::pollitem_t> items = {{ingest_pair->handle(), 0, ZMQ_POLLIN, 0}};
          zmq::poll(items, kIdlePoll);
          DrainWorkerOutput(false, worker_done);
        }
      } catch (const std::exception& e2) {
        std::fprintf(stderr, "understudy serve: while stopping the worker: %s\n", e2.what());
      }
    }
    StopCommitter();
    zmq_socket_monitor(router->handle(), nullptr, 0);
    {
      std::lock_guard<std::mutex> lock(done_mu);
      done = true;
    }
    done_cv.notify_all();
  }

  // ---- worker thread ----------------------------------------------------------------------------

  void SendOut(std::unique_ptr<OutItem> out) {
    // Blocking: the ingest thread always drains this pipe, and nothing here may be lost.
    SendPointer(*worker_pair, out, zmq::send_flags::none);
  }

  std::string NextId(const char* prefix) {
    return std::string(prefix) + boot_id + "-" + std::to_string(++next_out_id);
  }

  // The WebSocket side's failure must not stop the worker: it is counted and printed.
  template <typename MakeJson>
  void CallHook(const std::string& project, const MakeJson& make_json) {
    if (!hooks.on_publish) return;
    try {
      hooks.on_publish(project, make_json());
    } catch (const std::exception& e) {
      hook_errors->Inc();
      std::fprintf(stderr, "understudy serve: on_publish hook failed for %s: %s\n", project.c_str(),
                   e.what());
    }
  }

  void Publish(const std::string& topic, const std::string& bytes) {
    publisher->send(zmq::buffer(topic), zmq::send_flags::sndmore);
    publisher->send(zmq::buffer(bytes), zmq::send_flags::none);
  }

  void HandleResult(EngineResult& r, const Header& h, const PromptEvent* prompt, std::uint64_t lsn,
                    Clock::time_point received) {
    if (r.suggestion) {
      SuggestionRecord rec;
      rec.suggestion = std::move(*r.suggestion);
      Suggestion& s = rec.suggestion;
      if (s.project.empty()) s.project = h.project;
      if (prompt != nullptr) {
        if (s.asset.empty()) s.asset = prompt->asset;
        if (s.prompt_id.empty()) s.prompt_id = prompt->prompt_id;
      }
      if (s.id.empty()) s.id = NextId("s");
      rec.withheld = r.withheld;
      rec.reason = r.withheld_reason;
      if (s.asset.empty() || s.prompt_id.empty() ||
          !ShapeIsSendable(s.shape, config.max_vertices)) {
        // An engine bug must not reach subscribers; keep it in the log for the post-mortem.
        engine_errors["prompt"]->Inc();
        rec.withheld = true;
        rec.reason =
            "invalid suggestion from the engine (empty asset or prompt, or a shape that "
            "breaks the protocol's geometry limits)";
      }
      const double ts = WallSeconds();
      std::string bytes = EncodeSuggestion(rec, ts);
      if (!rec.withheld) {
        Publish(SuggestionTopic(s.project, s.asset), bytes);
        suggestion_latency->Observe(Seconds(Clock::now() - received));
        published->Inc();
        {
          std::lock_guard<std::mutex> lock(board_mu);
          board.OnSuggestion(s.project, s.asset, s.prompt_id, bytes);
        }
        CallHook(s.project, [&] { return SuggestionToJson(rec, ts); });
      } else {
        // Outside the `<project>/` prefix: observers (a remote replay) subscribe to it, frontends
        // never receive it. Not sent to the WebSocket feed, which is for frontends.
        Publish(WithheldTopic(s.project), bytes);
        withheld->Inc();
      }
      auto out = std::make_unique<OutItem>();
      out->kind = OutItem::Kind::kLog;
      out->bytes = std::move(bytes);
      out->ref = lsn;
      SendOut(std::move(out));
    } else if (prompt != nullptr) {
      (r.withheld ? withheld : no_suggestion)->Inc();
    }
    // Scores before the gate events: a gate decision is caused by the score before it.
    for (BlindScore& sc : r.scores) {
      if (sc.project.empty()) sc.project = h.project;
      const std::string id = NextId("r");
      const double ts = WallSeconds();
      std::string bytes;
      try {
        bytes = EncodeScore(sc, id, ts);
        // Checked as a reader would: an engine's malformed score must not reach subscribers.
        Decode(bytes, limits);
      } catch (const std::exception& e) {
        engine_errors[CallName(h.type)]->Inc();
        std::fprintf(stderr, "understudy serve: engine produced an invalid score for %s: %s\n",
                     sc.project.c_str(), e.what());
        continue;
      }
      Publish(ScoreTopic(sc.project), bytes);
      scores->Inc();
      if (std::isfinite(sc.reward)) blind_reward->Observe(sc.reward);
      CallHook(sc.project, [&] { return ScoreToJson(sc, id, ts); });
      auto out = std::make_unique<OutItem>();
      out->kind = OutItem::Kind::kLog;
      out->bytes = std::move(bytes);
      out->ref = lsn;
      SendOut(std::move(out));
    }
    for (GateEvent& g : r.gate_events) {
      if (g.project.empty()) g.project = h.project;
      const std::string id = NextId("g");
      const double ts = WallSeconds();
      std::string bytes = EncodeGate(g, id, ts);
      Publish(GateTopic(g.project), bytes);
      gate_events->Inc();
      CallHook(g.project, [&] { return GateToJson(g, id, ts); });
      auto out = std::make_unique<OutItem>();
      out->kind = OutItem::Kind::kLog;
      out->bytes = std::move(bytes);
      out->ref = lsn;
      SendOut(std::move(out));
    }
  }

  void ProcessEvent(WorkItem& item) {
    const Header& h = item.message.header;
    const char* call = CallName(h.type);
    EngineResult r;
    std::uint64_t lsn = 0;
    const PromptEvent* prompt = nullptr;
    const Clock::time_point t0 = Clock::now();
    try {
      if (auto* a = std::get_if<AssetEvent>(&item.message.body)) {
        lsn = a->meta.lsn;
        {
          std::lock_guard<std::mutex> lock(board_mu);
          board.OnAsset(h.project, a->asset);
        }
        r = engine->OnAsset(*a);
      } else if (auto* p = std::get_if<PromptEvent>(&item.message.body)) {
        lsn = p->meta.lsn;
        prompt = p;
        r = engine->OnPrompt(*p);
      } else if (auto* n = std::get_if<AnnotationEvent>(&item.message.body)) {
        lsn = n->meta.lsn;
        {
          std::lock_guard<std::mutex> lock(board_mu);
          board.OnAnnotation(h.project, n->asset, n->prompt_id, n->complete);
        }
        r = engine->OnAnnotation(*n);
      } else if (auto* f = std::get_if<FeedbackEvent>(&item.message.body)) {
        lsn = f->meta.lsn;
        r = engine->OnFeedback(*f);
      } else if (auto* c = std::get_if<ControlEvent>(&item.message.body)) {
        lsn = c->meta.lsn;
        r = engine->OnControl(*c);
      }
    } catch (const std::exception& e) {
      engine_errors[call]->Inc();
      std::fprintf(stderr, "understudy serve: engine %s call failed for %s/%s: %s\n", call,
                   h.project.c_str(), h.id.c_str(), e.what());
      return;
    }
    engine_seconds[call]->Observe(Seconds(Clock::now() - t0));
    HandleResult(r, h, prompt, lsn, item.received);
  }

  ServerInfo Info(const std::string& project) const {
    ServerInfo info;
    info.version = UNDERSTUDY_VERSION;
    info.last_lsn = last_lsn;
    info.durable_lsn = durable_lsn;
    info.uptime_seconds = Seconds(Clock::now() - started);
    info.open_assets = project.empty() ? board.open_assets() : board.open_assets(project);
    info.known_assets = known_count;
    return info;
  }

  void ProcessQuery(WorkItem& item) {
    const Header& h = item.message.header;
    const auto& q = std::get<StatusQuery>(item.message.body);
    auto out = std::make_unique<OutItem>();
    out->kind = OutItem::Kind::kReply;
    out->routing_id = std::move(item.routing_id);
    out->delimiter = item.delimiter;
    if (q.query == "latest") {
      const std::uint64_t limit =
          q.limit == 0 ? kDefaultLatestLimit : std::min(q.limit, kMaxLatestLimit);
      out->bytes =
          EncodeStatusLatest(h.id, h.project, WallSeconds(), board.Latest(h.project, limit));
    } else {
      EngineStatus st;
      try {
        st = engine->Status();
      } catch (const std::exception& e) {
        st.engine = std::string("status failed: ") + e.what();
      }
      out->bytes = EncodeStatusSummary(h.id, h.project, WallSeconds(), Info(h.project), st);
    }
    SendOut(std::move(out));
  }

  void RefreshStatus() {
    EngineStatus st;
    try {
      st = engine->Status();
    } catch (const std::exception& e) {
      st.engine = std::string("status failed: ") + e.what();
    }
    std::string json = StatusToJson(Info(""), st, recovery);
    {
      std::lock_guard<std::mutex> lock(status_mu);
      status_json = std::move(json);
      last_status = st;
    }
    open_assets->Set(static_cast<double>(board.open_assets()));
    for (const auto& [name, value] : st.learner) {
      registry
          .GetGauge("understudy_learner", "The engine's learner progress, by name",
                    {{"name", name}})
          .Set(value);
    }
    for (const ProjectStatus& p : st.projects) {
      const MetricLabels project{{"project", p.project}};
      for (const auto& [name, value] : p.counters) {
        registry
            .GetGauge("understudy_engine_project_count",
                      "The engine's per-project counts (published, withheld, scored, ...)",
                      {{"project", p.project}, {"name", name}})
            .Set(value);
      }
      registry
          .GetGauge("understudy_gate_publishing", "1 while a project's suggestions are published",
                    project)
          .Set(p.publishing ? 1 : 0);
      registry
          .GetGauge("understudy_gate_window_n", "Rewards in a project's evidence window", project)
          .Set(static_cast<double>(p.n));
      registry
          .GetGauge("understudy_gate_window_mean", "Mean reward in a project's evidence window",
                    project)
          .Set(p.mean);
      registry
          .GetGauge("understudy_gate_lower_bound", "Confidence bound the gate compares", project)
          .Set(p.lower_bound);
      std::string& last = gate_modes[p.project];
      if (last != p.mode) {
        const char* help = "1 for a project's current gate mode";
        if (!last.empty())
          registry.GetGauge("understudy_gate_mode", help, {{"project", p.project}, {"mode", last}})
              .Set(0);
        registry.GetGauge("understudy_gate_mode", help, {{"project", p.project}, {"mode", p.mode}})
            .Set(1);
        last = p.mode;
      }
    }
    if (st.model_version != model_version_metric) {
      const char* help = "1 for the model version serving suggestions";
      if (!model_version_metric.empty()) {
        registry.GetGauge("understudy_model_info", help, {{"version", model_version_metric}})
            .Set(0);
      }
      registry.GetGauge("understudy_model_info", help, {{"version", st.model_version}}).Set(1);
      model_version_metric = st.model_version;
    }
  }

  void RunWorker() {
    const auto status_every = std::chrono::milliseconds(config.status_interval_ms);
    Clock::time_point next_status = Clock::now() + status_every;
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_status - Clock::now());
      std::vector<zmq::pollitem_t> items = {{worker_pair->handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, std::max(std::chrono::milliseconds(0), std::min(left, kIdlePoll)));
      zmq::message_t m;
      while (worker_pair->recv(m, zmq::recv_flags::dontwait)) {
        std::unique_ptr<WorkItem> item = TakePointer<WorkItem>(m);
        if (item->kind == WorkItem::Kind::kStop) {
          RefreshStatus();
          auto out = std::make_unique<OutItem>();
          out->kind = OutItem::Kind::kDone;
          SendOut(std::move(out));
          return;
        }
        ++processed;
        if (abandon) continue;  // past the shutdown deadline: logged, but not given to the engine
        if (item->kind == WorkItem::Kind::kQuery) {
          ProcessQuery(*item);
        } else {
          ProcessEvent(*item);
        }
        if (Clock::now() >= next_status) break;  // keep /status fresh under a steady stream
      }
      if (Clock::now() >= next_status) {
        RefreshStatus();
        next_status = Clock::now() + status_every;
      }
    }
  }

  void WorkerMain() {
    try {
      RunWorker();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "understudy serve: worker stopped: %s\n", e.what());
      SetFatal(std::current_exception());
    }
    worker_exited = true;
  }

  // Joins every thread, then closes the sockets. A socket that links two threads is not closed
  // by its own thread on the way out: with linger 0, closing it could drop messages its peer had
  // not read yet (the worker's last outputs, the committer's last report).
  void JoinAndClose() {
    if (ingest_thread.joinable()) ingest_thread.join();
    if (worker_thread.joinable()) worker_thread.join();
    StopCommitter();
    router.reset();
    monitor.reset();
    ingest_pair.reset();
    worker_pair.reset();
    durable_in.reset();
    durable_out.reset();
    publisher.reset();
  }
};

Server::Server(ServerConfig config, std::unique_ptr<Engine> engine, MetricsRegistry& metrics,
               ServerHooks hooks)
    : impl_(
          std::make_unique<Impl>(std::move(config), std::move(engine), metrics, std::move(hooks))) {
  if (!impl_->engine) throw std::invalid_argument("Server: engine is null");
}

Server::~Server() {
  RequestStop();
  impl_->JoinAndClose();
}

void Server::Start() { impl_->Start(); }

void Server::RequestStop() { impl_->stop_requested = true; }

void Server::Wait() {
  impl_->JoinAndClose();
  std::lock_guard<std::mutex> lock(impl_->fatal_mu);
  if (impl_->fatal) std::rethrow_exception(impl_->fatal);
}

bool Server::stopped() const { return impl_->done; }

const std::string& Server::ingest_endpoint() const { return impl_->ingest_ep; }
const std::string& Server::publish_endpoint() const { return impl_->publish_ep; }
const RecoveryReport& Server::recovery() const { return impl_->recovery; }

std::string Server::SnapshotJson(const std::string& project) const {
  std::vector<std::string> envelopes;
  {
    std::lock_guard<std::mutex> lock(impl_->board_mu);
    for (std::string_view e : impl_->board.Latest(project, 1000)) envelopes.emplace_back(e);
  }
  std::optional<ProjectStatus> gate;
  std::string model;
  {
    std::lock_guard<std::mutex> lock(impl_->status_mu);
    for (const ProjectStatus& p : impl_->last_status.projects) {
      if (p.project == project) gate = p;
    }
    model = impl_->last_status.model_version;
  }
  return understudy::SnapshotJson(project, gate, envelopes, model);
}

std::string Server::StatusJson() const {
  std::lock_guard<std::mutex> lock(impl_->status_mu);
  return impl_->status_json;
}

}  // namespace understudy
