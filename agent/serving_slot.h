#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>

namespace understudy {

/** A model together with the registry version it was loaded from. Immutable once served. */
template <typename Model>
struct Served {
  std::shared_ptr<const Model> model;
  std::uint64_t version = 0;
};

/**
 * The serving model, swapped atomically. Model and version live in one immutable Served
 * object behind one shared_ptr, so a reader never sees a version with another model's
 * weights. Get() hands out a reference-counted handle: inference in flight keeps the model it
 * started with alive across any number of swaps, and every suggestion is tagged with the
 * handle's version. Uses the C++17 atomic shared_ptr free functions; all members thread-safe.
 */
template <typename Model>
class ServingSlot {
 public:
  using Handle = std::shared_ptr<const Served<Model>>;

  /** The current model and its version; null before the first Swap. */
  Handle Get() const { return std::atomic_load(&current_); }

  /** Serves `model` as `version` from the next Get() on; returns the handle it replaced.
   *  Throws std::invalid_argument for a null model. */
  Handle Swap(std::shared_ptr<const Model> model, std::uint64_t version) {
    if (!model) throw std::invalid_argument("ServingSlot::Swap: null model");
    Handle next = std::make_shared<const Served<Model>>(Served<Model>{std::move(model), version});
    return std::atomic_exchange(&current_, std::move(next));
  }

 private:
  Handle current_;
};

}  // namespace understudy
