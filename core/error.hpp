#pragma once
// Errors a user can cause (bad config, bad message, peer down) travel as values.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace qiao {

// What went wrong, in terms every source can map to its own protocol: an HTTP source turns
// bad_input into 400, an MLLP source into an AR acknowledgement, and so on.
enum class ErrorKind {
  bad_input,           // the message could not be decoded or is malformed
  check_failed,        // a `check` step rejected the message
  not_found,           // no flow for this path / operation
  method_not_allowed,  // a flow exists, but not for this method
  too_large,           // a size limit was exceeded
  timeout,             // an endpoint did not answer in time
  unavailable,         // an endpoint could not be reached
  upstream,            // an endpoint answered with an error
  flow,                // the flow itself failed (Lua error, bad reply)
  rejected,            // refused by policy (auth, overload)
  config,              // configuration is invalid
  internal,            // a bug: an invariant broke
};

std::string_view error_kind_name(ErrorKind kind);
// Errors that refuse a message for what it is (bad input, a failed check, an unknown path, too
// large, rejected): the sender's fault, so sending it again as it is cannot help.
bool is_sender_fault(ErrorKind kind);

class Object;

struct Error {
  Error() = default;
  Error(ErrorKind error_kind, std::string text, std::shared_ptr<const Object> facts = nullptr)
      : kind(error_kind), message(std::move(text)), detail(std::move(facts)) {}

  ErrorKind kind = ErrorKind::internal;
  std::string message;
  // Facts of the peer's own error that a flow routes on, beside code and message: a SOAP
  // fault's faultcode and faultstring. Null for most errors.
  std::shared_ptr<const Object> detail;
  // The peer refused this message for what it is (HL7 AR, HTTP 4xx): sending the same bytes again
  // cannot succeed, so a queued delivery goes to dead letters instead of being retried.
  bool refused_by_peer = false;
};

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

// A value or the Error explaining why there is none (std::expected arrives with C++23).
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// For operations that produce nothing but can fail.
struct Ok {};
using Status = Expected<Ok>;

}  // namespace qiao
