// api/api.h — the node's local HTTP/1.1 + JSON API (issue 14): health, events, keys, metrics.
//
// Owns: decoding requests (target, query, JSON body) into typed values, the bearer-token check,
// the routes (`GET /health`, `GET /metrics` (RenderMetrics), `POST /v1/events`, `GET
// /v1/events/{id}`, `GET /v1/events?status=&limit=`, `GET /v1/keys`, `GET /v1/keys/{id}`) and their
// responses, and the HTTP server that carries them (Boost.Beast, in http_server.cpp only: no Beast
// header is included by this one). Must not touch: protocol logic, the database schema, key shares
// — it reads and writes the node's event store and key mirror (core::EventStore: events, tss_keys)
// through their ports, and reads the node's counters (node::Node::Snapshot).
//
// Threading: the server runs one I/O thread of its own (the node's loop is a task queue, not an
// io_context, and the network's io_context is libp2p's own); every request is answered on that
// thread. What it touches is thread-safe: the event store, and the node's snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/secure.h"
#include "common/status.h"
#include "core/event.h"

namespace tss::node {
class Node;
struct NodeSnapshot;
}  // namespace tss::node
namespace tss::core {
struct EventTally;
}

namespace tss::api {

// Where the API listens: an IPv4 or IPv6 address (IPv6 in brackets) and a port.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
  bool loopback = false;
};
// "127.0.0.1:8080", "[::1]:8080", "localhost:8080" (= 127.0.0.1). Port 0 picks a free one.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// The bearer token from `path`: refused unless the file is ours, mode 0600 (or stricter), and
// holds at least 16 characters (one trailing newline removed).
Result<SecureBytes> LoadToken(const std::filesystem::path& path);

struct ApiConfig {
  ListenAddress listen{"127.0.0.1", 0, true};
  SecureBytes token;  // empty: no token needed (loopback only)
  size_t max_body_bytes = 16'384;
  size_t max_header_bytes = 8'192;
  size_t max_target_bytes = 2'048;
  size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout{30'000};  // a connection silent this long is closed
};

// One request as the handler sees it (the server has already bounded its sizes).
struct Request {
  std::string method;         // "GET", "POST", …
  std::string target;         // path and query, as sent
  std::string authorization;  // the Authorization header, empty when absent
  std::string body;
};
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool www_authenticate = false;  // a 401: the server adds `WWW-Authenticate: Bearer`
};
// A JSON error response {"error": message}.
Response Error(int status, std::string_view message);

// The decoded request target. Paths are matched exactly; ids are percent-decoded.
struct Target {
  std::string path;                          // without the query, percent-decoded
  std::map<std::string, std::string> query;  // a repeated name keeps its last value
};
// kInvalidArgument for a target that is not an origin-form path ("/…"), a bad percent escape,
// a NUL or control character, or more than 32 query parameters.
Result<Target> ParseTarget(std::string_view target);

// An event id the API accepts: 1–128 characters of [A-Za-z0-9._-].
bool ValidEventId(std::string_view id);

// The body of `POST /v1/events`: {"event_id"?, "protocol", "key_id"?, "message_hash"?,
// "chain_path"?, "expiry_blocks"?}. Unknown fields are refused (a misspelt field must not be
// silently dropped); the event is checked by core::CheckEvent. `event_id`, when given, is 1–128
// characters of [A-Za-z0-9._-]; without it a fresh random id is drawn. The event's block is
// `current_block`; its expiry height is current_block + expiry_blocks (default 3600; 0: never).
Result<core::Event> ParseEventRequest(std::string_view body, uint64_t current_block);

// Whether a stored event asks for the same thing as a request for the same id: protocol, key
// id, message hash and chain path (the expiry is relative to when it was sent, so a repeat may
// differ in it).
bool SameRequest(const core::Event& stored, const core::Event& request);

// The node's metrics in the Prometheus text format 0.0.4: what `GET /metrics` serves. `events`
// and `keys` are the node's store's (EventStore::Tally, ListKeyStates); names and units follow
// Prometheus conventions (README, "Monitoring").
std::string RenderMetrics(const node::NodeSnapshot& node,
                          const std::vector<core::EventTally>& events,
                          const std::vector<core::KeyState>& keys);

// Routes requests to the node: its event store (events, key mirror) and its snapshot.
class Handler {
 public:
  // `token` empty: no authorization needed.
  Handler(node::Node& node, SecureBytes token);
  Response Handle(const Request& request);

 private:
  bool Authorized(std::string_view authorization) const;
  Response Health();
  Response Metrics();
  Response CreateEvent(const std::string& body);
  Response GetEvent(const std::string& id);
  Response ListEvents(const std::map<std::string, std::string>& query);
  Response Heartbeats();
  Response ListKeys(const std::optional<std::string>& id);

  node::Node& node_;
  SecureBytes token_digest_;  // SHA-256 of the token; empty when none is needed
};

// The HTTP server (Boost.Beast) on its own I/O thread.
class HttpServer {
 public:
  // Binds and listens; kInvalidArgument when a non-loopback address has no token, kIo when the
  // address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Listen(ApiConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // The bound port (the real one when 0 was asked for).
  uint16_t port() const;
  // "http://host:port" (IPv6 in brackets): what the registry entry names; empty when bound to
  // a wildcard address (0.0.0.0, ::), which names no host to reach it at.
  std::string url() const;
  // Starts answering requests about `node` on the server's thread (once; `node` must outlive
  // Stop).
  void Start(node::Node& node);
  // Closes the listener and every connection, and joins the thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tss::api
