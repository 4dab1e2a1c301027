#include "auth/role.hpp"

namespace vsp::auth {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::viewer:
      return "viewer";
    case Role::operator_:
      return "operator";
    case Role::admin:
      return "admin";
    case Role::auditor:
      return "auditor";
  }
  return "?";
}

std::optional<Role> parse_role(std::string_view s) {
  for (Role r : {Role::viewer, Role::operator_, Role::admin, Role::auditor})
    if (role_name(r) == s) return r;
  return std::nullopt;
}

std::string_view access_name(Access a) {
  switch (a) {
    case Access::open:
      return "open";
    case Access::any:
      return "any";
    case Access::view:
      return "view";
    case Access::operate:
      return "operate";
    case Access::audit:
      return "audit";
    case Access::unmask:
      return "unmask";
    case Access::admin:
      return "admin";
  }
  return "?";
}

bool allows(Role role, Access access) {
  switch (access) {
    case Access::open:
    case Access::any:
    case Access::view:
      return true;
    case Access::operate:
      return role == Role::operator_ || role == Role::admin;
    case Access::audit:
    case Access::unmask:
      return role == Role::auditor || role == Role::admin;
    case Access::admin:
      return role == Role::admin;
  }
  return false;
}

}  // namespace vsp::auth
