// common/status.h — the one error type of the project.
//
// Owns: Status (OK or an error code + message + optional culprit party) and Result<T>
// (a value or a Status). Every fallible call returns one of these; exceptions are reserved for
// programming errors. Must not touch: anything beyond the standard library.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tss {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // caller passed something malformed (bad encoding, out of range, ...)
  kProtocolAbort,    // a party deviated from the protocol; culprit() names it when known
  kNotFound,
  kAlreadyExists,
  kIo,  // file system, socket or database failure
  kTimeout,
  kPermissionDenied,
  kUnavailable,
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

// Cheap when OK (no allocation); carries a message when not.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, std::optional<int> culprit = std::nullopt)
      : code_(code), message_(std::move(message)), culprit_(culprit) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The party (protocol index) whose message caused the failure, when one can be blamed.
  std::optional<int> culprit() const { return culprit_; }
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  std::optional<int> culprit_;
};

inline Status InvalidArgument(std::string msg) {
  return {ErrorCode::kInvalidArgument, std::move(msg)};
}
inline Status ProtocolAbort(int culprit, std::string msg) {
  return {ErrorCode::kProtocolAbort, std::move(msg), culprit};
}
inline Status NotFound(std::string msg) {
  return {ErrorCode::kNotFound, std::move(msg)};
}
inline Status IoError(std::string msg) {
  return {ErrorCode::kIo, std::move(msg)};
}
inline Status InternalError(std::string msg) {
  return {ErrorCode::kInternal, std::move(msg)};
}

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status(ErrorCode::kInternal, "Result built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tss

// Early return on error: TSS_RETURN_IF_ERROR(DoThing());
#define TSS_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::tss::Status tss_status_ = (expr);        \
    if (!tss_status_.ok()) return tss_status_; \
  } while (0)

#define TSS_CONCAT_INNER(a, b) a##b
#define TSS_CONCAT(a, b) TSS_CONCAT_INNER(a, b)
// TSS_ASSIGN_OR_RETURN(auto x, ComputeX());
// `lhs` is a declaration or an lvalue and `tmp` a name to declare: neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define TSS_ASSIGN_OR_RETURN(lhs, expr) \
  TSS_ASSIGN_OR_RETURN_IMPL(TSS_CONCAT(tss_result_, __LINE__), lhs, expr)
#define TSS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
