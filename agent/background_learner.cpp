#include "agent/background_learner.h"

#include <chrono>
#include <exception>
#include <stdexcept>

namespace understudy {

BackgroundLearner::BackgroundLearner(std::unique_ptr<LearningLoop> loop, std::size_t queue_capacity,
                                     int batch)
    : loop_(std::move(loop)), capacity_(queue_capacity), batch_(batch) {
  if (!loop_) throw std::invalid_argument("BackgroundLearner: null loop");
  if (capacity_ == 0) throw std::invalid_argument("BackgroundLearner: queue capacity 0");
  if (batch_ < 1) throw std::invalid_argument("BackgroundLearner: batch < 1");
  progress_ = loop_->Progress();
  thread_ = std::thread([this] { Run(); });
}

BackgroundLearner::~BackgroundLearner() { Stop(); }

void BackgroundLearner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundLearner::Add(TrainingExample example, LearningLoop::Clock::time_point arrived) {
  std::unique_lock<std::mutex> lock(mu_);
  if (queue_.size() >= capacity_) {
    ++stats_.full_waits;
    const auto t0 = std::chrono::steady_clock::now();
    space_cv_.wait(lock, [this] { return queue_.size() < capacity_ || stop_; });
    stats_.wait_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  if (stop_) return;
  queue_.emplace_back(std::move(example), arrived);
  stats_.depth = queue_.size();
  lock.unlock();
  work_cv_.notify_one();
}

LearningProgress BackgroundLearner::Progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_;
}

LearnerQueueStats BackgroundLearner::Queue() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void BackgroundLearner::Run() {
  std::deque<std::pair<TrainingExample, LearningLoop::Clock::time_point>> batch;
  auto failed = [this](const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    ++progress_.learner_errors;
    progress_.last_error = e.what();
  };
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // CanLearn reads the loop, which only this thread touches.
      work_cv_.wait(lock, [this] { return stop_ || !queue_.empty() || loop_->CanLearn(); });
      if (stop_) return;
      batch.swap(queue_);
      stats_.depth = 0;
    }
    space_cv_.notify_all();
    // Each example on its own: one the learner refuses does not lose the others.
    for (auto& [example, arrived] : batch) {
      try {
        loop_->Add(std::move(example), arrived);
      } catch (const std::exception& e) {
        failed(e);
      }
    }
    batch.clear();
    bool ok = true;
    try {
      if (loop_->CanLearn()) loop_->Run(batch_);
      LearningProgress p = loop_->Progress();
      std::lock_guard<std::mutex> lock(mu_);
      p.learner_errors = progress_.learner_errors;
      p.last_error = progress_.last_error;
      progress_ = std::move(p);
    } catch (const std::exception& e) {
      // Counted and shown in /status; the serving model is untouched.
      failed(e);
      ok = false;
    }
    if (!ok) {
      // A pause keeps a learner that fails on every call from spinning.
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; });
    }
  }
}

}  // namespace understudy
