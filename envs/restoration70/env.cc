// The `restoration70` environment (shared/spec/restoration70.md): post-disaster restoration of a
// radial distribution system with interdependent critical infrastructure.
//
// An episode is one event: k branches fail at t0 (random and seeded, or a fixed list), the
// network is reconfigured radially around them (restoration70_model.h), and one crew repairs one
// failed branch per interval dt. One step = one repair: the action picks a failed branch (the
// action mask lists the failed, unrepaired ones); with `switching_actions` it also names branches
// the operator holds open during the next interval (kept out of the reconfiguration, so the
// network stays radial by construction). After each repair the network is reconfigured and
// checked again and the CIU recomputed.
//
// Reward = the resilience area gained over the next interval, Eq 1 of the spec normalised by the
// event length: dt * CIU(after the repair) / ((tR - t0) * 100 %), and 0 for the last repair (its
// interval starts at tR). So CIU(t0) * dt / ((tR - t0) * 100 %) + the return = R of the event,
// reported in the info `resilience_area`. The episode terminates when every fault is repaired.
#include <algorithm>
#include <memory>
#include <numeric>

#include "absl/strings/str_format.h"
#include "env/env.h"
#include "envs/restoration70/model.h"
#include "env/registry.h"
#include "env/rng.h"
#include "metrics/reliability.h"

namespace gridrl::env {
namespace {

using restoration70::RestorationModel;

// Dict observation leaves, in sorted key order.
enum ObsLeaf : size_t {
  kBranchStatus,
  kBusServed,
  kCiu,
  kCiuPerInput,
  kLimitingInput,
  kSwitchState,
  kTime
};
enum Info : size_t {
  kInfoCiu,
  kInfoArea,
  kInfoServed,
  kInfoShed,
  kInfoDark,
  kInfoRepairsLeft,
  kInfoSaifi,
  kInfoSaidi,
  kInfoCaidi,
  kInfoVmin,
  kInfoLimiting,
  kInfoSheds
};

ConfigSchema Restoration70Schema() {
  ConfigSchema s;
  restoration70::AddModelSchema(s);
  s.Int("faults", 20, "number of branches that fail at t0 [paper: 20]", 1, 10000)
      .String("fault_branches", "all",
              "where faults are drawn: 'all' branches or only normally closed 'sectionalisers'",
              {"all", "sectionalisers"})
      .IntList("fault_list", {},
               "fixed failed branches (0-based branch indices in case order); empty: draw "
               "`faults` at random at every reset",
               0, 1e6)
      .Double("repair_interval_h", 1.0, "time one crew needs per repair, dt [ours]", 1e-3, 1e3)
      .Bool("switching_actions", false,
            "action = {repair, hold_open}: the operator may also hold branches open")
      .Double("total_customers", 10000.0,
              "customers counted by SAIFI/SAIDI/CAIDI, spread in proportion to load [ours]", 1.0,
              1e9);
  return s;
}

class Restoration70Env final : public EnvBase<Restoration70Env> {
 public:
  Restoration70Env(const Config& config, std::shared_ptr<const RestorationModel> model,
                   std::vector<int> candidates, std::vector<int> fixed, int faults)
      : model_(std::move(model)),
        candidates_(std::move(candidates)),
        fixed_(std::move(fixed)),
        faults_(faults),
        dt_h_(config.GetDouble("repair_interval_h")),
        switching_(config.GetBool("switching_actions")),
        customers_(config.GetDouble("total_customers")),
        ws_(model_->MakeWorkspace()) {
    const int nb = model_->num_branches(), n = model_->num_buses();
    const int inputs = model_->oct().num_inputs();
    auto spec = std::make_shared<EnvSpec>();
    spec->id = "restoration70";
    spec->description =
        "Repair order after a k-fault event on a radial grid with interdependent critical "
        "infrastructure; reward = resilience area gained (CIU over time)";
    spec->config_schema = Restoration70Schema();
    spec->config = config;
    spec->observation_space = Space::Dict({
        {"branch_status", Space::MultiBinary(nb)},
        {"bus_served", Space::MultiBinary(n)},
        {"ciu", Space::Box(DType::kFloat32, {1}, 0.0, 100.0)},
        {"ciu_per_input", Space::Box(DType::kFloat32, {inputs}, 0.0, 100.0)},
        {"limiting_input", Space::Discrete(inputs)},
        {"switch_state", Space::MultiBinary(nb)},
        {"time_h", Space::Box(DType::kFloat32, {1}, 0.0, faults_ * dt_h_)},
    });
    if (switching_) {
      spec->action_space = Space::Dict({
          {"hold_open", Space::MultiBinary(nb)},
          {"repair", Space::Discrete(nb)},
      });
    } else {
      spec->action_space = Space::Discrete(nb);
    }
    spec->info_keys = {"ciu_pct",  "resilience_area", "served_kw", "shed_kw",
                       "dark_kw",  "repairs_left",    "saifi",     "saidi_h",
                       "caidi_h",  "vmin_pu",         "limiting_input", "loads_shed"};
    spec->has_action_mask = true;
    spec->enforce_action_mask = true;
    spec->reward_low = 0.0;
    spec->reward_high = 1.0 / faults_;
    spec->max_episode_steps = faults_;
    spec->Finalize();
    spec_ = std::move(spec);
    failed_.assign(nb, 0);
    available_.assign(nb, 1);
    outages_.assign(n, {});
    for (int b = 0; b < n; ++b) outages_[b].load_kw = model_->load_kw(b);
  }

  const EnvSpec& spec() const override { return *spec_; }

  void Reset(std::optional<uint64_t> seed, StepSlot out) override {
    if (seed) rng_.Seed(*seed);
    std::fill(failed_.begin(), failed_.end(), 0);
    if (!fixed_.empty()) {
      for (int k : fixed_) failed_[k] = 1;
    } else {
      // Partial Fisher-Yates over the candidates: k distinct branches.
      scratch_ = candidates_;
      for (int j = 0; j < faults_; ++j) {
        const int pick = j + static_cast<int>(rng_.UniformInt(scratch_.size() - j));
        std::swap(scratch_[j], scratch_[pick]);
        failed_[scratch_[j]] = 1;
      }
    }
    repairs_ = 0;
    t_h_ = 0.0;
    for (auto& o : outages_) o.unserved_h = 0.0;
    Evaluate(nullptr);
    area_ = dt_h_ * ws_.ciu_pct / (faults_ * dt_h_ * 100.0);
    Write(out);
    out.reward() = 0.0;
  }

  void Step(const ActionRow& action, StepSlot out) override {
    const int repair = static_cast<int>(
        switching_ ? action.scalar<int64_t>(1) : action.scalar<int64_t>(0));
    // The interval that just ended was served as the last evaluation says.
    for (int b = 0; b < model_->num_buses(); ++b) {
      if (!ws_.served[b] && model_->load_kw(b) > 0) outages_[b].unserved_h += dt_h_;
    }
    failed_[repair] = 0;
    ++repairs_;
    t_h_ += dt_h_;
    Evaluate(switching_ ? action.get<int8_t>(0).data() : nullptr);
    const bool done = repairs_ >= faults_;
    const double reward = done ? 0.0 : dt_h_ * ws_.ciu_pct / (faults_ * dt_h_ * 100.0);
    area_ += reward;
    Write(out);
    out.reward() = reward;
    out.terminated() = done;
  }

 private:
  void Evaluate(const int8_t* hold_open) {
    for (size_t k = 0; k < failed_.size(); ++k) {
      available_[k] = !failed_[k] && !(hold_open != nullptr && hold_open[k]);
    }
    model_->Evaluate(available_, ws_);
  }

  void Write(StepSlot out) {
    const int nb = model_->num_branches(), n = model_->num_buses();
    auto status = out.obs<int8_t>(kBranchStatus);
    auto sw = out.obs<int8_t>(kSwitchState);
    auto mask = out.action_mask();
    for (int k = 0; k < nb; ++k) {
      status[k] = failed_[k] ? 0 : 1;
      sw[k] = ws_.closed[k];
      mask[k] = failed_[k] != 0;
    }
    auto served = out.obs<int8_t>(kBusServed);
    for (int b = 0; b < n; ++b) served[b] = ws_.served[b];
    out.obs<float>(kCiu)[0] = static_cast<float>(ws_.ciu_pct);
    auto per = out.obs<float>(kCiuPerInput);
    for (size_t i = 0; i < per.size(); ++i) per[i] = static_cast<float>(ws_.per_input_pct[i]);
    out.obs<int64_t>(kLimitingInput)[0] = ws_.limiting_input;
    out.obs<float>(kTime)[0] = static_cast<float>(t_h_);
    out.info(kInfoCiu) = ws_.ciu_pct;
    out.info(kInfoArea) = area_;
    out.info(kInfoServed) = ws_.served_kw;
    out.info(kInfoShed) = ws_.shed_kw;
    out.info(kInfoDark) = ws_.dark_kw;
    out.info(kInfoRepairsLeft) = faults_ - repairs_;
    auto rel = metrics::ComputeReliability(outages_, customers_);
    out.info(kInfoSaifi) = rel.ok() ? rel->saifi : 0.0;
    out.info(kInfoSaidi) = rel.ok() ? rel->saidi_h : 0.0;
    out.info(kInfoCaidi) = rel.ok() ? rel->caidi_h : 0.0;
    out.info(kInfoVmin) = std::isfinite(ws_.vmin_pu) ? ws_.vmin_pu : 0.0;
    out.info(kInfoLimiting) = ws_.limiting_input;
    out.info(kInfoSheds) = ws_.num_shed;
    out.reward() = 0.0;
    out.terminated() = false;
    out.truncated() = false;
  }

  std::shared_ptr<const RestorationModel> model_;
  std::shared_ptr<const EnvSpec> spec_;
  std::vector<int> candidates_, fixed_, scratch_;
  int faults_;
  double dt_h_;
  bool switching_;
  double customers_;
  restoration70::Workspace ws_;
  Rng rng_;
  std::vector<uint8_t> failed_, available_;
  std::vector<metrics::LoadPointOutage> outages_;
  int repairs_ = 0;
  double t_h_ = 0.0, area_ = 0.0;
};

absl::StatusOr<std::unique_ptr<Env>> MakeRestoration70(const Config& config) {
  auto options = restoration70::ModelOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  auto model = RestorationModel::Create(*options);
  if (!model.ok()) return model.status();
  const int nb = (*model)->num_branches();
  std::vector<int> candidates;
  const bool all = config.GetString("fault_branches") == "all";
  for (int k = 0; k < nb; ++k) {
    if (all || (*model)->branch(k).normally_closed) candidates.push_back(k);
  }
  std::vector<int> fixed;
  std::vector<uint8_t> seen(nb, 0);
  const auto& list = config.GetIntList("fault_list");
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] >= nb) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "fault_list[%d]: branch %d out of range [0, %d)", i, list[i], nb));
    }
    if (seen[list[i]]) {
      return absl::InvalidArgumentError(
          absl::StrFormat("fault_list[%d]: branch %d listed twice", i, list[i]));
    }
    seen[list[i]] = 1;
    fixed.push_back(static_cast<int>(list[i]));
  }
  int faults = static_cast<int>(config.GetInt("faults"));
  if (!fixed.empty()) {
    faults = static_cast<int>(fixed.size());
  } else if (faults > static_cast<int>(candidates.size())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "faults: %d faults requested but only %d branches can fail (fault_branches = %s)", faults,
        candidates.size(), config.GetString("fault_branches")));
  }
  return std::make_unique<Restoration70Env>(config, *std::move(model), std::move(candidates),
                                            std::move(fixed), faults);
}

}  // namespace

void RegisterRestoration70Env(Registry& registry) {
  EnvFactory f;
  f.id = "restoration70";
  f.summary =
      "repair order after k faults on case70da with interdependent infrastructure (CIU, ORQ)";
  f.schema = Restoration70Schema();
  f.make = MakeRestoration70;
  (void)registry.Register(std::move(f));
}

}  // namespace gridrl::env
