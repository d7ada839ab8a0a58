// cmd/tss/command.h — how a group of `tss` subcommands plugs into the one binary.
//
// Each cmd_*.cpp file in this folder defines its subcommands and registers them with a static
// `RegisterCommands` object; main.cpp installs every registered group into the CLI11 app. This
// keeps each group in its own file so components can add commands without touching main.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace tss::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation ran and failed
inline constexpr int kExitUsage = 2;    // bad arguments

using Installer = std::function<void(CLI::App& app)>;

struct RegisterCommands {
  explicit RegisterCommands(Installer installer);
};

// Prints "error: <message>" to stderr and ends the command with `code`.
[[noreturn]] void Fail(int code, const std::string& message);

}  // namespace tss::cli
