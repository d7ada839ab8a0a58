// networking/libp2p/multibase.h — the text encodings peer ids use: base58btc (the legacy
// `12D3KooW…` form) and lowercase RFC 4648 base32 without padding (CIDv1 `bafz…` form).
//
// Owns: these two alphabets. Inputs longer than kMaxEncodedText are refused: the base58
// conversion is quadratic and nothing libp2p puts in text is that long.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"

namespace tss::libp2p {

inline constexpr size_t kMaxEncodedText = 512;

std::string Base58Encode(ByteSpan data);
Result<Bytes> Base58Decode(std::string_view text);

std::string Base32Encode(ByteSpan data);  // lowercase, no padding
Result<Bytes> Base32Decode(std::string_view text);

}  // namespace tss::libp2p
