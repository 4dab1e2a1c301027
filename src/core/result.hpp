#pragma once
/// Expected failures are values: `Result<T>` holds either a T or an `Error`.
#include <string>
#include <utility>
#include <variant>

namespace vsp::core {

/// `code` is a stable snake_case word (`file_not_found`, `model_sha256_mismatch`); `message` reads
/// like a compiler's diagnostic and names the file or key; `path` is the config key or parameter.
struct Error {
  std::string code;
  std::string message;
  std::string path;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string code, std::string message, std::string path = {}) {
  return Error{std::move(code), std::move(message), std::move(path)};
}

}  // namespace vsp::core
