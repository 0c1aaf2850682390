#include "envs/uc_rts96/model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "powerflow/network/case_io.h"
#include "powerflow/transmission/contingency.h"
#include "powerflow/network/data_path.h"

namespace gridrl::env::uc {
namespace {

// Reads a numeric CSV with a header row; returns the header and the rows.
absl::Status ReadCsv(const std::string& path, std::vector<std::string>& header,
                     std::vector<std::vector<double>>& rows) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) header.push_back(cell);
  }
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> row;
    while (std::getline(ss, cell, ',')) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str() || !std::isfinite(v)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, " line ", line_no, ": '", cell, "' is not a finite number"));
      }
      row.push_back(v);
    }
    if (row.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(path, " line ", line_no, ": ", row.size(),
                                                     " cells, header has ", header.size()));
    }
    rows.push_back(std::move(row));
  }
  return absl::OkStatus();
}

double Entropy(std::span<const double> x) {
  double total = 0;
  for (double v : x) total += std::max(v, 0.0);
  if (total <= 0) return 0;
  double h = 0;
  for (double v : x) {
    if (v <= 0) continue;
    const double p = v / total;
    h -= p * std::log(p);
  }
  return h;
}

}  // namespace

UcParams UcParams::FromConfig(const Config& c) {
  UcParams p;
  p.case_name = c.GetString("case");
  p.load_file = c.GetString("load_file");
  p.wind_file = c.GetString("wind_file");
  p.wind_scale = c.GetDouble("wind_scale");
  p.permutation_seed = static_cast<uint64_t>(c.GetInt("permutation_seed"));
  p.num_break_points = static_cast<int>(c.GetInt("num_break_points"));
  p.forecast_step = c.GetDouble("forecast_step");
  p.realisation = c.GetString("realisation");
  p.wind_noise = c.GetDouble("wind_noise");
  p.demand_noise = c.GetDouble("demand_noise");
  p.wind_noise_points = static_cast<int>(c.GetInt("wind_noise_points"));
  p.demand_noise_points = static_cast<int>(c.GetInt("demand_noise_points"));
  p.gaussian_demand_sigma = c.GetDouble("gaussian_demand_sigma");
  p.gaussian_wind_sigma = c.GetDouble("gaussian_wind_sigma");
  p.line_failure_prob = c.GetDouble("line_failure_prob");
  p.repair_hours = static_cast<int>(c.GetInt("repair_hours"));
  p.overload_tolerance = c.GetDouble("overload_tolerance");
  p.gen_limit_tolerance = c.GetDouble("gen_limit_tolerance");
  p.price_cap = c.GetDouble("price_cap");
  p.capacity_basis = c.GetString("capacity_basis");
  p.initial_day = c.GetString("initial_day");
  p.stress_day = static_cast<int>(c.GetInt("stress_day"));
  p.stress_wind_slope = c.GetDouble("stress_wind_slope");
  p.stress_demand_base = c.GetDouble("stress_demand_base");
  p.pf_tolerance_pu = c.GetDouble("pf_tolerance_pu");
  p.pf_max_iterations = static_cast<int>(c.GetInt("pf_max_iterations"));
  p.deficit_screen = c.GetBool("deficit_screen");
  return p;
}

void AddUcModelFields(ConfigSchema& s) {
  const UcParams d;
  s.String("case", d.case_name, "network: built-in case name or path (RTS-96, 73 buses)")
      .String("load_file", d.load_file,
              "hourly regional load, fraction of each area's annual peak (data dir relative)")
      .String("wind_file", d.wind_file, "hourly wind per plant in MW, columns bus_<id>")
      .Double("wind_scale", d.wind_scale, "[ours] multiplies every wind output", 0.0, 100.0)
      .Int("permutation_seed", static_cast<int64_t>(d.permutation_seed),
           "[ours] seed of the generator permutation behind the 15 day-ahead subsets", 0, 1e15)
      .Int("num_break_points", d.num_break_points,
           "[code] break points round(linspace(1, n_gen, k)); C(k, 2) actions", 2, 20)
      .Double("forecast_step", d.forecast_step,
              "[code] day-to-day forecast change: epsilon drawn from {+s, 0, -s}", 0.0, 1.0)
      .String("realisation", d.realisation,
              "[code] hourly realisation: 'uniform' grids of points or 'gaussian'",
              {"uniform", "gaussian"})
      .Double("wind_noise", d.wind_noise, "[code] half-width of the uniform wind grid", 0.0, 1.0)
      .Double("demand_noise", d.demand_noise, "[code] half-width of the uniform demand grid", 0.0,
              1.0)
      .Int("wind_noise_points", d.wind_noise_points, "[code] points of the wind grid", 1, 1000)
      .Int("demand_noise_points", d.demand_noise_points, "[code] points of the demand grid", 1,
           1000)
      .Double("gaussian_demand_sigma", d.gaussian_demand_sigma,
              "[code] gaussian mode: demand std as a fraction of the forecast", 0.0, 1.0)
      .Double("gaussian_wind_sigma", d.gaussian_wind_sigma,
              "[code] gaussian mode: wind std as a fraction of the forecast", 0.0, 1.0)
      .Double("line_failure_prob", d.line_failure_prob,
              "[code] probability that an in-service line fails in an hour", 0.0, 1.0)
      .Int("repair_hours", d.repair_hours, "[code] hours until a failed line is back", 1, 1000)
      .Double("overload_tolerance", d.overload_tolerance,
              "[code] a contingency fails when a branch loading exceeds 1 + this", 0.0, 100.0)
      .Double("gen_limit_tolerance", d.gen_limit_tolerance,
              "[code] a contingency fails when a generator exceeds its P limits by this x Pmax",
              0.0, 100.0)
      .Double("price_cap", d.price_cap, "[code] cap of the price max_j Pmax_j / Pmax_i", 1.0,
              1e12)
      .String("capacity_basis", d.capacity_basis,
              "[ours] Sum Pmax in the effective demand d: 'committed' units or 'all' units",
              {"committed", "all"})
      .String("initial_day", d.initial_day,
              "[code] initial forecast: one of the 5 'stress' days or a random record day "
              "('year')",
              {"stress", "year"})
      .Int("stress_day", d.stress_day, "[ours] 1..5 fixes the stress day; 0 draws it uniformly",
           0, kNumStressDays)
      .Double("stress_wind_slope", d.stress_wind_slope,
              "[code] stress day i: wind (1 - s(i-1)) x mean, demand b(1 + s(i-1)) x peak", 0.0,
              10.0)
      .Double("stress_demand_base", d.stress_demand_base, "[code] b of the stress days", 0.0,
              10.0)
      .Double("pf_tolerance_pu", d.pf_tolerance_pu, "[ours] AC power-flow mismatch tolerance",
              1e-12, 1e-2)
      .Int("pf_max_iterations", d.pf_max_iterations,
           "[ours] Newton iterations before a contingency counts as not converged", 1, 100)
      .Bool("deficit_screen", d.deficit_screen,
            "[ours] skip the AC solve of cases whose lossless island deficit already breaks the "
            "generator limits (identical rewards, faster; passive networks only)");
}

absl::StatusOr<std::shared_ptr<const UcModel>> UcModel::Create(const UcParams& params) {
  auto m = std::make_shared<UcModel>();
  m->params_ = params;
  auto net = powerflow::LoadCase(params.case_name);
  if (!net.ok()) return net.status();
  // Each island's slack is its largest committed generator: the case's REF bus is an ordinary
  // PV bus here, so the solver chooses the slack from the in-service (committed) units.
  for (auto& b : net->buses) {
    if (b.type == powerflow::BusType::kRef) b.type = powerflow::BusType::kPV;
  }
  for (auto& g : net->gens) g.in_service = true;
  if (net->gens.empty()) return absl::InvalidArgumentError("case: no generators");
  if (net->gencost.size() < net->gens.size()) {
    return absl::InvalidArgumentError(absl::StrCat("case ", params.case_name,
                                                   ": needs a gencost row per generator"));
  }
  auto grid = powerflow::Grid::Create(*net);
  if (!grid.ok()) return grid.status();
  m->grid_ = *grid;
  const auto& n = m->grid_->network();
  m->nb_ = m->grid_->num_buses();
  m->ng_ = m->grid_->num_gens();
  m->nl_ = m->grid_->num_branches();
  m->passive_ = true;
  for (const auto& br : n.branches) m->passive_ = m->passive_ && br.r_pu >= 0;
  for (const auto& b : n.buses) m->passive_ = m->passive_ && b.gs_mw >= 0;
  for (const auto& dc : n.dclines) m->passive_ = m->passive_ && !dc.in_service;

  for (int g = 0; g < m->ng_; ++g) {
    m->pmax_.push_back(std::max(n.gens[g].pmax_mw, 0.0));
    m->pmin_.push_back(std::clamp(n.gens[g].pmin_mw, 0.0, m->pmax_.back()));
    const auto& c = n.gencost[g];
    if (c.model != 2 || c.params.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "case ", params.case_name, ": gencost row ", g + 1, " must be polynomial (model 2)"));
    }
    const size_t k = c.params.size();
    m->cost_c2_.push_back(k >= 3 ? std::max(c.params[k - 3], 0.0) : 0.0);
    m->cost_c1_.push_back(c.params[k - 2]);
  }
  m->max_pmax_ = *std::max_element(m->pmax_.begin(), m->pmax_.end());
  for (int g = 0; g < m->ng_; ++g) {
    m->price_.push_back(m->pmax_[g] > 0 ? std::min(m->max_pmax_ / m->pmax_[g], params.price_cap)
                                        : params.price_cap);
  }
  m->price_order_.resize(m->ng_);
  std::iota(m->price_order_.begin(), m->price_order_.end(), 0);
  std::stable_sort(m->price_order_.begin(), m->price_order_.end(),
                   [&](int a, int b) { return m->price_[a] < m->price_[b]; });

  // Buses: peak loads and areas.
  std::vector<int> area_ids;
  for (const auto& b : n.buses) area_ids.push_back(b.area);
  std::sort(area_ids.begin(), area_ids.end());
  area_ids.erase(std::unique(area_ids.begin(), area_ids.end()), area_ids.end());
  m->num_areas_ = static_cast<int>(area_ids.size());
  for (const auto& b : n.buses) {
    m->bus_pd_.push_back(b.pd_mw);
    m->bus_qd_ratio_.push_back(b.pd_mw != 0 ? b.qd_mvar / b.pd_mw : 0.0);
    m->bus_area_.push_back(static_cast<int>(
        std::lower_bound(area_ids.begin(), area_ids.end(), b.area) - area_ids.begin()));
  }

  // Load records: day, hour, one column per area (fraction of the area's annual peak).
  auto load_path = DataFile(params.load_file);
  if (!load_path.ok()) return load_path.status();
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  if (auto s = ReadCsv(*load_path, header, rows); !s.ok()) return s;
  if (static_cast<int>(header.size()) != 2 + m->num_areas_ || rows.empty() ||
      rows.size() % kHours != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        params.load_file, ": expected columns day,hour and ", m->num_areas_,
        " areas, and whole days of 24 rows"));
  }
  m->num_days_ = static_cast<int>(rows.size() / kHours);
  for (const auto& r : rows) {
    for (int a = 0; a < m->num_areas_; ++a) m->load_.push_back(std::max(r[2 + a], 0.0));
  }
  // Wind records: day, hour, bus_<id> per plant (MW).
  auto wind_path = DataFile(params.wind_file);
  if (!wind_path.ok()) return wind_path.status();
  header.clear();
  rows.clear();
  if (auto s = ReadCsv(*wind_path, header, rows); !s.ok()) return s;
  if (header.size() < 3 || static_cast<int>(rows.size()) != m->num_days_ * kHours) {
    return absl::InvalidArgumentError(absl::StrCat(
        params.wind_file, ": expected columns day,hour,bus_<id>... and as many rows as ",
        params.load_file));
  }
  for (size_t c = 2; c < header.size(); ++c) {
    const std::string& h = header[c];
    int bus_id = 0;
    if (h.rfind("bus_", 0) != 0 || !absl::SimpleAtoi(h.substr(4), &bus_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(params.wind_file, ": column '", h, "' is not bus_<id>"));
    }
    const int b = m->grid_->FindBusIndex(bus_id);
    if (b < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(params.wind_file, ": wind bus ", bus_id, " is not in the case"));
    }
    m->wind_bus_.push_back(b);
  }
  const int nw = m->num_wind();
  for (const auto& r : rows) {
    for (int w = 0; w < nw; ++w) m->wind_.push_back(std::max(r[2 + w], 0.0) * params.wind_scale);
  }
  // Mean profiles for the stress days.
  m->mean_load_.assign(kHours * m->num_areas_, 0.0);
  m->mean_wind_.assign(kHours * nw, 0.0);
  for (int d = 0; d < m->num_days_; ++d) {
    for (int h = 0; h < kHours; ++h) {
      for (int a = 0; a < m->num_areas_; ++a) {
        m->mean_load_[h * m->num_areas_ + a] +=
            m->load_[(d * kHours + h) * m->num_areas_ + a] / m->num_days_;
      }
      for (int w = 0; w < nw; ++w) {
        m->mean_wind_[h * nw + w] += m->wind_[(d * kHours + h) * nw + w] / m->num_days_;
      }
    }
  }
  for (int a = 0; a < m->num_areas_; ++a) {
    double peak = 0;
    for (int h = 0; h < kHours; ++h) peak = std::max(peak, m->mean_load_[h * m->num_areas_ + a]);
    if (peak > 0) {
      for (int h = 0; h < kHours; ++h) m->mean_load_[h * m->num_areas_ + a] /= peak;
    }
  }

  // The action set: subsets of a seeded permutation between pairs of break points.
  m->permutation_.resize(m->ng_);
  std::iota(m->permutation_.begin(), m->permutation_.end(), 0);
  Rng perm_rng(params.permutation_seed);
  for (int i = m->ng_ - 1; i > 0; --i) {
    const int j = static_cast<int>(perm_rng.UniformInt(static_cast<uint64_t>(i) + 1));
    std::swap(m->permutation_[i], m->permutation_[j]);
  }
  const int k = params.num_break_points;
  std::vector<int> breaks;  // 1-based positions in the permutation
  for (int i = 0; i < k; ++i) {
    const double x = 1.0 + (m->ng_ - 1.0) * i / (k - 1.0);
    breaks.push_back(static_cast<int>(std::lround(x)));
  }
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      std::vector<int> s;
      std::vector<char> mask(m->ng_, 0);
      double gmax = 0, gmin = 0, price = 0;
      for (int pos = breaks[i]; pos <= breaks[j]; ++pos) {
        const int g = m->permutation_[pos - 1];
        s.push_back(g);
        mask[g] = 1;
        gmax += m->pmax_[g];
        gmin += m->pmin_[g];
        price += m->price_[g];
      }
      m->subsets_.push_back(std::move(s));
      m->subset_mask_.push_back(std::move(mask));
      m->subset_pmax_.push_back(gmax);
      m->subset_pmin_.push_back(gmin);
      m->subset_price_per_mw_.push_back(gmax > 0 ? price / gmax : params.price_cap);
    }
  }
  return std::shared_ptr<const UcModel>(std::move(m));
}

void UcModel::RecordDay(int day, std::span<double> demand, std::span<double> wind) const {
  const int nw = num_wind();
  for (int h = 0; h < kHours; ++h) {
    for (int b = 0; b < nb_; ++b) {
      demand[h * nb_ + b] = load_[(day * kHours + h) * num_areas_ + bus_area_[b]] * bus_pd_[b];
    }
    for (int w = 0; w < nw; ++w) wind[h * nw + w] = wind_[(day * kHours + h) * nw + w];
  }
}

void UcModel::StressDay(int i, std::span<double> demand, std::span<double> wind) const {
  const int nw = num_wind();
  const double s = params_.stress_wind_slope * (i - 1);
  const double wind_factor = std::max(1.0 - s, 0.0);
  const double demand_factor = params_.stress_demand_base * (1.0 + s);
  for (int h = 0; h < kHours; ++h) {
    for (int b = 0; b < nb_; ++b) {
      demand[h * nb_ + b] = demand_factor * bus_pd_[b] * mean_load_[h * num_areas_ + bus_area_[b]];
    }
    for (int w = 0; w < nw; ++w) wind[h * nw + w] = wind_factor * mean_wind_[h * nw + w];
  }
}

void UcModel::EconomicDispatch(const std::vector<char>& committed, double net_mw,
                               std::span<double> p) const {
  double lo_total = 0, hi_total = 0;
  for (int g = 0; g < ng_; ++g) {
    if (!committed[g]) continue;
    lo_total += pmin_[g];
    hi_total += pmax_[g];
  }
  auto at = [&](int g, double lambda) {
    if (cost_c2_[g] > 0) {
      return std::clamp((lambda - cost_c1_[g]) / (2 * cost_c2_[g]), pmin_[g], pmax_[g]);
    }
    return lambda > cost_c1_[g] ? pmax_[g] : pmin_[g];
  };
  if (net_mw <= lo_total || net_mw >= hi_total) {
    const bool low = net_mw <= lo_total;
    for (int g = 0; g < ng_; ++g) p[g] = committed[g] ? (low ? pmin_[g] : pmax_[g]) : 0.0;
    return;
  }
  // Bracket lambda by marginal costs at the limits, then bisect; the final dispatch interpolates
  // between the two bracketing dispatches, which splits the remainder among units whose
  // (linear) marginal cost equals lambda.
  double lam_lo = 1e300, lam_hi = -1e300;
  for (int g = 0; g < ng_; ++g) {
    if (!committed[g]) continue;
    lam_lo = std::min(lam_lo, cost_c1_[g] + 2 * cost_c2_[g] * pmin_[g]);
    lam_hi = std::max(lam_hi, cost_c1_[g] + 2 * cost_c2_[g] * pmax_[g]);
  }
  lam_lo -= 1.0;
  lam_hi += 1.0;
  auto total = [&](double lambda) {
    double t = 0;
    for (int g = 0; g < ng_; ++g) {
      if (committed[g]) t += at(g, lambda);
    }
    return t;
  };
  for (int it = 0; it < 100 && lam_hi - lam_lo > 1e-10; ++it) {
    const double mid = 0.5 * (lam_lo + lam_hi);
    if (total(mid) < net_mw) {
      lam_lo = mid;
    } else {
      lam_hi = mid;
    }
  }
  const double t_lo = total(lam_lo), t_hi = total(lam_hi);
  const double w = t_hi > t_lo ? (net_mw - t_lo) / (t_hi - t_lo) : 0.0;
  for (int g = 0; g < ng_; ++g) {
    p[g] = committed[g] ? at(g, lam_lo) + w * (at(g, lam_hi) - at(g, lam_lo)) : 0.0;
  }
}

void UcModel::DaFeatures(std::span<const double> net, int a, std::span<double> out) const {
  double max_d = -1e300, min_d = 1e300, avg_d = 0;
  for (int h = 0; h < kHours; ++h) {
    max_d = std::max(max_d, net[h]);
    min_d = std::min(min_d, net[h]);
    avg_d += net[h] / kHours;
  }
  const double gmax = subset_pmax_[a], gmin = subset_pmin_[a];
  const double span = std::max(gmax - gmin, 1e-9);
  const double x = 2.0 * (avg_d - gmin) / span - 1.0;
  out[0] = 1.0;
  out[1] = gmax < max_d ? -1.0 : 0.0;
  out[2] = min_d < gmin ? -1.0 : 0.0;
  out[3] = -x * x;
  for (int i = 0; i < num_actions(); ++i) out[4 + i] = i == a ? 1.0 : 0.0;
}

std::vector<char> UcModel::QualifyingActions(std::span<const double> net) const {
  const double max_d = *std::max_element(net.begin(), net.begin() + kHours);
  std::vector<char> ok(num_actions(), 0);
  bool any = false;
  for (int a = 0; a < num_actions(); ++a) {
    ok[a] = subset_pmax_[a] >= max_d;
    any = any || ok[a];
  }
  if (!any) std::fill(ok.begin(), ok.end(), 1);
  return ok;
}

int UcModel::CostAction(std::span<const double> net) const {
  const auto ok = QualifyingActions(net);
  int best = -1;
  for (int a = 0; a < num_actions(); ++a) {
    if (ok[a] && (best < 0 || subset_price_per_mw_[a] < subset_price_per_mw_[best])) best = a;
  }
  return best;
}

int UcModel::ElasticAction(std::span<const double> net) const {
  const auto ok = QualifyingActions(net);
  int best = -1;
  double best_ratio = -1;
  for (int a = 0; a < num_actions(); ++a) {
    if (!ok[a]) continue;
    const double ratio =
        subset_pmin_[a] > 0 ? subset_pmax_[a] / subset_pmin_[a] : 1e300;  // no minimum: elastic
    if (best < 0 || ratio > best_ratio) {
      best = a;
      best_ratio = ratio;
    }
  }
  return best;
}

int PsiAction(const UcModel& m, std::span<const double> net, std::span<const double> psi,
              Rng& rng) {
  double phi[kDaFeaturesPerAction];
  double best = -1e300;
  int best_a = 0, ties = 0;
  for (int a = 0; a < m.num_actions(); ++a) {
    m.DaFeatures(net, a, phi);
    double v = 0;
    for (int i = 0; i < kDaFeaturesPerAction; ++i) v += psi[i] * phi[i];
    if (v > best + 1e-12) {
      best = v;
      best_a = a;
      ties = 1;
    } else if (std::abs(v - best) <= 1e-12) {
      // Reservoir choice among equal values: uniform over the ties.
      ++ties;
      if (rng.UniformInt(ties) == 0) best_a = a;
    }
  }
  return best_a;
}

int RandomAction(const UcModel& m, std::span<const double> net, Rng& rng) {
  const auto ok = m.QualifyingActions(net);
  int count = 0;
  for (char c : ok) count += c ? 1 : 0;
  int k = static_cast<int>(rng.UniformInt(count));
  for (int a = 0; a < m.num_actions(); ++a) {
    if (ok[a] && k-- == 0) return a;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------

UcSim::UcSim(std::shared_ptr<const UcModel> model)
    : model_(std::move(model)), base_(model_->grid()), work_(model_->grid()) {
  const UcModel& m = *model_;
  demand_fc_.assign(kHours * m.num_buses(), 0.0);
  wind_fc_.assign(kHours * m.num_wind(), 0.0);
  net_fc_.assign(kHours, 0.0);
  committed_.assign(m.num_gens(), 0);
  schedule_.assign(kHours * m.num_gens(), 0.0);
  demand_.assign(m.num_buses(), 0.0);
  wind_.assign(m.num_wind(), 0.0);
  gen_.assign(m.num_gens(), 0.0);
  bus_net_.assign(m.num_buses(), 0.0);
  line_on_.assign(m.num_branches(), 1);
  countdown_.assign(m.num_branches(), 0);
  rel_.outage_infeasible.assign(m.num_branches(), -1);
  dsu_.assign(m.num_buses(), 0);
  island_deficit_.assign(m.num_buses(), 0.0);
  island_headroom_.assign(m.num_buses(), 0.0);
  solve_.tolerance_pu = m.params().pf_tolerance_pu;
  solve_.max_iterations = m.params().pf_max_iterations;
  solve_.retry_flat_start = true;
}

void UcSim::RepairAllLines() {
  std::fill(line_on_.begin(), line_on_.end(), 1);
  std::fill(countdown_.begin(), countdown_.end(), 0);
}

void UcSim::StartEpisode(Rng& rng, int stress_day) {
  const UcParams& p = model_->params();
  if (stress_day > 0 || p.initial_day == "stress") {
    int i = stress_day > 0 ? stress_day : p.stress_day;
    if (i <= 0) i = 1 + static_cast<int>(rng.UniformInt(kNumStressDays));
    model_->StressDay(i, demand_fc_, wind_fc_);
  } else {
    model_->RecordDay(static_cast<int>(rng.UniformInt(model_->num_days())), demand_fc_, wind_fc_);
  }
  SetForecast(demand_fc_, wind_fc_);
  RepairAllLines();
  action_ = -1;
  std::fill(committed_.begin(), committed_.end(), 0);
  std::fill(gen_.begin(), gen_.end(), 0.0);
  hour_ = 0;
}

void UcSim::SetForecast(std::span<const double> demand, std::span<const double> wind) {
  if (demand.data() != demand_fc_.data()) std::copy(demand.begin(), demand.end(), demand_fc_.begin());
  if (wind.data() != wind_fc_.data()) std::copy(wind.begin(), wind.end(), wind_fc_.begin());
  const int nb = model_->num_buses(), nw = model_->num_wind();
  for (int h = 0; h < kHours; ++h) {
    double net = 0;
    for (int b = 0; b < nb; ++b) net += demand_fc_[h * nb + b];
    for (int w = 0; w < nw; ++w) net -= wind_fc_[h * nw + w];
    net_fc_[h] = net;
  }
}

void UcSim::DaFeatureMatrix(std::span<double> out) const {
  for (int a = 0; a < model_->num_actions(); ++a) {
    model_->DaFeatures(net_fc_, a, out.subspan(a * kDaFeaturesPerAction, kDaFeaturesPerAction));
  }
}

void UcSim::Commit(int action) {
  const UcModel& m = *model_;
  action_ = action;
  committed_ = m.subset_mask(action);
  const int ng = m.num_gens();
  for (int h = 0; h < kHours; ++h) {
    m.EconomicDispatch(committed_, net_fc_[h], std::span<double>(schedule_).subspan(h * ng, ng));
  }
}

void UcSim::AdvanceDay(Rng& rng) {
  const double s = model_->params().forecast_step;
  // epsilon uniformly from {+s, 0, -s}.
  const uint64_t k = rng.UniformInt(3);
  const double e = k == 0 ? s : (k == 1 ? 0.0 : -s);
  for (double& w : wind_fc_) w = std::max(w * (1.0 + e), 0.0);
  for (double& d : demand_fc_) d = std::max(d * (1.0 - e), 0.0);
  SetForecast(demand_fc_, wind_fc_);
  hour_ = 0;
}

void UcSim::RealiseHour(Rng& rng) {
  const UcModel& m = *model_;
  const UcParams& p = m.params();
  for (int l = 0; l < m.num_branches(); ++l) {
    if (!line_on_[l]) {
      if (--countdown_[l] <= 0) {
        countdown_[l] = 0;
        line_on_[l] = 1;
      }
    } else if (p.line_failure_prob > 0 && rng.Bernoulli(p.line_failure_prob)) {
      line_on_[l] = 0;
      countdown_[l] = p.repair_hours;
    }
  }
  double dw, dd;
  if (p.realisation == "gaussian") {
    dw = p.gaussian_wind_sigma * rng.Normal();
    dd = p.gaussian_demand_sigma * rng.Normal();
  } else {
    auto point = [&](double half, int n) {
      if (n <= 1) return 0.0;
      const double k = static_cast<double>(rng.UniformInt(n));
      return -half + 2.0 * half * k / (n - 1);
    };
    dw = point(p.wind_noise, p.wind_noise_points);
    dd = point(p.demand_noise, p.demand_noise_points);
  }
  const int nb = m.num_buses(), nw = m.num_wind();
  const int h = std::min(hour_, kHours - 1);
  for (int b = 0; b < nb; ++b) demand_[b] = std::max(demand_fc_[h * nb + b] * (1.0 + dd), 0.0);
  for (int w = 0; w < nw; ++w) wind_[w] = std::max(wind_fc_[h * nw + w] * (1.0 + dw), 0.0);
}

void UcSim::SetRealised(std::span<const double> demand, std::span<const double> wind) {
  std::copy(demand.begin(), demand.end(), demand_.begin());
  std::copy(wind.begin(), wind.end(), wind_.begin());
}

void UcSim::SetGeneration(std::span<const double> gen_mw) {
  std::copy(gen_mw.begin(), gen_mw.end(), gen_.begin());
}

void UcSim::SetLineStatus(int branch, bool in_service, int countdown_hours) {
  line_on_[branch] = in_service ? 1 : 0;
  countdown_[branch] = in_service ? 0 : countdown_hours;
}

void UcSim::LoadSchedule() {
  const int ng = model_->num_gens();
  const int h = std::min(hour_, kHours - 1);
  std::copy(schedule_.begin() + h * ng, schedule_.begin() + (h + 1) * ng, gen_.begin());
}

void UcSim::HeuristicRedispatch() {
  const UcModel& m = *model_;
  double imbalance = 0;
  for (double d : demand_) imbalance += d;
  for (double w : wind_) imbalance -= w;
  for (int g = 0; g < m.num_gens(); ++g) imbalance -= gen_[g];
  for (int g : m.price_order()) {
    if (std::abs(imbalance) < 1e-9) break;
    if (!committed_[g]) continue;
    if (imbalance > 0) {
      const double up = std::min(imbalance, m.pmax(g) - gen_[g]);
      if (up > 0) {
        gen_[g] += up;
        imbalance -= up;
      }
    } else {
      const double down = std::min(-imbalance, gen_[g] - m.pmin(g));
      if (down > 0) {
        gen_[g] -= down;
        imbalance += down;
      }
    }
  }
}

void UcSim::ApplyRedispatch(std::span<const float> delta) {
  const UcModel& m = *model_;
  for (int g = 0; g < m.num_gens(); ++g) {
    if (!committed_[g]) continue;
    gen_[g] = std::clamp(gen_[g] + static_cast<double>(delta[g]), m.pmin(g), m.pmax(g));
  }
}

bool UcSim::CaseFeasible(const powerflow::AcPowerFlow& pf,
                         const powerflow::SolveReport& rep) const {
  if (!rep.converged || rep.unserved_mw > 1e-9) return false;
  const UcModel& m = *model_;
  const UcParams& p = m.params();
  double max_loading = 0;
  powerflow::CountOverloads(pf, &max_loading);
  if (max_loading > 1.0 + p.overload_tolerance) return false;
  for (int g = 0; g < m.num_gens(); ++g) {
    if (!committed_[g]) continue;
    const double pg = pf.gen_p_mw(g);
    const double excess = std::max({pg - m.pmax(g), m.pmin(g) - pg, 0.0});
    if (excess > p.gen_limit_tolerance * m.pmax(g) + 1e-9) return false;
  }
  return true;
}

bool UcSim::DeficitInfeasible(int outage) {
  const UcModel& m = *model_;
  const auto& g = *m.grid();
  const int nb = m.num_buses();
  auto find = [&](int x) {
    while (dsu_[x] != x) x = dsu_[x] = dsu_[dsu_[x]];
    return x;
  };
  for (int i = 0; i < nb; ++i) {
    dsu_[i] = i;
    island_deficit_[i] = 0;
    island_headroom_[i] = -1e300;
  }
  for (int l = 0; l < m.num_branches(); ++l) {
    if (!line_on_[l] || l == outage) continue;
    const int a = find(g.branch_from()[l]), b = find(g.branch_to()[l]);
    if (a != b) dsu_[std::max(a, b)] = std::min(a, b);
  }
  // bus_net_ holds the wind per bus of this hour (set by EvaluateReliability).
  for (int i = 0; i < nb; ++i) island_deficit_[find(i)] += demand_[i] - bus_net_[i];
  const double tol = m.params().gen_limit_tolerance;
  for (int k = 0; k < m.num_gens(); ++k) {
    if (!committed_[k]) continue;
    const int r = find(g.gen_bus()[k]);
    island_deficit_[r] -= gen_[k];
    island_headroom_[r] = std::max(island_headroom_[r], (1.0 + tol) * m.pmax(k) - gen_[k]);
  }
  for (int i = 0; i < nb; ++i) {
    // An island without committed generation is left to the solver (dead island rules).
    if (find(i) == i && island_headroom_[i] > -1e299 &&
        island_deficit_[i] > island_headroom_[i] + 1e-6) {
      return true;
    }
  }
  return false;
}

const Reliability& UcSim::EvaluateReliability() {
  const UcModel& m = *model_;
  const int nb = m.num_buses(), nl = m.num_branches();
  std::fill(bus_net_.begin(), bus_net_.end(), 0.0);
  for (int w = 0; w < m.num_wind(); ++w) bus_net_[m.wind_bus()[w]] += wind_[w];
  for (int b = 0; b < nb; ++b) {
    // Wind is a negative load (no reactive output); the reactive load follows the case's ratio.
    base_.SetLoad(b, demand_[b] - bus_net_[b], demand_[b] * m.bus_qd_ratio(b));
  }
  for (int g = 0; g < m.num_gens(); ++g) {
    base_.SetGenInService(g, committed_[g] != 0);
    base_.SetGenP(g, gen_[g]);
  }
  for (int l = 0; l < nl; ++l) base_.SetBranchInService(l, line_on_[l] != 0);
  const bool screen = m.params().deficit_screen && m.lossless_bound_valid();
  rel_.screened = 0;
  // The base case is always solved before an outage case needs it (its voltages are the warm
  // start); when the screen already decides the base case, that solve waits until then.
  bool base_solved = false;
  auto solve_base = [&] {
    const powerflow::SolveReport base_rep = base_.Solve(solve_);
    base_solved = true;
    return CaseFeasible(base_, base_rep);
  };
  if (screen && DeficitInfeasible(-1)) {
    rel_.base_feasible = false;
    ++rel_.screened;
  } else {
    rel_.base_feasible = solve_base();
  }
  int cases = 1, infeasible = rel_.base_feasible ? 0 : 1;
  for (int l = 0; l < nl; ++l) {
    if (!line_on_[l]) {
      rel_.outage_infeasible[l] = -1;
      continue;
    }
    if (screen && DeficitInfeasible(l)) {
      rel_.outage_infeasible[l] = 1;
      ++rel_.screened;
      ++cases;
      ++infeasible;
      continue;
    }
    if (!base_solved) solve_base();
    work_.CopyStateFrom(base_);
    work_.SetBranchInService(l, false);
    const powerflow::SolveReport rep = work_.Solve(solve_);
    const bool ok = CaseFeasible(work_, rep);
    rel_.outage_infeasible[l] = ok ? 0 : 1;
    ++cases;
    if (!ok) ++infeasible;
  }
  rel_.cases = cases;
  rel_.infeasible = infeasible;
  rel_.reward = static_cast<double>(cases - infeasible) / cases;
  return rel_;
}

double UcSim::EffectiveDemand() const {
  const UcModel& m = *model_;
  // Wind per bus, then Sum_b max(D_b - W_b, 0).
  double eff = 0;
  for (int b = 0; b < m.num_buses(); ++b) {
    double w = 0;
    for (int k = 0; k < m.num_wind(); ++k) {
      if (m.wind_bus()[k] == b) w += wind_[k];
    }
    eff += std::max(demand_[b] - w, 0.0);
  }
  double cap = 0;
  const bool all = m.params().capacity_basis == "all" || action_ < 0;
  for (int g = 0; g < m.num_gens(); ++g) {
    if (all || committed_[g]) cap += m.pmax(g);
  }
  return std::clamp(cap > 0 ? eff / cap : 1.0, 1e-6, 1.0);
}

double UcSim::DemandEntropy() const { return Entropy(demand_) / model_->num_buses(); }
double UcSim::GenerationEntropy() const { return Entropy(gen_) / model_->num_gens(); }

void UcSim::RtFeatures(std::span<double> out) const {
  const double d = EffectiveDemand();
  const double u[5] = {1.0, d, d * d, DemandEntropy(), GenerationEntropy()};
  int k = 0;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j <= i; ++j) out[k++] = u[i] * u[j];
  }
}

int UcSim::lines_out() const {
  int n = 0;
  for (char on : line_on_) n += on ? 0 : 1;
  return n;
}

}  // namespace gridrl::env::uc
