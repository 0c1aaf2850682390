// `gridrl train --agent ppo` and `gridrl eval` of a PPO checkpoint, for every environment; the
// env runs in-process (EnvPool) or on a gridrl-server (--server ADDRESS) through the same trainer.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "envs/resilience123/dual_ppo.h"
#include "agents/ppo.h"
#include "cli/command.h"
#include "env/pool.h"
#ifdef GRIDRL_HAVE_GRPC
#include "clients/cpp/remote_vec_env.h"
#endif

namespace gridrl::cli {
namespace {

constexpr char kPpoUsage[] =
    "gridrl train --env ID --agent ppo --out DIR [--episodes N] [--seed S] [--num-envs N]\n"
    "             [--threads N] [--config KEY=VALUE ...] [--server ADDRESS] [--resume]\n"
    "             [--hidden 64,64] [--lr 3e-4] [--rollout-steps 128] [--update-every-episodes K]\n"
    "             [--epochs 4] [--minibatch 64] [--clip 0.2] [--ent-coef 0.01] [--vf-coef 0.5]\n"
    "             [--gamma 0.99] [--gae-lambda 0.95] [--max-grad-norm 0.5] [--target-kl 0]\n"
    "             [--no-obs-norm] [--no-reward-norm] [--checkpoint-every 10]\n"
    "gridrl eval --checkpoint DIR [--episodes 10] [--seed S] [--num-envs N] [--stochastic]\n"
    "            [--server ADDRESS] [--steps-out FILE]\n"
    "  Writes DIR/progress.csv (per update: reward, KL, entropy, losses, steps/s), DIR/episodes.csv\n"
    "  and DIR/checkpoint.json; --resume continues from DIR/checkpoint.json.";

constexpr char kDualUsage[] =
    "gridrl train --env resilience123 --agent dual-ppo --out DIR [--episodes 1500] [--seed S]\n"
    "             [--num-envs 8] [--config calamity=flood ...] [--server ADDRESS] [--resume]\n"
    "             [--lr-strategic 3e-4] [--lr-tactical 1e-4] [--beta 2] [--kappa 1]\n"
    "             [--strategic-share 0.6] [--update-every-episodes 25] [--hidden 64,64]\n"
    "  The paper's settings otherwise (4 epochs, minibatch 64, clip 0.2, target KL 0.01 with stop\n"
    "  at 1.5x, gradient clip 0.5); progress.csv has strategic_* and tactical_* columns.";

absl::StatusOr<std::unique_ptr<env::VecEnv>> MakeVecEnv(const std::string& env_id,
                                                        const std::vector<std::string>& config_kv,
                                                        const env::PoolOptions& options,
                                                        const std::string& server) {
  env::ConfigOverrides config;
  for (const auto& kv : config_kv) {
    if (auto s = env::ParseOverride(kv, config); !s.ok()) return s;
  }
  if (!server.empty()) {
#ifdef GRIDRL_HAVE_GRPC
    client::RemoteOptions r;
    r.address = server;
    r.env_id = env_id;
    r.configs = {config};
    r.pool = options;
    auto remote = client::RemoteVecEnv::Connect(r);
    if (!remote.ok()) return remote.status();
    return std::unique_ptr<env::VecEnv>(*std::move(remote));
#else
    return absl::UnimplementedError("--server: this gridrl was built without gRPC");
#endif
  }
  auto pool = env::EnvPool::Make(env_id, {config}, options);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<env::VecEnv>(*std::move(pool));
}

// --hidden 64,64 (layer sizes), when given.
absl::Status ParseHidden(const Args& args, std::vector<int64_t>& hidden) {
  auto h = args.Get("hidden");
  if (!h) return absl::OkStatus();
  hidden.clear();
  for (absl::string_view part : absl::StrSplit(*h, ',')) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--hidden: expected sizes like 64,64, got '", *h, "'"));
    }
    hidden.push_back(v);
  }
  return absl::OkStatus();
}

absl::Status ReadPpoConfig(const Args& args, agents::PpoConfig& c) {
  auto get_int = [&](const char* key, int64_t& field) -> absl::Status {
    auto v = args.GetInt(key, field);
    if (!v.ok()) return v.status();
    field = *v;
    return absl::OkStatus();
  };
  auto get_double = [&](const char* key, double& field) -> absl::Status {
    auto v = args.GetDouble(key, field);
    if (!v.ok()) return v.status();
    field = *v;
    return absl::OkStatus();
  };
  int64_t seed = static_cast<int64_t>(c.seed);
  for (auto s : {get_int("seed", seed), get_int("rollout-steps", c.rollout_steps),
                 get_int("update-every-episodes", c.update_every_episodes),
                 get_int("epochs", c.epochs), get_int("minibatch", c.minibatch_size),
                 get_double("lr", c.learning_rate), get_double("clip", c.clip_range),
                 get_double("ent-coef", c.entropy_coef), get_double("vf-coef", c.value_coef),
                 get_double("gamma", c.gamma), get_double("gae-lambda", c.gae_lambda),
                 get_double("max-grad-norm", c.max_grad_norm),
                 get_double("target-kl", c.target_kl),
                 get_double("init-log-std", c.init_log_std)}) {
    if (!s.ok()) return s;
  }
  c.seed = static_cast<uint64_t>(seed);
  if (auto s = ParseHidden(args, c.hidden); !s.ok()) return s;
  if (args.Flag("no-obs-norm")) c.normalize_obs = false;
  if (args.Flag("no-reward-norm")) c.normalize_reward = false;
  return agents::PpoConfig::FromJson(c.ToJson()).status();
}

// The trainer a run description (OUT/ppo.json) asks for, on `vec`.
absl::StatusOr<std::unique_ptr<agents::PpoTrainer>> MakeTrainer(const nlohmann::json& run,
                                                               env::VecEnv* vec) {
  auto config = agents::PpoConfig::FromJson(run.value("ppo", nlohmann::json::object()));
  if (!config.ok()) return config.status();
  if (run.value("agent", std::string("ppo")) == "dual-ppo") {
    auto dual = agents::DualPpoOptions::FromJson(run.value("dual", nlohmann::json::object()));
    if (!dual.ok()) return dual.status();
    agents::ObsEncoder encoder(vec->spec());
    auto policy = agents::DualPpoPolicy::Make(vec->spec(), encoder.size(), *dual);
    if (!policy.ok()) return policy.status();
    return agents::PpoTrainer::MakeWithPolicy(vec, *config, *std::move(policy));
  }
  return agents::PpoTrainer::Make(vec, *config);
}

absl::Status ReadDualOptions(const Args& args, agents::DualPpoOptions& d) {
  struct Opt {
    const char* key;
    double* field;
  };
  for (Opt o : {Opt{"lr-strategic", &d.strategic.learning_rate},
                Opt{"lr-tactical", &d.tactical.learning_rate}, Opt{"beta", &d.beta},
                Opt{"kappa", &d.kappa}, Opt{"strategic-share", &d.strategic_share}}) {
    auto v = args.GetDouble(o.key, *o.field);
    if (!v.ok()) return v.status();
    *o.field = *v;
  }
  auto every = args.GetInt("update-every-episodes", d.strategic.update_every_episodes);
  auto seed = args.GetInt("seed", static_cast<long long>(d.strategic.seed));
  if (!every.ok()) return every.status();
  if (!seed.ok()) return seed.status();
  for (agents::PpoConfig* c : {&d.strategic, &d.tactical}) {
    c->update_every_episodes = *every;
    c->seed = static_cast<uint64_t>(*seed);
    if (auto s = ParseHidden(args, c->hidden); !s.ok()) return s;
  }
  return agents::DualPpoOptions::FromJson(d.ToJson()).status();
}

absl::Status TrainAgent(const Args& args, const std::string& agent) {
  const std::string env_id = args.GetOr("env", "");
  const std::filesystem::path out = args.GetOr("out", "");
  const std::string server = args.GetOr("server", "");
  const bool resume = args.Flag("resume");
  auto episodes = args.GetInt("episodes", 1000);
  auto num_envs = args.GetInt("num-envs", 8);
  auto threads = args.GetInt("threads", 1);
  auto checkpoint_every = args.GetInt("checkpoint-every", 10);
  for (const auto& s : {episodes.status(), num_envs.status(), threads.status(),
                        checkpoint_every.status()}) {
    if (!s.ok()) return s;
  }
  // --episodes 0 writes the untrained policy's checkpoint (a reference for evaluation).
  if (*episodes < 0) return absl::InvalidArgumentError("--episodes must be >= 0");
  std::vector<std::string> config_kv = args.GetAll("config");
  agents::PpoConfig config;
  agents::DualPpoOptions dual = agents::DualPpoOptions::Paper(0);
  if (agent == "dual-ppo") config = dual.strategic;
  nlohmann::json run_info;
  if (resume) {  // the options of the run being resumed, unless given again
    auto j = agents::ReadJsonFile((out / "ppo.json").string());
    if (!j.ok()) return j.status();
    run_info = *j;
    auto c = agents::PpoConfig::FromJson(run_info["ppo"]);
    if (!c.ok()) return c.status();
    config = *c;
    if (agent == "dual-ppo") {
      auto d = agents::DualPpoOptions::FromJson(run_info.value("dual", nlohmann::json()));
      if (!d.ok()) return d.status();
      dual = *d;
    }
    if (config_kv.empty()) config_kv = run_info.value("env_config", std::vector<std::string>{});
  }
  if (agent == "dual-ppo") {
    if (auto s = ReadDualOptions(args, dual); !s.ok()) return s;
    config = dual.strategic;  // the trainer's rollout length and seed
  } else if (auto s = ReadPpoConfig(args, config); !s.ok()) {
    return s;
  }
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;

  env::PoolOptions options;
  options.num_envs = *num_envs;
  options.num_threads = static_cast<int>(*threads);
  options.seed = config.seed;
  options.autoreset = env::AutoresetMode::kSameStep;
  auto vec = MakeVecEnv(env_id, config_kv, options, server);
  if (!vec.ok()) return vec.status();
  run_info = {{"env", env_id},
              {"agent", agent},
              {"env_config", config_kv},
              {"num_envs", *num_envs},
              {"ppo", config.ToJson()}};
  if (agent == "dual-ppo") run_info["dual"] = dual.ToJson();
  auto trainer = MakeTrainer(run_info, vec->get());
  if (!trainer.ok()) return trainer.status();
  if (resume) {
    if (auto s = (*trainer)->LoadFile((out / "checkpoint.json").string()); !s.ok()) return s;
  }
  if (auto s = agents::WriteJsonFile((out / "ppo.json").string(), run_info); !s.ok()) return s;

  ProgressBar bar(absl::StrCat(agent, " ", env_id), *episodes);
  const int64_t start_episodes = (*trainer)->episodes();
  agents::PpoTrainer::TrainOptions t;
  t.episodes = *episodes;
  t.out_dir = out.string();
  t.checkpoint_every = *checkpoint_every;
  double last_reward = std::nan("");
  t.on_update = [&](const agents::UpdateRecord& r) {
    if (!std::isnan(r.mean_episode_reward)) last_reward = r.mean_episode_reward;
    bar.Update(std::min<int64_t>(r.episodes - start_episodes, *episodes),
               absl::StrFormat("R %.3g kl %.3g H %.3g", last_reward, r.stats[0].approx_kl,
                               r.stats[0].entropy));
  };
  if (auto s = (*trainer)->Train(t); !s.ok()) return s;
  const double total = (*trainer)->env_seconds() + (*trainer)->agent_seconds();
  bar.Finish(absl::StrFormat("%lld steps, env %.2fs, agent %.2fs",
                             static_cast<long long>((*trainer)->total_steps()),
                             (*trainer)->env_seconds(), (*trainer)->agent_seconds()));
  std::cout << absl::StrFormat(
      "trained %lld episodes (%lld updates, %lld steps) in %.2f s: env %.2f s, agent %.2f s; "
      "last mean episode reward %.4g; checkpoint %s\n",
      static_cast<long long>((*trainer)->episodes() - start_episodes),
      static_cast<long long>((*trainer)->updates()),
      static_cast<long long>((*trainer)->total_steps()), total, (*trainer)->env_seconds(),
      (*trainer)->agent_seconds(), last_reward, (out / "checkpoint.json").string());
  return (*vec)->Close();
}

absl::Status EvalAgent(const Args& args) {
  const std::filesystem::path dir = args.GetOr("checkpoint", "");
  if (dir.empty()) return absl::InvalidArgumentError("--checkpoint DIR is required");
  auto info = agents::ReadJsonFile((dir / "ppo.json").string());
  if (!info.ok()) return info.status();
  const std::string env_id = args.GetOr("env", info->value("env", std::string()));
  (void)args.Get("agent");
  auto episodes = args.GetInt("episodes", 10);
  auto seed = args.GetInt("seed", 1000003);
  auto num_envs = args.GetInt("num-envs", 1);
  for (const auto& s : {episodes.status(), seed.status(), num_envs.status()}) {
    if (!s.ok()) return s;
  }
  const bool stochastic = args.Flag("stochastic");
  const std::string server = args.GetOr("server", "");
  const std::string steps_out = args.GetOr("steps-out", "");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;
  env::PoolOptions options;
  options.num_envs = *num_envs;
  options.num_threads = 1;
  options.seed = static_cast<uint64_t>(*seed);
  options.autoreset = env::AutoresetMode::kSameStep;
  auto vec = MakeVecEnv(env_id, info->value("env_config", std::vector<std::string>{}), options,
                        server);
  if (!vec.ok()) return vec.status();
  auto trainer = MakeTrainer(*info, vec->get());
  if (!trainer.ok()) return trainer.status();
  if (auto s = (*trainer)->LoadFile((dir / "checkpoint.json").string()); !s.ok()) return s;
  // --steps-out FILE: every step's env id, action elements, reward and infos (CSV); rows of
  // NEXT_STEP resets are not distinguished (eval uses SAME_STEP, so there are none).
  std::ofstream steps_csv;
  agents::PpoTrainer::StepHook hook;
  if (!steps_out.empty()) {
    steps_csv.open(steps_out);
    if (!steps_csv) return absl::InvalidArgumentError(absl::StrCat("--steps-out ", steps_out));
    const env::EnvSpec& spec = (*vec)->spec();
    steps_csv << "env_id";
    for (const auto& leaf : spec.action_leaves) {
      for (int64_t j = 0; j < leaf.num_elements; ++j) {
        steps_csv << ",action_" << (leaf.name.empty() ? "" : leaf.name + "_") << j;
      }
    }
    steps_csv << ",reward,terminated,truncated";
    for (const auto& key : spec.info_keys) steps_csv << "," << key;
    steps_csv << "\n";
    hook = [&steps_csv, &spec](const env::ActionBatch& a, const env::StepBatch& b) {
      for (int64_t r = 0; r < b.size(); ++r) {
        steps_csv << b.env_id.data<int32_t>()[r];
        for (size_t k = 0; k < spec.action_leaves.size(); ++k) {
          const env::Leaf& leaf = spec.action_leaves[k];
          const std::byte* p = a.leaves[k].row(r);
          for (int64_t j = 0; j < leaf.num_elements; ++j) {
            double v = 0;
            switch (leaf.dtype) {
              case env::DType::kInt64: v = double(reinterpret_cast<const int64_t*>(p)[j]); break;
              case env::DType::kInt8: v = reinterpret_cast<const int8_t*>(p)[j]; break;
              case env::DType::kFloat32: v = reinterpret_cast<const float*>(p)[j]; break;
              case env::DType::kFloat64: v = reinterpret_cast<const double*>(p)[j]; break;
              case env::DType::kInt32: v = reinterpret_cast<const int32_t*>(p)[j]; break;
              case env::DType::kBool: v = reinterpret_cast<const bool*>(p)[j]; break;
            }
            steps_csv << "," << absl::StrFormat("%.8g", v);
          }
        }
        steps_csv << absl::StrFormat(",%.10g,%d,%d", b.reward.data<double>()[r],
                                     b.terminated.data<bool>()[r] ? 1 : 0,
                                     b.truncated.data<bool>()[r] ? 1 : 0);
        for (const auto& t : b.info) steps_csv << absl::StrFormat(",%.10g", t.data<double>()[r]);
        steps_csv << "\n";
      }
    };
  }
  auto result = (*trainer)->Evaluate(vec->get(), *episodes, !stochastic,
                                     static_cast<uint64_t>(*seed), hook);
  if (!result.ok()) return result.status();
  std::cout << "episode,env_id,reward,length";
  for (const auto& key : (*vec)->spec().info_keys) std::cout << "," << key;
  std::cout << "\n";
  double sum = 0.0, sq = 0.0;
  for (const auto& e : *result) {
    std::cout << absl::StrFormat("%d,%d,%.10g,%d", e.index, e.env_id, e.reward, e.length);
    for (double v : e.final_info) std::cout << absl::StrFormat(",%.10g", v);
    std::cout << "\n";
    sum += e.reward;
  }
  const double n = static_cast<double>(result->size());
  const double mean = sum / n;
  for (const auto& e : *result) sq += (e.reward - mean) * (e.reward - mean);
  std::cerr << absl::StrFormat("%s policy over %d episodes: mean reward %.6g +- %.3g (std)\n",
                               stochastic ? "stochastic" : "deterministic", result->size(), mean,
                               std::sqrt(sq / n));
  return (*vec)->Close();
}

GRIDRL_AGENT_RUNNER({.env_id = "",
                     .agent = "ppo",
                     .summary = absl::StrCat("native PPO (MLP actor-critic, every head, masks)\n",
                                             kPpoUsage),
                     .train = [](const Args& a) { return TrainAgent(a, "ppo"); },
                     .eval = EvalAgent});
GRIDRL_AGENT_RUNNER({.env_id = "resilience123",
                     .agent = "dual-ppo",
                     .summary = absl::StrCat("the paper's dual strategic/tactical PPO\n",
                                             kDualUsage),
                     .train = [](const Args& a) { return TrainAgent(a, "dual-ppo"); },
                     .eval = EvalAgent});

}  // namespace
}  // namespace gridrl::cli
