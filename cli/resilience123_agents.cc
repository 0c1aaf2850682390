// `gridrl eval --env resilience123 --agent POLICY --episodes N --calamity TYPE`: the baselines of
// agents/resilience123_baselines.h run in-process on one environment. Episode k is reset with
// seed --seed + k, the same for every policy. Writes OUT/steps.csv (one row per step: action,
// reward and every info) and OUT/episodes.csv (one row per episode: return and the episode_*
// summary), and prints the means. Options: --out DIR (default runs/resilience123/POLICY-TYPE),
// --seed S (0), --action-space dict|multidiscrete, --config key=value (repeatable).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agents/resilience123_baselines.h"
#include "cli/command.h"
#include "env/registry.h"

namespace gridrl::cli {
namespace {

namespace fs = std::filesystem;

absl::Status EvalBaseline(const std::string& agent, const Args& args) {
  absl::StatusOr<long long> episodes = args.GetInt("episodes", 10);
  if (!episodes.ok()) return episodes.status();
  if (*episodes < 1) return absl::InvalidArgumentError("--episodes: expected >= 1");
  absl::StatusOr<long long> seed = args.GetInt("seed", 0);
  if (!seed.ok()) return seed.status();
  const std::string calamity = args.GetOr("calamity", "random");
  env::ConfigOverrides overrides;
  for (const auto& kv : args.GetAll("config")) {
    if (auto s = env::ParseOverride(kv, overrides); !s.ok()) return s;
  }
  overrides["calamity"] = calamity;
  if (auto layout = args.Get("action-space")) overrides["action_space"] = *layout;
  const std::string out = args.GetOr("out", absl::StrCat("runs/resilience123/", agent, "-", calamity));
  const bool quiet = args.Flag("quiet");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;

  absl::StatusOr<std::unique_ptr<env::Env>> made =
      env::Registry::Global().Make("resilience123", overrides);
  if (!made.ok()) return made.status();
  env::Env& environment = **made;
  absl::StatusOr<std::unique_ptr<agents::R123Policy>> policy =
      agents::MakeR123Policy(agent, static_cast<uint64_t>(*seed) + 7919);
  if (!policy.ok()) return policy.status();

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out ", out, ": ", ec.message()));
  std::ofstream steps(fs::path(out) / "steps.csv");
  std::ofstream eps(fs::path(out) / "episodes.csv");
  if (!steps || !eps) return absl::InvalidArgumentError(absl::StrCat("--out ", out, ": not writable"));
  const auto& keys = environment.spec().info_keys;
  steps << "episode,t,config,switches,grid,reward,terminated,truncated";
  for (const auto& k : keys) steps << "," << k;
  steps << "\n";
  eps << "episode,steps,return";
  std::vector<size_t> summary;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (keys[k].rfind("episode_", 0) == 0 && keys[k] != "episode_end") {
      summary.push_back(k);
      eps << "," << keys[k].substr(8);
    }
  }
  eps << "\n";
  ProgressBar bar(absl::StrCat("eval ", agent), *episodes);
  double sum_return = 0;
  std::vector<double> sums(summary.size(), 0.0);
  int done = 0;
  absl::Status run = agents::RunR123Episodes(
      environment, **policy, static_cast<int>(*episodes), static_cast<uint64_t>(*seed),
      [&](const agents::R123StepRecord& s) {
        std::string sw;
        for (uint8_t v : s.action.switches) sw.push_back(v ? '1' : '0');
        steps << s.episode << "," << s.t << "," << s.action.config << "," << sw << ","
              << s.action.grid << "," << absl::StrFormat("%.10g", s.reward) << ","
              << s.terminated << "," << s.truncated;
        for (double v : s.info) steps << "," << absl::StrFormat("%.10g", v);
        steps << "\n";
      },
      [&](const agents::R123EpisodeRecord& e) {
        eps << e.episode << "," << e.steps << "," << absl::StrFormat("%.10g", e.episode_return);
        for (size_t j = 0; j < summary.size(); ++j) {
          eps << "," << absl::StrFormat("%.10g", e.final_info[summary[j]]);
          sums[j] += e.final_info[summary[j]];
        }
        eps << "\n";
        sum_return += e.episode_return;
        bar.Update(++done);
      });
  if (!run.ok()) return run;
  bar.Finish();
  if (!quiet) {
    std::cout << "resilience123 " << agent << " calamity=" << calamity << " episodes=" << *episodes
              << "\n  mean return " << absl::StrFormat("%.4f", sum_return / *episodes) << "\n";
    for (size_t j = 0; j < summary.size(); ++j) {
      std::cout << "  mean " << keys[summary[j]].substr(8) << " "
                << absl::StrFormat("%.6g", sums[j] / *episodes) << "\n";
    }
    std::cout << "  wrote " << (fs::path(out) / "steps.csv").string() << " and episodes.csv\n";
  }
  return absl::OkStatus();
}

#define GRIDRL_R123_RUNNER(NAME, SUMMARY)                                              \
  GRIDRL_AGENT_RUNNER({.env_id = "resilience123",                                      \
                       .agent = NAME,                                                  \
                       .summary = SUMMARY,                                             \
                       .train = {},                                                    \
                       .eval = [](const Args& args) { return EvalBaseline(NAME, args); }})

GRIDRL_R123_RUNNER("config0", "always configuration 0 (no DER), normal switches");
GRIDRL_R123_RUNNER("config1", "always configuration 1 (DER 49), recommended switches");
GRIDRL_R123_RUNNER("config2", "always configuration 2 (DERs 49, 21), recommended switches");
GRIDRL_R123_RUNNER("config3", "always configuration 3 (3 DERs), recommended switches");
GRIDRL_R123_RUNNER("config4", "always configuration 4 (4 DERs), recommended switches");
GRIDRL_R123_RUNNER("config5", "always configuration 5 (4 DERs + switching), recommended switches");
GRIDRL_R123_RUNNER("random", "uniform random over the masked action space");
GRIDRL_R123_RUNNER("greedy", "oracle one-step lookahead over configurations (clone/restore)");

}  // namespace
}  // namespace gridrl::cli
