// cmd/tss/main.cpp — entry point of the `tss` command: builds the CLI from the registered
// command groups (see command.h) and maps failures to exit codes.
#include <iostream>
#include <vector>

#include "cmd/tss/command.h"
#include "common/version.h"

namespace tss::cli {

static std::vector<Installer>& Installers() {
  static std::vector<Installer> installers;
  return installers;
}

RegisterCommands::RegisterCommands(Installer installer) {
  Installers().push_back(std::move(installer));
}

void Fail(int code, const std::string& message) {
  std::cerr << "error: " << message << "\n";
  throw CLI::RuntimeError(code);
}

}  // namespace tss::cli

namespace tss::cli {

int Run(int argc, char** argv) {
  CLI::App app{"tss: threshold ECDSA (DKLs23) node and tools"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tss " TSS_VERSION);
  for (auto& install : Installers()) install(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // CLI11 uses exit code 0 for --help, 1+ for parse errors; report bad usage as 2.
    if (e.get_exit_code() != 0 && dynamic_cast<const CLI::RuntimeError*>(&e) == nullptr)
      return kExitUsage;
    return code;
  }
  return 0;
}

}  // namespace tss::cli

int main(int argc, char** argv) {
  // Anything a command did not handle ends here with a message, never as std::terminate.
  try {
    return tss::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "error: unknown exception\n";
  }
  return 1;
}
