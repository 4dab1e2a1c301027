#pragma once
/// Small pieces every long-running or config-reading subcommand shares (the only module that prints).
#include <csignal>
#include <string_view>

#include "config/analyze_config.hpp"

namespace vsp::app {

/// Prints every config error, compiler style, then `<command>: N error(s) in the config; <outcome>`.
void print_config_errors(const config::ConfigErrors& errors, std::string_view command, std::string_view outcome);

/// Blocks SIGINT/SIGTERM (and ignores SIGPIPE) in this thread; call before any thread starts so
/// every thread inherits the mask and only `wait_stop_signal` takes them.
sigset_t block_stop_signals();
/// Waits for SIGINT or SIGTERM; returns its name.
const char* wait_stop_signal(const sigset_t& stop_signals);

}  // namespace vsp::app
