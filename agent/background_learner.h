#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "agent/learning_loop.h"

namespace understudy {

/** The hand-off queue's counters. */
struct LearnerQueueStats {
  std::size_t depth = 0;         // examples waiting now
  std::uint64_t full_waits = 0;  // times the worker waited for room
  double wait_seconds = 0.0;     // total time the worker waited
};

/**
 * `background` learning for `serve`: one thread owns a LearningLoop and learns continuously in
 * wall-clock time, beside serving. The engine's worker hands it training examples through a
 * bounded queue; when the queue is full the worker waits for room rather than dropping an
 * annotation (counted; the thread drains the whole queue before every batch, so a wait lasts at
 * most one batch). The thread sleeps only while it has nothing to learn from (or the replay-ratio
 * cap is reached) and wakes on the next example. Challengers it wins are swapped into the
 * ModelKeeper's slot from this thread.
 */
class BackgroundLearner {
 public:
  BackgroundLearner(std::unique_ptr<LearningLoop> loop, std::size_t queue_capacity, int batch);
  /** Stops and joins the thread; examples still queued are dropped (the process is ending). */
  ~BackgroundLearner();
  BackgroundLearner(const BackgroundLearner&) = delete;
  BackgroundLearner& operator=(const BackgroundLearner&) = delete;

  /** Queues one example (worker thread); waits while the queue is full. */
  void Add(TrainingExample example, LearningLoop::Clock::time_point arrived);

  /** The loop's progress as of its last batch. */
  LearningProgress Progress() const;
  LearnerQueueStats Queue() const;

  void Stop();

 private:
  void Run();

  std::unique_ptr<LearningLoop> loop_;
  std::size_t capacity_;
  int batch_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // examples queued, or stop
  std::condition_variable space_cv_;  // the queue has room
  std::deque<std::pair<TrainingExample, LearningLoop::Clock::time_point>> queue_;
  LearningProgress progress_;
  LearnerQueueStats stats_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace understudy
