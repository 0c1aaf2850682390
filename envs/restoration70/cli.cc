// `gridrl train|eval --env restoration70`: ORQ, greedy and random repair orders, and the
// surrogate network trained on ORQ-labelled events (envs/restoration70/orq.h,
// envs/restoration70/surrogate.h). Every evaluated queue is executed in the environment itself, so the
// reported R, SAIFI, SAIDI and CAIDI are the environment's.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "envs/restoration70/orq.h"
#include "envs/restoration70/surrogate.h"
#include "cli/command.h"
#include "env/registry.h"
#include "nlohmann/json.hpp"

namespace gridrl::cli {
namespace {

using agents::OrqResult;
using agents::SurrogateNet;
using env::restoration70::RestorationModel;

constexpr char kEnvId[] = "restoration70";

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The environment (in-process), its model and a one-row batch to step it with.
struct Session {
  std::unique_ptr<env::Env> env;
  std::shared_ptr<const RestorationModel> model;
  env::StepBatch batch;
  env::ActionBatch actions;
  size_t repair_leaf = 0;

  static absl::StatusOr<Session> Open(const Args& args) {
    env::ConfigOverrides config;
    for (const auto& kv : args.GetAll("config")) {
      if (auto s = env::ParseOverride(kv, config); !s.ok()) return s;
    }
    Session s;
    auto e = env::Registry::Global().Make(kEnvId, config);
    if (!e.ok()) return e.status();
    s.env = *std::move(e);
    auto options = env::restoration70::ModelOptionsFromConfig(s.env->spec().config);
    if (!options.ok()) return options.status();
    auto model = RestorationModel::Create(*options);
    if (!model.ok()) return model.status();
    s.model = *std::move(model);
    s.batch.Allocate(s.env->spec(), 1, false);
    s.actions.Allocate(s.env->spec(), 1);
    s.repair_leaf = s.env->spec().action_leaves.size() - 1;  // "repair" sorts after "hold_open"
    return s;
  }
  const int8_t* status() const { return reinterpret_cast<const int8_t*>(batch.obs[0].row(0)); }
  const bool* mask() const { return reinterpret_cast<const bool*>(batch.action_mask.row(0)); }
  double info(const std::string& key) const {
    const auto& keys = env->spec().info_keys;
    const size_t k = std::find(keys.begin(), keys.end(), key) - keys.begin();
    return batch.info[k].data<double>()[0];
  }
  // Resets to event `seed` and returns its failed branches.
  std::vector<int> ResetEvent(uint64_t seed) {
    env->Reset(seed, env::StepSlot(&batch, 0));
    std::vector<int> failed;
    for (int k = 0; k < model->num_branches(); ++k) {
      if (status()[k] == 0) failed.push_back(k);
    }
    return failed;
  }
  void Repair(int branch) {
    actions.leaves[repair_leaf].data<int64_t>()[0] = branch;
    env->Step(env::ActionRow(&actions, 0), env::StepSlot(&batch, 0));
  }
  bool done() const { return batch.terminated.data<bool>()[0]; }
};

// The surrogate's choice: the repair whose resulting branch state the network scores highest
// (its estimate of the optimal resilience of the rest of the event). Ties: lowest branch index.
int SurrogateChoice(const SurrogateNet& net, const int8_t* status, const bool* mask, int nb,
                    std::vector<float>& x) {
  x.resize(nb);
  for (int k = 0; k < nb; ++k) x[k] = status[k] ? 1.0f : 0.0f;
  int pick = -1;
  double best = -1e300;
  for (int k = 0; k < nb; ++k) {
    if (!mask[k]) continue;
    x[k] = 1.0f;
    const double v = net.Predict(x);
    x[k] = 0.0f;
    if (v > best) {
      best = v;
      pick = k;
    }
  }
  return pick;
}

absl::StatusOr<SurrogateNet> LoadSurrogate(const Args& args) {
  std::string path = args.GetOr("model", "");
  if (path.empty()) {
    auto dir = args.Get("checkpoint");
    if (!dir) {
      return absl::InvalidArgumentError(
          "the surrogate needs --checkpoint DIR (from gridrl train) or --model FILE.json");
    }
    path = (std::filesystem::path(*dir) / "surrogate.json").string();
  }
  return SurrogateNet::Load(path);
}

absl::Status RunEval(const Args& args, const std::string& agent) {
  auto session = Session::Open(args);
  if (!session.ok()) return session.status();
  Session& s = *session;
  auto episodes = args.GetInt("episodes", 100);
  auto seed = args.GetInt("seed", 0);
  auto threads = args.GetInt("threads", 0);
  if (!episodes.ok()) return episodes.status();
  if (!seed.ok()) return seed.status();
  if (!threads.ok()) return threads.status();
  if (*episodes < 1) return absl::InvalidArgumentError("--episodes: expected >= 1");
  std::optional<SurrogateNet> net;
  if (agent == "surrogate") {
    auto n = LoadSurrogate(args);
    if (!n.ok()) return n.status();
    if (n->inputs() != s.model->num_branches()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "surrogate: trained on %d branch states, the environment has %d branches", n->inputs(),
          s.model->num_branches()));
    }
    net = *std::move(n);
  }
  const std::string out_path = args.GetOr("out", "");
  const std::string trace_path = args.GetOr("trace", "");
  if (auto st = args.CheckAllUsed(); !st.ok()) return st;
  std::ofstream trace;
  if (!trace_path.empty()) {
    trace.open(trace_path);
    if (!trace) {
      return absl::InvalidArgumentError(absl::StrCat("--trace ", trace_path, ": cannot write"));
    }
    // Header line: the network, for drawing.
    nlohmann::json head;
    const auto& m = *s.model;
    for (int k = 0; k < m.num_branches(); ++k) {
      head["branches"].push_back(
          {m.branch(k).from_id, m.branch(k).to_id, m.branch(k).normally_closed});
    }
    for (int b = 0; b < m.num_buses(); ++b) {
      head["buses"].push_back(m.bus_id(b));
      head["load_kw"].push_back(m.load_kw(b));
    }
    for (int c : m.critical_buses()) head["critical"].push_back(m.bus_id(c));
    for (int r : m.sources()) head["sources"].push_back(m.bus_id(r));
    for (int i = 0; i < m.oct().num_inputs(); ++i) head["inputs"].push_back(m.oct().column(i).name);
    trace << head.dump() << "\n";
  }
  auto trace_row = [&](int64_t episode, int64_t step) {
    if (!trace.is_open()) return;
    const auto& spec = s.env->spec();
    nlohmann::json row;
    row["episode"] = episode;
    row["step"] = step;
    row["time_h"] = s.batch.obs[6].data<float>()[0];
    row["ciu"] = s.info("ciu_pct");
    row["limiting_input"] = static_cast<int>(s.info("limiting_input"));
    row["area"] = s.info("resilience_area");
    for (size_t leaf : {size_t{0}, size_t{1}, size_t{5}}) {
      const int8_t* v = reinterpret_cast<const int8_t*>(s.batch.obs[leaf].row(0));
      row[spec.obs_leaves[leaf].name] =
          std::vector<int>(v, v + spec.obs_leaves[leaf].num_elements);
    }
    const float* per = s.batch.obs[3].data<float>();
    row["ciu_per_input"] = std::vector<float>(per, per + spec.obs_leaves[3].num_elements);
    trace << row.dump() << "\n";
  };
  std::ofstream file;
  if (!out_path.empty()) {
    file.open(out_path);
    if (!file) return absl::InvalidArgumentError(absl::StrCat("--out ", out_path, ": cannot write"));
  }
  std::ostream& out = out_path.empty() ? std::cout : file;
  out << "episode,seed,agent,faults,resilience,ciu_t0,saifi,saidi_h,caidi_h,decision_s,"
         "planned_resilience,queue\n";
  ProgressBar bar(absl::StrCat("eval ", agent), *episodes);
  double sum_r = 0;
  std::vector<float> x;
  for (int64_t e = 0; e < *episodes; ++e) {
    const uint64_t event_seed = static_cast<uint64_t>(*seed + e);
    std::vector<int> failed = s.ResetEvent(event_seed);
    const double ciu0 = s.info("ciu_pct");
    int64_t step = 0;
    trace_row(e, step++);
    std::vector<int> queue;
    double planned = std::nan("");
    const double t0 = Now();
    double decision_s = 0;
    if (agent == "surrogate") {
      while (!s.done()) {
        const double td = Now();
        const int pick = SurrogateChoice(*net, s.status(), s.mask(), s.model->num_branches(), x);
        decision_s += Now() - td;
        queue.push_back(pick);
        s.Repair(pick);
        trace_row(e, step++);
      }
    } else {
      absl::StatusOr<OrqResult> plan;
      if (agent == "orq") {
        agents::OrqOptions o;
        o.threads = static_cast<int>(*threads);
        plan = agents::SolveOrq(*s.model, failed, o);
      } else if (agent == "greedy") {
        plan = agents::GreedyQueue(*s.model, failed);
      } else {
        env::Rng rng(event_seed);
        plan = agents::RandomQueue(*s.model, failed, rng);
      }
      if (!plan.ok()) return plan.status();
      decision_s = Now() - t0;
      planned = plan->resilience;
      queue = plan->queue;
      for (int b : queue) {
        s.Repair(b);
        trace_row(e, step++);
      }
    }
    const double r = s.info("resilience_area");
    sum_r += r;
    out << absl::StrFormat("%d,%d,%s,%d,%.9f,%.6f,%.6f,%.6f,%.6f,%.6f,%.9f,%s\n", e, event_seed,
                           agent, failed.size(), r, ciu0, s.info("saifi"), s.info("saidi_h"),
                           s.info("caidi_h"), decision_s, planned, absl::StrJoin(queue, " "));
    out.flush();
    bar.Update(e + 1, absl::StrFormat("mean R %.4f", sum_r / (e + 1)));
  }
  bar.Finish(absl::StrFormat("mean R %.4f over %d events", sum_r / *episodes, *episodes));
  return absl::OkStatus();
}

// ---- Training data: ORQ-labelled repair states. ----

struct Sample {
  int event = 0;
  int repaired = 0;     // |S|
  int remaining = 0;    // k - |S|
  double target = 0;    // optimal resilience of the rest of the event from S
  std::string bits;     // branch states, '1' = in service
};

absl::Status WriteData(const std::string& path, const std::vector<Sample>& data) {
  std::ofstream f(path);
  if (!f) return absl::InvalidArgumentError(absl::StrCat("--data ", path, ": cannot write"));
  f << "event,repaired,remaining,target,branch_states\n";
  for (const auto& s : data) {
    f << absl::StrFormat("%d,%d,%d,%.12f,%s\n", s.event, s.repaired, s.remaining, s.target,
                         s.bits);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Sample>> ReadData(const std::string& path, int branches) {
  std::ifstream f(path);
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::string line;
  std::getline(f, line);
  std::vector<Sample> data;
  int row = 1;
  while (std::getline(f, line)) {
    ++row;
    std::vector<std::string> cols = absl::StrSplit(line, ',');
    Sample s;
    if (cols.size() != 5 || !absl::SimpleAtoi(cols[0], &s.event) ||
        !absl::SimpleAtoi(cols[1], &s.repaired) || !absl::SimpleAtoi(cols[2], &s.remaining) ||
        !absl::SimpleAtod(cols[3], &s.target) || static_cast<int>(cols[4].size()) != branches) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: expected event,repaired,remaining,target,<%d branch bits>", path, row,
          branches));
    }
    s.bits = cols[4];
    data.push_back(std::move(s));
  }
  return data;
}

absl::StatusOr<std::vector<Sample>> GenerateData(Session& s, int64_t events, int64_t per_event,
                                                 uint64_t seed, int threads) {
  std::vector<Sample> data;
  ProgressBar bar("ORQ labelling", events);
  env::Rng rng(seed ^ 0x5eedULL);
  const int nb = s.model->num_branches();
  for (int64_t e = 0; e < events; ++e) {
    std::vector<int> failed = s.ResetEvent(seed + static_cast<uint64_t>(e));
    agents::OrqOptions o;
    o.threads = threads;
    o.keep_tables = true;
    auto orq = agents::SolveOrq(*s.model, failed, o);
    if (!orq.ok()) return orq.status();
    const int k = static_cast<int>(failed.size());
    const uint64_t full = (uint64_t{1} << k) - 1;
    auto add = [&](uint64_t state) {
      Sample smp;
      smp.event = static_cast<int>(e);
      smp.repaired = std::popcount(state);
      smp.remaining = k - smp.repaired;
      smp.target = (orq->ciu[state] + orq->best_to_go[state]) / (100.0 * smp.remaining);
      smp.bits.assign(nb, '1');
      for (int j = 0; j < k; ++j) {
        if (!((state >> j) & 1)) smp.bits[failed[j]] = '0';
      }
      data.push_back(std::move(smp));
    };
    // The states along the optimal queue, then uniformly random unfinished states.
    uint64_t state = 0;
    for (int i = 0; i < k; ++i) {
      add(state);
      auto it = std::find(failed.begin(), failed.end(), orq->queue[i]);
      state |= uint64_t{1} << (it - failed.begin());
    }
    for (int64_t m = 0; m < per_event; ++m) {
      uint64_t st;
      do {
        st = rng.Next() & full;
      } while (st == full);
      add(st);
    }
    bar.Update(e + 1, absl::StrFormat("R %.4f, %.1f s", orq->resilience,
                                      orq->seconds_ciu + orq->seconds_dp));
  }
  bar.Finish();
  return data;
}

agents::Dataset ToDataset(const std::vector<Sample>& data, const std::vector<size_t>& idx,
                          int branches) {
  agents::Dataset d;
  d.x.resize(static_cast<int64_t>(idx.size()), branches);
  d.y.resize(static_cast<int64_t>(idx.size()));
  for (size_t r = 0; r < idx.size(); ++r) {
    const Sample& s = data[idx[r]];
    for (int k = 0; k < branches; ++k) d.x(r, k) = s.bits[k] == '1' ? 1.0 : 0.0;
    d.y[r] = s.target;
  }
  return d;
}

absl::Status RunTrain(const Args& args, agents::TrainMethod method) {
  auto session = Session::Open(args);
  if (!session.ok()) return session.status();
  Session& s = *session;
  const std::string out = args.GetOr("out", "");
  auto events = args.GetInt("events", 30);
  auto per_event = args.GetInt("samples-per-event", 200);
  auto hidden = args.GetInt("hidden", 10);
  auto epochs = args.GetInt("epochs", 1000);
  auto seed = args.GetInt("seed", 0);
  auto threads = args.GetInt("threads", 0);
  const std::string split_arg = args.GetOr("split", "70/15/15");
  const std::string data_path = args.GetOr("data", "");
  for (const auto* v : {&events, &per_event, &hidden, &epochs, &seed, &threads}) {
    if (!v->ok()) return v->status();
  }
  if (auto st = args.CheckAllUsed(); !st.ok()) return st;
  if (*events < 1 || *per_event < 0 || *hidden < 1 || *epochs < 1) {
    return absl::InvalidArgumentError(
        "--events, --hidden and --epochs must be >= 1, --samples-per-event >= 0");
  }
  std::vector<std::string> parts = absl::StrSplit(split_arg, '/');
  double split[3];
  if (parts.size() != 3 || !absl::SimpleAtod(parts[0], &split[0]) ||
      !absl::SimpleAtod(parts[1], &split[1]) || !absl::SimpleAtod(parts[2], &split[2]) ||
      split[0] <= 0 || split[1] < 0 || split[2] < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--split: expected TRAIN/VAL/TEST percentages like 70/15/15, got '",
                     split_arg, "'"));
  }
  const double total = split[0] + split[1] + split[2];
  const int nb = s.model->num_branches();
  // Data: reuse --data if it exists (the same ORQ labels for every network), else generate.
  std::vector<Sample> data;
  double label_s = 0;
  if (!data_path.empty() && std::filesystem::exists(data_path)) {
    auto d = ReadData(data_path, nb);
    if (!d.ok()) return d.status();
    data = *std::move(d);
  } else {
    const double t0 = Now();
    auto d = GenerateData(s, *events, *per_event, static_cast<uint64_t>(*seed),
                          static_cast<int>(*threads));
    if (!d.ok()) return d.status();
    data = *std::move(d);
    label_s = Now() - t0;
    if (!data_path.empty()) {
      if (auto st = WriteData(data_path, data); !st.ok()) return st;
    }
  }
  // Shuffled split of the samples.
  std::vector<size_t> idx(data.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  env::Rng rng(static_cast<uint64_t>(*seed) + 17);
  for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.UniformInt(i)]);
  const size_t n_train = static_cast<size_t>(idx.size() * split[0] / total);
  const size_t n_val = static_cast<size_t>(idx.size() * split[1] / total);
  std::vector<size_t> tr(idx.begin(), idx.begin() + n_train),
      va(idx.begin() + n_train, idx.begin() + n_train + n_val),
      te(idx.begin() + n_train + n_val, idx.end());
  auto train = ToDataset(data, tr, nb), val = ToDataset(data, va, nb), test = ToDataset(data, te, nb);
  SurrogateNet net(nb, static_cast<int>(*hidden), static_cast<uint64_t>(*seed) + 1);
  agents::TrainOptions o;
  o.method = method;
  o.max_epochs = static_cast<int>(*epochs);
  ProgressBar bar(method == agents::TrainMethod::kBayesianRegularisation ? "train BR" : "train LM",
                  *epochs);
  auto rep = agents::TrainSurrogate(net, train, val, o, [&](int epoch, double mse) {
    bar.Update(epoch, absl::StrFormat("mse %.3g", mse));
  });
  if (!rep.ok()) return rep.status();
  bar.Finish(rep->stop_reason);
  std::filesystem::create_directories(out);
  if (auto st = net.Save((std::filesystem::path(out) / "surrogate.json").string()); !st.ok()) {
    return st;
  }
  std::ofstream metrics(std::filesystem::path(out) / "metrics.csv");
  metrics << "split,n,mse,r\n";
  nlohmann::json summary;
  for (auto [name, d] : {std::pair<const char*, const agents::Dataset*>{"train", &train},
                         {"validation", &val},
                         {"test", &test}}) {
    auto m = agents::Evaluate(net, *d);
    metrics << absl::StrFormat("%s,%d,%.8f,%.6f\n", name, m.n, m.mse, m.r);
    summary[name] = {{"n", m.n}, {"mse", m.mse}, {"r", m.r}};
    std::cout << absl::StrFormat("%-10s n=%-6d MSE %.6f  R %.4f\n", name, m.n, m.mse, m.r);
  }
  std::ofstream hist(std::filesystem::path(out) / "history.csv");
  hist << "epoch,train_mse,val_mse\n";
  for (size_t i = 0; i < rep->train_mse_history.size(); ++i) {
    hist << i + 1 << "," << rep->train_mse_history[i] << ","
         << (i < rep->val_mse_history.size() ? rep->val_mse_history[i] : 0.0) << "\n";
  }
  summary["method"] = method == agents::TrainMethod::kBayesianRegularisation ? "br" : "lm";
  summary["hidden"] = *hidden;
  summary["epochs"] = rep->epochs;
  summary["stop_reason"] = rep->stop_reason;
  summary["train_seconds"] = rep->seconds;
  summary["label_seconds"] = label_s;
  summary["effective_params"] = rep->effective_params;
  summary["samples"] = data.size();
  summary["split"] = split_arg;
  std::ofstream(std::filesystem::path(out) / "report.json") << summary.dump(2) << "\n";
  return absl::OkStatus();
}

const char kEvalUsage[] =
    "  --episodes N (100) --seed S (0): events are env resets with seeds S..S+N-1\n"
    "  --config KEY=VALUE: restoration70 config (faults, reconfiguration, ...)\n"
    "  --threads T: ORQ state-sweep threads (0: all)   --out FILE.csv (stdout)\n"
    "  --trace FILE.jsonl: the network, then every step's state (for plotting)";

GRIDRL_AGENT_RUNNER({.env_id = kEnvId,
                     .agent = "orq",
                     .summary = absl::StrCat("exact Optimal Repair Queuing over the 2^k repair "
                                             "states\n",
                                             kEvalUsage),
                     .train = {},
                     .eval = [](const Args& a) { return RunEval(a, "orq"); }});
GRIDRL_AGENT_RUNNER({.env_id = kEnvId,
                     .agent = "greedy",
                     .summary = "repair whatever raises the CIU most next",
                     .train = {},
                     .eval = [](const Args& a) { return RunEval(a, "greedy"); }});
GRIDRL_AGENT_RUNNER({.env_id = kEnvId,
                     .agent = "random",
                     .summary = "uniformly random repair order, seeded per event",
                     .train = {},
                     .eval = [](const Args& a) { return RunEval(a, "random"); }});
GRIDRL_AGENT_RUNNER({.env_id = kEnvId,
                     .agent = "surrogate",
                     .summary = "trained surrogate network: --checkpoint DIR or --model FILE.json",
                     .train = {},
                     .eval = [](const Args& a) { return RunEval(a, "surrogate"); }});
const char kTrainSummary[] =
    "surrogate network on ORQ-labelled events: --out DIR --events N (30) "
    "--samples-per-event M (200) --hidden H (10) --epochs E (1000) --split 70/15/15 "
    "--data FILE.csv (reuse/save labels) --seed S --threads T --config KEY=VALUE";
GRIDRL_AGENT_RUNNER({.env_id = kEnvId,
                     .agent = "surrogate-lm",
                     .summary = absl::StrCat("Levenberg-Marquardt ", kTrainSummary),
                     .train = [](const Args& a) {
                       return RunTrain(a, agents::TrainMethod::kLevenbergMarquardt);
                     },
                     .eval = [](const Args& a) { return RunEval(a, "surrogate"); }});
GRIDRL_AGENT_RUNNER({.env_id = kEnvId,
                     .agent = "surrogate-br",
                     .summary = absl::StrCat("Bayesian-regularised ", kTrainSummary),
                     .train = [](const Args& a) {
                       return RunTrain(a, agents::TrainMethod::kBayesianRegularisation);
                     },
                     .eval = [](const Args& a) { return RunEval(a, "surrogate"); }});

}  // namespace
}  // namespace gridrl::cli
