// `tss version`: prints the version and the version of libsodium it runs with.
#include <sodium.h>

#include <iostream>

#include "cmd/tss/command.h"
#include "common/version.h"

namespace {

const tss::cli::RegisterCommands kRegister([](CLI::App& app) {
  auto* cmd = app.add_subcommand("version", "Print the tss version and libsodium's");
  cmd->callback(
      [] { std::cout << "tss " TSS_VERSION " (libsodium " << sodium_version_string() << ")\n"; });
});

}  // namespace
