// Status and Result<T>: the one error type of Spaceport.
//
// Every fallible function returns Status (no value) or Result<T> (a value or
// a Status). Both are [[nodiscard]]. Codes are coarse on purpose: they map to
// HTTP status codes in exactly one place (hub/http_error.h), and the message
// is what a user reads, so it names the thing that was wrong.
// Thread safety: values, freely copyable.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"

namespace spaceport {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // 400: the caller sent something malformed
  kUnauthenticated,    // 401: no or bad credentials
  kPermissionDenied,   // 403: credentials fine, not allowed
  kNotFound,           // 404
  kAlreadyExists,      // 409
  kFailedPrecondition, // 409/412: state does not allow it now
  kPayloadTooLarge,    // 413
  kPaymentRequired,    // 402: the wallet cannot pay for it
  kResourceExhausted,  // 429
  kBadGateway,         // 502: what the edge stands in front of failed to answer
  kUnavailable,        // 503: try again later
  kDeadlineExceeded,   // 504
  kInternal,           // 500: a bug or an environment failure
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status PayloadTooLarge(std::string m) { return {StatusCode::kPayloadTooLarge, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status PaymentRequired(std::string m) { return {StatusCode::kPaymentRequired, std::move(m)}; }
  static Status BadGateway(std::string m) { return {StatusCode::kBadGateway, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Prefixes the message with context, keeping the code: "reading card: ...".
  Status WithContext(std::string_view context) const;

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::string_view StatusCodeName(StatusCode code);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    SP_RELEASE_ASSERT(!std::get<Status>(v_).ok(), "a Result made from an ok Status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & {
    SP_RELEASE_ASSERT(ok(), "value() of an error Result");
    return std::get<T>(v_);
  }
  const T& value() const& {
    SP_RELEASE_ASSERT(ok(), "value() of an error Result");
    return std::get<T>(v_);
  }
  T&& value() && {
    SP_RELEASE_ASSERT(ok(), "value() of an error Result");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace spaceport

// Early-return helpers. RETURN_IF_ERROR works on Status; ASSIGN_OR_RETURN
// unwraps a Result<T> into a new variable or returns its Status.
#define SP_CONCAT_INNER(a, b) a##b
#define SP_CONCAT(a, b) SP_CONCAT_INNER(a, b)
#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::spaceport::Status sp_status_ = (expr);  \
    if (!sp_status_.ok()) return sp_status_;  \
  } while (0)
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(SP_CONCAT(sp_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
