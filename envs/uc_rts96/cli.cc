// `gridrl train/eval --env uc_rts96 --agent iapi|random|cost|elastic`: the IAPI run of the paper and
// the evaluation rollouts of its day-ahead policies.
//
// train (iapi) writes into --out: iterations.csv (convergence per iteration), candidates.csv
// (every candidate's psi, score and reward), checkpoint.json (after every iteration; --resume
// continues from it), psi.csv and theta.csv (the best candidate of the last iteration) and
// value_states.csv (the post-decision states that candidate visits, with their features).
// eval runs rollouts of one policy in the environment's `da` mode: rollout k starts from stress
// day (k mod 5) + 1 with seed --seed + k, the same for every policy, and writes one CSV row each.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "envs/uc_rts96/iapi.h"
#include "envs/uc_rts96/heuristics.h"
#include "cli/command.h"
#include "envs/uc_rts96/model.h"
#include "env/registry.h"
#include "nlohmann/json.hpp"

namespace gridrl::cli {
namespace {

namespace fs = std::filesystem;
using env::uc::UcModel;

absl::StatusOr<env::ConfigOverrides> EnvOverrides(const Args& args) {
  env::ConfigOverrides config;
  for (const auto& kv : args.GetAll("config")) {
    if (auto s = env::ParseOverride(kv, config); !s.ok()) return s;
  }
  return config;
}

absl::StatusOr<std::shared_ptr<const UcModel>> ModelFromArgs(const env::ConfigOverrides& o) {
  auto factory = env::Registry::Global().Find("uc_rts96");
  if (!factory.ok()) return factory.status();
  auto config = (*factory)->schema.Resolve(o);
  if (!config.ok()) return config.status();
  return UcModel::Create(env::uc::UcParams::FromConfig(*config));
}

template <typename T>
std::string Join(const T& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) absl::StrAppend(&s, i ? "," : "", absl::StrFormat("%.10g", v[i]));
  return s;
}

absl::StatusOr<std::vector<double>> ReadPsi(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "psi.csv");
  if (!in) {
    // A run still in progress: the best candidate of its last completed iteration.
    std::ifstream ck(fs::path(dir) / "checkpoint.json");
    if (!ck) {
      return absl::NotFoundError(
          absl::StrCat(dir, ": neither psi.csv nor checkpoint.json (train first)"));
    }
    nlohmann::json j = nlohmann::json::parse(ck, nullptr, false);
    if (j.is_discarded() || !j.contains("best") || !j["best"].contains("psi")) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/checkpoint.json: no best psi"));
    }
    std::cerr << "psi.csv missing: using the best candidate of iteration "
              << j.value("completed_iterations", 0) << " from checkpoint.json\n";
    auto psi = j["best"]["psi"].get<std::vector<double>>();
    if (psi.size() != env::uc::kDaFeaturesPerAction) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/checkpoint.json: 19 weights expected"));
    }
    return psi;
  }
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  std::vector<double> psi;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) psi.push_back(std::strtod(cell.c_str(), nullptr));
  if (psi.size() != env::uc::kDaFeaturesPerAction) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/psi.csv: 19 weights expected"));
  }
  return psi;
}

absl::Status TrainIapi(const Args& args) {
  agents::IapiOptions o;
  auto get_int = [&](const char* key, int fallback) -> absl::StatusOr<int> {
    auto v = args.GetInt(key, fallback);
    if (!v.ok()) return v.status();
    return static_cast<int>(*v);
  };
  auto iterations = get_int("iterations", o.iterations);
  auto candidates = get_int("candidates", o.candidates);
  auto days = get_int("initial-days", o.initial_days);
  auto threads = get_int("threads", o.threads);
  auto seed = args.GetInt("seed", 1);
  auto elite = args.GetDouble("elite", o.elite_fraction);
  for (const absl::Status& s : {iterations.status(), candidates.status(), days.status(),
                                threads.status(), seed.status(), elite.status()}) {
    if (!s.ok()) return s;
  }
  o.iterations = *iterations;
  o.candidates = *candidates;
  o.initial_days = *days;
  o.threads = *threads;
  o.seed = static_cast<uint64_t>(*seed);
  o.elite_fraction = *elite;
  const std::string out = args.GetOr("out", "");
  const bool resume = args.Flag("resume");
  const bool quiet = args.Flag("quiet");
  auto overrides = EnvOverrides(args);
  if (!overrides.ok()) return overrides.status();
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;
  if (auto s = o.Validate(); !s.ok()) return s;
  auto model = ModelFromArgs(*overrides);
  if (!model.ok()) return model.status();

  agents::Iapi iapi(*model, o);
  const fs::path dir(out);
  if (resume) {
    std::ifstream in(dir / "checkpoint.json");
    if (!in) return absl::NotFoundError(absl::StrCat(out, "/checkpoint.json: nothing to resume"));
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto s = iapi.RestoreCheckpoint(ss.str()); !s.ok()) return s;
    std::cerr << "resuming after iteration " << iapi.completed_iterations() << "\n";
  }
  const auto mode = resume ? std::ios::app : std::ios::trunc;
  std::ofstream iter_csv(dir / "iterations.csv", std::ios::out | mode);
  std::ofstream cand_csv(dir / "candidates.csv", std::ios::out | mode);
  if (!resume) {
    iter_csv << "iteration,top_percentile_score,elite_mean_score,best_score,mean_score,"
                "best_mean_reward,elite_mean_reward,seconds\n";
    cand_csv << "iteration,candidate,score,mean_reward,actions";
    for (int i = 0; i < 19; ++i) cand_csv << ",psi" << i;
    for (int i = 0; i < 15; ++i) cand_csv << ",theta" << i;
    cand_csv << "\n";
  }
  ProgressBar bar("iapi", static_cast<int64_t>(o.iterations) * o.candidates, !quiet);
  const int64_t offset = static_cast<int64_t>(iapi.completed_iterations()) * o.candidates;
  int64_t base = offset;
  auto after = [&](const agents::IterationLog& l,
                   const std::vector<agents::CandidateResult>& results) -> absl::Status {
    iter_csv << absl::StrFormat("%d,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.3f\n", l.iteration,
                                l.top_percentile_score, l.elite_mean_score, l.best_score,
                                l.mean_score, l.best_mean_reward, l.elite_mean_reward, l.seconds);
    iter_csv.flush();
    for (size_t k = 0; k < results.size(); ++k) {
      const auto& r = results[k];
      std::string actions;
      for (size_t i = 0; i < r.actions.size(); ++i) absl::StrAppend(&actions, i ? " " : "", r.actions[i]);
      cand_csv << l.iteration << "," << k << "," << absl::StrFormat("%.10g,%.10g", r.score, r.mean_reward)
               << "," << actions << "," << Join(r.psi) << "," << Join(r.theta) << "\n";
    }
    cand_csv.flush();
    const std::string tmp = (dir / "checkpoint.json.tmp").string();
    std::ofstream(tmp) << iapi.CheckpointJson() << "\n";
    fs::rename(tmp, dir / "checkpoint.json");
    base = static_cast<int64_t>(l.iteration) * o.candidates;
    if (quiet) {
      std::cerr << absl::StrFormat("iteration %d: top-percentile %.4f best %.4f (%.1f s)\n",
                                   l.iteration, l.top_percentile_score, l.best_score, l.seconds);
    }
    return absl::OkStatus();
  };
  auto progress = [&](int64_t done, int64_t) {
    bar.Update(base + done, absl::StrCat("iteration ", base / o.candidates + 1));
  };
  if (auto s = iapi.Run(after, progress); !s.ok()) return s;
  bar.Finish();

  const auto& best = iapi.best();
  {
    std::ofstream f(dir / "psi.csv");
    for (int i = 0; i < 19; ++i) f << (i ? "," : "") << "psi" << i;
    f << "\n" << Join(best.psi) << "\n";
  }
  {
    std::ofstream f(dir / "theta.csv");
    for (int i = 0; i < 15; ++i) f << (i ? "," : "") << "theta" << i;
    f << "\n" << Join(best.theta) << "\n";
  }
  // The states the best policy visits (same seeds as its last scoring), for the value plots.
  env::uc::UcSim sim(*model);
  std::vector<agents::VisitedState> visited;
  agents::ScoreCandidate(sim, best.psi, o, 0x5eed0000ull + o.seed, &visited);
  std::ofstream f(dir / "value_states.csv");
  f << "effective_demand,demand_entropy,generation_entropy,reward,value\n";
  for (const auto& v : visited) {
    double value = 0;
    for (int i = 0; i < 15; ++i) value += best.theta[i] * v.phi[i];
    f << absl::StrFormat("%.10g,%.10g,%.10g,%.10g,%.10g\n", v.effective_demand, v.demand_entropy,
                         v.generation_entropy, v.reward, value);
  }
  std::cout << "iapi: " << o.iterations << " iterations x " << o.candidates
            << " candidates; best score " << best.score << ", mean hourly reliability "
            << best.mean_reward << "; wrote " << out << "/{iterations,candidates}.csv, psi.csv, "
            << "theta.csv, value_states.csv, checkpoint.json\n";
  return absl::OkStatus();
}

absl::Status Eval(const Args& args, const std::string& agent) {
  auto rollouts = args.GetInt("rollouts", 61);
  auto seed = args.GetInt("seed", 100000);
  auto days = args.GetInt("days", 1);
  if (!rollouts.ok()) return rollouts.status();
  if (!seed.ok()) return seed.status();
  if (!days.ok()) return days.status();
  if (*rollouts < 1) return absl::InvalidArgumentError("--rollouts: must be >= 1");
  const std::string checkpoint = args.GetOr("checkpoint", "");
  std::string out = args.GetOr("out", "");
  const bool quiet = args.Flag("quiet");
  auto overrides = EnvOverrides(args);
  if (!overrides.ok()) return overrides.status();
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;
  std::vector<double> psi;
  if (agent == "iapi") {
    if (checkpoint.empty()) {
      return absl::InvalidArgumentError("--checkpoint DIR (from gridrl train) is required");
    }
    auto p = ReadPsi(checkpoint);
    if (!p.ok()) return p.status();
    psi = *p;
  }
  if (out.empty()) out = absl::StrCat("eval_uc_rts96_", agent, ".csv");
  if (fs::is_directory(out)) out = (fs::path(out) / absl::StrCat("eval_", agent, ".csv")).string();

  auto model = ModelFromArgs(*overrides);
  if (!model.ok()) return model.status();
  auto policy = agents::MakeDaPolicy(agent, *model, psi);
  if (!policy.ok()) return policy.status();
  // One environment per stress day.
  std::vector<std::unique_ptr<env::Env>> envs;
  for (int d = 1; d <= env::uc::kNumStressDays; ++d) {
    env::ConfigOverrides o = *overrides;
    o["mode"] = std::string("da");
    o["initial_day"] = std::string("stress");
    o["stress_day"] = int64_t{d};
    o["days_per_episode"] = int64_t{*days};
    auto e = env::Registry::Global().Make("uc_rts96", o);
    if (!e.ok()) return e.status();
    envs.push_back(std::move(*e));
  }
  const env::EnvSpec& spec = envs[0]->spec();
  size_t leaf_da = 0, leaf_dfc = 0, leaf_wfc = 0;
  for (size_t k = 0; k < spec.obs_leaves.size(); ++k) {
    if (spec.obs_leaves[k].name == "da_features") leaf_da = k;
    if (spec.obs_leaves[k].name == "demand_forecast") leaf_dfc = k;
    if (spec.obs_leaves[k].name == "wind_forecast") leaf_wfc = k;
  }
  env::StepBatch b;
  b.Allocate(spec, 1, false);
  env::ActionBatch a;
  a.Allocate(spec, 1);
  std::ofstream f(out);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("--out ", out, ": cannot write"));
  f << "agent,rollout,stress_day,seed,return,mean_reliability,infeasible_cases,actions\n";
  ProgressBar bar(absl::StrCat("eval ", agent), *rollouts, !quiet);
  env::Rng agent_rng(static_cast<uint64_t>(*seed) ^ 0xA6E47ull);
  const int nb = (*model)->num_buses(), nw = (*model)->num_wind();
  double total = 0;
  for (int64_t k = 0; k < *rollouts; ++k) {
    const int day = env::uc::StressDayOfRollout(static_cast<int>(k));
    env::Env& e = *envs[day - 1];
    const uint64_t s = static_cast<uint64_t>(*seed + k);
    e.Reset(s, env::StepSlot(&b, 0));
    double ret = 0, rel = 0, infeasible = 0, discount = 1;
    std::string actions;
    bool done = false;
    int steps = 0;
    while (!done) {
      const double* dfc = b.obs[leaf_dfc].data<double>();
      const double* wfc = b.obs[leaf_wfc].data<double>();
      double net[env::uc::kHours];
      for (int h = 0; h < env::uc::kHours; ++h) {
        double x = 0;
        for (int i = 0; i < nb; ++i) x += dfc[h * nb + i];
        for (int i = 0; i < nw; ++i) x -= wfc[h * nw + i];
        net[h] = x;
      }
      const std::span<const double> phi(b.obs[leaf_da].data<double>(),
                                        b.obs[leaf_da].row_bytes() / sizeof(double));
      const int act = (*policy)->Act(net, phi, agent_rng);
      absl::StrAppend(&actions, steps ? " " : "", act);
      a.leaves[0].data<int64_t>()[0] = act;
      e.Step(env::ActionRow(&a, 0), env::StepSlot(&b, 0));
      const double r = b.reward.data<double>()[0];
      ret += discount * r;
      discount *= 0.95;
      rel += r;
      infeasible += b.info[1].data<double>()[0];
      ++steps;
      done = b.truncated.data<bool>()[0] || b.terminated.data<bool>()[0];
    }
    total += rel / steps;
    f << absl::StrFormat("%s,%d,%d,%d,%.10g,%.10g,%.0f,%s\n", agent, k, day, s, ret, rel / steps,
                         infeasible, actions);
    bar.Update(k + 1);
  }
  bar.Finish();
  std::cout << agent << ": " << *rollouts << " rollouts, mean reliability "
            << total / static_cast<double>(*rollouts) << "; wrote " << out << "\n";
  return absl::OkStatus();
}

constexpr char kEvalUsage[] =
    " eval options: --rollouts N (61) --seed S (100000) --days D (1) --out FILE|DIR "
    "[--config KEY=VALUE ...]";

GRIDRL_AGENT_RUNNER({.env_id = "uc_rts96",
                     .agent = "iapi",
                     .summary = absl::StrCat(
                         "IAPI (cross-entropy over the day-ahead policy, TD(0) on real-time "
                         "post-decision states). train: --out DIR [--iterations 15 --candidates "
                         "202 --elite 0.2 --initial-days 5 --threads 2 --seed 1 --resume "
                         "--config KEY=VALUE]; eval: --checkpoint DIR;",
                         kEvalUsage),
                     .train = TrainIapi,
                     .eval = [](const Args& a) { return Eval(a, "iapi"); }});
GRIDRL_AGENT_RUNNER({.env_id = "uc_rts96",
                     .agent = "random",
                     .summary = absl::StrCat("Random heuristic (uniform among subsets covering "
                                             "the peak forecast net demand);",
                                             kEvalUsage),
                     .train = nullptr,
                     .eval = [](const Args& a) { return Eval(a, "random"); }});
GRIDRL_AGENT_RUNNER({.env_id = "uc_rts96",
                     .agent = "cost",
                     .summary = absl::StrCat("Cost heuristic (cheapest covering subset);",
                                             kEvalUsage),
                     .train = nullptr,
                     .eval = [](const Args& a) { return Eval(a, "cost"); }});
GRIDRL_AGENT_RUNNER({.env_id = "uc_rts96",
                     .agent = "elastic",
                     .summary = absl::StrCat("Elastic heuristic (largest G^max / G^min among "
                                             "covering subsets);",
                                             kEvalUsage),
                     .train = nullptr,
                     .eval = [](const Args& a) { return Eval(a, "elastic"); }});

}  // namespace
}  // namespace gridrl::cli
