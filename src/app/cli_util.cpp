#include "app/cli_util.hpp"

#include <fmt/format.h>
#include <pthread.h>

namespace vsp::app {

void print_config_errors(const config::ConfigErrors& errors, std::string_view command, std::string_view outcome) {
  for (const auto& e : errors) fmt::print(stderr, "{}\n", e.to_string());
  fmt::print(stderr, "{}: {} error(s) in the config{}{}\n", command, errors.size(), outcome.empty() ? "" : "; ",
             outcome);
}

sigset_t block_stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return s;
}

const char* wait_stop_signal(const sigset_t& stop_signals) {
  int sig = 0;
  sigwait(&stop_signals, &sig);
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace vsp::app
