// gridrl-server: serves every registered environment over gRPC until SIGTERM or SIGINT.
#include <csignal>
#include <iostream>
#include <pthread.h>

#include "base/args.h"
#include "env/registry.h"
#include "envs/builtin.h"
#include "server/server.h"

namespace {

constexpr char kUsage[] =
    "usage: gridrl-server [options]\n"
    "  --address HOST:PORT        TCP address (default 0.0.0.0:50051; port 0 picks one)\n"
    "  --unix-socket PATH         also listen on a unix socket\n"
    "  --max-sessions N           sessions held at once (default 64)\n"
    "  --max-envs-per-session N   environments in one session (default 4096)\n"
    "  --max-threads-per-session N  worker threads one session may use (default: all cores)\n"
    "  --max-message-bytes N      largest request or response (default 67108864)\n"
    "  --idle-timeout-s N         close sessions idle this long (default 600)\n"
    "  --max-training-jobs N      agent training jobs running at once (default 1)\n"
    "  --max-policies N           trained or loaded policies held at once (default 16)\n";

int Main(int argc, char** argv) {
  gridrl::envs::RegisterBuiltins();
  std::vector<std::string> words(argv + 1, argv + argc);
  for (const auto& w : words) {
    if (w == "--help" || w == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  auto args = gridrl::base::Args::Parse(words);
  if (!args.ok()) {
    std::cerr << "gridrl-server: " << args.status().message() << "\n" << kUsage;
    return 2;
  }
  gridrl::server::ServerOptions options;
  options.address = args->GetOr("address", options.address);
  options.unix_socket = args->GetOr("unix-socket", "");
  auto max_sessions = args->GetInt("max-sessions", options.limits.max_sessions);
  auto max_envs = args->GetInt("max-envs-per-session", options.limits.max_envs_per_session);
  auto max_threads = args->GetInt("max-threads-per-session", 0);
  auto max_bytes = args->GetInt("max-message-bytes", options.max_message_bytes);
  auto idle = args->GetInt("idle-timeout-s", options.limits.idle_timeout.count());
  auto jobs = args->GetInt("max-training-jobs", options.agent_limits.max_training_jobs);
  auto policies = args->GetInt("max-policies", options.agent_limits.max_policies);
  for (const absl::Status& s : {max_sessions.status(), max_envs.status(), max_threads.status(),
                                max_bytes.status(), idle.status(), jobs.status(),
                                policies.status(), args->CheckAllUsed()}) {
    if (!s.ok()) {
      std::cerr << "gridrl-server: " << s.message() << "\n" << kUsage;
      return 2;
    }
  }
  if (*idle < 1 || *max_envs < 1 || *max_threads < 0 || *max_bytes > (int64_t{1} << 31) - 1 ||
      *jobs < 0 || *policies < 0) {
    std::cerr << "gridrl-server: --idle-timeout-s and --max-envs-per-session must be >= 1, "
                 "--max-threads-per-session, --max-training-jobs and --max-policies >= 0, "
                 "--max-message-bytes < 2 GiB\n";
    return 2;
  }
  options.limits.max_sessions = static_cast<int>(*max_sessions);
  options.limits.max_envs_per_session = *max_envs;
  options.limits.max_threads_per_session = static_cast<int>(*max_threads);
  options.limits.idle_timeout = std::chrono::seconds(*idle);
  options.max_message_bytes = *max_bytes;
  options.agent_limits.max_training_jobs = static_cast<int>(*jobs);
  options.agent_limits.max_policies = static_cast<int>(*policies);

  // Block the stop signals in every thread; this thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = gridrl::server::GridrlServer::Start(options);
  if (!server.ok()) {
    std::cerr << "gridrl-server: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "gridrl-server listening on port " << (*server)->port()
            << (options.unix_socket.empty() ? "" : " and unix:" + options.unix_socket)
            << "; environments:";
  for (const auto& id : gridrl::env::Registry::Global().Ids()) std::cout << " " << id;
  std::cout << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "gridrl-server: signal " << sig << ", shutting down" << std::endl;
  (*server)->Stop();
  std::cout << "gridrl-server: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
