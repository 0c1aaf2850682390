// `gridrl train` and `gridrl eval`: dispatch to the agent runners registered in cli/ (see
// AgentRunner in cli/command.h).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "nlohmann/json.hpp"

namespace gridrl::cli {
namespace {

std::string Available() {
  std::vector<std::string> combos;
  for (const auto& r : AgentRunners()) {
    combos.push_back(absl::StrCat(r.env_id.empty() ? "*" : r.env_id, "/", r.agent));
  }
  return combos.empty() ? "(none registered)" : absl::StrJoin(combos, ", ");
}

absl::StatusOr<const AgentRunner*> Find(const std::string& env_id, const std::string& agent,
                                        bool for_training) {
  const AgentRunner* generic = nullptr;
  for (const auto& r : AgentRunners()) {
    if (r.agent != agent) continue;
    if (for_training ? !r.train : !r.eval) continue;
    if (r.env_id == env_id) return &r;
    if (r.env_id.empty()) generic = &r;
  }
  if (generic != nullptr) return generic;
  return absl::NotFoundError(absl::StrCat("no agent '", agent, "' ",
                                          for_training ? "trains" : "evaluates", " on '", env_id,
                                          "'; available (env/agent): ", Available()));
}

// --env and --agent, or the run.json that `gridrl train` left in --checkpoint.
absl::Status ResolveEnvAgent(const Args& args, std::string& env_id, std::string& agent) {
  env_id = args.GetOr("env", "");
  agent = args.GetOr("agent", "");
  if (auto dir = args.Get("checkpoint"); dir && (env_id.empty() || agent.empty())) {
    std::ifstream in(std::filesystem::path(*dir) / "run.json");
    if (!in) {
      return absl::NotFoundError(absl::StrCat("--checkpoint ", *dir,
                                              ": no run.json (was it written by gridrl train?)"));
    }
    nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
    if (run.is_discarded() || !run.contains("env") || !run.contains("agent")) {
      return absl::InvalidArgumentError(absl::StrCat(*dir, "/run.json is malformed"));
    }
    if (env_id.empty()) env_id = run["env"].get<std::string>();
    if (agent.empty()) agent = run["agent"].get<std::string>();
  }
  if (env_id.empty() || agent.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "give --env ID and --agent NAME (or --checkpoint DIR); available: ", Available()));
  }
  return absl::OkStatus();
}

absl::Status RunTrain(const Args& args) {
  std::string env_id, agent;
  if (auto s = ResolveEnvAgent(args, env_id, agent); !s.ok()) return s;
  auto runner = Find(env_id, agent, true);
  if (!runner.ok()) return runner.status();
  const std::string out = args.GetOr("out", "");
  if (out.empty()) return absl::InvalidArgumentError("--out DIR is required");
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out ", out, ": ", ec.message()));
  std::ofstream(std::filesystem::path(out) / "run.json")
      << nlohmann::json{{"env", env_id}, {"agent", agent}}.dump(2) << "\n";
  return (*runner)->train(args);
}

absl::Status RunEval(const Args& args) {
  std::string env_id, agent;
  if (auto s = ResolveEnvAgent(args, env_id, agent); !s.ok()) return s;
  auto runner = Find(env_id, agent, false);
  if (!runner.ok()) return runner.status();
  return (*runner)->eval(args);
}

GRIDRL_COMMAND({.name = "train",
                .summary = "train an agent on an environment (writes logs and checkpoints)",
                .usage = "gridrl train --env ID --agent NAME --out DIR [agent options]\n"
                         "  Agents and their options: see `gridrl agents`.",
                .run = RunTrain});
GRIDRL_COMMAND({.name = "eval",
                .summary = "evaluate an agent or policy on an environment (CSV output)",
                .usage = "gridrl eval --env ID --agent NAME [options]\n"
                         "gridrl eval --checkpoint DIR [options]   (a directory from gridrl train)",
                .run = RunEval});

absl::Status RunAgents(const Args&) {
  for (const auto& r : AgentRunners()) {
    std::cout << (r.env_id.empty() ? "*" : r.env_id) << "/" << r.agent << ": " << r.summary
              << (r.train ? "" : " (eval only)") << "\n";
  }
  return absl::OkStatus();
}

GRIDRL_COMMAND({.name = "agents",
                .summary = "list the agents train/eval know, per environment",
                .usage = "gridrl agents",
                .run = RunAgents});

}  // namespace
}  // namespace gridrl::cli
