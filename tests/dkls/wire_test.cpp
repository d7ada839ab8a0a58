// The decoders of dkls/wire.h and dkls/message.h against bad encodings. Each decoder gets a
// valid encoding, which must round-trip, and then a table of mutations of it that the decoder is
// specified to refuse: every truncation, a trailing byte, each point field made off-curve or
// non-canonical, each scalar field made >= n, wrong header fields, lying length prefixes. Every
// one must come back as kInvalidArgument with a message naming what was wrong, and none may
// crash (the ASan+UBSan stage runs this file too).
#include "dkls/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "crypto/ot/ot.h"
#include "crypto/rng.h"
#include "dkls/message.h"

namespace tss::dkls {
namespace {

using crypto::Point;
using crypto::Scalar;

Bytes Hex(std::string_view hex) {
  return FromHex(hex).value();
}

// ---- Field encodings that must be refused, and their valid neighbours.

// The group order n and the field prime p of secp256k1, big-endian.
const Bytes& Order() {
  static const Bytes n = Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  return n;
}
const Bytes& Prime() {
  static const Bytes p = Hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
  return p;
}

// `value` + `delta` as 32 big-endian bytes (no overflow past 2^256 in our uses).
Bytes Plus(const Bytes& value, uint8_t delta) {
  Bytes out = value;
  unsigned carry = delta;
  for (size_t i = out.size(); i-- > 0 && carry != 0;) {
    carry += out[i];
    out[i] = static_cast<uint8_t>(carry);
    carry >>= 8;
  }
  return out;
}

Bytes Cat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Compressed points with prefix 0x02 and the given x.
Bytes EvenPoint(const Bytes& x) {
  return Cat({Bytes{0x02}, x});
}
// x = 1: 1³ + 7 = 8 is a square mod p, so (1, y) is a point.
Bytes XOne() {
  return Plus(Bytes(32, 0), 1);
}

struct BadField {
  std::string name;
  Bytes bytes;        // replaces the field
  std::string error;  // part of the refusal's message
};

std::vector<BadField> BadPoints(ByteSpan valid) {
  auto with_prefix = [&](uint8_t prefix) {
    Bytes b(valid.begin(), valid.end());
    b[0] = prefix;
    return b;
  };
  const std::string prefix_error = "must start with 0x02 or 0x03";
  const std::string curve_error = "not a point on secp256k1";
  return {
      {"prefix 0x04 (uncompressed) on 33 bytes", with_prefix(0x04), prefix_error},
      {"prefix 0x00 (the infinity tag)", with_prefix(0x00), prefix_error},
      {"prefix 0x06 (hybrid)", with_prefix(0x06), prefix_error},
      {"prefix 0xff", with_prefix(0xff), prefix_error},
      {"33 zero bytes", Bytes(33, 0), prefix_error},
      // 0³ + 7 = 7 is not a square mod p, so no point has x = 0.
      {"x = 0, not on the curve", EvenPoint(Bytes(32, 0)), curve_error},
      // The same point as x = 1 if x were reduced mod p: an encoding must be canonical.
      {"x = p + 1, non-canonical", EvenPoint(Plus(Prime(), 1)), curve_error},
      {"x = p", EvenPoint(Prime()), curve_error},
      {"x = 2^256 - 1", EvenPoint(Bytes(32, 0xff)), curve_error},
  };
}

std::vector<BadField> BadScalars() {
  const std::string error = "not below the group order n";
  return {{"n", Order(), error},
          {"n + 1", Plus(Order(), 1), error},
          {"2^256 - 1", Bytes(32, 0xff), error}};
}

Bytes OrderMinusOne() {
  Bytes b = Order();
  b.back() -= 1;  // n ends in 0x41
  return b;
}

TEST(WireFixtures, BadFieldsAreBadForTheReasonNamed) {
  // (1, y) is a point and n − 1 a scalar, so refusing x = p + 1 and n is the range checks at
  // work, not something else.
  EXPECT_TRUE(Point::FromBytes(EvenPoint(XOne())).ok());
  auto n_minus_1 = Scalar::FromBytes(OrderMinusOne());
  ASSERT_TRUE(n_minus_1.ok());
  EXPECT_EQ(n_minus_1->ToBytes(), (-Scalar::One()).ToBytes());
}

// ---- One table per decoder.

// A decoder with its parameters bound; only its status matters here.
using Decoder = std::function<Status(ByteSpan)>;

enum class Kind { kBytes, kPoint, kScalar };
struct Field {
  std::string name;
  Kind kind;
  size_t size;
};

// A payload format: a valid encoding, its decoder and its field layout (which the test checks
// against the encoding's length, so the offsets below are right).
struct Format {
  std::string name;
  Bytes valid;
  Decoder decode;
  std::vector<Field> layout;
  std::string error_prefix;  // every refusal starts with it
};

struct BadCase {
  std::string name;
  Bytes bytes;
  std::string error;
};

// Every refusal the format's decoder is specified to make, built from its valid encoding
// (truncations aside: ExpectTruncationsRefused reads those in place).
std::vector<BadCase> BadCases(const Format& f) {
  std::vector<BadCase> cases;
  Bytes longer = f.valid;
  longer.push_back(0);
  cases.push_back({"one trailing byte", longer, "trailing bytes"});
  cases.push_back({"twice the encoding", Cat({f.valid, f.valid}), "trailing bytes"});

  size_t offset = 0;
  for (const Field& field : f.layout) {
    const ByteSpan current(f.valid.data() + offset, field.size);
    std::vector<BadField> bad;
    if (field.kind == Kind::kPoint) bad = BadPoints(current);
    if (field.kind == Kind::kScalar) bad = BadScalars();
    for (const BadField& b : bad) {
      Bytes mutated = f.valid;
      std::copy(b.bytes.begin(), b.bytes.end(), mutated.begin() + static_cast<ptrdiff_t>(offset));
      cases.push_back({field.name + ": " + b.name, mutated, b.error});
    }
    offset += field.size;
  }
  return cases;
}

void ExpectRefusal(const Status& s, const std::string& error_prefix, const std::string& error) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind(error_prefix, 0), 0u) << s.message();
  EXPECT_NE(s.message().find(error), std::string::npos) << s.message();
}

void ExpectRefused(const Decoder& decode, const std::string& error_prefix,
                   const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectRefusal(decode(c.bytes), error_prefix, c.error);
  }
}

// Every proper prefix of `valid` (the payloads are up to 40 KB, so without copying them).
void ExpectTruncationsRefused(const Decoder& decode, const std::string& error_prefix,
                              ByteSpan valid,
                              const std::function<std::string(size_t)>& error_at_length) {
  for (size_t n = 0; n < valid.size(); ++n) {
    SCOPED_TRACE("truncated to " + std::to_string(n) + " bytes");
    ExpectRefusal(decode(valid.first(n)), error_prefix, error_at_length(n));
  }
}

// ---- Valid values of every payload.

constexpr size_t kT = 3;  // keygen threshold of the fixtures: t coefficients (t − 1 in refresh)

crypto::DeterministicRng& Rng() {
  static crypto::DeterministicRng rng(20240765);
  return rng;
}
Bytes RandomBytes(size_t n) {
  Bytes b(n);
  Rng().Fill(b);
  return b;
}
template <size_t N>
std::array<uint8_t, N> RandomArray() {
  std::array<uint8_t, N> a;
  Rng().Fill(a);
  return a;
}
Scalar RandomScalar() {
  return Scalar::RandomNonZero(Rng());
}
Point RandomPoint() {
  return Point::BaseMul(RandomScalar());
}

// (Braced lists evaluate left to right, so each fixture is the same on every run.)
wire::DkgRound1 ValidDkgRound1() {
  return {RandomArray<32>(), {RandomArray<32>()}, RandomBytes(crypto::ot::SetupMessage1Size())};
}

wire::DkgRound2 ValidDkgRound2(bool keygen) {
  wire::DkgRound2 m;
  for (size_t i = 0; i < (keygen ? kT : kT - 1); ++i) m.coefficients.push_back(RandomPoint());
  if (keygen) m.proof = crypto::SchnorrProof{RandomPoint(), RandomScalar()};
  if (keygen) m.chain_contribution = RandomArray<32>();
  m.opening.salt = RandomArray<32>();
  m.share = RandomScalar();
  m.seed_contribution.bytes = RandomArray<32>();
  m.ot_m2 = RandomBytes(crypto::ot::SetupMessage2Size());
  return m;
}

wire::DkgRound3 ValidDkgRound3() {
  return {RandomArray<32>(), RandomBytes(crypto::ot::SetupMessage3Size())};
}

wire::SignRound1 ValidSignRound1() {
  return {RandomArray<32>(), {RandomArray<32>()}, RandomBytes(crypto::ot::RvoleMessage1Size())};
}

wire::SignRound2 ValidSignRound2() {
  return {RandomPoint(),        // R_i
          {RandomArray<32>()},  // salt
          RandomPoint(),        // pk_i
          RandomPoint(),        // Γ^u
          RandomPoint(),        // Γ^v
          RandomScalar(),       // ψ
          RandomBytes(crypto::ot::RvoleMessage2Size(crypto::ot::kSignInputs))};
}

wire::SignRound3 ValidSignRound3() {
  return {RandomScalar(), RandomScalar()};
}

// Quorum change: the parts present are those the roles call for (wire.h).
constexpr uint16_t kOldN = 3;
using Roles = wire::QuorumChangeRoles;
constexpr Roles kDealerToHolder{true, true, true}, kLeaverToHolder{true, false, true},
    kDealerToLeaver{true, true, false}, kJoinerToHolder{false, true, true},
    kJoinerToLeaver{false, true, false};

wire::QuorumChangeRound1 ValidQcRound1(const Roles& roles) {
  wire::QuorumChangeRound1 m;
  m.context = RandomArray<32>();
  if (roles.sender_deals) m.commitment = crypto::Commitment{RandomArray<32>()};
  if (roles.pair()) m.ot_m1 = RandomBytes(crypto::ot::SetupMessage1Size());
  return m;
}

wire::QuorumChangeRound2 ValidQcRound2(const Roles& roles) {
  wire::QuorumChangeRound2 m;
  if (roles.sender_deals) {
    wire::QuorumChangeDeal deal;
    for (size_t i = 0; i < kT; ++i) deal.coefficients.push_back(RandomPoint());
    deal.proof = crypto::SchnorrProof{RandomPoint(), RandomScalar()};
    deal.old.key_id = RandomArray<32>();
    deal.old.generation = 7;
    deal.old.n = kOldN;
    deal.old.t = 2;
    deal.old.public_key = RandomPoint();
    for (size_t i = 0; i < kOldN; ++i) deal.old.public_shares.push_back(RandomPoint());
    deal.old.chain_code = RandomArray<32>();
    m.deal = std::move(deal);
    m.opening.salt = RandomArray<32>();
    if (roles.recipient_holds) m.subshare = RandomScalar();
  }
  if (roles.pair()) {
    m.seed_contribution = Seed();
    m.seed_contribution->bytes = RandomArray<32>();
    m.ot_m2 = RandomBytes(crypto::ot::SetupMessage2Size());
  }
  return m;
}

wire::QuorumChangeRound3 ValidQcRound3(const Roles& roles) {
  return {RandomArray<32>(), roles.pair() ? RandomBytes(crypto::ot::SetupMessage3Size()) : Bytes()};
}

// ---- Round trips: every field comes back.

// Every field of each payload, for comparing a decoded copy with the original.
auto Fields(const wire::DkgRound1& m) {
  return std::tie(m.context, m.commitment.value, m.ot_m1);
}
auto Fields(const wire::DkgRound2& m) {
  return std::make_tuple(m.coefficients, m.proof.has_value(), m.proof ? m.proof->Encode() : Bytes{},
                         m.chain_contribution, m.opening.salt, m.share, m.seed_contribution.bytes,
                         m.ot_m2);
}
auto Fields(const wire::DkgRound3& m) {
  return std::tie(m.echo, m.ot_m3);
}
auto Fields(const wire::SignRound1& m) {
  return std::tie(m.fingerprint, m.commitment.value, m.rvole_m1);
}
auto Fields(const wire::SignRound2& m) {
  return std::tie(m.instance_point, m.opening.salt, m.public_share, m.gamma_u, m.gamma_v, m.psi,
                  m.rvole_m2);
}
auto Fields(const wire::SignRound3& m) {
  return std::tie(m.w, m.u);
}
auto Fields(const Message& m) {
  return std::tie(m.protocol, m.session, m.from, m.to, m.round, m.payload);
}

// Decode(Encode(m)) == m, field by field; `params` are the decoder's (DkgRound2 has some).
template <typename T, typename... Params>
void ExpectRoundTrip(const std::string& name, const T& m, Params... params) {
  SCOPED_TRACE(name);
  auto back = T::Decode(m.Encode(), params...);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(Fields(*back) == Fields(m));
}

TEST(WireRoundTrip, EveryPayload) {
  ExpectRoundTrip("DkgRound1", ValidDkgRound1());
  ExpectRoundTrip("DkgRound2 keygen", ValidDkgRound2(true), kT, true);
  ExpectRoundTrip("DkgRound2 keyrefresh", ValidDkgRound2(false), kT - 1, false);
  ExpectRoundTrip("DkgRound3", ValidDkgRound3());
  ExpectRoundTrip("SignRound1", ValidSignRound1());
  ExpectRoundTrip("SignRound2", ValidSignRound2());
  ExpectRoundTrip("SignRound3", ValidSignRound3());
}

// The quorum-change payloads have optional parts: their decoded copy must encode to the same bytes
// and have exactly the parts the roles call for.
TEST(WireRoundTrip, QuorumChangePayloads) {
  for (const Roles& roles :
       {kDealerToHolder, kLeaverToHolder, kDealerToLeaver, kJoinerToHolder, kJoinerToLeaver}) {
    const Bytes r1 = ValidQcRound1(roles).Encode(), r2 = ValidQcRound2(roles).Encode(),
                r3 = ValidQcRound3(roles).Encode();
    auto d1 = wire::QuorumChangeRound1::Decode(r1, roles);
    auto d2 = wire::QuorumChangeRound2::Decode(r2, roles, kT);
    auto d3 = wire::QuorumChangeRound3::Decode(r3, roles);
    ASSERT_TRUE(d1.ok() && d2.ok() && d3.ok());
    EXPECT_EQ(d1->Encode(), r1);
    EXPECT_EQ(d2->Encode(), r2);
    EXPECT_EQ(d3->Encode(), r3);
    EXPECT_EQ(d1->commitment.has_value(), roles.sender_deals);
    EXPECT_EQ(d2->deal.has_value(), roles.sender_deals);
    EXPECT_EQ(d2->subshare.has_value(), roles.sender_deals && roles.recipient_holds);
    EXPECT_EQ(d2->seed_contribution.has_value(), roles.pair());
    EXPECT_EQ(d2->ot_m2.empty(), !roles.pair());
    EXPECT_EQ(d3->ot_m3.empty(), !roles.pair());
  }
}

// ---- Bad encodings of every payload.

template <typename T>
Decoder DecoderOf() {
  return [](ByteSpan b) { return T::Decode(b).status(); };
}
Decoder DkgRound2Decoder(size_t coefficient_count, bool keygen_layout) {
  return [=](ByteSpan b) {
    return wire::DkgRound2::Decode(b, coefficient_count, keygen_layout).status();
  };
}

Field Bytes32(const std::string& name) {
  return {name, Kind::kBytes, 32};
}
Field PointField(const std::string& name) {
  return {name, Kind::kPoint, Point::kCompressedSize};
}
Field ScalarField(const std::string& name) {
  return {name, Kind::kScalar, 32};
}

std::vector<Field> DkgRound2Layout(bool keygen) {
  std::vector<Field> layout;
  const size_t count = keygen ? kT : kT - 1;
  for (size_t i = 0; i < count; ++i) layout.push_back(PointField("C_" + std::to_string(i)));
  if (keygen) {
    layout.push_back(PointField("proof R"));
    layout.push_back(ScalarField("proof z"));
    layout.push_back(Bytes32("chain-code contribution"));
  }
  layout.push_back(Bytes32("salt"));
  layout.push_back(ScalarField("share f_i(j)"));
  layout.push_back(Bytes32("seed contribution"));
  layout.push_back({"OT m2", Kind::kBytes, crypto::ot::SetupMessage2Size()});
  return layout;
}

template <typename T>
Format FormatOf(const std::string& name, const T& valid, std::vector<Field> layout,
                const std::string& error_prefix) {
  return {name, valid.Encode(), DecoderOf<T>(), std::move(layout), error_prefix};
}

Decoder QcDecoder(int round, const Roles& roles) {
  return [=](ByteSpan b) {
    if (round == 1) return wire::QuorumChangeRound1::Decode(b, roles).status();
    if (round == 2) return wire::QuorumChangeRound2::Decode(b, roles, kT).status();
    return wire::QuorumChangeRound3::Decode(b, roles).status();
  };
}

std::vector<Field> QcRound2Layout(const Roles& roles) {
  std::vector<Field> layout;
  if (roles.sender_deals) {
    for (size_t i = 0; i < kT; ++i) layout.push_back(PointField("C_" + std::to_string(i)));
    layout.push_back(PointField("proof R"));
    layout.push_back(ScalarField("proof z"));
    layout.push_back(Bytes32("old key id"));
    layout.push_back({"old generation, n, t", Kind::kBytes, 4 + 2 + 2});
    layout.push_back(PointField("old public key"));
    for (size_t i = 1; i <= kOldN; ++i) layout.push_back(PointField("old X_" + std::to_string(i)));
    layout.push_back({"chain-code state", Kind::kBytes, 1});
    layout.push_back(Bytes32("chain code"));
    layout.push_back(Bytes32("salt"));
    if (roles.recipient_holds) layout.push_back(ScalarField("subshare g_d(j)"));
  }
  if (roles.pair()) {
    layout.push_back(Bytes32("seed contribution"));
    layout.push_back({"OT m2", Kind::kBytes, crypto::ot::SetupMessage2Size()});
  }
  return layout;
}

std::vector<Format> QcFormats() {
  const Field ot_m1{"OT m1", Kind::kBytes, crypto::ot::SetupMessage1Size()};
  const Field ot_m3{"OT m3", Kind::kBytes, crypto::ot::SetupMessage3Size()};
  std::vector<Format> out;
  const std::pair<std::string, Roles> all[] = {{"DealerToHolder", kDealerToHolder},
                                               {"LeaverToHolder", kLeaverToHolder},
                                               {"DealerToLeaver", kDealerToLeaver},
                                               {"JoinerToHolder", kJoinerToHolder},
                                               {"JoinerToLeaver", kJoinerToLeaver}};
  for (const auto& [name, roles] : all) {
    std::vector<Field> r1 = {Bytes32("context")};
    if (roles.sender_deals) r1.push_back(Bytes32("commitment"));
    if (roles.pair()) r1.push_back(ot_m1);
    std::vector<Field> r3 = {Bytes32("echo")};
    if (roles.pair()) r3.push_back(ot_m3);
    out.push_back({"QuorumChangeRound1" + name, ValidQcRound1(roles).Encode(), QcDecoder(1, roles),
                   r1, "quorum-change round 1: "});
    const Bytes r2 = ValidQcRound2(roles).Encode();
    if (!r2.empty())  // joiner to leaver: nothing to send in round 2
      out.push_back({"QuorumChangeRound2" + name, r2, QcDecoder(2, roles), QcRound2Layout(roles),
                     "quorum-change round 2: "});
    out.push_back({"QuorumChangeRound3" + name, ValidQcRound3(roles).Encode(), QcDecoder(3, roles),
                   r3, "quorum-change round 3: "});
  }
  return out;
}

std::vector<Format> Formats() {
  namespace ot = crypto::ot;
  const Field ot_m1{"OT m1", Kind::kBytes, ot::SetupMessage1Size()};
  const Field ot_m3{"OT m3", Kind::kBytes, ot::SetupMessage3Size()};
  const Field rvole_m1{"RVOLE m1", Kind::kBytes, ot::RvoleMessage1Size()};
  const Field rvole_m2{"RVOLE m2", Kind::kBytes, ot::RvoleMessage2Size(ot::kSignInputs)};
  return {
      FormatOf("DkgRound1", ValidDkgRound1(), {Bytes32("context"), Bytes32("commitment"), ot_m1},
               "keygen round 1: "),
      {"DkgRound2Keygen", ValidDkgRound2(true).Encode(), DkgRound2Decoder(kT, true),
       DkgRound2Layout(true), "keygen round 2: "},
      {"DkgRound2Keyrefresh", ValidDkgRound2(false).Encode(), DkgRound2Decoder(kT - 1, false),
       DkgRound2Layout(false), "keygen round 2: "},
      FormatOf("DkgRound3", ValidDkgRound3(), {Bytes32("echo"), ot_m3}, "keygen round 3: "),
      FormatOf("SignRound1", ValidSignRound1(),
               {Bytes32("fingerprint"), Bytes32("commitment"), rvole_m1}, "sign round 1: "),
      FormatOf("SignRound2", ValidSignRound2(),
               {PointField("R_i"), Bytes32("salt"), PointField("pk_i"), PointField("Gamma_u"),
                PointField("Gamma_v"), ScalarField("psi"), rvole_m2},
               "sign round 2: "),
      FormatOf("SignRound3", ValidSignRound3(), {ScalarField("w"), ScalarField("u")},
               "sign round 3: "),
  };
}

void PrintTo(const Format& f, std::ostream* os) {
  *os << f.name;
}

class WireDecoder : public ::testing::TestWithParam<Format> {};

TEST_P(WireDecoder, AcceptsTheValidEncodingAndItsEdgeValues) {
  const Format& f = GetParam();
  size_t total = 0;
  for (const Field& field : f.layout) total += field.size;
  ASSERT_EQ(total, f.valid.size()) << "the layout does not describe the encoding";
  EXPECT_TRUE(f.decode(f.valid).ok()) << f.decode(f.valid).ToString();

  // Every point field at x = 1 and every scalar at 0 and at n − 1 still decodes: the refusals
  // below are for the bad values, not for anything unusual about the fixtures.
  const Bytes point = EvenPoint(XOne());
  for (const Bytes& scalar : {Bytes(32, 0), OrderMinusOne()}) {
    Bytes edge = f.valid;
    size_t offset = 0;
    for (const Field& field : f.layout) {
      const Bytes* value = field.kind == Kind::kPoint    ? &point
                           : field.kind == Kind::kScalar ? &scalar
                                                         : nullptr;
      if (value) std::copy(value->begin(), value->end(), edge.begin() + ptrdiff_t(offset));
      offset += field.size;
    }
    EXPECT_TRUE(f.decode(edge).ok()) << f.decode(edge).ToString();
  }
}

TEST_P(WireDecoder, RefusesEveryBadEncoding) {
  const Format& f = GetParam();
  ExpectTruncationsRefused(f.decode, f.error_prefix, f.valid,
                           [](size_t) { return std::string("truncated at"); });
  ExpectRefused(f.decode, f.error_prefix, BadCases(f));
}

INSTANTIATE_TEST_SUITE_P(Dkls, WireDecoder, ::testing::ValuesIn(Formats()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(QuorumChange, WireDecoder, ::testing::ValuesIn(QcFormats()),
                         [](const auto& info) { return info.param.name; });

// A round-2 message between a joiner and a leaver has no part at all: any byte is refused.
TEST(WireQuorumChange, JoinerToLeaverRound2IsEmpty) {
  EXPECT_TRUE(QcDecoder(2, kJoinerToLeaver)(Bytes()).ok());
  ExpectRefused(QcDecoder(2, kJoinerToLeaver),
                "quorum-change round 2: ", {{"one byte", Bytes(1, 0), "trailing bytes"}});
}

// The old sharing's header and chain code: out-of-range n and t are refused before the public
// shares are read, and the chain-code state is 0 (with zero bytes) or 1.
TEST(WireQuorumChange, RefusesBadOldSharingFields) {
  const Bytes valid = ValidQcRound2(kDealerToLeaver).Encode();
  const size_t header = (kT + 1) * Point::kCompressedSize + 32 + 32 + 4;  // at old n
  const size_t chain = header + 4 + (kOldN + 1) * Point::kCompressedSize;
  const auto with = [&](size_t at, std::initializer_list<uint8_t> bytes) {
    Bytes b = valid;
    std::copy(bytes.begin(), bytes.end(), b.begin() + ptrdiff_t(at));
    return b;
  };
  Bytes absent = with(chain, {0});
  std::fill(absent.begin() + ptrdiff_t(chain + 1), absent.begin() + ptrdiff_t(chain + 33), 0);
  EXPECT_TRUE(QcDecoder(2, kDealerToLeaver)(absent).ok());
  ExpectRefused(QcDecoder(2, kDealerToLeaver), "quorum-change round 2: ",
                {
                    {"old n 1", with(header, {0, 1, 0, 1}), "needs 2 <= t <= n <= 255"},
                    {"old n 256", with(header, {1, 0, 0, 2}), "needs 2 <= t <= n <= 255"},
                    {"old t 1", with(header, {0, 3, 0, 1}), "needs 2 <= t <= n <= 255"},
                    {"old t above n", with(header, {0, 3, 0, 4}), "needs 2 <= t <= n <= 255"},
                    {"old n 4 (a share short)", with(header, {0, 4}), ""},
                    {"old n 2 (a share over)", with(header, {0, 2}), ""},
                    {"chain-code state 2", with(chain, {2}), "unknown chain-code state 2"},
                    {"absent chain code, nonzero bytes", with(chain, {0}),
                     "an absent chain code with nonzero bytes"},
                });
}

// Bytes made for one pair of roles never decode under another.
TEST(WireQuorumChange, RefusesRolesThatDoNotMatchTheEncoding) {
  const Roles all[] = {kDealerToHolder, kLeaverToHolder, kDealerToLeaver, kJoinerToHolder,
                       kJoinerToLeaver};
  for (const Roles& made : all) {
    for (const Roles& read : all) {
      const bool same_r1 = made.sender_deals == read.sender_deals && made.pair() == read.pair();
      const bool same_r2 =
          same_r1 && (!made.sender_deals || made.recipient_holds == read.recipient_holds);
      const bool same_r3 = made.pair() == read.pair();
      EXPECT_EQ(QcDecoder(1, read)(ValidQcRound1(made).Encode()).ok(), same_r1);
      EXPECT_EQ(QcDecoder(2, read)(ValidQcRound2(made).Encode()).ok(), same_r2);
      EXPECT_EQ(QcDecoder(3, read)(ValidQcRound3(made).Encode()).ok(), same_r3);
    }
  }
}

// DkgRound2's layout depends on its parameters: bytes made for one (count, proof) must not
// decode under another. Where the misread lands on random bytes the refusal's reason depends on
// them, so those cases only require a refusal.
TEST(WireDkgRound2, RefusesParametersThatDoNotMatchTheEncoding) {
  const Bytes keygen = ValidDkgRound2(true).Encode();
  const Bytes refresh = ValidDkgRound2(false).Encode();
  struct Case {
    std::string name;
    const Bytes& bytes;
    size_t coefficient_count;
    bool keygen_layout;
    std::string error;
  };
  const Case cases[] = {
      {"keygen bytes read with t - 1 coefficients", keygen, kT - 1, true, "trailing bytes"},
      {"keygen bytes read with no coefficients", keygen, 0, true, "trailing bytes"},
      {"keygen bytes read with t + 1 coefficients", keygen, kT + 1, true, ""},
      {"keygen bytes read without a proof", keygen, kT, false, "trailing bytes"},
      {"refresh bytes read with a proof", refresh, kT - 1, true, ""},
      {"refresh bytes read with t coefficients", refresh, kT, false, ""},
  };
  for (const Case& c : cases) {
    ExpectRefused(DkgRound2Decoder(c.coefficient_count, c.keygen_layout),
                  "keygen round 2: ", {{c.name, c.bytes, c.error}});
  }
}

// ---- dkls::Message (message.h).

Bytes UVarint(uint64_t v) {
  ByteWriter w;
  w.UVarint(v);
  return w.Take();
}

Message ValidMessage() {
  Message m;
  m.protocol = ProtocolKind::kSign;
  m.session = SessionTag(ProtocolKind::kSign, AsBytes("wire test"));
  m.from = 2;
  m.to = 5;
  m.round = 2;
  m.payload = RandomBytes(300);  // a two-byte length, 0xac 0x02
  return m;
}

// Offsets in the encoding: version, protocol, 32-byte session tag, from, to, round, length.
constexpr size_t kProtocolAt = 1, kFromAt = 34, kToAt = 36, kRoundAt = 38, kLengthAt = 39,
                 kPayloadAt = 41;

Status DecodeMessage(ByteSpan bytes) {
  return Message::Decode(bytes).status();
}

TEST(WireMessage, RoundTrips) {
  const Message m = ValidMessage();
  EXPECT_EQ(m.Encode().size(), m.EncodedSize());
  EXPECT_EQ(m.Encode().size(), kPayloadAt + m.payload.size());
  ExpectRoundTrip("Message", m);
}

TEST(WireMessage, AcceptsEdgeValues) {
  struct Case {
    std::string name;
    std::function<void(Message&)> edit;
  };
  const Case cases[] = {
      {"broadcast (to = 0)", [](Message& m) { m.to = kBroadcast; }},
      {"from = kMaxParties", [](Message& m) { m.from = kMaxParties; }},
      {"to = kMaxParties", [](Message& m) { m.to = kMaxParties; }},
      {"round 255", [](Message& m) { m.round = 255; }},
      {"keygen", [](Message& m) { m.protocol = ProtocolKind::kKeygen; }},
      {"keyrefresh", [](Message& m) { m.protocol = ProtocolKind::kKeyrefresh; }},
      {"empty payload", [](Message& m) { m.payload.clear(); }},
      {"payload of kMaxPayload bytes", [](Message& m) { m.payload.assign(kMaxPayload, 0x5a); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Message m = ValidMessage();
    c.edit(m);
    auto back = Message::Decode(m.Encode());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->Encode(), m.Encode());
  }
}

TEST(WireMessage, RefusesEveryBadEncoding) {
  const Bytes valid = ValidMessage().Encode();
  const Bytes header(valid.begin(), valid.begin() + kLengthAt);
  auto with = [&](size_t at, const Bytes& field) {
    Bytes b = valid;
    std::copy(field.begin(), field.end(), b.begin() + ptrdiff_t(at));
    return b;
  };
  // The header, then `length` as given, then `present` payload bytes.
  auto framed = [&](const Bytes& length, size_t present) {
    return Cat({header, length, Bytes(present, 0x5a)});
  };

  ExpectTruncationsRefused(DecodeMessage, "dkls message: ", valid, [](size_t n) {
    return n == 0           ? "empty"
           : n < kLengthAt  ? "truncated header"
           : n < kPayloadAt ? "payload length truncated"
                            : "truncated payload";
  });
  const std::vector<BadCase> cases = {
      {"one trailing byte", Cat({valid, Bytes{0}}), "trailing bytes"},
      {"twice the encoding", Cat({valid, valid}), "trailing bytes"},
      {"version 0", with(0, {0}), "unsupported version 0"},
      {"version 2", with(0, {2}), "unsupported version 2"},
      {"version 255", with(0, {255}), "unsupported version 255"},
      {"version 2 and nothing else (checked before the rest is read)",
       {2},
       "unsupported version 2"},
      {"protocol 0", with(kProtocolAt, {0}), "unknown protocol 0"},
      {"protocol 5", with(kProtocolAt, {5}), "unknown protocol 5"},
      {"protocol 255", with(kProtocolAt, {255}), "unknown protocol 255"},
      {"sender 0", with(kFromAt, {0, 0}), "sender index out of range"},
      {"sender kMaxParties + 1", with(kFromAt, {1, 0}), "sender index out of range"},
      {"sender 65535", with(kFromAt, {0xff, 0xff}), "sender index out of range"},
      {"recipient kMaxParties + 1", with(kToAt, {1, 0}), "recipient index out of range"},
      {"recipient 65535", with(kToAt, {0xff, 0xff}), "recipient index out of range"},
      {"recipient = sender", with(kToAt, {0, 2}), "addressed to its own sender"},
      {"round 0", with(kRoundAt, {0}), "round 0"},
      {"length one more than the payload", framed(UVarint(301), 300),
       "truncated payload (300 of 301 bytes)"},
      {"length kMaxPayload over 300 bytes", framed(UVarint(kMaxPayload), 300),
       "truncated payload (300 of 1048576 bytes)"},
      {"length 300 in three bytes (not minimal)", framed({0xac, 0x82, 0x00}, 300),
       "payload length truncated, not minimal or over 9 bytes"},
      {"length 0 in two bytes (not minimal)", framed({0x80, 0x00}, 0), "payload length"},
      {"length of ten bytes", framed(Cat({Bytes(9, 0xff), Bytes{0x01}}), 0), "payload length"},
      {"length 2^63 - 1", framed(Cat({Bytes(8, 0xff), Bytes{0x7f}}), 300),
       "payload of 9223372036854775807 bytes is over the 1 MiB limit"},
      {"length kMaxPayload + 1, every byte present",
       framed(UVarint(kMaxPayload + 1), kMaxPayload + 1),
       "payload of 1048577 bytes is over the 1 MiB limit"},
  };
  ExpectRefused(DecodeMessage, "dkls message: ", cases);
}

}  // namespace
}  // namespace tss::dkls
