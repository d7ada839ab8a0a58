// `tss version`: prints the version and the library versions it was built against.
#include <secp256k1.h>
#include <sodium.h>

#include <iostream>

#include "cmd/tss/command.h"

namespace {

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the tss version and its library versions");
  cmd->callback([] { std::cout << "tss 0.1.0 (libsodium " << sodium_version_string() << ")\n"; });
});

}  // namespace
