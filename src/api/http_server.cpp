// The API's HTTP/1.1 server (api.h): Boost.Beast on one I/O thread. Beast and Asio are included
// here only, so the rest of the build never parses them.
//
// Bounds: the header and body sizes (beast's parser limits: 431 / 413), the target's length
// (414), the number of open connections (one over the limit is answered 503 and closed), and an
// idle timeout per connection. A request that cannot be parsed is answered 400 and the
// connection closed; none of these reach the handler.
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <thread>

#include "api/api.h"
#include "node/node.h"

namespace tss::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Shared {
  Shared(ApiConfig c, node::Node& node)
      : token_required(!c.token.empty()), handler(node, std::move(c.token)), config(std::move(c)) {}
  const bool token_required;
  Handler handler;         // the token moved into it (as its digest)
  const ApiConfig config;  // without the token
  std::atomic<size_t> connections{0};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        buffer_(shared_->config.max_header_bytes + shared_->config.max_body_bytes) {
    ++shared_->connections;
  }
  ~Connection() { --shared_->connections; }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Run() { Read(); }
  // Answers 503 and closes: the connection limit is reached.
  void Refuse() {
    Write(Error(503, "too many connections to the API; try again"), /*keep_alive=*/false, 11);
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->config.max_header_bytes));
    parser_->body_limit(shared_->config.max_body_bytes);
    stream_.expires_after(shared_->config.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
      return Close();
    if (ec == http::error::body_limit)
      return Write(Error(413, "the body is over the API's limit"), false, 11);
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return Write(Error(431, "the request header is over the API's limit"), false, 11);
    if (ec) return Write(Error(400, "not an HTTP/1.1 request: " + ec.message()), false, 11);
    auto& req = parser_->get();
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    if (req.target().size() > shared_->config.max_target_bytes)
      return Write(Error(414, "the request target is over the API's limit"), false, version);
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    Response response;
    try {
      response = shared_->handler.Handle(request);
    } catch (const std::exception& e) {  // a bug of ours: the node keeps serving
      spdlog::error("api: {} {} failed: {}", request.method, request.target, e.what());
      response = Error(500, "internal error");
    }
    if (response.status >= 500 && response.status != 503)
      spdlog::warn("api: {} {} -> {}", request.method, request.target, response.status);
    Write(response, keep_alive, version);
  }

  void Write(const Response& r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "tss");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    if (r.www_authenticate) res->set(http::field::www_authenticate, "Bearer");
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    stream_.expires_after(shared_->config.idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!keep_alive) return self->LingeringClose();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  // After answering a request we did not read whole (over a limit, or not HTTP): the client may
  // still be sending, and closing a socket with unread bytes resets the connection, which can
  // destroy our answer before the client reads it. So we stop sending, read and discard for a
  // short while until the client closes, then close (as web servers' "lingering close" does).
  void LingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    Discard();
  }
  void Discard() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Discard();
                            });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> discard_{};
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};
  std::optional<ApiConfig> config;  // until Start
  std::shared_ptr<Shared> shared;
  std::thread thread;
  bool stopped = false;

  void Accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of file descriptors, say: accepting again at once would spin; wait a little.
        spdlog::warn("api: accept failed: {}", ec.message());
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) Accept();
        });
        return;
      }
      auto connection = std::make_shared<Connection>(std::move(socket), shared);
      if (shared->connections > shared->config.max_connections)
        connection->Refuse();
      else
        connection->Run();
      Accept();
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(ApiConfig config) {
  beast::error_code ec;
  auto address = asio::ip::make_address(config.listen.host, ec);
  if (ec)
    return InvalidArgument("--api-listen: '" + config.listen.host +
                           "' is not an IP address: " + ec.message());
  config.listen.loopback = address.is_loopback();
  if (!config.listen.loopback && config.token.empty())
    return InvalidArgument("--api-listen " + config.listen.host +
                           " is not a loopback address: give --api-token-file as well (anyone "
                           "who reaches the API can create sign events)");
  auto impl = std::make_unique<Impl>();
  tcp::endpoint endpoint(address, config.listen.port);
  auto fail = [&](const char* what) {
    return IoError("--api-listen " + config.listen.host + ":" + std::to_string(config.listen.port) +
                   ": " + what + ": " + ec.message());
  };
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  impl->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  impl->config = std::move(config);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string HttpServer::url() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  if (endpoint.address().is_unspecified()) return "";
  auto host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

void HttpServer::Start(node::Node& node) {
  if (impl_->thread.joinable() || impl_->stopped || !impl_->config) return;
  impl_->shared = std::make_shared<Shared>(std::move(*impl_->config), node);
  impl_->config.reset();
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
  spdlog::info("api: listening on {}:{}{}", impl_->acceptor.local_endpoint().address().to_string(),
               port(), impl_->shared->token_required ? " (bearer token required)" : "");
}

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace tss::api
