// Result<T, E>: a value or an error, for the boundaries where failure is an expected outcome
// (config validation, storage, decoding). The toolchain's clang 14 has no std::expected, so this
// is the small subset raftio needs, spelled the same way.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace raftio {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class G>
  Result(Unexpected<G> failure)  // NOLINT: implicit by design
      : state_(std::in_place_index<1>, std::move(failure.error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  // By value, not T&&: `for (auto& x : make_result().value())` then iterates a lifetime-extended
  // object instead of a reference into a temporary that is already gone.
  T value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const& { return std::get<1>(state_); }
  E error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class G>
  Result(Unexpected<G> failure) : error_(std::move(failure.error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const& { return *error_; }
  E error() && { return std::move(*error_); }

 private:
  std::optional<E> error_;
};

}  // namespace raftio
