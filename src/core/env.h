// core/env.h — NodeEnv: the seams one node's coordinator and session manager work through, in
// one bundle (as leveldb's Env), so a constructor takes one argument instead of eight and a
// test swaps any seam by building a different bundle.
//
// Owns: nothing; it refers to parts the node (or a test) owns and keeps alive longer than the
// components that use it. Must not touch: how the parts are built (node/parts.h does that).
#pragma once

#include <functional>
#include <string>

#include "core/ports.h"
#include "core/validator_set.h"

namespace tss::crypto {
class Rng;
}

namespace tss::core {

struct NodeEnv {
  EventStore& events;
  KeyStore& keys;
  Outbox& outbox;
  BlockSource& blocks;
  Clock& clock;
  crypto::Rng& rng;
  ProtocolFactory& protocols;
  ValidatorSet& validators;
  // True on the one thread allowed to call the components' entry points (the node's event
  // loop); checked with TSS_DCHECK. Tests that drive the components by hand leave the default.
  std::function<bool()> in_loop = [] { return true; };
  // This node's liveness view: false when `address` is known to be unreachable now (its
  // connection closed, its last dial failed). True for ourselves and for a validator we have
  // never needed, so nobody is written off before we tried. The node wires it to the network's
  // connection state; tests that drive the components by hand leave every validator live.
  std::function<bool(const std::string& address)> is_live = [](const std::string&) { return true; };
};

}  // namespace tss::core
