// The node's metrics in the Prometheus text exposition format 0.0.4 (api.h: RenderMetrics).
// Every counter here is one the node keeps anyway (networking's NetworkStats, the node's own
// NodeStats, the session manager's DropCounters as of the last poll, the coordinator's stats) or
// a count of the node's own database (events, keys); none is kept for the API alone.
#include <map>
#include <sstream>
#include <string>

#include "api/api.h"
#include "common/version.h"
#include "core/ports.h"
#include "node/node.h"

namespace tss::api {

namespace {

// Label values escape backslash, double quote and newline (format 0.0.4).
std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

class Writer {
 public:
  // One metric family: its HELP and TYPE lines.
  void Family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void Sample(std::string_view name, const std::map<std::string, std::string>& labels,
              uint64_t value) {
    Sample(name, labels, std::to_string(value));
  }
  void Sample(std::string_view name, const std::map<std::string, std::string>& labels,
              const std::string& value) {
    out_ << name;
    if (!labels.empty()) {
      out_ << '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        out_ << (first ? "" : ",") << k << "=\"" << Escape(v) << '"';
        first = false;
      }
      out_ << '}';
    }
    out_ << ' ' << value << '\n';
  }
  void One(const char* name, const char* type, const char* help, uint64_t value) {
    Family(name, type, help);
    Sample(name, {}, value);
  }
  std::string Text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// Milliseconds as seconds, exactly ("0.1", "2.5", "3600", "12.345").
std::string Seconds(int64_t ms) {
  std::string s = std::to_string(ms / 1000);
  if (int64_t frac = ms % 1000; frac != 0) {
    std::string digits = std::to_string(frac < 0 ? -frac : frac);
    digits.insert(0, 3 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    s += "." + digits;
  }
  return s;
}

}  // namespace

std::string RenderMetrics(const node::NodeSnapshot& node,
                          const std::vector<core::EventTally>& events,
                          const std::vector<core::KeyState>& keys) {
  Writer w;
  w.Family("tss_build_info", "gauge", "The tss version this node runs (always 1).");
  w.Sample("tss_build_info", {{"version", TSS_VERSION}}, 1);
  w.One("tss_up", "gauge", "1 while the node runs (started and not stopped).",
        node.running ? 1u : 0u);

  w.Family("tss_events", "gauge", "Events in this node's database, by protocol and status.");
  uint64_t in_progress = 0;
  for (const auto& t : events) {
    w.Sample("tss_events",
             {{"protocol", core::ProtocolTypeName(t.protocol)},
              {"status", core::EventStatusName(t.status)}},
             t.count);
    if (t.status == core::EventStatus::kInProgress) in_progress += t.count;
  }
  // Finished events (SUCCESS or FAILED): from creation to the outcome, per protocol.
  struct Durations {
    uint64_t count = 0;
    int64_t sum_ms = 0;
    std::array<uint64_t, core::EventTally::kBucketsMs.size()> at_most{};
  };
  std::map<std::string, Durations> durations;
  for (const auto& t : events) {
    if (t.status != core::EventStatus::kSuccess && t.status != core::EventStatus::kFailed) continue;
    auto& d = durations[core::ProtocolTypeName(t.protocol)];
    d.count += t.count;
    d.sum_ms += t.duration_ms_sum;
    for (size_t i = 0; i < d.at_most.size(); ++i) d.at_most[i] += t.at_most[i];
  }
  w.Family("tss_event_duration_seconds", "histogram",
           "Time from an event's creation to its outcome (SUCCESS or FAILED) at this node.");
  for (const auto& [protocol, d] : durations) {
    for (size_t i = 0; i < d.at_most.size(); ++i)
      w.Sample("tss_event_duration_seconds_bucket",
               {{"protocol", protocol}, {"le", Seconds(core::EventTally::kBucketsMs[i])}},
               d.at_most[i]);
    w.Sample("tss_event_duration_seconds_bucket", {{"protocol", protocol}, {"le", "+Inf"}},
             d.count);
    w.Sample("tss_event_duration_seconds_sum", {{"protocol", protocol}}, Seconds(d.sum_ms));
    w.Sample("tss_event_duration_seconds_count", {{"protocol", protocol}}, d.count);
  }
  w.One("tss_sessions_active", "gauge",
        "Protocol sessions this node is running: its events IN_PROGRESS.", in_progress);

  w.One("tss_messages_received_total", "counter", "Messages delivered by the network.",
        node.network.messages_received);
  w.One("tss_messages_sent_total", "counter", "Messages the peer acknowledged (or to ourselves).",
        node.network.messages_sent);
  w.One("tss_message_send_failures_total", "counter",
        "Sends the network gave up on (no acknowledgement within its deadline).",
        node.network.send_failures);
  w.One("tss_messages_resent_total", "counter", "Messages written again after a lost stream.",
        node.network.messages_resent);
  w.Family("tss_messages_dropped_total", "counter", "Messages dropped unprocessed, by reason.");
  const std::pair<const char*, uint64_t> dropped[] = {
      {"peer_not_allowed", node.network.refused_not_allowed},
      {"oversized", node.network.refused_oversized},
      {"duplicate", node.network.duplicates_dropped},
      {"unknown_peer", node.stats.dropped_unknown_peer},
      {"undecodable", node.stats.dropped_undecodable},
      {"bad_sender", node.drops.bad_sender},
      {"unknown_session", node.drops.unknown_session},
      {"invalid_setup", node.drops.invalid_setup},
      {"buffer_full", node.drops.buffer_full},
      {"reused_run", node.drops.reused_run},
      {"bad_generation", node.drops.bad_generation},
      {"bad_commit", node.drops.bad_commit},
  };
  for (const auto& [reason, count] : dropped)
    w.Sample("tss_messages_dropped_total", {{"reason", reason}}, count);
  w.One("tss_connections_refused_total", "counter",
        "Connections refused over the limits, or dropped in the secure handshake.",
        node.network.connections_refused + node.network.handshake_failures);

  w.One("tss_validators", "gauge", "Validators in this node's registry view, itself included.",
        node.validators);
  w.One("tss_peers_connected", "gauge", "Other validators with an open connection.",
        node.peers_connected);

  w.One("tss_coordinator_attempts_total", "counter", "Setups this node sent as coordinator.",
        node.coordinator.attempts);
  w.One("tss_coordinator_takeovers_total", "counter",
        "Of those, setups sent as a backup coordinator (the primary had not started the event).",
        node.coordinator.as_backup);
  w.One("tss_coordinator_timeouts_total", "counter",
        "Attempts abandoned without every ACK in time.", node.coordinator.timed_out);

  w.Family("tss_blamed_keys", "gauge",
           "Keys on which this node blames the validator (a failed check since the key's last "
           "refresh: the key needs a refresh).");
  std::map<std::string, uint64_t> blamed;
  for (const auto& k : keys)
    for (const auto& culprit : k.culprits) ++blamed[culprit];
  for (const auto& [validator, count] : blamed)
    w.Sample("tss_blamed_keys", {{"validator", validator}}, count);
  uint64_t needs_refresh = 0;
  for (const auto& k : keys) needs_refresh += k.needs_refresh ? 1 : 0;
  w.One("tss_keys", "gauge", "Keys this node holds (active).", keys.size());
  w.One("tss_keys_needing_refresh", "gauge", "Keys with a blamed validator.", needs_refresh);
  return w.Text();
}

}  // namespace tss::api
