#pragma once
/// Roles and what each may do. The role matrix lives in one place (`allows`); the API maps every
/// route to one `Access` and asks `allows(role, access)`.
///
///              view  operate  audit  unmask  admin  metrics
///   viewer      x                                    x
///   operator    x      x                             x
///   auditor     x              x      x              x
///   admin       x      x       x      x       x      x
#include <optional>
#include <string>
#include <string_view>

namespace vsp::auth {

enum class Role { viewer, operator_, admin, auditor };

/// What a route needs. `open` needs nothing (only /healthz); `any` needs some valid credential.
enum class Access { open, any, view, operate, audit, unmask, admin };

std::string_view role_name(Role r);
/// "viewer", "operator", "admin" or "auditor".
std::optional<Role> parse_role(std::string_view s);
std::string_view access_name(Access a);
/// The role matrix: whether `role` may reach a route that needs `access`.
bool allows(Role role, Access access);

}  // namespace vsp::auth
