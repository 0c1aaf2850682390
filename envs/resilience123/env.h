// The `resilience123` environment: weather/calamity switching and DER deployment on the IEEE
// 123-node feeder (shared/spec/resilience123.md). Physics in resilience123_model.h.
//
// Episode: 50 steps (config `max_steps`), budget 500 units; the episode terminates early when the
// budget is negative (possible only with `enforce_mask=false` and an unaffordable choice).
// Each step: the strategic configuration is applied (changing to c debits base_cost[c]), then the
// tactical switch vector (refused, with a -1 penalty, if it puts two grid sources in one island),
// then this step's weather acts (repairs, failures), loads are served island by island and the
// power flow checks constraints; the weather chain then moves on, so the observation shows the
// weather of the next step.
//
// Action layouts (config `action_space`):
//   "dict" (default): Dict{ "config": Discrete(6), "grid": Discrete(2), "switches": MultiBinary(10) }
//       leaves in key order: 0 config (int64), 1 grid (int64), 2 switches (int8 x 10).
//   "multidiscrete": MultiDiscrete([6, 2,2,2,2,2,2,2,2,2,2, 2]) (int64 x 12):
//       [config, sw2, sw3, sw4, sw6, sw7, sw8, sw9, sw10, sw11, sw12, grid].
//   switches: 1 = closed, order sw2 sw3 sw4 sw6 sw7 sw8 sw9 sw10 sw11 sw12 (kTacticalSwitch).
//   grid: 0 = DER-first, 1 = grid-first dispatch in islands with both a grid source and DERs.
// Action mask (flat, Space's MaskSize order): the first 6 entries are the configurations the
// budget can pay for (the current one always); the rest (grid, and in the flat layout every
// switch value) are always true. Dict: 6 + 2 = 8 entries; multidiscrete: 6 + 22 = 28.
// `enforce_mask` (default false): false leaves the mask as advice and an unaffordable choice is
// applied, drives the budget negative and ends the episode; true refuses it with an error.
//
// Observation: Box float32 [33], index constants below:
//   0-1 weather one-hot (normal, calamity; of the coming step), 2 budget / initial, 3 t / T,
//   4-9 configuration one-hot, 10-19 switch vector (effective states), 20-24 failed-line fraction
//   of zones A-E, 25 R, 26-30 normalised indicators [R_CL, ARoS, WPV, q_c, IC], 31 cost efficiency
//   R / (1 + (C_op + C_cap + C_fail) / C_norm) [ours], 32 steps since calamity onset / T.
// For a weather-biased strategic head: the weather flag is obs[kObsWeather + 1] (also the
// "calamity" info of the step just taken) and n_DER(c) is kConfigDerCount[c] = {0,1,2,3,4,4}.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "env/config.h"
#include "env/env.h"
#include "envs/resilience123/model.h"

namespace gridrl::env {

inline constexpr int kR123ObsSize = 33;
inline constexpr int kR123ObsWeather = 0;
inline constexpr int kR123ObsBudget = 2;
inline constexpr int kR123ObsTime = 3;
inline constexpr int kR123ObsConfig = 4;
inline constexpr int kR123ObsSwitches = 10;
inline constexpr int kR123ObsZoneFailed = 20;
inline constexpr int kR123ObsResilience = 25;
inline constexpr int kR123ObsIndicators = 26;
inline constexpr int kR123ObsCostEfficiency = 31;
inline constexpr int kR123ObsOnset = 32;

// Info keys in order (EnvSpec::info_keys). The episode_* values are written on the step that
// ends the episode (terminated or truncated) and are 0 otherwise.
const std::vector<std::string>& Resilience123InfoKeys();

ConfigSchema Resilience123Schema();

// The simulator behind an env made by the registry ("resilience123"), or nullptr for another env.
const r123::Resilience123Sim* Resilience123SimOf(const Env& env);

}  // namespace gridrl::env
