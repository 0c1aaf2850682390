#include "envs/restoration70/orq.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <numeric>
#include <thread>

#include "absl/strings/str_format.h"

namespace gridrl::agents {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Fills R and the CIU path of `queue` (fault positions) from a CIU oracle.
template <typename CiuOf>
void FillPath(std::span<const int> failed, const std::vector<int>& positions, CiuOf ciu_of,
              OrqResult& out) {
  const int k = static_cast<int>(failed.size());
  uint64_t state = 0;
  out.queue.clear();
  out.ciu_path.assign(1, ciu_of(state));
  double sum = out.ciu_path[0];
  for (int i = 0; i < k; ++i) {
    state |= uint64_t{1} << positions[i];
    out.queue.push_back(failed[positions[i]]);
    out.ciu_path.push_back(ciu_of(state));
    if (i + 1 < k) sum += out.ciu_path.back();
  }
  out.resilience = k > 0 ? sum / (100.0 * k) : 1.0;
}

// Fault positions of a queue of branch indices.
absl::StatusOr<std::vector<int>> Positions(std::span<const int> failed,
                                           std::span<const int> queue) {
  if (queue.size() != failed.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "queue: expected %d repairs (one per fault), got %d", failed.size(), queue.size()));
  }
  std::vector<int> pos;
  std::vector<uint8_t> used(failed.size(), 0);
  for (size_t i = 0; i < queue.size(); ++i) {
    auto it = std::find(failed.begin(), failed.end(), queue[i]);
    if (it == failed.end()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("queue[%d]: branch %d is not a fault of the event", i, queue[i]));
    }
    const int p = static_cast<int>(it - failed.begin());
    if (used[p]) {
      return absl::InvalidArgumentError(
          absl::StrFormat("queue[%d]: branch %d repaired twice", i, queue[i]));
    }
    used[p] = 1;
    pos.push_back(p);
  }
  return pos;
}

class StateEvaluator {
 public:
  StateEvaluator(const RestorationModel& model, std::span<const int> failed)
      : model_(model), failed_(failed), ws_(model.MakeWorkspace()) {}
  double operator()(uint64_t state) {
    StateAvailability(model_, failed_, state, available_);
    return model_.Evaluate(available_, ws_, /*ciu_only=*/true);
  }

 private:
  const RestorationModel& model_;
  std::span<const int> failed_;
  env::restoration70::Workspace ws_;
  std::vector<uint8_t> available_;
};

}  // namespace

absl::Status CheckFaults(const RestorationModel& model, std::span<const int> failed, int max_k) {
  if (static_cast<int>(failed.size()) > max_k) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "failed: %d faults; at most %d are supported here (2^k repair states)", failed.size(),
        max_k));
  }
  std::vector<uint8_t> seen(model.num_branches(), 0);
  for (size_t i = 0; i < failed.size(); ++i) {
    if (failed[i] < 0 || failed[i] >= model.num_branches()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "failed[%d]: branch %d out of range [0, %d)", i, failed[i], model.num_branches()));
    }
    if (seen[failed[i]]) {
      return absl::InvalidArgumentError(
          absl::StrFormat("failed[%d]: branch %d listed twice", i, failed[i]));
    }
    seen[failed[i]] = 1;
  }
  return absl::OkStatus();
}

void StateAvailability(const RestorationModel& model, std::span<const int> failed,
                       uint64_t repaired, std::vector<uint8_t>& available) {
  available.assign(model.num_branches(), 1);
  for (size_t j = 0; j < failed.size(); ++j) {
    available[failed[j]] = (repaired >> j) & 1;
  }
}

absl::StatusOr<OrqResult> SolveOrq(const RestorationModel& model, std::span<const int> failed,
                                   const OrqOptions& options) {
  if (auto s = CheckFaults(model, failed, kMaxOrqFaults); !s.ok()) return s;
  const int k = static_cast<int>(failed.size());
  const uint64_t n = uint64_t{1} << k;
  const uint64_t full = n - 1;
  OrqResult out;
  out.states = static_cast<int64_t>(n);
  std::vector<double> ciu(n);
  // 1. CIU of every state: chunks handed out by an atomic counter, one evaluator per thread.
  double t0 = Now();
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<uint64_t>(threads, std::max<uint64_t>(1, n / 256)));
  std::atomic<uint64_t> next{0};
  constexpr uint64_t kChunk = 1024;
  auto work = [&] {
    StateEvaluator eval(model, failed);
    for (;;) {
      const uint64_t begin = next.fetch_add(kChunk);
      if (begin >= n) break;
      const uint64_t end = std::min(n, begin + kChunk);
      for (uint64_t s = begin; s < end; ++s) ciu[s] = eval(s);
    }
  };
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& th : pool) th.join();
  }
  out.seconds_ciu = Now() - t0;
  // 2. Longest path from the empty state to the full one, by decreasing bit strings (S + j > S).
  t0 = Now();
  std::vector<double> best(n, 0.0);
  auto c = [&](uint64_t s) { return s == full ? 0.0 : ciu[s]; };
  for (uint64_t s = full; s-- > 0;) {
    double b = -1.0;
    uint64_t free = full & ~s;
    while (free) {
      const uint64_t bit = free & (~free + 1);
      free ^= bit;
      const double v = c(s | bit) + best[s | bit];
      if (v > b) b = v;
    }
    best[s] = b;
  }
  // Reconstruct: at each state the lowest fault index attaining the best value. Values are sums
  // of the same floats in different orders, so compare with a relative tolerance.
  std::vector<int> positions;
  uint64_t s = 0;
  while (s != full) {
    int pick = -1;
    double pick_v = -1.0;
    for (int j = 0; j < k; ++j) {
      if ((s >> j) & 1) continue;
      const uint64_t t = s | (uint64_t{1} << j);
      const double v = c(t) + best[t];
      if (pick < 0 || v > pick_v + 1e-9 * std::max(1.0, std::abs(pick_v))) {
        pick = j;
        pick_v = v;
      }
    }
    positions.push_back(pick);
    s |= uint64_t{1} << pick;
  }
  out.seconds_dp = Now() - t0;
  FillPath(failed, positions, [&](uint64_t st) { return ciu[st]; }, out);
  if (options.keep_tables) {
    out.ciu = std::move(ciu);
    out.best_to_go = std::move(best);
  }
  return out;
}

absl::StatusOr<OrqResult> EvaluateQueue(const RestorationModel& model,
                                        std::span<const int> failed, std::span<const int> queue) {
  if (auto s = CheckFaults(model, failed, 63); !s.ok()) return s;
  auto pos = Positions(failed, queue);
  if (!pos.ok()) return pos.status();
  StateEvaluator eval(model, failed);
  OrqResult out;
  FillPath(failed, *pos, eval, out);
  return out;
}

absl::StatusOr<OrqResult> GreedyQueue(const RestorationModel& model, std::span<const int> failed) {
  if (auto s = CheckFaults(model, failed, 63); !s.ok()) return s;
  const int k = static_cast<int>(failed.size());
  StateEvaluator eval(model, failed);
  std::vector<int> positions;
  uint64_t s = 0;
  for (int step = 0; step < k; ++step) {
    int pick = -1;
    double pick_v = -1.0;
    for (int j = 0; j < k; ++j) {
      if ((s >> j) & 1) continue;
      const double v = eval(s | (uint64_t{1} << j));
      if (v > pick_v) {
        pick = j;
        pick_v = v;
      }
    }
    positions.push_back(pick);
    s |= uint64_t{1} << pick;
  }
  OrqResult out;
  FillPath(failed, positions, eval, out);
  return out;
}

absl::StatusOr<OrqResult> RandomQueue(const RestorationModel& model, std::span<const int> failed,
                                      env::Rng& rng) {
  if (auto s = CheckFaults(model, failed, 63); !s.ok()) return s;
  std::vector<int> positions(failed.size());
  std::iota(positions.begin(), positions.end(), 0);
  for (size_t i = positions.size(); i > 1; --i) {
    std::swap(positions[i - 1], positions[rng.UniformInt(i)]);
  }
  StateEvaluator eval(model, failed);
  OrqResult out;
  FillPath(failed, positions, eval, out);
  return out;
}

absl::StatusOr<OrqResult> BruteForceQueue(const RestorationModel& model,
                                          std::span<const int> failed) {
  if (auto s = CheckFaults(model, failed, 9); !s.ok()) return s;
  StateEvaluator evaluator(model, failed);
  std::vector<double> memo(size_t{1} << failed.size(), -1.0);  // each state evaluated once
  auto eval = [&](uint64_t st) {
    if (memo[st] < 0) memo[st] = evaluator(st);
    return memo[st];
  };
  std::vector<int> positions(failed.size());
  std::iota(positions.begin(), positions.end(), 0);
  OrqResult best;
  best.resilience = -1.0;
  do {
    OrqResult r;
    FillPath(failed, positions, eval, r);
    if (r.resilience > best.resilience + 1e-12) best = std::move(r);
  } while (std::next_permutation(positions.begin(), positions.end()));
  return best;
}

}  // namespace gridrl::agents
