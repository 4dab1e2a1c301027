// `vsp user`, `vsp token` and `vsp audit`: accounts, API tokens and the audit log in the node's
// database (<storage.path>/vsp.db) or, with a center config, in the center's PostgreSQL; they work
// before or while the node or center runs. Every change is written to the audit log with the
// address "cli".
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli_util.hpp"
#include "app/commands.hpp"
#include "auth/auth_store.hpp"
#include "center/center_config.hpp"
#include "center/pg_auth_store.hpp"
#include "center/pg_store.hpp"
#include "config/serve_config.hpp"
#include "core/clock.hpp"
#include "events/event.hpp"

namespace vsp::app {

namespace fs = std::filesystem;

namespace {

/// An open account store; for a center, with the database connection it runs on.
struct Store {
  std::unique_ptr<center::PgStore> pg;  ///< declared first: outlives `auth`
  std::unique_ptr<auth::AuthStore> auth;
  auth::AuthStore* operator->() const { return auth.get(); }
  auth::AuthStore& operator*() const { return *auth; }
  explicit operator bool() const { return auth != nullptr; }
};

/// The account store of a node config (<storage.path>/vsp.db) or of a center config (its
/// PostgreSQL, postgres.dsn).
Store open_store(const std::string& config_path) {
  if (auto text = config::read_config_file(config_path);
      std::holds_alternative<std::string>(text) && center::looks_like_center_config(std::get<std::string>(text))) {
    auto parsed = center::load_center_config(config_path);
    if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
      print_config_errors(*errs, "vsp", "");
      return {};
    }
    const auto& cfg = std::get<center::CenterConfig>(parsed);
    auto password = core::read_secret(cfg.postgres_password, "postgres.password");
    if (!password) {
      fmt::print(stderr, "vsp: {}: {}\n", config_path, password.error().message);
      return {};
    }
    auto pg = center::PgStore::open(cfg.postgres_dsn, *password);
    if (!pg) {
      fmt::print(stderr, "vsp: {}: {}\n", config_path, pg.error().message);
      return {};
    }
    Store out{std::move(pg).value(), nullptr};
    auto st = center::PgAuthStore::open(*out.pg);
    if (!st) {
      fmt::print(stderr, "vsp: {}: {}\n", config_path, st.error().message);
      return {};
    }
    out.auth = std::move(st).value();
    return out;
  }
  auto parsed = config::load_serve_config(config_path);
  if (auto* errs = std::get_if<config::ConfigErrors>(&parsed)) {
    print_config_errors(*errs, "vsp", "");
    return {};
  }
  const auto& cfg = std::get<config::ServeConfig>(parsed);
  std::error_code ec;
  fs::create_directories(cfg.storage_path, ec);
  auto st = auth::AuthStore::open((fs::path(cfg.storage_path) / "vsp.db").string());
  if (!st) {
    fmt::print(stderr, "vsp: {}\n", st.error().message);
    return {};
  }
  return Store{nullptr, std::move(st).value()};
}

std::string cli_user() {
  const char* u = std::getenv("USER");
  return fmt::format("cli:{}", u ? u : "?");
}

void log_cli(auth::AuthStore& st, const std::string& action, const std::string& target, const std::string& result) {
  auth::AuditRecord r;
  r.ts_ms = core::wall_clock_ms();
  r.user = cli_user();
  r.role = "-";
  r.address = "cli";
  r.action = action;
  r.target = target;
  r.result = result;
  if (auto a = st.append_audit(r); !a) fmt::print(stderr, "vsp: audit: {}\n", a.error().message);
}

/// From --password-file (first line), else a prompt on the terminal without echo (twice), else a
/// line from stdin.
std::optional<std::string> read_password(const std::optional<std::string>& file) {
  std::string pw;
  if (file) {
    std::ifstream in(*file);
    if (!in || !std::getline(in, pw)) {
      fmt::print(stderr, "vsp: {}: cannot read a password from it\n", *file);
      return std::nullopt;
    }
    return pw;
  }
  if (!isatty(STDIN_FILENO)) {
    if (!std::getline(std::cin, pw)) return std::nullopt;
    return pw;
  }
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  auto ask = [&](const char* prompt) {
    fmt::print(stderr, "{}", prompt);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string s;
    std::getline(std::cin, s);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fmt::print(stderr, "\n");
    return s;
  };
  pw = ask("Password: ");
  if (ask("Repeat: ") != pw) {
    fmt::print(stderr, "vsp: the passwords differ\n");
    return std::nullopt;
  }
  return pw;
}

std::string when(std::int64_t ms) { return ms ? events::format_rfc3339_ms(ms) : "never"; }

}  // namespace

int cmd_user(const UserArgs& a) {
  auto st = open_store(a.config);
  if (!st) return 1;
  const std::int64_t now = core::wall_clock_ms();
  if (a.action == "list") {
    fmt::print("{:<24} {:<9} {:<8} {}\n", "NAME", "ROLE", "STATE", "CREATED");
    for (const auto& u : st->users())
      fmt::print("{:<24} {:<9} {:<8} {}\n", u.name, auth::role_name(u.role), u.disabled ? "disabled" : "enabled",
                 when(u.created_ms));
    return 0;
  }
  core::Status done = core::Ok{};
  if (a.action == "add") {
    const auto role = auth::parse_role(a.role);
    if (!role) {
      fmt::print(stderr, "vsp user add: --role must be viewer, operator, admin or auditor\n");
      return 2;
    }
    auto pw = read_password(a.password_file);
    if (!pw) return 1;
    done = st->add_user(a.name, *role, *pw, now);
  } else if (a.action == "passwd") {
    auto pw = read_password(a.password_file);
    if (!pw) return 1;
    done = st->set_password(a.name, *pw);
  } else if (a.action == "disable" || a.action == "enable") {
    done = st->set_disabled(a.name, a.action == "disable");
  }
  log_cli(*st, "user_" + a.action, a.name + (a.action == "add" ? " role=" + a.role : ""), done ? "ok" : "failed");
  if (!done) {
    fmt::print(stderr, "vsp user {}: {}\n", a.action, done.error().message);
    return 1;
  }
  fmt::print(stderr, "vsp user {}: {} done\n", a.action, a.name);
  return 0;
}

int cmd_token(const TokenArgs& a) {
  auto st = open_store(a.config);
  if (!st) return 1;
  const std::int64_t now = core::wall_clock_ms();
  if (a.action == "list") {
    fmt::print("{:<14} {:<9} {:<24} {:<24} {}\n", "ID", "ROLE", "CREATED", "EXPIRES", "STATE / LABEL");
    for (const auto& t : st->tokens())
      fmt::print("{:<14} {:<9} {:<24} {:<24} {} {}\n", t.id, auth::role_name(t.role), when(t.created_ms),
                 when(t.expires_ms),
                 t.revoked ? "revoked" : (t.expires_ms && t.expires_ms <= now ? "expired" : "active"), t.label);
    return 0;
  }
  if (a.action == "revoke") {
    auto done = st->revoke_token(a.id, now);
    log_cli(*st, "token_revoke", a.id, done ? "ok" : "failed");
    if (!done) {
      fmt::print(stderr, "vsp token revoke: {}\n", done.error().message);
      return 1;
    }
    fmt::print(stderr, "vsp token revoke: {} revoked\n", a.id);
    return 0;
  }
  const auto role = auth::parse_role(a.role);
  if (!role) {
    fmt::print(stderr, "vsp token create: --role must be viewer, operator, admin or auditor\n");
    return 2;
  }
  const std::int64_t expires = a.ttl_days > 0 ? now + static_cast<std::int64_t>(a.ttl_days * 86'400'000.0) : 0;
  auto t = st->create_token(*role, a.label, now, expires);
  if (!t) {
    fmt::print(stderr, "vsp token create: {}\n", t.error().message);
    return 1;
  }
  log_cli(*st, "token_create", fmt::format("{} role={} expires={}", t->id, a.role, when(expires)), "ok");
  fmt::print(stderr, "vsp token create: id {} (role {}, expires {}); the token is shown once:\n", t->id, a.role,
             when(expires));
  fmt::print("{}\n", t->secret);
  return 0;
}

int cmd_audit_verify(const std::string& config_path) {
  auto st = open_store(config_path);
  if (!st) return 1;
  // The head first: records appended meanwhile come after it and are checked as well.
  const auto head = st->audit_head();
  const auto anchor = st->audit_anchor();
  const auto recs = st->audit();
  if (auto bad = auth::verify_audit_chain(recs, anchor, head)) {
    fmt::print("audit log BROKEN at record {}: {}\n", bad->seq, bad->problem);
    return 1;
  }
  const std::string cut =
      anchor.first_seq > 1 ? fmt::format(" (records 1..{} removed by retention)", anchor.first_seq - 1) : "";
  fmt::print("audit log intact: {} record(s){}; head {}\n", recs.size(), cut,
             recs.empty() ? anchor.prev_hash : recs.back().hash);
  return 0;
}

}  // namespace vsp::app
