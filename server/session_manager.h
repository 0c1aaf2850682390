// Sessions: each is one vectorized pool (EnvPool) opened by a client, addressed by a random id.
// Calls on one session are serialised by its mutex; sessions run in parallel. A session lives
// until it is closed, the server stops, or it stays idle longer than the idle timeout.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "env/pool.h"

namespace gridrl::server {

struct ServerLimits {
  int max_sessions = 64;
  int64_t max_envs_per_session = 4096;
  int max_threads_per_session = 0;  // 0: the machine's hardware threads
  std::chrono::seconds idle_timeout{600};
};

struct Session {
  std::string id;
  std::mutex mu;  // held while the pool is used
  std::unique_ptr<env::VecEnv> pool;
  env::ActionBatch actions;  // decode buffer, reused every step
  std::atomic<int64_t> last_used_ms{0};
  // Recent cost of a reset, step and recv call on this session (a decaying maximum, in
  // microseconds; 0: none served yet). The service uses it to run cheap calls on the gRPC thread
  // that received them and costly ones on a worker.
  std::array<std::atomic<int64_t>, 3> recent_cost_us{};
  void Touch();
};

class SessionManager {
 public:
  explicit SessionManager(ServerLimits limits) : limits_(limits) {}

  absl::StatusOr<std::shared_ptr<Session>> Create(const std::string& env_id,
                                                  const std::vector<env::ConfigOverrides>& configs,
                                                  env::PoolOptions options);
  // NotFound names the id and the likely reasons.
  absl::StatusOr<std::shared_ptr<Session>> Get(const std::string& id);
  absl::Status Close(const std::string& id);
  // Closes sessions idle for longer than the limit (and not in use); returns how many.
  int ReapIdle();
  void CloseAll();
  size_t size() const;
  const ServerLimits& limits() const { return limits_; }

 private:
  ServerLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace gridrl::server
