// api/client.h — a node's event store as its HTTP API shows it, for the `tss` commands: what
// they create and read goes through the node's API when the registry entry names one (so an
// operator needs no access to another machine's database file).
//
// Owns: the HTTP client side of api.h (Boost.Beast, in client.cpp only). Must not touch: what
// the commands do with events.
#pragma once

#include <memory>
#include <string>

#include "common/secure.h"
#include "common/status.h"
#include "core/ports.h"

namespace tss::api {

// A core::EventStore whose Create, Get, List, WithStatus, ListKeyStates and ListHeartbeats are
// requests to the node's API at `url` ("http://host:port"), with `token` as the bearer token
// when it is not empty. Create maps 201 and 200 (the same event again) to OK and 409 to
// kAlreadyExists; a 401 is kPermissionDenied; a node that cannot be reached, or a 5xx, is
// kUnavailable. Every other method — a node's own work, never a command's — is
// kPermissionDenied. Each call opens one connection, with a 10 s timeout. Thread-compatible.
Result<std::unique_ptr<core::EventStore>> OpenApiEventStore(const std::string& url,
                                                            SecureBytes token);

}  // namespace tss::api
