#pragma once
// Errors as values at module boundaries: every public function that can fail returns Result<T>.
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace modelguard {

enum class ErrorCode {
  kInvalidArgument,  // the caller asked for something that makes no sense
  kIo,               // the file system said no
  kParse,            // bytes did not follow the format
  kLimit,            // a configured resource limit was reached
  kUnsupported,      // a valid feature we do not implement
};

const char* ToString(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const Error& error() const& { return std::get<Error>(data_); }
  Error&& error() && { return std::get<Error>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Error> data_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// The same error with `context` in front of its message ("keys.json: " + "line 3: ...").
inline Error WithContext(Error error, std::string_view context) {
  error.message.insert(0, context);
  return error;
}

}  // namespace modelguard

// Early returns for functions that return Result<U> or Status, instead of hand-written checks:
//   MG_TRY(WriteFileAtomic(path, text));                         // returns the error, if any
//   MG_ASSIGN_OR_RETURN(auto manifest, LoadManifest(path));      // declares manifest, or returns the error
//   MG_TRY_CONTEXT(Verify(bundle), "bundle " + path + ": ");     // the error with context in front
//   MG_ASSIGN_OR_RETURN_CONTEXT(auto key, LoadKey(pem), path + ": ");  // declares key, or the error with context
#define MG_TRY(expression)                                           \
  do {                                                               \
    if (auto mg_try_result_ = (expression); !mg_try_result_) {       \
      return ::modelguard::Error(std::move(mg_try_result_).error()); \
    }                                                                \
  } while (false)
#define MG_TRY_CONTEXT(expression, context)                                           \
  do {                                                                                \
    if (auto mg_try_result_ = (expression); !mg_try_result_) {                        \
      return ::modelguard::WithContext(std::move(mg_try_result_).error(), (context)); \
    }                                                                                 \
  } while (false)
#define MG_CONCAT_INNER_(a, b) a##b
#define MG_CONCAT_(a, b) MG_CONCAT_INNER_(a, b)
#define MG_ASSIGN_OR_RETURN(declaration, expression) \
  MG_ASSIGN_OR_RETURN_IMPL_(MG_CONCAT_(mg_result_, __LINE__), declaration, expression)
#define MG_ASSIGN_OR_RETURN_IMPL_(temporary, declaration, expression)       \
  auto temporary = (expression);                                            \
  if (!temporary) return ::modelguard::Error(std::move(temporary).error()); \
  declaration = std::move(temporary).value()
#define MG_ASSIGN_OR_RETURN_CONTEXT(declaration, expression, context) \
  MG_ASSIGN_OR_RETURN_CONTEXT_IMPL_(MG_CONCAT_(mg_result_, __LINE__), declaration, expression, context)
#define MG_ASSIGN_OR_RETURN_CONTEXT_IMPL_(temporary, declaration, expression, context)       \
  auto temporary = (expression);                                                             \
  if (!temporary) return ::modelguard::WithContext(std::move(temporary).error(), (context)); \
  declaration = std::move(temporary).value()
