// The `gridrl` command-line tool: one binary, many subcommands. Each subcommand lives in its own
// file under cli/ and registers itself with GRIDRL_COMMAND; main.cc dispatches on the first word.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/args.h"

namespace gridrl::cli {

using Args = base::Args;

struct Command {
  std::string name;
  std::string summary;  // one line, shown by `gridrl help`
  std::string usage;    // full help, shown by `gridrl help NAME` and `gridrl NAME --help`
  std::function<absl::Status(const Args&)> run;
};

std::map<std::string, Command>& CommandTable();

struct CommandRegistrar {
  explicit CommandRegistrar(Command command);
};

}  // namespace gridrl::cli

#define GRIDRL_CONCAT_INNER(a, b) a##b
#define GRIDRL_CONCAT(a, b) GRIDRL_CONCAT_INNER(a, b)
// GRIDRL_COMMAND({.name = "pf", .summary = ..., .usage = ..., .run = RunPf});
#define GRIDRL_COMMAND(...)                                                        \
  static ::gridrl::cli::CommandRegistrar GRIDRL_CONCAT(gridrl_command_, __LINE__)( \
      ::gridrl::cli::Command __VA_ARGS__)

namespace gridrl::cli {

// `gridrl pf` and `gridrl n1` serve several case formats (MATPOWER-derived transmission and
// distribution cases, OpenDSS feeders). Each solver registers a backend that claims the
// `--case` values it understands (a built-in name or a path); the first claimant runs.
struct CaseBackend {
  std::string name;  // e.g. "matpower", "opendss"
  std::function<bool(std::string_view case_arg)> claims;
  std::function<absl::Status(const Args&)> run_pf;
  std::function<absl::Status(const Args&)> run_n1;  // may be empty: N-1 not supported
};
std::vector<CaseBackend>& CaseBackends();
struct CaseBackendRegistrar {
  explicit CaseBackendRegistrar(CaseBackend backend);
};
// The "format" tag of a project JSON file ("gridrl-case-1", "gridrl-feeder-1"),
// or "" when the file is missing or carries none: how backends tell their JSON files apart.
std::string JsonFormatTag(const std::string& path);

}  // namespace gridrl::cli

#define GRIDRL_CASE_BACKEND(...)                                                           \
  static ::gridrl::cli::CaseBackendRegistrar GRIDRL_CONCAT(gridrl_case_backend_, __LINE__)( \
      ::gridrl::cli::CaseBackend __VA_ARGS__)

namespace gridrl::cli {

// `gridrl train` and `gridrl eval` dispatch on (--env, --agent) to runners that agents register
// from their own files in cli/. A runner with env_id "" serves every environment (e.g. PPO).
// `train` writes OUT/run.json {"env": ..., "agent": ...} before the runner starts, so
// `gridrl eval --checkpoint OUT` knows what to evaluate without repeating --env/--agent.
struct AgentRunner {
  std::string env_id;  // "" = any environment
  std::string agent;   // e.g. "iapi", "ppo", "orq", "random"
  std::string summary;
  std::function<absl::Status(const Args&)> train;  // empty: nothing to train
  std::function<absl::Status(const Args&)> eval;
};
std::vector<AgentRunner>& AgentRunners();
struct AgentRunnerRegistrar {
  explicit AgentRunnerRegistrar(AgentRunner runner);
};

// A one-line progress bar on stderr ("label [#####     ] 50/100 12.3/s eta 4s"), redrawn at
// most ten times a second; silent when stderr is not a terminal unless forced.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool force = false);
  ~ProgressBar();
  void Update(int64_t done, const std::string& note = "");
  void Finish(const std::string& note = "");

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  double start_s_;
  double last_draw_s_ = -1.0;
};

}  // namespace gridrl::cli

#define GRIDRL_AGENT_RUNNER(...)                                                             \
  static ::gridrl::cli::AgentRunnerRegistrar GRIDRL_CONCAT(gridrl_agent_runner_, __LINE__)( \
      ::gridrl::cli::AgentRunner __VA_ARGS__)
