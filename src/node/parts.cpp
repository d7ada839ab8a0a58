#include "node/parts.h"

#include <spdlog/spdlog.h>

#include "crypto/rng.h"
#include "eventstore/event_store.h"
#include "keyshare/keyshare_store.h"
#include "networking/libp2p/libp2p_network.h"
#include "node/adapters.h"
#include "node/dkls_protocol.h"
#include "node/registry_file.h"

namespace tss::node {

namespace {

// The node's PeerNetwork port over the libp2p network. The network resends until the peer
// acknowledges (libp2p_network.h); a send that still fails is only logged, and the
// coordinator's retries and the session expiry recover from it.
class Libp2pPeerNetwork final : public PeerNetwork {
 public:
  explicit Libp2pPeerNetwork(std::unique_ptr<networking::Network> network)
      : network_(std::move(network)) {}
  Status Start() override { return network_->Start(); }
  void Stop() override { network_->Stop(); }
  std::string LocalPeerId() const override { return network_->LocalPeerId(); }
  std::vector<std::string> ListenAddrs() const override { return network_->ListenAddrs(); }
  void AddPeer(const std::string& peer_id, const std::vector<std::string>& multiaddrs) override {
    network_->AddPeer(peer_id, multiaddrs);
  }
  void SetAllowedPeers(const std::set<std::string>& peer_ids) override {
    network_->SetAllowedPeers(peer_ids);
  }
  void Send(const std::string& peer_id, Bytes message, std::function<void(Status)> done) override {
    network_->Send(peer_id, std::move(message), std::move(done));
  }
  void SetHandler(std::function<void(const std::string& peer_id, Bytes message)> handler) override {
    network_->SetHandler(std::move(handler));
  }

 private:
  std::unique_ptr<networking::Network> network_;
};

}  // namespace

Result<NodeParts> BuildNodeParts(NodeConfig& config) {
  if (config.home.empty()) return InvalidArgument("the node needs a home folder");
  std::error_code ec;
  std::filesystem::create_directories(config.home, ec);
  if (ec) return IoError("cannot create " + config.home.string() + ": " + ec.message());
  if (config.db_url.empty()) config.db_url = (config.home / "tss.db").string();

  NodeParts parts;
  libp2p::Libp2pNetworkOptions options;
  options.listen_addrs = {config.listen_multiaddr};
  TSS_ASSIGN_OR_RETURN(auto network,
                       libp2p::NewLibp2pNetwork(config.identity_seed.span(), options));
  parts.network = std::make_unique<Libp2pPeerNetwork>(std::move(network));
  TSS_ASSIGN_OR_RETURN(auto store, eventstore::OpenEventStore(config.db_url));
  eventstore::EventStore* key_states = store.get();  // owned by parts.events
  parts.events = std::make_unique<StoreEventAccess>(std::move(store));
  auto shares = std::make_unique<keyshare::KeyShareStore>(config.home, config.password);
  // A wrong password must stop the node at start, not at its first keyrefresh or sign.
  TSS_ASSIGN_OR_RETURN(auto key_ids, shares->List());
  if (!key_ids.empty()) {
    auto opened = shares->Load(key_ids.front());
    if (!opened.ok())
      return Status(opened.status().code(), "cannot open the key share " + key_ids.front() +
                                                " (wrong password?): " + opened.status().message());
  }
  parts.keys = std::make_unique<KeyShareAccess>(std::move(shares), key_states);
  parts.protocols = std::make_unique<DklsProtocolFactory>(crypto::SystemRandom());
  parts.registry = std::make_unique<RegistryFile>(config.registry_path);
  parts.blocks = std::make_unique<coordinator::ClockBlockSource>();
  parts.clock = std::make_unique<coordinator::SteadyClock>();
  parts.rng = &crypto::SystemRandom();
  return parts;
}

}  // namespace tss::node
