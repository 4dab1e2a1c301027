#pragma once
/// A bounded multi-producer multi-consumer queue with an explicit overflow policy.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace vsp::core {

enum class OverflowPolicy {
  block,        ///< push waits for room (lossless; for file input)
  drop_oldest,  ///< push evicts the oldest item (live analysis under load)
};

template <class T>
class BoundedQueue {
 public:
  BoundedQueue(std::size_t capacity, OverflowPolicy policy) : capacity_(capacity), policy_(policy) {}

  /// Returns false when the queue is closed. With drop_oldest, evicted items are counted.
  bool push(T item) {
    std::unique_lock lock(m_);
    if (policy_ == OverflowPolicy::block) {
      not_full_.wait(lock, [&] { return closed_ || q_.size() < capacity_; });
    } else if (q_.size() >= capacity_ && !q_.empty()) {
      q_.pop_front();
      ++dropped_;
    }
    if (closed_) return false;
    q_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  /// Never waits: false when the queue is full or closed (the caller decides what to drop).
  bool try_push(T item) {
    std::lock_guard lock(m_);
    if (closed_ || q_.size() >= capacity_) return false;
    q_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  /// Waits up to `timeout` for an item; empty when none came (or closed and drained).
  template <class Rep, class Period>
  std::optional<T> pop_for(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(m_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return std::nullopt;
    T item = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return item;
  }

  std::size_t size() const {
    std::lock_guard lock(m_);
    return q_.size();
  }

  /// Waits for an item; empty optional once the queue is closed and drained.
  std::optional<T> pop() {
    std::unique_lock lock(m_);
    not_empty_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return std::nullopt;
    T item = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return item;
  }

  /// No more pushes; pop drains what is left.
  void close() {
    std::lock_guard lock(m_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  std::size_t dropped() const {
    std::lock_guard lock(m_);
    return dropped_;
  }

 private:
  mutable std::mutex m_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> q_;
  std::size_t capacity_;
  OverflowPolicy policy_;
  bool closed_ = false;
  std::size_t dropped_ = 0;
};

}  // namespace vsp::core
