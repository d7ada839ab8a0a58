// The API's requests and responses (api.h); no HTTP here — http_server.cpp carries them.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/json_codec.h"
#include "core/ports.h"
#include "crypto/hash.h"
#include "node/config.h"
#include "node/node.h"

namespace tss::api {

using nlohmann::json;

namespace {

constexpr size_t kDefaultListLimit = 50;
constexpr size_t kMaxListLimit = 1000;
constexpr size_t kMaxKeyId = 128;

Response Json(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

// A store failure is the node's, not the caller's: 503, so that a client retries.
Response StoreError(const Status& st) {
  return Error(503, "the node's database failed: " + st.message());
}

}  // namespace

Response Error(int status, std::string_view message) {
  return Json(status, json{{"error", std::string(message)}});
}

Result<SecureBytes> LoadToken(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return InvalidArgument("cannot read " + path.string());
  if (st.st_uid != ::geteuid())
    return Status(ErrorCode::kPermissionDenied, path.string() + " is not owned by this user");
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return Status(ErrorCode::kPermissionDenied,
                  path.string() + " may be read by group or others: chmod 600 it");
  TSS_ASSIGN_OR_RETURN(auto token, node::ReadSecretFile(path));
  if (token.size() < 16)
    return InvalidArgument("the token in " + path.string() + " is shorter than 16 characters");
  return token;
}

Handler::Handler(node::Node& node, SecureBytes token) : node_(node) {
  if (!token.empty()) {
    auto digest = crypto::Sha256(token.span());
    token_digest_ = SecureBytes(ByteSpan(digest.data(), digest.size()));
  }
}

bool Handler::Authorized(std::string_view authorization) const {
  if (token_digest_.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer)
    return false;
  // Digests of equal length, compared in constant time: neither the token's bytes nor its
  // length show in the time a wrong guess takes.
  auto given = crypto::Sha256(AsBytes(authorization.substr(kBearer.size())));
  return sodium_memcmp(given.data(), token_digest_.data(), given.size()) == 0;
}

Response Handler::Handle(const Request& request) {
  auto target = ParseTarget(request.target);
  if (!target.ok()) return Error(400, target.status().message());
  const std::string& path = target->path;
  const bool get = request.method == "GET";
  if (path == "/health") return get ? Health() : Error(405, "use GET on /health");
  if (!Authorized(request.authorization))
    return [] {
      Response r = Error(401, "a valid 'Authorization: Bearer <token>' header is required");
      r.www_authenticate = true;
      return r;
    }();
  if (path == "/metrics") return get ? Metrics() : Error(405, "use GET on /metrics");
  if (path == "/v1/events") {
    if (request.method == "POST") return CreateEvent(request.body);
    return get ? ListEvents(target->query) : Error(405, "use GET or POST on /v1/events");
  }
  constexpr std::string_view kEvent = "/v1/events/", kKey = "/v1/keys/";
  if (path.rfind(kEvent, 0) == 0) {
    if (!get) return Error(405, "use GET on /v1/events/{id}");
    return GetEvent(path.substr(kEvent.size()));
  }
  if (path == "/v1/heartbeats") return get ? Heartbeats() : Error(405, "use GET on /v1/heartbeats");
  if (path == "/v1/keys") return get ? ListKeys(std::nullopt) : Error(405, "use GET on /v1/keys");
  if (path.rfind(kKey, 0) == 0) {
    if (!get) return Error(405, "use GET on /v1/keys/{id}");
    return ListKeys(path.substr(kKey.size()));
  }
  return Error(404, "no such endpoint: " + path);
}

Response Handler::Health() {
  const node::NodeSnapshot s = node_.Snapshot();
  // A read of the database the node works from: what a node that cannot reach it cannot do.
  auto beats = node_.events().ListHeartbeats();
  const bool database_ok = beats.ok();
  const bool network_ok = s.running;
  json j{{"status", database_ok && network_ok ? "ok" : "unavailable"},
         {"validator_address", node_.validator_address()},
         {"peer_id", node_.peer_id()},
         {"database", database_ok ? "ok" : beats.status().message()},
         {"network", network_ok ? "ok" : "stopped"},
         {"validators", s.validators},
         {"peers_connected", s.peers_connected},
         {"block", node_.blocks().CurrentBlock()}};
  return Json(database_ok && network_ok ? 200 : 503, j);
}

Response Handler::Metrics() {
  auto tally = node_.events().Tally();
  if (!tally.ok()) return StoreError(tally.status());
  auto keys = node_.events().ListKeyStates();
  if (!keys.ok()) return StoreError(keys.status());
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = RenderMetrics(node_.Snapshot(), *tally, *keys);
  return r;
}

Response Handler::CreateEvent(const std::string& body) {
  auto request = ParseEventRequest(body, node_.blocks().CurrentBlock());
  if (!request.ok()) return Error(400, request.status().message());
  Status created = node_.events().Create(*request);
  if (created.ok()) return Json(201, json{{"event_id", request->event_id}});
  if (created.code() != ErrorCode::kAlreadyExists) return StoreError(created);
  auto stored = node_.events().Get(request->event_id);
  if (!stored.ok()) return StoreError(stored.status());
  if (!*stored) return StoreError(InternalError("the event vanished after a conflict"));
  if (!SameRequest(**stored, *request))
    return Error(409, "event " + request->event_id + " exists and asks for something else");
  return Json(200, json{{"event_id", request->event_id}});
}

Response Handler::GetEvent(const std::string& id) {
  if (!ValidEventId(id)) return Error(400, "not an event id: 1 to 128 of A-Z a-z 0-9 . _ -");
  auto event = node_.events().Get(id);
  if (!event.ok()) return StoreError(event.status());
  if (!*event) return Error(404, "no event " + id + " in this node's database");
  return Json(200, EventJson(**event));
}

Response Handler::ListEvents(const std::map<std::string, std::string>& query) {
  size_t limit = kDefaultListLimit;
  std::optional<core::EventStatus> status;
  for (const auto& [name, value] : query) {
    if (name == "limit") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || limit == 0 ||
          limit > kMaxListLimit)
        return Error(400, "limit must be a whole number from 1 to 1000");
    } else if (name == "status") {
      auto parsed = core::ParseEventStatus(value);
      if (!parsed.ok()) return Error(400, "status: " + parsed.status().message());
      status = *parsed;
    } else {
      return Error(400, "unknown query parameter '" + name + "' (status, limit)");
    }
  }
  auto events = status ? node_.events().WithStatus(*status, limit) : node_.events().List(limit);
  if (!events.ok()) return StoreError(events.status());
  json list = json::array();
  for (const auto& e : *events) list.push_back(EventJson(e));
  return Json(200, json{{"events", list}});
}

Response Handler::Heartbeats() {
  auto beats = node_.events().ListHeartbeats();
  if (!beats.ok()) return StoreError(beats.status());
  json list = json::array();
  for (const auto& b : *beats) list.push_back(HeartbeatJson(b));
  return Json(200, json{{"heartbeats", list}});
}

Response Handler::ListKeys(const std::optional<std::string>& id) {
  if (id && (id->empty() || id->size() > kMaxKeyId)) return Error(400, "not a key id");
  auto keys = node_.events().ListKeyStates();
  if (!keys.ok()) return StoreError(keys.status());
  json list = json::array();
  for (const auto& k : *keys) {
    if (!id) {
      list.push_back(KeyJson(k));
    } else if (k.key_id == *id) {
      return Json(200, KeyJson(k));
    }
  }
  if (id) return Error(404, "no key " + *id + " at this node");
  return Json(200, json{{"keys", list}});
}

}  // namespace tss::api
