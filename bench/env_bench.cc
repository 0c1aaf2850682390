// Environment stepping: in-process pool versus remote (unary and streaming, 1 or 2 requests in
// flight, TCP loopback and unix socket), and the latency of a one-env remote step.
//
//   build/bin/gridrl-env-bench [--benchmark_filter=...] [--work=N] [--server=HOST:PORT]
//
// The tutorial environment is used with `work` Newton iterations per step (default 2000, about
// 10 us: the cost of a small power-flow solve), so the figures show what the transport adds to a
// realistic step. --work=0 shows the pure framework overhead. By default a server runs inside
// this process on loopback (client and server share the machine's cores, as they would on one
// host, and gRPC's pollers); with --server the TCP cases step a separate gridrl-server process
// instead, as a learner in another process would (bench/remote_latency.sh starts one).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "clients/cpp/remote_vec_env.h"
#include "env/pool.h"
#include "wire/codec.h"
#include "server/server.h"

namespace {

using gridrl::env::ActionBatch;
using gridrl::env::ConfigOverrides;
using gridrl::env::PoolOptions;

int64_t g_work = 2000;
std::unique_ptr<gridrl::server::GridrlServer> g_server;
std::string g_unix_socket;

ConfigOverrides Config() {
  return {{"work", g_work}, {"action_space", std::string("discrete")},
          {"enforce_mask", false}};
}

std::string g_external;  // --server=HOST:PORT: a gridrl-server process instead of the in-process one
std::string TcpAddress() {
  return g_external.empty() ? "127.0.0.1:" + std::to_string(g_server->port()) : g_external;
}

void InProcess(benchmark::State& state) {
  PoolOptions o;
  o.num_envs = state.range(0);
  o.num_threads = static_cast<int>(state.range(1));
  auto pool = *gridrl::env::EnvPool::Make("tutorial", {Config()}, o);
  (void)pool->Reset();
  ActionBatch a;
  a.Allocate(pool->spec(), o.num_envs);
  for (auto _ : state) benchmark::DoNotOptimize(pool->Step(a));
  state.counters["env_steps_per_s"] =
      benchmark::Counter(double(state.iterations() * o.num_envs), benchmark::Counter::kIsRate);
}

// Synchronous remote stepping through the C++ client (one request in flight).
void RemoteSync(benchmark::State& state, bool streaming, bool unix_socket) {
  if (unix_socket && !g_external.empty()) {
    state.SkipWithError("unix-socket cases need the in-process server (no --server)");
    return;
  }
  gridrl::client::RemoteOptions r;
  r.address = unix_socket ? "unix:" + g_unix_socket : TcpAddress();
  r.env_id = "tutorial";
  r.configs = {Config()};
  r.pool.num_envs = state.range(0);
  r.pool.num_threads = static_cast<int>(state.range(1));
  r.streaming = streaming;
  auto env = *gridrl::client::RemoteVecEnv::Connect(r);
  (void)env->Reset();
  ActionBatch a;
  a.Allocate(env->spec(), r.pool.num_envs);
  for (auto _ : state) benchmark::DoNotOptimize(env->Step(a));
  state.counters["env_steps_per_s"] = benchmark::Counter(
      double(state.iterations() * r.pool.num_envs), benchmark::Counter::kIsRate);
  (void)env->Close();
}

// Two batches in flight on one stream: an asynchronous session of 2 x batch envs; each response
// brings a ready batch and the next request goes out before the one after it is read.
void RemotePipelined(benchmark::State& state, bool unix_socket) {
  if (unix_socket && !g_external.empty()) {
    state.SkipWithError("unix-socket cases need the in-process server (no --server)");
    return;
  }
  const int64_t batch = state.range(0);
  auto channel = grpc::CreateChannel(unix_socket ? "unix:" + g_unix_socket : TcpAddress(),
                                     grpc::InsecureChannelCredentials());
  auto stub = gridrl::v1::EnvService::NewStub(channel);
  gridrl::v1::CreateSessionRequest create;
  create.set_env_id("tutorial");
  create.set_num_envs(2 * batch);
  create.set_batch_size(batch);
  create.set_num_threads(static_cast<int>(state.range(1)));
  gridrl::codec::ToProto(Config(), create.mutable_config());
  gridrl::v1::CreateSessionResponse session;
  {
    grpc::ClientContext ctx;
    if (!stub->CreateSession(&ctx, create, &session).ok()) {
      state.SkipWithError("CreateSession failed");
      return;
    }
  }
  auto spec = *gridrl::codec::FromProto(session.spec());
  ActionBatch a;
  a.Allocate(spec, batch);
  grpc::ClientContext ctx;
  auto stream = stub->StepStream(&ctx);
  gridrl::v1::StreamRequest req;
  req.mutable_reset()->set_session_id(session.session_id());
  req.mutable_reset()->set_no_wait(true);
  stream->Write(req);
  gridrl::v1::StreamResponse resp;
  stream->Read(&resp);
  gridrl::v1::StreamRequest recv;
  recv.mutable_recv()->set_session_id(session.session_id());
  stream->Write(recv);  // two receives in flight: the two halves of the pool
  stream->Write(recv);
  gridrl::v1::StreamRequest step;
  step.mutable_step()->set_session_id(session.session_id());
  gridrl::codec::ToProto(a, step.mutable_step()->mutable_action());
  for (auto _ : state) {
    stream->Read(&resp);
    const auto& ids = resp.result().env_id();
    step.mutable_step()->mutable_env_ids()->Resize(static_cast<int>(batch), 0);
    std::memcpy(step.mutable_step()->mutable_env_ids()->mutable_data(), ids.data().data(),
                ids.data().size());
    stream->Write(step);
  }
  stream->Read(&resp);
  stream->Read(&resp);
  stream->WritesDone();
  (void)stream->Finish();
  state.counters["env_steps_per_s"] =
      benchmark::Counter(double(state.iterations() * batch), benchmark::Counter::kIsRate);
}

// p50 / p99 of a one-env remote step.
void Latency(benchmark::State& state, bool streaming) {
  gridrl::client::RemoteOptions r;
  r.address = TcpAddress();
  r.env_id = "tutorial";
  r.configs = {Config()};
  r.pool.num_envs = 1;
  r.pool.num_threads = 1;
  r.streaming = streaming;
  auto env = *gridrl::client::RemoteVecEnv::Connect(r);
  (void)env->Reset();
  ActionBatch a;
  a.Allocate(env->spec(), 1);
  std::vector<double> us;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(env->Step(a));
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  (void)env->Close();
}

void Batches(benchmark::internal::Benchmark* b) {
  for (int64_t n : {1, 8, 64, 256}) b->Args({n, 2});
  b->UseRealTime()->MinTime(0.5);
}

BENCHMARK(InProcess)->Apply(Batches)->Args({64, 1});
BENCHMARK_CAPTURE(RemoteSync, unary_tcp, false, false)->Apply(Batches);
BENCHMARK_CAPTURE(RemoteSync, stream_tcp, true, false)->Apply(Batches);
BENCHMARK_CAPTURE(RemoteSync, stream_unix, true, true)->Apply(Batches);
BENCHMARK_CAPTURE(RemotePipelined, stream_tcp_2_in_flight, false)->Apply(Batches);
BENCHMARK_CAPTURE(RemotePipelined, stream_unix_2_in_flight, true)->Apply(Batches);
BENCHMARK_CAPTURE(Latency, one_env_stream_tcp, true)->Iterations(20000)->UseRealTime();
BENCHMARK_CAPTURE(Latency, one_env_unary_tcp, false)->Iterations(20000)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--work=", 7) == 0) {
      g_work = std::atoll(argv[i] + 7);
    } else if (std::strncmp(argv[i], "--server=", 9) == 0) {
      g_external = argv[i] + 9;
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  g_unix_socket = (std::filesystem::temp_directory_path() /
                   ("gridrl-bench-" + std::to_string(getpid()) + ".sock"))
                      .string();
  benchmark::AddCustomContext("work", std::to_string(g_work));
  if (!g_external.empty()) {  // TCP benchmarks against a separate gridrl-server process
    benchmark::AddCustomContext("server", g_external);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
  }
  gridrl::server::ServerOptions options;
  options.address = "127.0.0.1:0";
  options.unix_socket = g_unix_socket;
  auto server = gridrl::server::GridrlServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "cannot start the server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = *std::move(server);
  benchmark::RunSpecifiedBenchmarks();
  g_server->Stop();
  std::filesystem::remove(g_unix_socket);
  return 0;
}
