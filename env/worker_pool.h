#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace understudy {

/**
 * A fixed set of threads that runs index loops. ParallelFor hands out indices dynamically, so
 * which worker runs an index varies from call to call: callers keep per-index results in their
 * own slots and give each worker its own scratch state, so results never depend on the thread
 * count. With one thread the loop runs on the caller's thread.
 */
class WorkerPool {
 public:
  /** `threads` >= 1 (the caller counts as one); throws std::invalid_argument otherwise. */
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /** Calls fn(index, worker) for every index in [0, count), worker in [0, threads()), and waits.
   *  The first exception thrown by fn is rethrown here once every index has been handled. */
  void ParallelFor(std::size_t count, const std::function<void(std::size_t, int)>& fn);

 private:
  void WorkerLoop(int worker);
  void Drain(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  const std::function<void(std::size_t, int)>* job_ = nullptr;
  std::size_t count_ = 0;
  std::size_t next_ = 0;
  std::size_t generation_ = 0;
  int busy_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace understudy
