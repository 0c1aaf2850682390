// `gridrl eval --env resilience123 --agent POLICY --episodes N --calamity TYPE`: the baselines of
// envs/resilience123/baselines.h run in-process on one environment. Episode k is reset with
// seed --seed + k, the same for every policy. Writes OUT/steps.csv (one row per step: action,
// reward and every info) and OUT/episodes.csv (one row per episode: return and the episode_*
// summary), and prints the means. Options: --out DIR (default runs/resilience123/POLICY-TYPE),
// --seed S (0), --action-space dict|multidiscrete, --config key=value (repeatable).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "envs/resilience123/baselines.h"
#include "cli/command.h"
#include "envs/resilience123/env.h"
#include "envs/resilience123/model.h"
#include "env/registry.h"
#include "env/rng.h"
#include "nlohmann/json.hpp"

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
  steps << "episode,t,action_config,action_switches,action_grid,reward,terminated,truncated";
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

// `gridrl resilience123-layout --out FILE.json [--seed S] [--steps N]`: the feeder as the
// environment sees it (bus coordinates, zones, switches, DERs, critical loads, backup feeders)
// plus one sampled footprint per calamity type after N calamity steps, for
// docs/reproduction/plot_resilience123.py.
absl::Status RunLayout(const Args& args) {
  const std::string out = args.GetOr("out", "");
  absl::StatusOr<long long> seed = args.GetInt("seed", 3);
  absl::StatusOr<long long> steps = args.GetInt("steps", 3);
  if (!seed.ok()) return seed.status();
  if (!steps.ok()) return steps.status();
  if (out.empty()) return absl::InvalidArgumentError("--out FILE.json is required");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;
  using namespace env::r123;
  nlohmann::json j;
  Resilience123Params params;
  auto model = Resilience123Model::Build(params);
  if (!model.ok()) return model.status();
  const auto& m = **model;
  const auto& d = m.feeder().data();
  j["zones"] = {"A", "B", "C", "D", "E"};
  for (size_t b = 0; b < d.buses.size(); ++b) {
    j["buses"].push_back({{"name", d.buses[b].name},
                          {"has_xy", d.buses[b].has_xy},
                          {"x", d.buses[b].x},
                          {"y", d.buses[b].y},
                          {"zone", m.bus_zone()[b]}});
  }
  std::vector<int> switch_of_line(d.lines.size(), -1);
  for (int k = 0; k < kNumSwitches; ++k) switch_of_line[m.switch_line()[k]] = k;
  for (size_t l = 0; l < d.lines.size(); ++l) {
    j["lines"].push_back({{"name", d.lines[l].name},
                          {"bus1", d.lines[l].bus1},
                          {"bus2", d.lines[l].bus2},
                          {"switch", switch_of_line[l] >= 0 ? switch_of_line[l] + 1 : 0},
                          {"closed", d.lines[l].closed},
                          {"zone", m.line_zone()[l]}});
  }
  for (const auto& t : d.transformers) {
    j["transformers"].push_back({{"name", t.name}, {"bus1", t.windings[0].bus}, {"bus2", t.windings[1].bus}});
  }
  for (const auto& g : d.ders) j["ders"].push_back({{"name", g.name}, {"bus", g.bus}, {"kva", g.kva}});
  for (const auto& s : d.sources) {
    j["sources"].push_back({{"name", s.name}, {"bus", s.bus},
                            {"kind", s.kind == powerflow::FeederSourceKind::kSubstation ? "substation" : "backup"}});
  }
  for (const auto& g : m.groups()) {
    if (g.critical) j["critical"].push_back({{"bus", g.bus}, {"kva", g.kva}});
  }
  // Footprints: each calamity type for `steps` calamity steps from normal switches, config 4.
  for (int type = 0; type < kNumCalamityTypes; ++type) {
    Resilience123Params p;
    p.calamity = CalamityTypeName(static_cast<CalamityType>(type));
    p.p_normal_to_calamity = 1.0;
    p.p_calamity_to_calamity = 1.0;
    auto fm = Resilience123Model::Build(p);
    if (!fm.ok()) return fm.status();
    Resilience123Sim sim(*fm);
    env::Rng rng(static_cast<uint64_t>(*seed));
    if (auto s = sim.Reset(rng, 500); !s.ok()) return s;
    nlohmann::json fp;
    for (long long t = 0; t <= *steps; ++t) {  // the first step is the normal one before onset
      auto r = sim.Step(4, RecommendedSwitches(4), 1, rng);
      if (!r.ok()) return r.status();
      fp["resilience"] = r->indicators.resilience;
      fp["served_load_fraction"] = r->served_fraction;
    }
    std::vector<int> failed, burning;
    for (size_t l = 0; l < d.lines.size(); ++l) {
      if (sim.line_failed()[l]) failed.push_back(static_cast<int>(l));
    }
    for (size_t b = 0; b < d.buses.size(); ++b) {
      if (sim.burning()[b]) burning.push_back(static_cast<int>(b));
    }
    fp["failed_lines"] = failed;
    fp["burning_buses"] = burning;
    fp["calamity_steps"] = *steps;
    std::vector<int> open;
    for (int k = 0; k < kNumSwitches; ++k) {
      if (!sim.switch_closed()[k]) open.push_back(k + 1);
    }
    fp["open_switches"] = open;
    j["footprints"][CalamityTypeName(static_cast<CalamityType>(type))] = fp;
  }
  std::ofstream f(out);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("--out ", out, ": not writable"));
  f << j.dump(1) << "\n";
  std::cout << "wrote " << out << "\n";
  return absl::OkStatus();
}

GRIDRL_COMMAND({.name = "resilience123-layout",
                .summary = "export the resilience123 feeder layout and sample calamity footprints (JSON)",
                .usage = "gridrl resilience123-layout --out FILE.json [--seed S] [--steps N]",
                .run = RunLayout});

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
