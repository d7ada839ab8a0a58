// dkls/dkls.h — the DKLs23 threshold-ECDSA protocol library (Doerner–Kondi–Lee–shelat, "Threshold
// ECDSA in Three Rounds", eprint 2023/765), in one include.
//
// Owns: keygen, keyrefresh, quorum change (moving a key to another set of holders, another n and
// t, same public key: quorum_change.h) and three-round signing as pure, message-driven sessions
// (dkg.h, quorum_change.h, sign.h over session.h, with the pieces the keygen-shaped ones share in
// dealing.h), their messages and payload encodings (message.h, wire.h), the key
// share and its stored format (key_share.h), the Shamir/zero-sharing arithmetic (sharing.h), and
// an in-memory runner for simulation, benchmarks and tests (local.h). Depends on crypto/ only
// (scalars, points, hashing, commitments, Schnorr proofs, OT setup and RVOLE multiplication).
// Must not touch: sockets, threads, clocks, files, databases, logging, globals — randomness comes
// from the injected crypto::Rng, time from the caller.
//
// Party indices are 1..n everywhere (they are the Shamir evaluation points); 0 means broadcast.
// The one exception: a quorum change's leaving members, above the new n (quorum_change.h).
#pragma once

#include "dkls/dkg.h"
#include "dkls/key_share.h"
#include "dkls/local.h"
#include "dkls/message.h"
#include "dkls/quorum_change.h"
#include "dkls/session.h"
#include "dkls/sign.h"
