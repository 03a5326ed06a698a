// A black-box classifier endpoint over HTTP. The answer is untrusted: sizes, shapes and values are
// checked before anything becomes a tensor, and the query budget is enforced before a request is sent.
// GCC 12 reports a false -Wmaybe-uninitialized inside Beast's parser (boost::optional<size_t> content length).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <thread>

#include "modelguard/assess/model.h"
#include "modelguard/core/cancel.h"

namespace modelguard::assess {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Url {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

Result<Url> ParseUrl(const std::string& text) {
  if (text.rfind("http://", 0) != 0)
    return MakeError(ErrorCode::kInvalidArgument,
                     "the endpoint must be an http:// URL (put TLS endpoints behind `modelguard gateway`)");
  std::string rest = text.substr(7);
  Url url;
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    url.path = rest.substr(slash);
    rest.resize(slash);
  }
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    url.port = rest.substr(colon + 1);
    rest.resize(colon);
  }
  url.host = rest;
  if (url.host.empty() || url.port.empty()) return MakeError(ErrorCode::kInvalidArgument, "bad endpoint URL " + text);
  return url;
}

class HttpTarget final : public Target {
 public:
  // The URL is parsed once; a bad one is reported by the first query (the factory has no error channel).
  explicit HttpTarget(HttpTargetOptions options) : options_(std::move(options)), url_(ParseUrl(options_.url)) {}

  int64_t classes() const override { return options_.classes; }
  std::string Describe() const override { return "HTTP endpoint " + options_.url; }
  bool label_only() const override { return labels_only_; }

  Result<torch::Tensor> Query(const torch::Tensor& x) override {
    MG_TRY(cancel::Check("query"));  // SIGINT/SIGTERM: black-box attacks stop at their next query
    if (queries_ + x.size(0) > options_.budget) {
      return MakeError(ErrorCode::kLimit, "query budget of " + std::to_string(options_.budget) + " samples spent");
    }
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < x.size(0); start += std::max<int64_t>(options_.batch, 1)) {
      auto part = Send(x.slice(0, start, std::min(start + std::max<int64_t>(options_.batch, 1), x.size(0))));
      if (!part) return part.error();
      parts.push_back(*part);
    }
    return parts.empty() ? torch::empty({0, options_.classes}, torch::kFloat64) : torch::cat(parts);
  }

 private:
  Result<torch::Tensor> Send(const torch::Tensor& batch) {
    if (!url_) return url_.error();
    const Url* url = &*url_;
    if (options_.max_rate > 0) {
      const auto gap = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(1.0 / options_.max_rate));
      const auto now = std::chrono::steady_clock::now();
      if (now < next_allowed_) std::this_thread::sleep_for(next_allowed_ - now);
      next_allowed_ = std::max(now, next_allowed_) + gap;
    }
    const torch::Tensor flat = batch.flatten(1).to(torch::kFloat64).contiguous();
    nlohmann::json inputs = nlohmann::json::array();
    for (int64_t row = 0; row < flat.size(0); ++row) {
      const double* values = flat[row].data_ptr<double>();
      inputs.push_back(std::vector<double>(values, values + flat.size(1)));
    }
    const int64_t rows = flat.size(0);
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      asio::ip::tcp::resolver resolver(io);
      stream.expires_after(options_.timeout);
      stream.connect(resolver.resolve(url->host, url->port));
      http::request<http::string_body> request{http::verb::post, url->path, 11};
      request.set(http::field::host, url->host);
      request.set(http::field::content_type, "application/json");
      for (const auto& [name, value] : options_.headers) request.set(name, value);
      request.body() = nlohmann::json{{"inputs", inputs}}.dump();
      request.prepare_payload();
      http::write(stream, request);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      http::read(stream, buffer, parser);
      queries_ += rows;
      const auto& response = parser.get();
      if (response.result_int() != 200) {
        return MakeError(response.result_int() == 429 ? ErrorCode::kLimit : ErrorCode::kIo,
                         options_.url + " answered " + std::to_string(response.result_int()) + ": " +
                             response.body().substr(0, 200));
      }
      return ParseAnswer(response.body(), rows);
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kIo, options_.url + ": " + e.what());
    }
  }

  Result<torch::Tensor> ParseAnswer(const std::string& body, int64_t rows) {
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (!json.is_object()) return MakeError(ErrorCode::kParse, options_.url + ": the answer is not a JSON object");
    const int64_t classes = options_.classes;
    torch::Tensor out = torch::zeros({rows, classes}, torch::kFloat64);
    if (json.contains("probabilities")) {
      const auto& probabilities = json["probabilities"];
      if (!probabilities.is_array() || static_cast<int64_t>(probabilities.size()) != rows) {
        return MakeError(ErrorCode::kParse, options_.url + ": expected one probability row per input");
      }
      for (int64_t row = 0; row < rows; ++row) {
        const auto& values = probabilities[static_cast<size_t>(row)];
        if (!values.is_array() || static_cast<int64_t>(values.size()) != classes) {
          return MakeError(ErrorCode::kParse,
                           options_.url + ": a probability row does not have " + std::to_string(classes) + " classes");
        }
        for (int64_t c = 0; c < classes; ++c) {
          const auto& v = values[static_cast<size_t>(c)];
          if (!v.is_number() || !std::isfinite(v.get<double>()))
            return MakeError(ErrorCode::kParse, options_.url + ": a probability is not a finite number");
          out[row][c] = v.get<double>();
        }
      }
      return out;
    }
    if (json.contains("labels")) {
      const auto& labels = json["labels"];
      if (!labels.is_array() || static_cast<int64_t>(labels.size()) != rows)
        return MakeError(ErrorCode::kParse, options_.url + ": expected one label per input");
      for (int64_t row = 0; row < rows; ++row) {
        const auto& label = labels[static_cast<size_t>(row)];
        if (!label.is_number_integer() || label.get<int64_t>() < 0 || label.get<int64_t>() >= classes) {
          return MakeError(ErrorCode::kParse,
                           options_.url + ": a label is not a class number below " + std::to_string(classes));
        }
        out[row][label.get<int64_t>()] = 1.0;
      }
      labels_only_ = true;
      return out;
    }
    return MakeError(ErrorCode::kParse, options_.url + ": the answer has neither \"probabilities\" nor \"labels\"");
  }

  HttpTargetOptions options_;
  Result<Url> url_;
  bool labels_only_ = false;
  std::chrono::steady_clock::time_point next_allowed_{};
};

}  // namespace

std::unique_ptr<Target> MakeHttpTarget(const HttpTargetOptions& options) {
  return std::make_unique<HttpTarget>(options);
}

}  // namespace modelguard::assess
