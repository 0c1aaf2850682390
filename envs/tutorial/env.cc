// The tutorial environment: the smallest complete example of the environment contract, and the
// environment that drives the framework's tests and benchmarks without any power flow.
//
// Task: a rover on a width x height grid must reach a beacon. Each step it may move one cell
// (or two, sprinting, while it has energy), chooses a throttle that costs a little reward, and
// sets a signal that does nothing physical (it is there so the action uses every space type).
//
// How an environment is written, in four parts:
//   1. a ConfigSchema: every tunable value, typed and bounded, with a doc line;
//   2. a constructor that computes the EnvSpec from the config (spaces depend on the config here:
//      the grid size sets the Box bounds, and `action_space` switches between a Dict and a flat
//      Discrete action);
//   3. Reset and Step, which write into the StepSlot the pool hands them (no allocation);
//   4. a registration function, listed in envs/builtin.cc.
// Members are plain values plus one Rng, so EnvBase's copy-based Clone/RestoreFrom is correct.
#include <algorithm>
#include <cmath>
#include <memory>

#include "env/env.h"
#include "env/registry.h"
#include "env/rng.h"

namespace gridrl::env {
namespace {

// Leaf indices follow the sorted Dict keys (see Space::Dict), so they are fixed constants.
// Dict observation: agent, beacon, clock, distance, energy, heading, walls.
enum ObsLeaf : size_t { kAgent, kBeacon, kClock, kDistance, kEnergy, kHeading, kWalls };
// Dict action: move, signal, sprint, throttle.
enum ActLeaf : size_t { kMove, kSignal, kSprint, kThrottle };
enum Info : size_t { kInfoDistance, kInfoEnergy };

constexpr int kDx[5] = {0, 0, 1, 0, -1};  // stay, north, east, south, west
constexpr int kDy[5] = {0, 1, 0, -1, 0};
constexpr double kSprintEnergy = 0.1;

ConfigSchema TutorialSchema() {
  ConfigSchema s;
  s.Int("width", 6, "grid width in cells", 2, 64)
      .Int("height", 6, "grid height in cells", 2, 64)
      .Int("max_steps", 50, "steps before the episode is truncated", 1, 1e6)
      .Double("step_penalty", 0.01, "reward lost every step", 0.0, 1.0)
      .Double("goal_reward", 1.0, "reward for reaching the beacon", 0.0, 100.0)
      .String("action_space", "dict",
              "'dict': move/sprint/throttle/signal; 'discrete': move only (Discrete(5)) with a "
              "flat Box observation, for simple learners",
              {"dict", "discrete"})
      .Bool("enforce_mask", true,
            "refuse masked moves with an error; false: a move into a wall is a no-op")
      .Int("work", 0,
           "extra inner iterations per step standing in for physics cost (benchmarks only; the "
           "results do not depend on it)",
           0, 1e7);
  return s;
}

class TutorialEnv final : public EnvBase<TutorialEnv> {
 public:
  explicit TutorialEnv(const Config& config)
      : width_(config.GetInt("width")),
        height_(config.GetInt("height")),
        max_steps_(config.GetInt("max_steps")),
        step_penalty_(config.GetDouble("step_penalty")),
        goal_reward_(config.GetDouble("goal_reward")),
        flat_(config.GetString("action_space") == "discrete"),
        work_(config.GetInt("work")) {
    auto spec = std::make_shared<EnvSpec>();
    spec->id = "tutorial";
    spec->description = "Reach the beacon on a grid (tutorial and test environment)";
    spec->config_schema = TutorialSchema();
    spec->config = config;
    const double diag = std::hypot(width_ - 1, height_ - 1);
    if (flat_) {
      // agent x, y, beacon x, y (normalised), dx, dy (normalised), time fraction.
      spec->observation_space = Space::Box(DType::kFloat32, {7}, -1.0, 1.0);
      spec->action_space = Space::Discrete(5);
    } else {
      std::vector<double> hi = {double(width_ - 1), double(height_ - 1)};
      spec->observation_space = Space::Dict({
          {"agent", Space::Box(DType::kInt32, {2}, {0, 0}, hi)},
          {"beacon", Space::Box(DType::kInt32, {2}, {0, 0}, hi)},
          {"clock", Space::MultiDiscrete({max_steps_ + 1})},
          {"distance", Space::Box(DType::kFloat64, {1}, 0.0, diag)},
          {"energy", Space::Box(DType::kFloat32, {1}, 0.0, 1.0)},
          {"heading", Space::Discrete(4)},
          {"walls", Space::MultiBinary(4)},
      });
      spec->action_space = Space::Dict({
          {"move", Space::Discrete(5)},
          {"signal", Space::MultiDiscrete({3, 2})},
          {"sprint", Space::MultiBinary(1)},
          {"throttle", Space::Box(DType::kFloat32, {1}, 0.0, 1.0)},
      });
    }
    spec->info_keys = {"distance", "energy"};
    spec->has_action_mask = true;  // moves off the grid are masked
    spec->enforce_action_mask = config.GetBool("enforce_mask");
    spec->reward_low = -step_penalty_ - 0.01;
    spec->reward_high = goal_reward_;
    spec->max_episode_steps = max_steps_;
    spec->Finalize();
    spec_ = std::move(spec);
  }

  const EnvSpec& spec() const override { return *spec_; }

  void Reset(std::optional<uint64_t> seed, StepSlot out) override {
    if (seed) rng_.Seed(*seed);
    x_ = static_cast<int>(rng_.UniformInt(width_));
    y_ = static_cast<int>(rng_.UniformInt(height_));
    do {  // the beacon never starts under the rover
      bx_ = static_cast<int>(rng_.UniformInt(width_));
      by_ = static_cast<int>(rng_.UniformInt(height_));
    } while (bx_ == x_ && by_ == y_);
    heading_ = static_cast<int>(rng_.UniformInt(4));
    energy_ = 1.0f;
    t_ = 0;
    Write(out);
  }

  void Step(const ActionRow& action, StepSlot out) override {
    int move;
    bool sprint = false;
    double throttle = 0.0;
    if (flat_) {
      move = static_cast<int>(action.scalar<int64_t>(0));
    } else {
      move = static_cast<int>(action.scalar<int64_t>(kMove));
      sprint = action.scalar<int8_t>(kSprint) != 0;
      throttle = action.scalar<float>(kThrottle);
    }
    if (move != 0) heading_ = move - 1;
    int cells = (sprint && energy_ >= kSprintEnergy) ? 2 : 1;
    if (cells == 2) energy_ -= static_cast<float>(kSprintEnergy);
    for (int c = 0; c < cells; ++c) {
      int nx = x_ + kDx[move], ny = y_ + kDy[move];
      if (!Inside(nx, ny)) break;  // a wall stops the rover (a masked move is then a no-op)
      x_ = nx;
      y_ = ny;
      if (x_ == bx_ && y_ == by_) break;
    }
    ++t_;
    const bool reached = (x_ == bx_ && y_ == by_);
    double reward = -step_penalty_ - 0.01 * throttle * throttle;
    if (reached) reward += goal_reward_;
    Write(out);
    out.reward() = reward;
    out.terminated() = reached;
    out.truncated() = !reached && t_ >= max_steps_;
  }

 private:
  bool Inside(int x, int y) const { return x >= 0 && y >= 0 && x < width_ && y < height_; }

  // The distance, computed by `work_` Newton iterations for sqrt (converged after a handful):
  // a deterministic stand-in for an environment's physics cost in benchmarks.
  double Distance() const {
    const double d2 = double(bx_ - x_) * (bx_ - x_) + double(by_ - y_) * (by_ - y_);
    if (work_ == 0 || d2 == 0.0) return std::sqrt(d2);
    double r = std::max(1.0, d2);
    for (int64_t i = 0; i < work_; ++i) r = 0.5 * (r + d2 / r);
    return r;
  }

  void Write(StepSlot out) const {
    const double dist = Distance();
    if (flat_) {
      auto o = out.obs<float>(0);
      o[0] = float(x_) / float(width_ - 1);
      o[1] = float(y_) / float(height_ - 1);
      o[2] = float(bx_) / float(width_ - 1);
      o[3] = float(by_) / float(height_ - 1);
      o[4] = float(bx_ - x_) / float(width_ - 1);
      o[5] = float(by_ - y_) / float(height_ - 1);
      o[6] = float(t_) / float(max_steps_);
    } else {
      auto agent = out.obs<int32_t>(kAgent);
      agent[0] = x_;
      agent[1] = y_;
      auto beacon = out.obs<int32_t>(kBeacon);
      beacon[0] = bx_;
      beacon[1] = by_;
      out.obs<int64_t>(kClock)[0] = t_;
      out.obs<double>(kDistance)[0] = dist;
      out.obs<float>(kEnergy)[0] = energy_;
      out.obs<int64_t>(kHeading)[0] = heading_;
      auto walls = out.obs<int8_t>(kWalls);
      for (int d = 0; d < 4; ++d) walls[d] = Inside(x_ + kDx[d + 1], y_ + kDy[d + 1]) ? 0 : 1;
    }
    // Mask: move (5 choices) first; in the Dict action, signal's 3 + 2 choices follow (always
    // allowed). Staying is always allowed, so there is always a legal action.
    auto mask = out.action_mask();
    for (int m = 0; m < 5; ++m) mask[m] = Inside(x_ + kDx[m], y_ + kDy[m]);
    for (size_t i = 5; i < mask.size(); ++i) mask[i] = true;
    out.info(kInfoDistance) = dist;
    out.info(kInfoEnergy) = energy_;
    out.reward() = 0.0;
    out.terminated() = false;
    out.truncated() = false;
  }

  std::shared_ptr<const EnvSpec> spec_;  // immutable, shared by clones
  int64_t width_, height_, max_steps_;
  double step_penalty_, goal_reward_;
  bool flat_;
  int64_t work_;
  Rng rng_;
  int x_ = 0, y_ = 0, bx_ = 0, by_ = 0, heading_ = 0;
  float energy_ = 1.0f;
  int64_t t_ = 0;
};

}  // namespace

void RegisterTutorialEnv(Registry& registry) {
  EnvFactory f;
  f.id = "tutorial";
  f.summary = "reach a beacon on a grid; every space type (tutorial and test environment)";
  f.schema = TutorialSchema();
  f.make = [](const Config& config) -> absl::StatusOr<std::unique_ptr<Env>> {
    return std::make_unique<TutorialEnv>(config);
  };
  (void)registry.Register(std::move(f));
}

}  // namespace gridrl::env
