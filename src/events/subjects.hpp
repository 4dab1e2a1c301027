#pragma once
/// NATS subjects of the node–center bus, in one place for both sides. Characters NATS reserves in
/// a token ('.', '*', '>', whitespace) become '_'; an empty token becomes '_'.
#include <string>

namespace vsp::events {

inline std::string subject_token(const std::string& s) {
  std::string out = s.empty() ? "_" : s;
  for (auto& c : out)
    if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n') c = '_';
  return out;
}

/// `vsp.events.<site>.<node>.<camera>.<type>`: one JetStream message per event.
inline std::string event_subject(const std::string& site, const std::string& node, const std::string& camera,
                                 const std::string& type) {
  return "vsp.events." + subject_token(site) + "." + subject_token(node) + "." + subject_token(camera) + "." +
         subject_token(type);
}

/// `vsp.heartbeat.<site>.<node>`: the node's state every few seconds (core NATS).
inline std::string heartbeat_subject(const std::string& site, const std::string& node) {
  return "vsp.heartbeat." + subject_token(site) + "." + subject_token(node);
}

/// `vsp.evidence.<site>.<node>`: request-reply for clips and snapshots kept on the node.
inline std::string evidence_subject(const std::string& site, const std::string& node) {
  return "vsp.evidence." + subject_token(site) + "." + subject_token(node);
}

/// `vsp.rules.<site>.<node>`: request-reply from the center to read and replace a camera's rules
/// on the node (the node's own `PUT /api/cameras/<name>/rules`, carried over NATS).
inline std::string rules_subject(const std::string& site, const std::string& node) {
  return "vsp.rules." + subject_token(site) + "." + subject_token(node);
}

/// `vsp.signals.<site>.<signal>`: a traffic controller's signal states (core NATS), a JSON body
/// `{"state": "red", "ts": "<RFC 3339>"}`; every node of the site that declares the signal reads it.
inline std::string signal_subject(const std::string& site, const std::string& signal) {
  return "vsp.signals." + subject_token(site) + "." + (signal == "*" ? signal : subject_token(signal));
}

}  // namespace vsp::events
