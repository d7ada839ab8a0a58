// The API's client (api/client.h): synchronous Boost.Beast requests, one connection each.
#include "api/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

#include "api/api.h"
#include "api/json_codec.h"

namespace tss::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr size_t kMaxAnswer = 64 << 20;  // a list of 1000 events with their results fits easily

struct Answer {
  int status = 0;
  std::string text;
  json Body() const { return json::parse(text, nullptr, /*allow_exceptions=*/false); }
};

class ApiEventStore final : public core::EventStore {
 public:
  ApiEventStore(std::string url, std::string host, std::string port, SecureBytes token)
      : url_(std::move(url)),
        host_(std::move(host)),
        port_(std::move(port)),
        token_(std::move(token)) {}

  Status Create(const core::Event& e) override {
    json body{{"event_id", e.event_id}, {"protocol", core::ProtocolTypeName(e.protocol)}};
    if (!e.key_id.empty()) body["key_id"] = e.key_id;
    if (!e.message_hash.empty()) body["message_hash"] = ToHex(e.message_hash);
    if (!e.chain_path.empty()) body["chain_path"] = e.chain_path;
    body["expiry_blocks"] =
        e.expiry_height > e.block_number ? e.expiry_height - e.block_number : uint64_t{0};
    TSS_ASSIGN_OR_RETURN(auto a, Call(http::verb::post, "/v1/events", body.dump()));
    if (a.status == 201 || a.status == 200) return Status::Ok();
    if (a.status == 409) return {ErrorCode::kAlreadyExists, ErrorOf(a)};
    return InvalidArgument(ErrorOf(a));
  }
  Result<std::optional<core::Event>> Get(const std::string& event_id) override {
    if (!ValidEventId(event_id)) return InvalidArgument("not an event id: " + event_id);
    TSS_ASSIGN_OR_RETURN(auto a, Call(http::verb::get, "/v1/events/" + event_id));
    if (a.status == 404) return std::optional<core::Event>();
    if (a.status != 200) return InvalidArgument(ErrorOf(a));
    TSS_ASSIGN_OR_RETURN(auto e, EventOfJson(a.Body()));
    return std::optional<core::Event>(std::move(e));
  }
  Result<std::vector<core::Event>> Pending(uint64_t, size_t) override { return NotHere("Pending"); }
  Result<std::vector<core::Event>> WithStatus(core::EventStatus status, size_t limit) override {
    return Events(std::string("?status=") + core::EventStatusName(status) +
                  "&limit=" + std::to_string(Limit(limit)));
  }
  Result<std::vector<core::Event>> List(size_t limit) override {
    return Events("?limit=" + std::to_string(Limit(limit)));
  }
  Result<std::vector<core::EventTally>> Tally() override { return NotHere("Tally"); }
  Result<bool> Move(const std::string&, core::EventStatus, core::EventStatus,
                    const core::EventChange&) override {
    return NotHere("Move");
  }
  Result<size_t> ResetInProgressToPending() override { return NotHere("ResetInProgressToPending"); }
  Result<size_t> ExpirePending(uint64_t) override { return NotHere("ExpirePending"); }
  Result<bool> RecordRun(const core::SessionId&, const std::string&) override {
    return NotHere("RecordRun");
  }
  Status SaveKeyState(const core::KeyState&) override { return NotHere("SaveKeyState"); }
  Status RemoveKeyState(const std::string&) override { return NotHere("RemoveKeyState"); }
  Result<std::vector<core::KeyState>> ListKeyStates() override {
    return List<core::KeyState>("/v1/keys", "keys", KeyOfJson);
  }
  Status SaveHeartbeat(const core::Heartbeat&) override { return NotHere("SaveHeartbeat"); }
  Result<std::vector<core::Heartbeat>> ListHeartbeats() override {
    return List<core::Heartbeat>("/v1/heartbeats", "heartbeats", HeartbeatOfJson);
  }

 private:
  Status NotHere(const char* what) const {
    return {ErrorCode::kPermissionDenied, std::string(what) + " is the node's own, not its API's"};
  }
  static size_t Limit(size_t limit) { return std::clamp<size_t>(limit, 1, 1000); }
  std::string ErrorOf(const Answer& a) const {
    const json body = a.Body();
    std::string why = body.is_object() && body.contains("error") && body["error"].is_string()
                          ? body["error"].get<std::string>()
                          : "HTTP " + std::to_string(a.status);
    return url_ + ": " + why;
  }
  Result<std::vector<core::Event>> Events(const std::string& query) {
    return List<core::Event>("/v1/events" + query, "events", EventOfJson);
  }
  template <typename T, typename Decode>
  Result<std::vector<T>> List(const std::string& target, const char* field, Decode decode) {
    TSS_ASSIGN_OR_RETURN(auto a, Call(http::verb::get, target));
    if (a.status != 200) return InvalidArgument(ErrorOf(a));
    const json body = a.Body();
    if (!body.is_object() || !body.contains(field) || !body[field].is_array())
      return InvalidArgument(url_ + ": an answer without \"" + field + "\"");
    std::vector<T> out;
    for (const auto& item : body[field]) {
      TSS_ASSIGN_OR_RETURN(auto value, decode(item));
      out.push_back(std::move(value));
    }
    return out;
  }

  // One request; a status the caller must judge, or kUnavailable / kPermissionDenied.
  Result<Answer> Call(http::verb method, const std::string& target, const std::string& body = "") {
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      tcp::resolver resolver(io);
      stream.expires_after(kTimeout);
      stream.connect(resolver.resolve(host_, port_));
      http::request<http::string_body> req(method, target, 11);
      req.set(http::field::host, host_);
      req.set(http::field::user_agent, "tss");
      if (!token_.empty())
        req.set(http::field::authorization,
                "Bearer " + std::string(token_.span().begin(), token_.span().end()));
      if (method == http::verb::post) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
      }
      req.prepare_payload();
      http::write(stream, req);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxAnswer);
      http::read(stream, buffer, parser);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      Answer a;
      a.status = static_cast<int>(parser.get().result_int());
      a.text = std::move(parser.get().body());
      if (a.status == 401)
        return Status(ErrorCode::kPermissionDenied,
                      ErrorOf(a) + " (give the node's API token with --token-file)");
      if (a.status >= 500) return Status(ErrorCode::kUnavailable, ErrorOf(a));
      return a;
    } catch (const std::exception& e) {  // Beast's synchronous calls throw system_error
      return Status(ErrorCode::kUnavailable, url_ + ": " + e.what());
    }
  }

  std::string url_, host_, port_;
  SecureBytes token_;
};

}  // namespace

Result<std::unique_ptr<core::EventStore>> OpenApiEventStore(const std::string& url,
                                                            SecureBytes token) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return InvalidArgument("not an http:// API URL: " + url);
  std::string authority = url.substr(kScheme.size());
  if (auto slash = authority.find('/'); slash != std::string::npos) authority.resize(slash);
  TSS_ASSIGN_OR_RETURN(auto listen, ParseListenAddress(authority));
  return std::unique_ptr<core::EventStore>(std::make_unique<ApiEventStore>(
      url, listen.host, std::to_string(listen.port), std::move(token)));
}

}  // namespace tss::api
