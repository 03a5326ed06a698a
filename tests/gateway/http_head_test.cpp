// The proxy's HTTP edges on bytes, without a server: how a client request is parsed (the framing
// ambiguities request smuggling needs are refused) and how a head is rebuilt for the next hop (hop-by-hop
// and framing fields never pass; the next hop gets exactly one framing of its own).
#include "src/gateway/http_head.h"  // first: Boost 1.74 needs <utility> before asio

#include <gtest/gtest.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "src/gateway/proxy.h"

namespace modelguard::gateway {
namespace {

struct Parsed {
  beast::error_code error;
  bool done = false;
  http::request<http::string_body> request;
};

// Parses `bytes` as a client connection does: the gateway's parser settings, everything already buffered.
Parsed ParseRequest(const std::string& bytes, uint64_t max_body = 1 << 20) {
  http::request_parser<http::string_body> parser;
  ConfigureRequestParser(parser, max_body);
  beast::flat_buffer buffer;
  const auto space = buffer.prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
  Parsed parsed;
  ParseBuffered(parser, buffer, parsed.error);
  if (!parsed.error && parser.is_header_done()) CheckRequestFraming(parser.get(), parsed.error);
  parsed.done = parser.is_done();
  if (parsed.done && !parsed.error) parsed.request = parser.release();
  return parsed;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HttpHeadSmuggling, ContentLengthWithTransferEncodingIsRefusedInEitherOrder) {
  const auto cl_first = ParseRequest(
      "POST /v1/chat HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(cl_first.error) << "CL then TE";
  EXPECT_FALSE(cl_first.done);
  const auto te_first = ParseRequest(
      "POST /v1/chat HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
      "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(te_first.error) << "TE then CL";
  EXPECT_FALSE(te_first.done);
}

// RFC 9112 §6.3: a request whose Transfer-Encoding does not end in chunked cannot be framed; read as
// bodiless, its body would be the next request. Before, these parsed as one bodiless request.
TEST(HttpHeadSmuggling, TransferEncodingNotEndingInChunkedIsRefused) {
  const std::string smuggled = "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
  for (const std::string coding : {"gzip", "identity", "chunked, gzip", "chunked, chunked", "chunked,", "x"}) {
    const std::string request =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + smuggled;
    const Parsed parsed = ParseRequest(request);
    if (coding == "chunked,") {
      EXPECT_FALSE(parsed.error == http::error::bad_transfer_encoding) << coding;  // an empty list element
      continue;
    }
    EXPECT_EQ(parsed.error, http::error::bad_transfer_encoding) << coding;
  }
  // Split over two fields, the codings still read in order.
  EXPECT_EQ(
      ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n").error,
      http::error::bad_transfer_encoding);
  // HTTP/1.0 has no Transfer-Encoding (RFC 9112 §6.1).
  EXPECT_EQ(ParseRequest("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").error,
            http::error::bad_transfer_encoding);
  // Chunked, in any letter case and with parameters on earlier codings' places, is fine.
  const Parsed ok =
      ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.request.body(), "abc");
}

TEST(HttpHeadSmuggling, DuplicateContentLengthIsRefusedUnlessEqualAndThenForwardedOnce) {
  const auto differing =
      ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde");
  EXPECT_TRUE(differing.error);
  EXPECT_FALSE(differing.done);
  const auto listed = ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 5\r\n\r\nabcde");
  EXPECT_TRUE(listed.error);
  // Equal values are one length (RFC 9112 §6.3 lets a recipient merge them); the upstream gets it once, so
  // no hop after the gateway can pick a different one.
  const auto equal = ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_FALSE(equal.error) << equal.error.message();
  ASSERT_TRUE(equal.done);
  EXPECT_EQ(equal.request.body(), "abc");
  const std::string head = UpstreamRequestHead(equal.request, "up:1");
  EXPECT_EQ(Count(head, "Content-Length:"), 1u) << head;
  EXPECT_NE(head.find("Content-Length: 3\r\n"), std::string::npos) << head;
  // Two Transfer-Encoding: chunked are as ambiguous as two lengths.
  EXPECT_TRUE(ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
                           "chunked\r\n\r\n0\r\n\r\n")
                  .error);
}

TEST(HttpHeadSmuggling, ObsFoldIsUnfoldedNeverForwarded) {
  const auto folded = ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n two\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_FALSE(folded.error) << folded.error.message();
  ASSERT_TRUE(folded.done);
  const std::string head = UpstreamRequestHead(folded.request, "up:1");
  // One line per field on the next hop: no CRLF followed by white space, so no upstream re-folds it.
  EXPECT_EQ(head.find("\r\n "), std::string::npos) << head;
  EXPECT_EQ(head.find("\r\n\t"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Note: one"), std::string::npos) << head;
  EXPECT_EQ(Count(head, "Content-Length:"), 1u) << head;

  // A folded framing field cannot hide from the framing checks: TE split over two lines still conflicts
  // with Content-Length.
  const auto folded_te = ParseRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n");
  EXPECT_TRUE(folded_te.error);
}

TEST(HttpHeadSmuggling, BareLineFeedIsRefused) {
  EXPECT_TRUE(ParseRequest("GET / HTTP/1.1\nHost: a\n\n").error) << "bare LF everywhere";
  EXPECT_TRUE(ParseRequest("GET / HTTP/1.1\r\nHost: a\nX-Smuggle: 1\r\n\r\n").error) << "bare LF inside the fields";
  EXPECT_TRUE(ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nX: 1\n\r\n").error) << "bare LF ending a field";
  // A bare LF where the head should end never ends it: the request stays incomplete (the client then
  // gets 408 at header_timeout), and whatever follows is refused rather than read as a second request.
  const auto waiting = ParseRequest("GET / HTTP/1.1\r\nHost: a\r\n\n");
  EXPECT_FALSE(waiting.done);
  EXPECT_TRUE(ParseRequest("GET / HTTP/1.1\r\nHost: a\r\n\nGET /admin HTTP/1.1\r\n\r\n").error)
      << "bare LF ending the head, a request behind it";
  EXPECT_TRUE(ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n").error)
      << "bare LF after a chunk size";
}

TEST(HttpHeadSmuggling, ChunkedRequestIsForwardedWithOneContentLengthAndNoTransferEncoding) {
  const auto chunked = ParseRequest(
      "POST /v1/chat HTTP/1.1\r\nHost: client\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{\"\r\n3\r\na\":\r\n2\r\n1}\r\n0\r\n\r\n");
  ASSERT_FALSE(chunked.error) << chunked.error.message();
  ASSERT_TRUE(chunked.done);
  EXPECT_EQ(chunked.request.body(), "{\"a\":1}");
  const std::string head = UpstreamRequestHead(chunked.request, "up:1");
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  EXPECT_EQ(Count(head, "Content-Length:"), 1u) << head;
  EXPECT_NE(head.find("Content-Length: 7\r\n"), std::string::npos) << head;
}

TEST(HttpHeadSmuggling, RequestsPipelinedAfterABodyStaySeparate) {
  // The parser stops at the end of the first message: what follows is the next request, never body.
  const std::string two =
      "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
  http::request_parser<http::string_body> parser;
  ConfigureRequestParser(parser, 1 << 20);
  beast::flat_buffer buffer;
  const auto space = buffer.prepare(two.size());
  std::memcpy(space.data(), two.data(), two.size());
  buffer.commit(two.size());
  beast::error_code error;
  ParseBuffered(parser, buffer, error);
  ASSERT_FALSE(error);
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().body(), "{}");
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(HttpHeadSmuggling, BodyLimitAndHeadLimitApply) {
  EXPECT_EQ(ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", 10).error,
            http::error::body_limit);
  const std::string big_field(40 * 1024, 'x');
  EXPECT_EQ(ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + big_field + "\r\n\r\n").error,
            http::error::header_limit);
}

TEST(HttpHeadSmuggling, UpstreamAnswerWithConflictingFramingIsRefused) {
  http::response_parser<http::empty_body> parser;
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
  beast::flat_buffer buffer;
  const auto space = buffer.prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
  beast::error_code error;
  ParseBuffered(parser, buffer, error);
  EXPECT_TRUE(error);
}

TEST(HttpHead, UpstreamRequestDropsHopByHopHostAndExpect) {
  const auto parsed = ParseRequest(
      "POST /v1/x?q=1 HTTP/1.1\r\nHost: client.example\r\nConnection: keep-alive, Upgrade\r\nKeep-Alive: 5\r\n"
      "Proxy-Authorization: Basic eA==\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n"
      "Authorization: Bearer k\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_FALSE(parsed.error) << parsed.error.message();
  const std::string head = UpstreamRequestHead(parsed.request, "10.0.0.1:8000");
  EXPECT_EQ(head,
            "POST /v1/x?q=1 HTTP/1.1\r\nAuthorization: Bearer k\r\nHost: 10.0.0.1:8000\r\nContent-Length: 2\r\n\r\n");
}

// RFC 9110 §7.6.1: the fields a Connection field names belong to that connection; a proxy drops them. Before,
// "Connection: X-Internal-Token" still sent X-Internal-Token upstream.
TEST(HttpHead, FieldsNamedByConnectionAreNotForwarded) {
  const Parsed parsed = ParseRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Internal-Token ,x-trace\r\nX-Internal-Token: t\r\n"
      "X-Trace: 1\r\nX-Kept: k\r\nContent-Length: 2\r\n\r\n{}");
  ASSERT_FALSE(parsed.error);
  const std::string head = UpstreamRequestHead(parsed.request, "up:1");
  EXPECT_EQ(head.find("X-Internal-Token"), std::string::npos) << head;
  EXPECT_EQ(head.find("X-Trace"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Kept: k"), std::string::npos) << head;
  http::response<http::string_body> answer{http::status::ok, 11};
  answer.set(http::field::connection, "X-Upstream-Secret");
  answer.set("X-Upstream-Secret", "s");
  answer.set("X-Visible", "v");
  answer.body() = "{}";
  bool with_body = false;
  const std::string client_head = ClientResponseHead(answer, true, false, with_body);
  EXPECT_EQ(client_head.find("X-Upstream-Secret"), std::string::npos) << client_head;
  EXPECT_NE(client_head.find("X-Visible: v"), std::string::npos) << client_head;
  http::response<http::empty_body> stream_head{http::status::ok, 11};
  stream_head.set(http::field::connection, "x-upstream-secret");
  stream_head.set("X-Upstream-Secret", "s");
  const auto streamed = StreamResponseHead(stream_head, 11, true);
  EXPECT_EQ(streamed.find("X-Upstream-Secret"), streamed.end());
}

TEST(HttpHead, UpstreamRequestFramesBodilessMethods) {
  const auto get = ParseRequest("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(get.done);
  EXPECT_EQ(UpstreamRequestHead(get.request, "u"), "GET / HTTP/1.1\r\nHost: u\r\n\r\n");
  // POST without a body still states its length: an upstream must not wait for one.
  const auto post = ParseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(post.done);
  EXPECT_EQ(UpstreamRequestHead(post.request, "u"), "POST / HTTP/1.1\r\nHost: u\r\nContent-Length: 0\r\n\r\n");
  // HTTP/1.0 clients are proxied as HTTP/1.1.
  const auto old = ParseRequest("GET /x HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(old.done);
  EXPECT_EQ(UpstreamRequestHead(old.request, "u"), "GET /x HTTP/1.1\r\nHost: u\r\n\r\n");
}

TEST(HttpHead, ClientResponseStatesItsOwnFraming) {
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.set(http::field::transfer_encoding, "chunked");
  res.set(http::field::content_length, "999");
  res.set(http::field::keep_alive, "timeout=5");
  res.set(http::field::upgrade, "h2c");
  res.body() = "{}";
  bool with_body = false;
  EXPECT_EQ(ClientResponseHead(res, true, false, with_body),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
  EXPECT_TRUE(with_body);
  EXPECT_EQ(ClientResponseHead(res, false, false, with_body),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
  // HEAD: no body, and the length the message states stays.
  EXPECT_EQ(ClientResponseHead(res, true, true, with_body),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 999\r\n\r\n");
  EXPECT_FALSE(with_body);
  // HTTP/1.0 keeps the connection only when told.
  res.version(10);
  EXPECT_EQ(ClientResponseHead(res, true, false, with_body),
            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HttpHead, BodilessStatusesHaveNoLength) {
  for (const unsigned status : {204u, 304u}) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_length, "10");
    bool with_body = true;
    const std::string head = ClientResponseHead(res, true, false, with_body);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_FALSE(with_body);
  }
}

TEST(HttpHead, StreamHeadIsChunkedForHttp11AndDelimitedByCloseForHttp10) {
  http::response<http::empty_body> upstream{http::status::ok, 11};
  upstream.set(http::field::content_type, "text/event-stream");
  upstream.set(http::field::content_length, "100");
  upstream.set(http::field::connection, "keep-alive");
  upstream.set(http::field::trailer, "X-T");
  const auto h11 = StreamResponseHead(upstream, 11, true);
  EXPECT_TRUE(h11.chunked());
  EXPECT_TRUE(h11.keep_alive());
  EXPECT_EQ(h11.find(http::field::content_length), h11.end());
  EXPECT_EQ(h11.find(http::field::trailer), h11.end());
  EXPECT_EQ(h11[http::field::content_type], "text/event-stream");
  const auto h10 = StreamResponseHead(upstream, 10, true);
  EXPECT_FALSE(h10.chunked());
  EXPECT_FALSE(h10.keep_alive());
  EXPECT_EQ(h10.find(http::field::content_length), h10.end());
  EXPECT_EQ(h10.find(http::field::transfer_encoding), h10.end());
}

TEST(HttpHead, HopByHopNamesExactlyTheConnectionFields) {
  for (const auto field : {http::field::connection, http::field::keep_alive, http::field::proxy_authorization,
                           http::field::proxy_authenticate, http::field::te, http::field::trailer,
                           http::field::transfer_encoding, http::field::upgrade}) {
    EXPECT_TRUE(HopByHop(field)) << http::to_string(field);
  }
  for (const auto field : {http::field::authorization, http::field::content_type, http::field::content_length,
                           http::field::host, http::field::cookie}) {
    EXPECT_FALSE(HopByHop(field)) << http::to_string(field);
  }
}

TEST(HttpHead, ErrorBodyIsOpenAiShapedAndSurvivesInvalidUtf8) {
  EXPECT_EQ(ErrorBody("rate_limit_exceeded", "slow down"),
            R"({"error":{"code":"rate_limit_exceeded","message":"slow down","type":"rate_limit_exceeded"}})");
  EXPECT_EQ(ErrorBody("bad_request", "bad \xff byte"),
            "{\"error\":{\"code\":\"bad_request\",\"message\":\"bad \xEF\xBF\xBD byte\",\"type\":\"bad_request\"}}");
  const auto res = JsonError(429, "rate_limit_exceeded", "slow down", 11);
  EXPECT_EQ(res.result_int(), 429u);
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res[http::field::server], "modelguard");
  EXPECT_EQ(res[http::field::content_length], std::to_string(res.body().size()));
}

// Every spelling of a path routes as the path itself. Before, "/v1/chat/completions/", "//v1/...",
// "/./v1/...", "/x/../v1/..." and "%76" variants missed the exact route and fell to a wider prefix route
// with fewer filters, while the upstream served them as the chat endpoint.
std::string Normal(const std::string& target) {
  std::string out, why;
  EXPECT_TRUE(NormalizeTarget(target, out, why)) << target << ": " << why;
  return out;
}

std::string Refusal(const std::string& target) {
  std::string out, why;
  EXPECT_FALSE(NormalizeTarget(target, out, why)) << target << " -> " << out;
  return why;
}

TEST(NormalizeTarget, EverySpellingOfAPathIsThePath) {
  const std::string chat = "/v1/chat/completions";
  for (const std::string variant :
       {"/v1/chat/completions", "/v1/chat/completions/", "/v1/chat/completions//", "//v1/chat/completions",
        "/v1//chat///completions", "/./v1/chat/completions", "/v1/./chat/completions/.", "/x/../v1/chat/completions",
        "/v1/chat/x/y/../../completions", "/../v1/chat/completions", "/../../v1/chat/../chat/completions",
        "/%76%31/chat/completions", "/v1/%63hat/completions", "/v1/chat/completions/x/.."}) {
    EXPECT_EQ(Normal(variant), chat) << variant;
  }
  // The query is not part of the path: kept as sent, dots and slashes included.
  EXPECT_EQ(Normal("/v1/chat/completions/?a=/../b&c=%2F"), "/v1/chat/completions?a=/../b&c=%2F");
  EXPECT_EQ(Normal("/"), "/");
  EXPECT_EQ(Normal("//"), "/");
  EXPECT_EQ(Normal("/.."), "/");
  EXPECT_EQ(Normal("/?x"), "/?x");
  // Other escapes stay escaped (upper-case hex); dots inside a segment are not dot segments.
  EXPECT_EQ(Normal("/files/a%20b%3a"), "/files/a%20b%3A");
  EXPECT_EQ(Normal("/v1/model.v2/..x/..."), "/v1/model.v2/..x/...");
  // Unchanged targets stay byte for byte what they were.
  EXPECT_EQ(Normal("/v1/embeddings?x=1"), "/v1/embeddings?x=1");
}

TEST(NormalizeTarget, EncodedSeparatorsDotsAndOtherFormsAreRefused) {
  for (const std::string target :
       {"/v1%2Fchat/completions", "/v1%2fchat/completions", "/v1/chat%5Ccompletions", "/v1/chat%5ccompletions",
        "/%2E/v1/chat/completions", "/%2e%2e/v1/chat/completions", "/x/%2E%2E/v1/chat/completions",
        "/v1/chat/completions%2F", "/v1/.%2E/v1/chat/completions"}) {
    EXPECT_NE(Refusal(target).find("encoded"), std::string::npos) << target;
  }
  EXPECT_NE(Refusal("/v1\\chat/completions").find("backslash"), std::string::npos);
  EXPECT_NE(Refusal("/v1/chat/completions%").find("malformed"), std::string::npos);
  EXPECT_NE(Refusal("/v1/chat/completions%2").find("malformed"), std::string::npos);
  EXPECT_NE(Refusal("/v1/%zz/completions").find("malformed"), std::string::npos);
  EXPECT_NE(Refusal("http://upstream/v1/chat/completions").find("absolute path"), std::string::npos);
  EXPECT_NE(Refusal("*").find("absolute path"), std::string::npos);
  EXPECT_NE(Refusal("").find("absolute path"), std::string::npos);
  EXPECT_NE(Refusal("/v1/chat#x").find("fragment"), std::string::npos);
}

// With routes where the exact path is guarded and a prefix route is not, no variant reaches the prefix route.
TEST(NormalizeTarget, NoVariantReachesALessFilteredRoute) {
  std::vector<Route> routes(2);
  routes[0].name = "chat", routes[0].path = "/v1/chat/completions";
  routes[1].name = "rest", routes[1].path = "/*";
  for (const std::string variant :
       {"/v1/chat/completions/", "//v1/chat/completions", "/./v1/chat/completions", "/x/../v1/chat/completions",
        "/v1/chat/completions/.", "/%76%31/chat/completions"}) {
    const Route* route = MatchRoute(routes, Normal(variant));
    ASSERT_NE(route, nullptr) << variant;
    EXPECT_EQ(route->name, "chat") << variant;
  }
}

}  // namespace
}  // namespace modelguard::gateway
