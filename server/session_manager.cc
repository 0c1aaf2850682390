#include "server/session_manager.h"

#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gridrl::server {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string NewSessionId() {
  // Session ids only need to be unguessable enough not to collide between clients.
  static std::mutex mu;
  static std::mt19937_64 gen{std::random_device{}()};
  std::lock_guard lock(mu);
  return absl::StrFormat("%016x", gen());
}

}  // namespace

void Session::Touch() { last_used_ms.store(NowMs(), std::memory_order_relaxed); }

absl::StatusOr<std::shared_ptr<Session>> SessionManager::Create(
    const std::string& env_id, const std::vector<env::ConfigOverrides>& configs,
    env::PoolOptions options) {
  if (options.num_envs < 1 || options.num_envs > limits_.max_envs_per_session) {
    return absl::InvalidArgumentError(absl::StrCat("num_envs must be in 1..",
                                                   limits_.max_envs_per_session, ", got ",
                                                   options.num_envs));
  }
  const int max_threads = limits_.max_threads_per_session > 0
                              ? limits_.max_threads_per_session
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options.num_threads < 0 || options.num_threads > max_threads) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads must be in 0..", max_threads, ", got ", options.num_threads));
  }
  if (options.num_threads == 0) {
    options.num_threads = static_cast<int>(std::min<int64_t>(max_threads, options.num_envs));
  }
  {
    std::lock_guard lock(mu_);
    if (static_cast<int>(sessions_.size()) >= limits_.max_sessions) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the server holds ", sessions_.size(), " sessions (its limit); close one first"));
    }
  }
  auto pool = env::EnvPool::Make(env_id, configs, options);
  if (!pool.ok()) return pool.status();
  auto session = std::make_shared<Session>();
  session->pool = *std::move(pool);
  session->Touch();
  std::lock_guard lock(mu_);
  if (static_cast<int>(sessions_.size()) >= limits_.max_sessions) {
    return absl::ResourceExhaustedError("the server's session limit was reached");
  }
  do {
    session->id = NewSessionId();
  } while (sessions_.contains(session->id));
  sessions_[session->id] = session;
  return session;
}

absl::StatusOr<std::shared_ptr<Session>> SessionManager::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return absl::NotFoundError(absl::StrCat(
        "session '", id, "' not found (never created, closed, or closed after ",
        limits_.idle_timeout.count(), " s idle)"));
  }
  return it->second;
}

absl::Status SessionManager::Close(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
      return absl::NotFoundError(absl::StrCat("session '", id, "' not found (already closed?)"));
    }
    session = std::move(it->second);
    sessions_.erase(it);
  }
  // The pool is destroyed when the last call using it returns (shared ownership).
  return absl::OkStatus();
}

int SessionManager::ReapIdle() {
  const int64_t cutoff =
      NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(limits_.idle_timeout).count();
  std::vector<std::shared_ptr<Session>> reaped;
  {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Session& s = *it->second;
      if (s.last_used_ms.load(std::memory_order_relaxed) < cutoff && s.mu.try_lock()) {
        s.mu.unlock();
        reaped.push_back(std::move(it->second));
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return static_cast<int>(reaped.size());
}

void SessionManager::CloseAll() {
  std::lock_guard lock(mu_);
  sessions_.clear();
}

size_t SessionManager::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace gridrl::server
