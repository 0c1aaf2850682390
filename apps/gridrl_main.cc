// Entry point of the `gridrl` tool: `gridrl COMMAND [--options]`, `gridrl help [COMMAND]`.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "envs/builtin.h"

namespace gridrl::cli {
namespace {

void PrintHelp() {
  std::cout << "gridrl: power-grid reinforcement-learning environments\n\n"
               "usage: gridrl COMMAND [options]   (gridrl help COMMAND for details)\n\ncommands:\n";
  for (const auto& [name, cmd] : CommandTable()) {
    std::printf("  %-14s %s\n", name.c_str(), cmd.summary.c_str());
  }
}

int Main(int argc, char** argv) {
  envs::RegisterBuiltins();
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
    if (words.size() >= 2) {
      auto it = CommandTable().find(words[1]);
      if (it == CommandTable().end()) {
        std::cerr << "gridrl: unknown command '" << words[1] << "'\n";
        return 2;
      }
      std::cout << it->second.usage << "\n";
      return 0;
    }
    PrintHelp();
    return words.empty() ? 2 : 0;
  }
  auto it = CommandTable().find(words[0]);
  if (it == CommandTable().end()) {
    std::cerr << "gridrl: unknown command '" << words[0] << "' (try: gridrl help)\n";
    return 2;
  }
  const Command& cmd = it->second;
  std::vector<std::string> rest(words.begin() + 1, words.end());
  for (const auto& w : rest) {
    if (w == "--help" || w == "-h") {
      std::cout << cmd.usage << "\n";
      return 0;
    }
  }
  absl::StatusOr<Args> args = Args::Parse(rest);
  if (!args.ok()) {
    std::cerr << "gridrl " << cmd.name << ": " << args.status().message() << "\n";
    return 2;
  }
  absl::Status status = cmd.run(*args);
  if (status.ok()) status = args->CheckAllUsed();
  if (!status.ok()) {
    std::cerr << "gridrl " << cmd.name << ": " << status.message() << "\n";
    return absl::IsInvalidArgument(status) || absl::IsNotFound(status) ? 2 : 1;
  }
  return 0;
}

}  // namespace
}  // namespace gridrl::cli

int main(int argc, char** argv) { return gridrl::cli::Main(argc, argv); }
