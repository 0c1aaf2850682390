// `uc_rts96`: day-ahead unit commitment and real-time N-1 reliability on IEEE RTS-96
// (spec: shared/spec/uc_rts96.md; model: uc_rts96_model.h). One env id, three modes (config `mode`):
//
//   da            one step = one day. Action Discrete(15): the generator subset committed for the
//                 day. The 24 hours then run with the built-in redispatch heuristic; reward = the
//                 mean hourly N-1 reliability.
//   rt            one step = one hour. Action Box(n_gen) of MW changes to the committed units'
//                 scheduled outputs (clipped to Pmin/Pmax); the daily commitment comes from the
//                 configured day-ahead policy (`da_policy`). Reward = the hour's reliability.
//   hierarchical  one step = one hour; action Dict {commitment: Discrete(15), redispatch: Box}.
//                 The commitment is read at hour 0 of each day (ignored at other hours) and applied
//                 before that hour's redispatch.
//
// The action mask (da, hierarchical) marks the subsets whose capacity covers the day's peak
// forecast net demand (all of them if none does); it is advice (enforce_action_mask = false).
// Infos: the hour's reliability, the number of infeasible contingency cases, and per branch
// whether its outage case was infeasible (1), feasible (0) or not a case because the branch was
// already out (-1); in da mode these are sums over the day's hours.
#include <cmath>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "env/env.h"
#include "envs/uc_rts96/model.h"
#include "env/registry.h"
#include "env/rng.h"

namespace gridrl::env {
namespace {

using uc::kDaFeaturesPerAction;
using uc::kHours;
using uc::kRtFeatures;

enum class Mode { kDa, kRt, kHierarchical };

enum Info : size_t {
  kReliability,
  kInfeasible,
  kCases,
  kBaseFeasible,
  kLinesOut,
  kHour,
  kDay,
  kCommitment,
  kEffectiveDemand,
  kGenerationEntropy,
  kNumFixedInfos
};

ConfigSchema UcSchema() {
  ConfigSchema s;
  s.String("mode", "da",
           "'da': daily commitment, hourly heuristic redispatch; 'rt': hourly redispatch with "
           "the commitment of `da_policy`; 'hierarchical': both",
           {"da", "rt", "hierarchical"})
      .Int("days_per_episode", 1, "[ours] days in an episode before it is truncated", 1, 10000)
      .String("da_policy", "cost",
              "rt mode: day-ahead policy giving the commitment ('cost', 'elastic', 'random' or "
              "'psi' with `da_psi`)",
              {"cost", "elastic", "random", "psi"})
      .DoubleList("da_psi", {},
                  "rt mode with da_policy=psi: the 19 weights of a = argmax psi . phi_DA(s, a)");
  uc::AddUcModelFields(s);
  return s;
}

class UcRts96Env final : public EnvBase<UcRts96Env> {
 public:
  static absl::StatusOr<std::unique_ptr<Env>> Make(const Config& config) {
    const std::string& mode = config.GetString("mode");
    const std::string& policy = config.GetString("da_policy");
    const auto& psi = config.GetDoubleList("da_psi");
    if (mode == "rt" && policy == "psi" && psi.size() != kDaFeaturesPerAction) {
      return absl::InvalidArgumentError(
          absl::StrCat("config 'da_psi': da_policy=psi needs ", kDaFeaturesPerAction,
                       " weights, got ", psi.size()));
    }
    for (double v : psi) {
      if (!std::isfinite(v)) return absl::InvalidArgumentError("config 'da_psi': not finite");
    }
    const uc::UcParams params = uc::UcParams::FromConfig(config);
    if (params.repair_hours < 1) {
      return absl::InvalidArgumentError("config 'repair_hours': must be >= 1");
    }
    auto model = uc::UcModel::Create(params);
    if (!model.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("uc_rts96: cannot build the model: ", model.status().message()));
    }
    return std::unique_ptr<Env>(new UcRts96Env(config, *model));
  }

  const EnvSpec& spec() const override { return *spec_; }

  void Reset(std::optional<uint64_t> seed, StepSlot out) override {
    if (seed) rng_.Seed(*seed);
    sim_.StartEpisode(rng_);
    day_ = 0;
    if (mode_ == Mode::kRt) {
      sim_.Commit(PolicyAction());
      sim_.RealiseHour(rng_);
      sim_.LoadSchedule();
    } else if (mode_ == Mode::kHierarchical) {
      sim_.RealiseHour(rng_);
    }
    ClearStepInfos();
    Write(out);
  }

  void Step(const ActionRow& action, StepSlot out) override {
    double reward = 0;
    bool truncated = false;
    ClearStepInfos();
    if (mode_ == Mode::kDa) {
      sim_.Commit(static_cast<int>(action.scalar<int64_t>(0)));
      for (int h = 0; h < kHours; ++h) {
        sim_.RealiseHour(rng_);
        sim_.LoadSchedule();
        sim_.HeuristicRedispatch();
        Accumulate(sim_.EvaluateReliability());
        reward += sim_.reliability().reward / kHours;
        sim_.NextHour();
      }
      ++day_;
      truncated = day_ >= days_;
      sim_.AdvanceDay(rng_);
    } else {
      std::span<const float> delta;
      if (mode_ == Mode::kHierarchical) {
        if (sim_.hour() == 0) {
          sim_.Commit(static_cast<int>(action.scalar<int64_t>(act_commitment_)));
          sim_.LoadSchedule();
        }
        delta = action.get<float>(act_redispatch_);
      } else {
        delta = action.get<float>(0);
      }
      sim_.ApplyRedispatch(delta);
      Accumulate(sim_.EvaluateReliability());
      reward = sim_.reliability().reward;
      sim_.NextHour();
      if (sim_.hour() >= kHours) {
        ++day_;
        truncated = day_ >= days_;
        if (!truncated) {
          sim_.AdvanceDay(rng_);
          if (mode_ == Mode::kRt) sim_.Commit(PolicyAction());
        }
      }
      if (!truncated) {
        sim_.RealiseHour(rng_);
        if (mode_ == Mode::kRt || sim_.hour() > 0) sim_.LoadSchedule();
      }
    }
    Write(out);
    out.reward() = reward;
    out.truncated() = truncated;
    if (mode_ == Mode::kDa) out.info(kReliability) = reward;
  }

  absl::Status ValidateAction(const ActionRow& action) const override {
    if (mode_ == Mode::kDa) return absl::OkStatus();
    const auto delta = action.get<float>(mode_ == Mode::kRt ? 0 : act_redispatch_);
    for (size_t g = 0; g < delta.size(); ++g) {
      if (!std::isfinite(delta[g])) {
        return absl::InvalidArgumentError(absl::StrCat("action 'redispatch'[", g,
                                                       "]: not finite (MW change expected)"));
      }
    }
    return absl::OkStatus();
  }

 private:
  UcRts96Env(const Config& config, std::shared_ptr<const uc::UcModel> model)
      : sim_(model), days_(config.GetInt("days_per_episode")) {
    const std::string& mode = config.GetString("mode");
    mode_ = mode == "da" ? Mode::kDa : mode == "rt" ? Mode::kRt : Mode::kHierarchical;
    const std::string& policy = config.GetString("da_policy");
    policy_ = policy;
    psi_ = config.GetDoubleList("da_psi");
    const uc::UcModel& m = *model;
    const int nb = m.num_buses(), ng = m.num_gens(), nl = m.num_branches(), nw = m.num_wind();
    const int na = m.num_actions();
    const double inf = std::numeric_limits<double>::infinity();

    auto spec = std::make_shared<EnvSpec>();
    spec->id = "uc_rts96";
    spec->description = absl::StrCat(
        "Unit commitment and N-1 reliability on IEEE RTS-96 (", nb, " buses, ", ng,
        " generators, ", nl, " branches, ", nw, " wind plants), mode ", mode);
    spec->config_schema = UcSchema();
    spec->config = config;
    std::vector<std::pair<std::string, Space>> obs;
    const bool daily = mode_ != Mode::kRt;
    const bool hourly = mode_ != Mode::kDa;
    obs.push_back({"line_status", Space::MultiBinary(nl)});
    obs.push_back({"countdown", Space::Box(DType::kInt32, {nl}, 0.0,
                                           static_cast<double>(m.params().repair_hours))});
    obs.push_back({"commitment", Space::MultiBinary(ng)});
    if (daily) {
      obs.push_back({"da_features", Space::Box(DType::kFloat64, {na, kDaFeaturesPerAction},
                                               -inf, inf)});
      obs.push_back({"demand_forecast", Space::Box(DType::kFloat64, {kHours, nb}, 0.0, inf)});
      obs.push_back({"wind_forecast", Space::Box(DType::kFloat64, {kHours, nw}, 0.0, inf)});
    }
    if (hourly) {
      obs.push_back({"hour", Space::Discrete(kHours)});
      obs.push_back({"demand", Space::Box(DType::kFloat64, {nb}, 0.0, inf)});
      obs.push_back({"wind", Space::Box(DType::kFloat64, {nw}, 0.0, inf)});
      obs.push_back({"generation", Space::Box(DType::kFloat64, {ng}, 0.0, inf)});
      obs.push_back({"rt_features", Space::Box(DType::kFloat64, {kRtFeatures}, 0.0, 1.0)});
    }
    spec->observation_space = Space::Dict(obs);
    const double span = m.max_pmax();
    Space redispatch = Space::Box(DType::kFloat32, {ng}, -span, span);
    if (mode_ == Mode::kDa) {
      spec->action_space = Space::Discrete(na);
    } else if (mode_ == Mode::kRt) {
      spec->action_space = redispatch;
    } else {
      spec->action_space =
          Space::Dict({{"commitment", Space::Discrete(na)}, {"redispatch", redispatch}});
    }
    spec->info_keys = {"reliability",   "infeasible_contingencies", "contingency_cases",
                       "base_feasible", "lines_out",                "hour",
                       "day",           "commitment",               "effective_demand",
                       "generation_entropy"};
    for (int l = 0; l < nl; ++l) {
      const auto& br = m.grid()->network().branches[l];
      spec->info_keys.push_back(
          absl::StrFormat("outage_infeasible_%03d_%d_%d", l, br.from_id, br.to_id));
    }
    spec->has_action_mask = daily;
    spec->enforce_action_mask = false;
    spec->reward_low = 0.0;
    spec->reward_high = 1.0;
    spec->max_episode_steps = mode_ == Mode::kDa ? days_ : days_ * kHours;
    spec->Finalize();
    spec_ = std::move(spec);
    for (size_t k = 0; k < spec_->obs_leaves.size(); ++k) {
      const std::string& n = spec_->obs_leaves[k].name;
      if (n == "line_status") obs_line_ = k;
      if (n == "countdown") obs_countdown_ = k;
      if (n == "commitment") obs_commitment_ = k;
      if (n == "da_features") obs_da_ = k;
      if (n == "demand_forecast") obs_demand_fc_ = k;
      if (n == "wind_forecast") obs_wind_fc_ = k;
      if (n == "hour") obs_hour_ = k;
      if (n == "demand") obs_demand_ = k;
      if (n == "wind") obs_wind_ = k;
      if (n == "generation") obs_gen_ = k;
      if (n == "rt_features") obs_rt_ = k;
    }
    if (mode_ == Mode::kHierarchical) {
      for (size_t k = 0; k < spec_->action_leaves.size(); ++k) {
        if (spec_->action_leaves[k].name == "commitment") act_commitment_ = k;
        if (spec_->action_leaves[k].name == "redispatch") act_redispatch_ = k;
      }
    }
    outage_sum_.assign(nl, 0.0);
  }

  int PolicyAction() {
    const uc::UcModel& m = sim_.model();
    const auto net = sim_.net_demand_forecast();
    if (policy_ == "cost") return m.CostAction(net);
    if (policy_ == "elastic") return m.ElasticAction(net);
    if (policy_ == "random") return uc::RandomAction(m, net, rng_);
    return uc::PsiAction(m, net, psi_, rng_);
  }

  void ClearStepInfos() {
    infeasible_sum_ = 0;
    cases_sum_ = 0;
    base_sum_ = 0;
    std::fill(outage_sum_.begin(), outage_sum_.end(), 0.0);
    hours_ = 0;
  }

  void Accumulate(const uc::Reliability& r) {
    infeasible_sum_ += r.infeasible;
    cases_sum_ += r.cases;
    base_sum_ += r.base_feasible ? 1 : 0;
    for (size_t l = 0; l < outage_sum_.size(); ++l) {
      const int8_t v = r.outage_infeasible[l];
      if (mode_ == Mode::kDa) {
        outage_sum_[l] += v > 0 ? 1.0 : 0.0;
      } else {
        outage_sum_[l] = v;
      }
    }
    ++hours_;
  }

  void Write(StepSlot out) {
    const uc::UcModel& m = sim_.model();
    const int nl = m.num_branches(), ng = m.num_gens();
    auto line = out.obs<int8_t>(obs_line_);
    auto countdown = out.obs<int32_t>(obs_countdown_);
    for (int l = 0; l < nl; ++l) {
      line[l] = sim_.line_on()[l] ? 1 : 0;
      countdown[l] = sim_.countdown()[l];
    }
    auto commitment = out.obs<int8_t>(obs_commitment_);
    for (int g = 0; g < ng; ++g) commitment[g] = sim_.committed()[g] ? 1 : 0;
    const bool daily = mode_ != Mode::kRt;
    if (daily) {
      sim_.DaFeatureMatrix(out.obs<double>(obs_da_));
      auto dfc = out.obs<double>(obs_demand_fc_);
      std::copy(sim_.demand_forecast().begin(), sim_.demand_forecast().end(), dfc.begin());
      auto wfc = out.obs<double>(obs_wind_fc_);
      std::copy(sim_.wind_forecast().begin(), sim_.wind_forecast().end(), wfc.begin());
      const auto ok = m.QualifyingActions(sim_.net_demand_forecast());
      auto mask = out.action_mask();
      for (size_t a = 0; a < mask.size(); ++a) mask[a] = ok[a] != 0;
    }
    if (mode_ != Mode::kDa) {
      out.obs<int64_t>(obs_hour_)[0] = std::min(sim_.hour(), kHours - 1);
      auto d = out.obs<double>(obs_demand_);
      std::copy(sim_.demand().begin(), sim_.demand().end(), d.begin());
      auto w = out.obs<double>(obs_wind_);
      std::copy(sim_.wind().begin(), sim_.wind().end(), w.begin());
      auto gen = out.obs<double>(obs_gen_);
      std::copy(sim_.generation().begin(), sim_.generation().end(), gen.begin());
      sim_.RtFeatures(out.obs<double>(obs_rt_));
    }
    out.info(kReliability) = hours_ > 0 && mode_ != Mode::kDa ? sim_.reliability().reward : 0.0;
    out.info(kInfeasible) = infeasible_sum_;
    out.info(kCases) = cases_sum_;
    out.info(kBaseFeasible) = base_sum_;
    out.info(kLinesOut) = sim_.lines_out();
    out.info(kHour) = std::min(sim_.hour(), kHours - 1);
    out.info(kDay) = day_;
    out.info(kCommitment) = sim_.commitment();
    out.info(kEffectiveDemand) = sim_.EffectiveDemand();
    out.info(kGenerationEntropy) = sim_.GenerationEntropy();
    for (int l = 0; l < nl; ++l) {
      out.info(kNumFixedInfos + l) = hours_ > 0 ? outage_sum_[l] : -1.0;
    }
    out.reward() = 0.0;
    out.terminated() = false;
    out.truncated() = false;
  }

  std::shared_ptr<const EnvSpec> spec_;
  uc::UcSim sim_;
  int64_t days_;
  Mode mode_ = Mode::kDa;
  std::string policy_;
  std::vector<double> psi_;
  Rng rng_;
  int64_t day_ = 0;
  size_t obs_line_ = 0, obs_countdown_ = 0, obs_commitment_ = 0, obs_da_ = 0, obs_demand_fc_ = 0,
         obs_wind_fc_ = 0, obs_hour_ = 0, obs_demand_ = 0, obs_wind_ = 0, obs_gen_ = 0,
         obs_rt_ = 0;
  size_t act_commitment_ = 0, act_redispatch_ = 1;
  double infeasible_sum_ = 0, cases_sum_ = 0, base_sum_ = 0;
  std::vector<double> outage_sum_;
  int hours_ = 0;
};

}  // namespace

void RegisterUcRts96Env(Registry& registry) {
  EnvFactory f;
  f.id = "uc_rts96";
  f.summary =
      "day-ahead unit commitment + real-time N-1 reliability on IEEE RTS-96 (modes da, rt, "
      "hierarchical)";
  f.schema = UcSchema();
  f.make = [](const Config& config) { return UcRts96Env::Make(config); };
  (void)registry.Register(std::move(f));
}

}  // namespace gridrl::env
