// Resilience indicators of a distribution grid state and their AHP-weighted combination, as used
// by the `resilience123` environment (shared/spec/resilience123.md, section 3, Eq 1-11).
//
// Inputs are a fixed Graph (the model) and a GridState (which edges are in service, which sources
// are online, which loads are served). Five raw indicators are computed, normalised to [0, 1] by
// min-max with fixed bounds (clipped), and combined as R = sum_m w_m x_m with AHP weights. Every
// value the spec marks [ours] is a named field of ResilienceConfig with the spec's default.
//
// Indicator order everywhere (arrays, AHP matrix rows and columns): [R_CL, ARoS, WPV, q_c, IC].
//
// Definitions the spec leaves open, fixed here:
// - A source "reaches" a node when both lie in the same connected component of the in-service
//   graph (the energised graph); a source located at node i reaches i trivially.
// - IC_i, node-disjoint paths: a subset K of the online sources (|K| >= 2) counts when there are
//   |K| paths, one from each source in K to load node i, such that no node other than i lies on
//   two of them (a source's own node counts as on its path, so a path may not run through another
//   source of K; two sources at the same node other than i cannot both count). Decided by a
//   unit-capacity max-flow on the node-split graph (v_in -> v_out capacity 1 for every v != i,
//   super-source -> s_in for s in K, sink i_in): K counts iff the flow equals |K|. Supersets of a
//   failing subset fail too, so they are skipped without a flow.
// - CC_i = 2^m - m - 1 with m the online sources in i's component; N_K uses all online sources.
// - R_CL is `r_cl_without_critical_loads` (default 1: nothing critical was lost) when the state has
//   no critical load. ARoS uses only online sources; a served critical load no source reaches
//   contributes RoS = 0. Critical loads must have kva > 0 (RoS divides by it).
// - Percolation draws one uniform number u_e per in-service edge per trial and keeps the edge at q
//   iff u_e >= q, the same draws for every q (common random numbers): the largest cluster is then
//   non-increasing in q within each trial, so P(q) is exactly non-increasing, with less noise in
//   chi(q). The RNG is SplitMix64 seeded by `percolation.seed`, so results are bit-identical across
//   platforms and standard libraries. Ties in argmax chi go to the smallest q.
// - Efficiency uses the full node set (N fixed); removing node k removes its edges and keeps it as
//   an isolated node, so pairs involving k contribute 0 to E(G \ k). I_k = 0 when E(G) = 0.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "metrics/graph.h"

namespace gridrl::metrics {

inline constexpr int kNumIndicators = 5;
enum IndicatorIndex : int {
  kCriticalLoadRatio = 0,      // R_CL
  kAverageRatingOfService = 1,  // ARoS
  kWeightedPathVariability = 2,  // WPV
  kPercolationThreshold = 3,   // q_c
  kHighCentralityIndicator = 4,  // IC = 1 - n_high / N
};
// Short names in indicator order, for logs and observation labels.
inline constexpr std::array<const char*, kNumIndicators> kIndicatorNames = {"r_cl", "aros", "wpv",
                                                                            "q_c", "ic"};

// Online sources take part in every indicator; offline ones are ignored (a DER not deployed, a
// backup feeder whose tie is open).
struct Source {
  int node = 0;
  double rating_kva = 0.0;
  bool online = true;
};

struct Load {
  int node = 0;
  double kva = 0.0;
  bool critical = false;
  bool served = false;
};

// Per-step state. edge_in_service has one entry per graph edge (1 = closed and not failed).
struct GridState {
  std::vector<uint8_t> edge_in_service;
  std::vector<Source> sources;
  std::vector<Load> loads;
};

// Weights of the three path types in PV_i [paper].
struct PathWeights {
  double single_source = 0.1;  // IP_i / |S|
  double disjoint = 0.4;       // IC_i / N_K
  double same_island = 0.5;    // CC_i / N_K
};

// q grid q_min, q_min + q_step, ..., q_max (inclusive, rounded to the nearest grid count).
struct PercolationConfig {
  double q_min = 0.01;
  double q_max = 0.99;
  double q_step = 0.02;
  int trials = 200;
  uint64_t seed = 123;  // [ours] fixed so the indicator is a function of the topology
};

struct Bounds {
  double lo = 0.0;
  double hi = 1.0;
};

// Fixed min-max bounds [ours]. Why these values:
// - R_CL, WPV, IC are fractions by construction: [0, 1].
// - ARoS is unbounded above (a 5000 kVA substation over a 258 kVA load gives 18.4). [0, 1] means a
//   critical load whose reachable sources have on average twice its rating (100 % headroom) scores
//   full marks; a grid-fed load saturates at 1 and a DER-only island (350 kVA DERs over 258-304
//   kVA loads) lands near 0.15-0.36, which keeps the two regimes apart.
// - q_c lives in [q_min, q_max] = [0.01, 0.99]; [0, 0.5] because 0.5 is the bond-percolation
//   threshold of the square lattice, and a feeder (sparser than a lattice, mostly radial) sits well
//   below it, so the upper half of the range would otherwise never be used.
struct NormalisationBounds {
  std::array<Bounds, kNumIndicators> bounds = {
      Bounds{0.0, 1.0},  // R_CL
      Bounds{0.0, 1.0},  // ARoS
      Bounds{0.0, 1.0},  // WPV
      Bounds{0.0, 0.5},  // q_c
      Bounds{0.0, 1.0},  // IC
  };
};

// AHP over the indicators; rows in indicator order [ours].
struct AhpConfig {
  std::vector<std::vector<double>> pairwise = {
      {1.0, 2.0, 3.0, 4.0, 5.0},
      {1.0 / 2, 1.0, 2.0, 3.0, 4.0},
      {1.0 / 3, 1.0 / 2, 1.0, 2.0, 3.0},
      {1.0 / 4, 1.0 / 3, 1.0 / 2, 1.0, 2.0},
      {1.0 / 5, 1.0 / 4, 1.0 / 3, 1.0 / 2, 1.0},
  };
  double random_index = 1.12;           // Saaty's RI for n = 5
  double max_consistency_ratio = 0.1;  // the weights are rejected at or above this
};

struct ResilienceConfig {
  PathWeights path_weights;
  PercolationConfig percolation;
  double high_centrality_threshold = 0.1;  // [ours] I_k >= this makes node k "high"
  double r_cl_without_critical_loads = 1.0;
  NormalisationBounds normalisation;
  AhpConfig ahp;
};

// ---- Individual indicators (each validates its own inputs). ----

struct PathVariability {
  double wpv = 0.0;
  int num_online_sources = 0;  // |S|
  int64_t n_k = 0;             // 2^|S| - |S| - 1 (|S| <= 62)
  // Per load, in input order.
  std::vector<int> ip;
  std::vector<int> ic;
  std::vector<int> cc;
  std::vector<double> pv;
};

// Sources per island are limited to kMaxSourcesPerIsland (subsets are enumerated).
inline constexpr int kMaxSourcesPerIsland = 16;

absl::StatusOr<PathVariability> WeightedPathVariability(const Graph& graph,
                                                        const GridState& state,
                                                        const PathWeights& weights = {});

absl::StatusOr<double> CriticalLoadRatio(std::span<const Load> loads,
                                         double value_without_critical_loads = 1.0);

absl::StatusOr<double> AverageRatingOfService(const Graph& graph, const GridState& state);

struct PercolationCurve {
  std::vector<double> q;
  std::vector<double> strength;        // P(q) = mean S_max, S_max as a fraction of nodes
  std::vector<double> susceptibility;  // chi(q)
  double q_c = 0.0;
  int peak_index = 0;
};

absl::StatusOr<PercolationCurve> Percolation(const Graph& graph,
                                             std::span<const uint8_t> edge_in_service,
                                             const PercolationConfig& config = {});

struct CentralityResult {
  double efficiency = 0.0;                  // E(G)
  std::vector<double> information_centrality;  // I_k per node
  int n_high = 0;
  double indicator = 1.0;  // 1 - n_high / N
};

// E(G) alone (hop distances over the in-service edges, N = graph.num_nodes()).
absl::StatusOr<double> NetworkEfficiency(const Graph& graph,
                                         std::span<const uint8_t> edge_in_service);

absl::StatusOr<CentralityResult> InformationCentrality(const Graph& graph,
                                                       std::span<const uint8_t> edge_in_service,
                                                       double high_threshold = 0.1);

// ---- Combination. ----

struct AhpResult {
  std::vector<double> weights;  // principal eigenvector, sum 1
  double lambda_max = 0.0;
  double consistency_index = 0.0;  // (lambda_max - n) / (n - 1)
  double consistency_ratio = 0.0;  // CI / RI (0 when n <= 2)
};

// Principal eigenvector by power iteration. Errors: InvalidArgument for a non-square matrix,
// non-positive or non-finite entries, a matrix that is not reciprocal (a_ji = 1/a_ij within 1e-9
// relative), random_index <= 0 for n > 2; FailedPrecondition when CR >= max_consistency_ratio.
absl::StatusOr<AhpResult> ComputeAhp(const std::vector<std::vector<double>>& pairwise,
                                     double random_index, double max_consistency_ratio = 0.1);

// Min-max to [0, 1], clipped. bounds.hi > bounds.lo is checked by the config validation.
double Normalise(double value, Bounds bounds);

// The computed indicator set of one state; what the cache stores.
struct IndicatorSet {
  std::array<double, kNumIndicators> raw{};
  std::array<double, kNumIndicators> normalised{};
  double resilience = 0.0;  // R = sum_m w_m normalised_m, in [0, 1]
};

// Eq (11): CR_c = R_c / R_best over configurations. All zeros when R_best = 0. Errors for an
// empty input or a negative / non-finite R (naming its index).
absl::StatusOr<std::vector<double>> CompositeScores(std::span<const double> resilience);

// Validates the config once, computes the AHP weights once, then evaluates states. Immutable after
// Create, so one model can be shared by every environment copy. Evaluate does not cache: wrap it
// with IndicatorCache (envs/resilience123/indicator_cache.h), e.g.
//   cache.GetOrCompute(MakeTopologyKey(closed, failed, online), [&] { return model.Evaluate(s); });
class ResilienceModel {
 public:
  static absl::StatusOr<ResilienceModel> Create(Graph graph, ResilienceConfig config = {});

  absl::StatusOr<IndicatorSet> Evaluate(const GridState& state) const;

  const Graph& graph() const { return graph_; }
  const ResilienceConfig& config() const { return config_; }
  const AhpResult& ahp() const { return ahp_; }

 private:
  ResilienceModel(Graph graph, ResilienceConfig config, AhpResult ahp)
      : graph_(std::move(graph)), config_(std::move(config)), ahp_(std::move(ahp)) {}
  Graph graph_;
  ResilienceConfig config_;
  AhpResult ahp_;
};

// Checks sizes, node indices and finiteness of a state against a graph; errors name the field
// ("sources[2].rating_kva").
absl::Status ValidateGridState(const Graph& graph, const GridState& state);

// Checks every field of a config ("percolation.trials", "normalisation.bounds[3]", ...).
absl::Status ValidateResilienceConfig(const ResilienceConfig& config);

}  // namespace gridrl::metrics
