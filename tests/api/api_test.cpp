// The node's HTTP API (api/api.h): the decoders on tables of good and bad input, and the server
// of a real node (libp2p on loopback, SQLite) over real sockets: every bad request is a 4xx
// with a JSON message, and the node goes on serving.
#include "api/api.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "api/client.h"
#include "api/json_codec.h"
#include "core/ports.h"
#include "crypto/rng.h"
#include "node/node.h"
#include "node/parts.h"

namespace tss::api {
namespace {

using nlohmann::json;

const std::string kHash(64, 'a');

TEST(ParseTarget, PathsQueriesAndEscapes) {
  auto t = ParseTarget("/v1/events?status=PENDING&limit=5&x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/v1/events");
  EXPECT_EQ(t->query.at("status"), "PENDING");
  EXPECT_EQ(t->query.at("limit"), "5");
  EXPECT_EQ(t->query.at("x"), "");
  EXPECT_EQ(ParseTarget("/v1/events/a%2Db")->path, "/v1/events/a-b");
  std::string many = "/?";
  for (int i = 0; i < 40; ++i) many += "p" + std::to_string(i) + "=1&";
  for (const std::string& bad : std::vector<std::string>{
           "", "v1/events", "http://x/v1", "/%", "/%4", "/%zz", "/a%00b", "/a%0a", "/?a=%", many})
    EXPECT_FALSE(ParseTarget(bad).ok()) << bad;
}

TEST(ParseEventRequest, GoodBodies) {
  auto keygen = ParseEventRequest(R"({"protocol":"KEYGEN"})", 100);
  ASSERT_TRUE(keygen.ok()) << keygen.status().ToString();
  EXPECT_EQ(keygen->protocol, core::ProtocolType::kKeygen);
  EXPECT_EQ(keygen->event_id.size(), 32u);  // a fresh random id
  EXPECT_EQ(keygen->block_number, 100u);
  EXPECT_EQ(keygen->expiry_height, 3700u);
  auto sign =
      ParseEventRequest(R"({"event_id":"e-1","protocol":"SIGN","key_id":"k","message_hash":")" +
                            kHash + R"(","chain_path":"m/0/7","expiry_blocks":0})",
                        5);
  ASSERT_TRUE(sign.ok()) << sign.status().ToString();
  EXPECT_EQ(sign->event_id, "e-1");
  EXPECT_EQ(sign->message_hash.size(), 32u);
  EXPECT_EQ(sign->chain_path, "m/0/7");
  EXPECT_EQ(sign->expiry_height, 0u);
  EXPECT_TRUE(SameRequest(*sign, *sign));
  auto other = *ParseEventRequest(
      R"({"event_id":"e-1","protocol":"SIGN","key_id":"k2","message_hash":")" + kHash + R"("})", 5);
  EXPECT_FALSE(SameRequest(*sign, other));
}

// The secp256k1 habit: a table of bad encodings, each refused with a message.
TEST(ParseEventRequest, BadBodiesAreRefused) {
  const std::string sign = R"("protocol":"SIGN","key_id":"k")";
  for (const std::string& bad : std::vector<std::string>{
           "",
           "{",
           "[]",
           "null",
           "42",
           R"("KEYGEN")",
           "{}",
           R"({"protocol":"KEYGEN","protocol2":1})",  // unknown field
           R"({"protocol":"NOPE"})",
           R"({"protocol":1})",
           R"({"protocol":"keygen "})",
           R"({"protocol":"KEYGEN","event_id":""})",
           R"({"protocol":"KEYGEN","event_id":"a b"})",
           R"({"protocol":"KEYGEN","event_id":"../x"})",
           R"({"protocol":"KEYGEN","event_id":7})",
           R"({"protocol":"KEYGEN","event_id":")" + std::string(129, 'a') + R"("})",
           R"({"protocol":"KEYGEN","expiry_blocks":-1})",
           R"({"protocol":"KEYGEN","expiry_blocks":1.5})",
           R"({"protocol":"KEYGEN","expiry_blocks":"1"})",
           R"({"protocol":"KEYGEN","expiry_blocks":1e300})",
           R"({"protocol":"SIGN","message_hash":")" + kHash + R"("})",  // no key id
           "{" + sign + "}",                                            // no hash
           "{" + sign + R"(,"message_hash":"zz"})",
           "{" + sign + R"(,"message_hash":"abcd"})",
           "{" + sign + R"(,"message_hash":")" + kHash + R"(0"})",
           "{" + sign + R"(,"message_hash":")" + kHash + R"(","chain_path":"m/1'"})",  // hardened
           "{" + sign + R"(,"message_hash":")" + kHash + R"(","chain_path":"x/1"})",
           R"({"protocol":"KEYGEN","chain_path":"m/1"})",  // a path on a keygen
           R"({"protocol":"KEYREFRESH"})",                 // no key id
       }) {
    auto parsed = ParseEventRequest(bad, 1);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_FALSE(parsed.status().message().empty()) << bad;
  }
}

TEST(ParseListenAddress, Forms) {
  auto a = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->port, 8080);
  EXPECT_TRUE(a->loopback);
  EXPECT_EQ(ParseListenAddress("[::1]:0")->host, "::1");
  EXPECT_EQ(ParseListenAddress("localhost:1")->host, "127.0.0.1");
  EXPECT_FALSE(ParseListenAddress("0.0.0.0:1")->loopback);
  for (const char* bad : {"", "127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:65536", "1:2:3", "[::1]",
                          "[::1]80", "127.0.0.1:8x"})
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
}

TEST(LoadToken, ModeAndLength) {
  std::string path = testing::TempDir() + "/token-" + std::to_string(::getpid());
  { std::ofstream(path) << "0123456789abcdef\n"; }
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadToken(path).status().code(), ErrorCode::kPermissionDenied);
  ::chmod(path.c_str(), 0600);
  auto token = LoadToken(path);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->size(), 16u);
  { std::ofstream(path) << "short\n"; }
  EXPECT_FALSE(LoadToken(path).ok());
  EXPECT_FALSE(LoadToken(path + ".missing").ok());
  std::filesystem::remove(path);
}

// One request over a fresh connection: the status line's code and the body ("" when the server
// closed without answering).
struct Reply {
  int status = 0;
  std::string body;
};
int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}
Reply ReadReply(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  Reply r;
  if (in.rfind("HTTP/1.", 0) == 0 && in.size() > 12) r.status = std::stoi(in.substr(9, 3));
  auto blank = in.find("\r\n\r\n");
  if (blank != std::string::npos) r.body = in.substr(blank + 4);
  return r;
}
Reply Raw(uint16_t port, const std::string& bytes) {
  int fd = Connect(port);
  if (fd < 0) return {};
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  Reply r = ReadReply(fd);
  ::close(fd);
  return r;
}
std::string Http(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& token = "") {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST")
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return req + "\r\n" + body;
}

class ApiServerTest : public testing::Test {
 protected:
  const std::string token_ = "test-token-0123456789";

  void SetUp() override {
    home_ = std::filesystem::path(testing::TempDir()) /
            ("api-node-" + std::to_string(::getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(home_);
    node::NodeConfig c;
    c.validator_address = "validator-1";
    c.identity_seed = SecureBytes(32);
    crypto::SystemRandom().Fill(c.identity_seed.mutable_span());
    c.home = home_;
    c.registry_path = home_ / "registry.json";
    c.password = SecureBytes(AsBytes("pw"));
    c.kdf = keyshare::KdfParams{1, 8192};
    auto parts = node::BuildNodeParts(c);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    auto n = node::Node::NewNode(std::move(c), std::move(*parts));
    ASSERT_TRUE(n.ok());
    node_ = std::move(*n);
    ASSERT_TRUE(node_->Start().ok());
    ApiConfig config;
    config.token = SecureBytes(AsBytes(token_));
    config.max_connections = 4;
    config.idle_timeout = std::chrono::milliseconds(2000);
    auto server = HttpServer::Listen(std::move(config));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    server_->Start(*node_);
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (node_) node_->Stop();
    std::filesystem::remove_all(home_);
  }
  Reply Call(const std::string& method, const std::string& target, const std::string& body = "") {
    return Raw(port_, Http(method, target, body, token_));
  }
  void ExpectServing() {
    Reply health = Raw(port_, Http("GET", "/health"));
    EXPECT_EQ(health.status, 200) << health.body;
    EXPECT_EQ(json::parse(health.body).at("status"), "ok");
  }

  std::filesystem::path home_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(ApiServerTest, EventsRoundTripAndIdempotence) {
  const std::string body =
      R"({"event_id":"ev-1","protocol":"SIGN","key_id":"k","message_hash":")" + kHash + R"("})";
  Reply created = Call("POST", "/v1/events", body);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body).at("event_id"), "ev-1");
  EXPECT_EQ(Call("POST", "/v1/events", body).status, 200);  // the same body again
  Reply conflict =
      Call("POST", "/v1/events",
           R"({"event_id":"ev-1","protocol":"SIGN","key_id":"other","message_hash":")" + kHash +
               R"("})");
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  Reply got = Call("GET", "/v1/events/ev-1");
  ASSERT_EQ(got.status, 200) << got.body;
  json e = json::parse(got.body);
  EXPECT_EQ(e.at("status"), "PENDING");
  EXPECT_EQ(e.at("protocol"), "SIGN");
  EXPECT_EQ(e.at("message_hash"), kHash);
  EXPECT_EQ(e.at("key_id"), "k");
  Reply list = Call("GET", "/v1/events?status=PENDING&limit=10");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body).at("events").size(), 1u);
  EXPECT_EQ(json::parse(Call("GET", "/v1/events?status=SUCCESS").body).at("events").size(), 0u);
  EXPECT_EQ(Call("GET", "/v1/events/nope").status, 404);
  Reply keys = Call("GET", "/v1/keys");
  EXPECT_EQ(keys.status, 200);
  EXPECT_EQ(json::parse(keys.body).at("keys").size(), 0u);
  EXPECT_EQ(Call("GET", "/v1/keys/none").status, 404);
  // The node itself reads the row the API wrote.
  auto stored = node_->events().Get("ev-1");
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_EQ((*stored)->key_id, "k");
}

TEST_F(ApiServerTest, TokenIsRequiredExceptForHealth) {
  ExpectServing();
  EXPECT_EQ(Raw(port_, Http("GET", "/v1/events")).status, 401);
  EXPECT_EQ(Raw(port_, Http("GET", "/v1/events", "", token_ + "x")).status, 401);
  EXPECT_EQ(Raw(port_, Http("GET", "/v1/events", "", token_.substr(1))).status, 401);
  std::string basic =
      "GET /v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " + token_ +
      "\r\n\r\n";
  EXPECT_EQ(Raw(port_, basic).status, 401);
  EXPECT_EQ(Raw(port_, Http("POST", "/v1/events", R"({"protocol":"KEYGEN"})")).status, 401);
  auto none = node_->events().List(10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());  // nothing was created without the token
  EXPECT_EQ(Call("GET", "/v1/events").status, 200);
}

TEST_F(ApiServerTest, BadRequestsAre4xxAndTheNodeKeepsServing) {
  struct Case {
    const char* what;
    std::string bytes;
    int status;
  };
  const std::string auth = "Authorization: Bearer " + token_ + "\r\n";
  std::vector<Case> cases = {
      {"not HTTP", "hello\r\n\r\n", 400},
      {"binary junk", std::string("\x00\x01\x02\xff\r\n\r\n", 8), 400},
      {"a header over the limit",
       "GET /health HTTP/1.1\r\nHost: x\r\nX: " + std::string(10'000, 'a') + "\r\n\r\n", 431},
      {"a body over the limit",
       "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 100000\r\n\r\n" +
           std::string(100'000, '{'),
       413},
      {"a target over the limit", Http("GET", "/v1/events/" + std::string(3000, 'a'), "", token_),
       414},
      {"bad JSON", Http("POST", "/v1/events", "{\"protocol\":", token_), 400},
      {"a JSON array", Http("POST", "/v1/events", "[1,2]", token_), 400},
      {"an unknown protocol", Http("POST", "/v1/events", R"({"protocol":"MINT"})", token_), 400},
      {"bad hex",
       Http("POST", "/v1/events", R"({"protocol":"SIGN","key_id":"k","message_hash":"xyz"})",
            token_),
       400},
      {"a bad event id", Http("GET", "/v1/events/a%20b", "", token_), 400},
      {"a bad escape", Http("GET", "/v1/events/%zz", "", token_), 400},
      {"a bad limit", Http("GET", "/v1/events?limit=-1", "", token_), 400},
      {"a huge limit", Http("GET", "/v1/events?limit=99999999999999999999999", "", token_), 400},
      {"a bad status", Http("GET", "/v1/events?status=DONE", "", token_), 400},
      {"an unknown parameter", Http("GET", "/v1/events?x=1", "", token_), 400},
      {"an unknown path", Http("GET", "/v2/anything", "", token_), 404},
      {"a wrong method", Http("DELETE", "/v1/events/x", "", token_), 405},
      {"a wrong method on health", Http("POST", "/health", "{}"), 405},
      {"an absolute-form target", Http("GET", "http://x/health"), 400},
  };
  for (const auto& c : cases) {
    Reply r = Raw(port_, c.bytes);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    if (r.status >= 400) {
      json body = json::parse(r.body, nullptr, false);
      EXPECT_TRUE(body.is_object() && body.contains("error")) << c.what << ": " << r.body;
    }
    ExpectServing();
  }
}

TEST_F(ApiServerTest, ConnectionsAreBounded) {
  std::vector<int> open;
  for (int i = 0; i < 4; ++i) open.push_back(Connect(port_));  // the limit, all idle
  // Give the server time to accept them.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Reply refused = Raw(port_, Http("GET", "/health"));
  EXPECT_EQ(refused.status, 503) << refused.body;
  for (int fd : open) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ExpectServing();
  // Idle connections are closed after the idle timeout: the slots come back without the client.
  for (int i = 0; i < 4; ++i) open[i] = Connect(port_);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ExpectServing();
  for (int fd : open) ::close(fd);
}

// /metrics: the store's tally and the node's counters, in the text format (the e2e test parses a
// cluster's with the Prometheus client library's parser).
TEST_F(ApiServerTest, MetricsCountTheStoreAndTheNode) {
  EXPECT_EQ(Raw(port_, Http("GET", "/metrics")).status, 401);
  for (const char* id : {"m1", "m2", "m3"})
    ASSERT_EQ(
        Call("POST", "/v1/events",
             std::string(R"({"protocol":"KEYREFRESH","key_id":"k","event_id":")") + id + "\"}")
            .status,
        201);
  core::EventStore& store = node_->events();
  ASSERT_TRUE(*store.Move("m1", core::EventStatus::kPending, core::EventStatus::kInProgress));
  ASSERT_TRUE(*store.Move("m1", core::EventStatus::kInProgress, core::EventStatus::kSuccess,
                          core::EventChange::WithResult("{}")));
  ASSERT_TRUE(*store.Move("m2", core::EventStatus::kPending, core::EventStatus::kInProgress));
  auto tally = store.Tally();
  ASSERT_TRUE(tally.ok());
  std::map<std::string, uint64_t> counts;
  for (const auto& t : *tally) {
    counts[core::EventStatusName(t.status)] += t.count;
    EXPECT_EQ(t.protocol, core::ProtocolType::kKeyrefresh);
    if (t.status == core::EventStatus::kSuccess) {
      EXPECT_EQ(t.at_most.back(), 1u);  // under an hour
    }
  }
  EXPECT_EQ(counts,
            (std::map<std::string, uint64_t>{{"IN_PROGRESS", 1}, {"PENDING", 1}, {"SUCCESS", 1}}));
  Reply metrics = Call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* line : {
           "# TYPE tss_events gauge\n",
           "tss_events{protocol=\"KEYREFRESH\",status=\"PENDING\"} 1\n",
           "tss_events{protocol=\"KEYREFRESH\",status=\"SUCCESS\"} 1\n",
           "tss_sessions_active 1\n",
           "tss_event_duration_seconds_bucket{le=\"+Inf\",protocol=\"KEYREFRESH\"} 1\n",
           "tss_event_duration_seconds_count{protocol=\"KEYREFRESH\"} 1\n",
           "tss_messages_dropped_total{reason=\"unknown_session\"} 0\n",
           "tss_peers_connected 0\n",
           "tss_validators 1\n",
           "tss_up 1\n",
           "# TYPE tss_coordinator_takeovers_total counter\n",
       })
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
}

TEST(RenderMetrics, EscapesLabelsAndKeepsIntegersExact) {
  node::NodeSnapshot s;
  s.network.messages_received = 123'456'789'012;
  core::KeyState key;
  key.key_id = "k";
  key.culprits = {"bad\"one\\\n"};
  key.needs_refresh = true;
  std::string text = RenderMetrics(s, {}, {key});
  EXPECT_NE(text.find("tss_messages_received_total 123456789012\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tss_blamed_keys{validator=\"bad\\\"one\\\\\\n\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tss_keys_needing_refresh 1\n"), std::string::npos);
}

// The commands' view of a node through its API (api/client.h) against the real server.
TEST_F(ApiServerTest, ClientReadsAndCreatesThroughTheApi) {
  auto store = OpenApiEventStore(server_->url(), SecureBytes(AsBytes(token_)));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  core::Event e = *ParseEventRequest(
      R"({"event_id":"c-1","protocol":"SIGN","key_id":"k","chain_path":"m/1/2","message_hash":")" +
          kHash + R"("})",
      node_->blocks().CurrentBlock());
  ASSERT_TRUE((*store)->Create(e).ok());
  EXPECT_TRUE((*store)->Create(e).ok());  // the same event again
  core::Event other = e;
  other.key_id = "k2";
  EXPECT_EQ((*store)->Create(other).code(), ErrorCode::kAlreadyExists);
  auto got = (*store)->Get("c-1");
  ASSERT_TRUE(got.ok() && *got) << got.status().ToString();
  EXPECT_EQ((*got)->message_hash, e.message_hash);
  EXPECT_EQ((*got)->chain_path, "m/1/2");
  EXPECT_EQ((*got)->status, core::EventStatus::kPending);
  EXPECT_EQ((*got)->expiry_height, e.expiry_height);
  EXPECT_FALSE((*store)->Get("c-2")->has_value());
  EXPECT_EQ((*store)->List(10)->size(), 1u);
  EXPECT_EQ((*store)->WithStatus(core::EventStatus::kSuccess, 10)->size(), 0u);
  EXPECT_TRUE((*store)->ListKeyStates()->empty());
  auto beats = (*store)->ListHeartbeats();
  ASSERT_TRUE(beats.ok()) << beats.status().ToString();
  ASSERT_EQ(beats->size(), 1u);
  EXPECT_EQ((*beats)[0].validator, "validator-1");
  EXPECT_EQ((*store)
                ->Move("c-1", core::EventStatus::kPending, core::EventStatus::kFailed)
                .status()
                .code(),
            ErrorCode::kPermissionDenied);  // a node's own work, never a command's
  auto no_token = OpenApiEventStore(server_->url(), SecureBytes());
  EXPECT_EQ((*no_token)->Get("c-1").status().code(), ErrorCode::kPermissionDenied);
  server_->Stop();
  EXPECT_EQ((*store)->Get("c-1").status().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(OpenApiEventStore("https://x:1", SecureBytes()).ok());
}

TEST(JsonCodec, EventsKeysAndHeartbeatsRoundTrip) {
  core::Event e;
  e.event_id = "e";
  e.protocol = core::ProtocolType::kSign;
  e.status = core::EventStatus::kFailed;
  e.block_number = 7;
  e.expiry_height = 9;
  e.key_id = "k";
  e.message_hash = Bytes(32, 0xab);
  e.chain_path = "m/3";
  e.result = R"({"r":"01"})";
  e.error = "culprit validator-2: bad proof";
  e.attempts = 2;
  e.created_at = 100;
  e.updated_at = 200;
  json j = EventJson(e);
  EXPECT_EQ(j.at("culprit"), "validator-2");
  auto back = EventOfJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EventJson(*back), j);
  core::KeyState k;
  k.key_id = "k";
  k.public_key = "02ab";
  k.culprits = {"v2"};
  k.needs_refresh = true;
  k.active = {3, "ff"};
  k.previous = core::KeyGeneration{2, "ee"};
  k.threshold = 2;
  k.holders = {"v1", "v2", "v3"};
  auto key = KeyOfJson(KeyJson(k));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(KeyJson(*key), KeyJson(k));
  core::Heartbeat b{"v1", 5, 4, 1000, true, {{"v2", "connected"}}};
  EXPECT_EQ(*HeartbeatOfJson(HeartbeatJson(b)), b);
  for (const char* bad : {"null", "[]", "{}", R"({"event_id":"e","protocol":"MINT"})"})
    EXPECT_FALSE(EventOfJson(json::parse(bad)).ok()) << bad;
  EXPECT_FALSE(KeyOfJson(json::parse(R"({"key_id":"k","public_key":"02"})")).ok());
}

TEST(ApiServer, NonLoopbackNeedsAToken) {
  std::filesystem::path home =
      std::filesystem::path(testing::TempDir()) / ("api-bind-" + std::to_string(::getpid()));
  node::NodeConfig c;
  c.validator_address = "validator-1";
  c.identity_seed = SecureBytes(32);
  c.home = home;
  c.registry_path = home / "registry.json";
  c.password = SecureBytes(AsBytes("pw"));
  auto parts = node::BuildNodeParts(c);
  ASSERT_TRUE(parts.ok());
  auto n = node::Node::NewNode(std::move(c), std::move(*parts));
  ASSERT_TRUE(n.ok());
  ApiConfig config;
  config.listen = *ParseListenAddress("0.0.0.0:0");
  EXPECT_EQ(HttpServer::Listen(std::move(config)).status().code(), ErrorCode::kInvalidArgument);
  ApiConfig with_token;
  with_token.listen = *ParseListenAddress("0.0.0.0:0");
  with_token.token = SecureBytes(AsBytes("0123456789abcdef"));
  EXPECT_TRUE(HttpServer::Listen(std::move(with_token)).ok());
  ApiConfig not_an_address;
  not_an_address.listen = *ParseListenAddress("example.org:80");
  EXPECT_FALSE(HttpServer::Listen(std::move(not_an_address)).ok());
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace tss::api
