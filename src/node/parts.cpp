#include "node/parts.h"

#include "crypto/rng.h"
#include "eventstore/event_store.h"
#include "keyshare/key_store.h"
#include "networking/libp2p/libp2p_network.h"
#include "node/dkls_protocol.h"
#include "node/registry_file.h"

namespace tss::node {

Result<NodeParts> BuildNodeParts(NodeConfig& config, NodeParts parts) {
  if (config.home.empty()) return InvalidArgument("the node needs a home folder");
  std::error_code ec;
  std::filesystem::create_directories(config.home, ec);
  if (ec) return IoError("cannot create " + config.home.string() + ": " + ec.message());
  if (config.db_url.empty()) config.db_url = (config.home / "tss.db").string();

  if (!parts.network) {
    libp2p::Libp2pNetworkOptions options;
    options.listen_addrs = {config.listen_multiaddr};
    TSS_ASSIGN_OR_RETURN(parts.network,
                         libp2p::NewLibp2pNetwork(config.identity_seed.span(), options));
  }
  if (!parts.events) {
    TSS_ASSIGN_OR_RETURN(parts.events, eventstore::OpenEventStore(config.db_url));
  }
  if (!parts.keys) {
    auto files =
        std::make_unique<keyshare::KeyShareStore>(config.home, config.password, config.kdf);
    // A wrong password must stop the node at start, not at its first keyrefresh or sign.
    TSS_ASSIGN_OR_RETURN(auto key_ids, files->List());
    if (!key_ids.empty()) {
      auto opened = files->Load(key_ids.front());
      if (!opened.ok())
        return Status(opened.status().code(),
                      "cannot open the key share " + key_ids.front() +
                          " (wrong password?): " + opened.status().message());
    }
    // parts.events lives as long as the node that owns both.
    parts.keys = std::make_unique<keyshare::KeyRecordStore>(std::move(files), parts.events.get());
  }
  if (!parts.rng) parts.rng = &crypto::SystemRandom();
  if (!parts.protocols) parts.protocols = std::make_unique<DklsProtocolFactory>(*parts.rng);
  if (!parts.registry) parts.registry = std::make_unique<RegistryFile>(config.registry_path);
  if (!parts.blocks) parts.blocks = std::make_unique<core::ClockBlockSource>();
  if (!parts.clock) parts.clock = std::make_unique<core::SteadyClock>();
  return parts;
}

}  // namespace tss::node
