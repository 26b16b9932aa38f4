#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine_driver.h"

namespace understudy {

/** Where the running server is and how patiently to talk to it. */
struct ZmqDriverOptions {
  std::string ingest;   // the server's ROUTER, e.g. tcp://127.0.0.1:5555
  std::string publish;  // its PUB socket, e.g. tcp://127.0.0.1:5556
  /** The DEALER's routing id; empty: "understudy-replay-<pid>-<clock>", unique per run so that
   *  a server that saw an earlier replay does not take these events for duplicates. */
  std::string client_id;
  std::chrono::milliseconds timeout{10000};  // per request, before a Lazy Pirate retry
  int retries = 3;                           // then the server is unreachable
  std::vector<std::string> projects;         // subscribed as "<project>/"
  /** Throws std::invalid_argument naming the field. */
  void Validate() const;
};

/** The endpoints a ready file (`serve --ready-file`) names; throws std::runtime_error. */
ZmqDriverOptions ReadReadyFile(const std::string& path);

/**
 * Drives a running `understudy serve` over ZeroMQ, as a platform would, and reports what its
 * engine did in the same form as the in-process driver (docs/sim.md, "Over ZeroMQ"):
 *  - every event goes to the ingest ROUTER with the transport's Lazy Pirate retries (same
 *    routing id and bytes, so a retry is acked as a duplicate, never processed twice) and must
 *    be acked;
 *  - after a prompt, a `latest` query (answered after the engine has handled the prompt) says
 *    whether its suggestion was published, and carries it;
 *  - after every event, a `summary` query gives each project's gate mode; when a mode changed,
 *    the replay waits for the matching `gate` event on the PUB socket, so transitions are
 *    attributed to the event that caused them, exactly as in-process; likewise, when the
 *    project's `scored` count grew, the replay waits for that many blind scores on
 *    `<project>/_score` and reports the one for the annotated prompt.
 * Withheld suggestions never reach `<project>/`, so their shapes are unknown here: their blind
 * score comes from the engine's own score report, as in-process.
 */
class ZmqDriver : public EngineDriver {
 public:
  explicit ZmqDriver(ZmqDriverOptions options);
  ~ZmqDriver() override;
  ZmqDriver(const ZmqDriver&) = delete;
  ZmqDriver& operator=(const ZmqDriver&) = delete;

  std::string path() const override { return "zmq"; }
  EventOutcome Process(const SessionEvent& event, const Message& message) override;
  EngineStatus Status() override;

  /** Requests retried after a timeout (Lazy Pirate), for the report. */
  std::uint64_t retries() const { return retried_; }

 private:
  struct Sockets;
  /** Sends `bytes` and waits for the reply with `id` (Lazy Pirate); `raw` gets its bytes. */
  Message Request(const std::string& id, const std::string& bytes, std::string* raw = nullptr);
  EngineStatus Summary(const std::string& project);
  /** Reads what the PUB socket has: gate events and blind scores, counted per project. */
  void Drain(std::vector<GateEvent>& gates, std::vector<BlindScore>& scores,
             std::chrono::milliseconds wait);

  ZmqDriverOptions options_;
  std::unique_ptr<Sockets> sockets_;
  std::uint64_t serial_ = 0;
  std::uint64_t retried_ = 0;
  std::map<std::string, std::string> modes_;       // project -> gate mode as last reported
  std::map<std::string, std::size_t> gate_seen_;   // project -> gate events received
  std::map<std::string, double> scored_;           // project -> the engine's `scored` count
  std::map<std::string, std::size_t> score_seen_;  // project -> scores received
};

}  // namespace understudy
