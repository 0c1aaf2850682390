#include "server/env_service.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "env/registry.h"
#include "wire/codec.h"

namespace gridrl::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share the google.rpc.Code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

namespace {

std::vector<int32_t> Ids(const google::protobuf::RepeatedField<int32_t>& ids) {
  return {ids.begin(), ids.end()};
}

}  // namespace

grpc::Status EnvServiceImpl::ListEnvs(grpc::ServerContext*, const v1::ListEnvsRequest*,
                                      v1::ListEnvsResponse* response) {
  std::lock_guard lock(spec_cache_mu_);
  if (!list_cache_) {
    auto list = std::make_unique<v1::ListEnvsResponse>();
    auto& registry = env::Registry::Global();
    for (const auto& id : registry.Ids()) {
      auto factory = registry.Find(id);
      auto spec = registry.Spec(id, {});
      if (!spec.ok()) return ToGrpcStatus(spec.status());
      auto* e = list->add_envs();
      e->set_env_id(id);
      e->set_summary((*factory)->summary);
      codec::ToProto(*spec, e->mutable_default_spec());
    }
    list_cache_ = std::move(list);
  }
  *response = *list_cache_;
  return grpc::Status::OK;
}

grpc::Status EnvServiceImpl::GetSpec(grpc::ServerContext*, const v1::GetSpecRequest* request,
                                     v1::GetSpecResponse* response) {
  auto config = codec::FromProto(request->config());
  if (!config.ok()) return ToGrpcStatus(config.status());
  auto spec = env::Registry::Global().Spec(request->env_id(), *config);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  codec::ToProto(*spec, response->mutable_spec());
  return grpc::Status::OK;
}

grpc::Status EnvServiceImpl::CreateSession(grpc::ServerContext*,
                                           const v1::CreateSessionRequest* request,
                                           v1::CreateSessionResponse* response) {
  auto status = [&]() -> absl::Status {
    if (request->env_id().empty()) return absl::InvalidArgumentError("env_id is empty");
    auto shared = codec::FromProto(request->config());
    if (!shared.ok()) return shared.status();
    env::PoolOptions options;
    options.num_envs = request->num_envs() == 0 ? 1 : request->num_envs();
    options.batch_size = request->batch_size();
    options.num_threads = request->num_threads();
    options.seed = request->seed();
    auto mode = codec::FromProto(request->autoreset_mode());
    if (!mode.ok()) return mode.status();
    options.autoreset = *mode;
    if (request->batch_size() < 0 || request->batch_size() > options.num_envs) {
      return absl::InvalidArgumentError(absl::StrCat("batch_size must be in 0..num_envs (",
                                                     options.num_envs, "), got ",
                                                     request->batch_size()));
    }
    std::vector<env::ConfigOverrides> configs;
    if (request->env_configs_size() == 0) {
      configs.push_back(*shared);
    } else {
      if (request->env_configs_size() != options.num_envs) {
        return absl::InvalidArgumentError(absl::StrCat("env_configs has ",
                                                       request->env_configs_size(),
                                                       " entries, expected num_envs = ",
                                                       options.num_envs, " (or none)"));
      }
      for (int i = 0; i < request->env_configs_size(); ++i) {
        auto own = codec::FromProto(request->env_configs(i));
        if (!own.ok()) {
          return absl::Status(own.status().code(),
                              absl::StrCat("env_configs[", i, "]: ", own.status().message()));
        }
        env::ConfigOverrides merged = *shared;
        for (auto& [k, v] : *own) merged[k] = v;
        configs.push_back(std::move(merged));
      }
    }
    auto session = sessions_->Create(request->env_id(), configs, options);
    if (!session.ok()) return session.status();
    const env::VecEnv& pool = *(*session)->pool;
    response->set_session_id((*session)->id);
    codec::ToProto(pool.spec(), response->mutable_spec());
    response->set_num_envs(pool.options().num_envs);
    response->set_batch_size(pool.options().batch_size);
    response->set_autoreset_mode(codec::ToProto(pool.options().autoreset));
    response->set_num_threads(pool.options().num_threads);
    return absl::OkStatus();
  }();
  return ToGrpcStatus(status);
}

template <typename Fn>
absl::Status EnvServiceImpl::WithSession(const std::string& session_id, Fn&& fn) {
  if (session_id.empty()) return absl::InvalidArgumentError("session_id is empty");
  auto session = sessions_->Get(session_id);
  if (!session.ok()) return session.status();
  Session& s = **session;
  std::lock_guard lock(s.mu);
  s.Touch();
  return fn(s);
}

namespace {
absl::Status Encode(const absl::StatusOr<const env::StepBatch*>& batch, v1::StepResponse* out) {
  if (!batch.ok()) return batch.status();
  codec::ToProto(**batch, out);
  return absl::OkStatus();
}
}  // namespace

absl::Status EnvServiceImpl::DoReset(const v1::ResetRequest& request, v1::StepResponse* response) {
  return WithSession(request.session_id(), [&](Session& s) -> absl::Status {
    absl::Status st;
    if (request.env_seeds_size() > 0) {
      if (request.has_seed()) {
        return absl::InvalidArgumentError("reset: give seed or env_seeds, not both");
      }
      std::vector<uint64_t> seeds(request.env_seeds().begin(), request.env_seeds().end());
      st = s.pool->SendResetWithSeeds(Ids(request.env_ids()), seeds);
    } else {
      std::optional<uint64_t> seed;
      if (request.has_seed()) seed = request.seed();
      st = s.pool->SendReset(Ids(request.env_ids()), seed);
    }
    if (!st.ok()) return st;
    return request.no_wait() ? absl::OkStatus() : Encode(s.pool->Recv(), response);
  });
}

absl::Status EnvServiceImpl::DoStep(const v1::StepRequest& request, v1::StepResponse* response) {
  return WithSession(request.session_id(), [&](Session& s) -> absl::Status {
    if (auto st = codec::FromProto(request.action(), s.pool->spec(), &s.actions); !st.ok()) {
      return st;
    }
    if (auto st = s.pool->Send(s.actions, Ids(request.env_ids())); !st.ok()) return st;
    return request.no_wait() ? absl::OkStatus() : Encode(s.pool->Recv(), response);
  });
}

absl::Status EnvServiceImpl::DoRecv(const v1::RecvRequest& request, v1::StepResponse* response) {
  return WithSession(request.session_id(),
                     [&](Session& s) { return Encode(s.pool->Recv(), response); });
}

void EnvServiceImpl::Schedule(const std::string& session_id, CallKind kind,
                              std::function<void()> serve) {
  // An unknown session is an error answered at once (inline).
  absl::StatusOr<std::shared_ptr<Session>> session =
      session_id.empty() ? absl::StatusOr<std::shared_ptr<Session>>(nullptr)
                         : sessions_->Get(session_id);
  std::shared_ptr<Session> s = session.ok() ? *session : nullptr;
  if (!s) {
    serve();
    return;
  }
  std::atomic<int64_t>& cost = s->recent_cost_us[static_cast<int>(kind)];
  auto run = [s, &cost, serve = std::move(serve)] {
    const auto start = std::chrono::steady_clock::now();
    serve();
    const int64_t took = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
    // A decaying maximum: one slow call sends the next few dozen of its kind to a worker.
    cost.store(std::max({took, cost.load(std::memory_order_relaxed) * 9 / 10, int64_t{1}}),
               std::memory_order_relaxed);
  };
  const int64_t recent = cost.load(std::memory_order_relaxed);
  if (recent > 0 && recent < inline_budget_.count()) {
    run();
  } else {
    workers_.Run(std::move(run));
  }
}

grpc::ServerUnaryReactor* EnvServiceImpl::Reset(grpc::CallbackServerContext* context,
                                                const v1::ResetRequest* request,
                                                v1::StepResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Schedule(request->session_id(), CallKind::kReset, [this, reactor, request, response] {
    reactor->Finish(ToGrpcStatus(DoReset(*request, response)));
  });
  return reactor;
}

grpc::ServerUnaryReactor* EnvServiceImpl::Step(grpc::CallbackServerContext* context,
                                               const v1::StepRequest* request,
                                               v1::StepResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Schedule(request->session_id(), CallKind::kStep, [this, reactor, request, response] {
    reactor->Finish(ToGrpcStatus(DoStep(*request, response)));
  });
  return reactor;
}

grpc::ServerUnaryReactor* EnvServiceImpl::Recv(grpc::CallbackServerContext* context,
                                               const v1::RecvRequest* request,
                                               v1::StepResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Schedule(request->session_id(), CallKind::kRecv, [this, reactor, request, response] {
    reactor->Finish(ToGrpcStatus(DoRecv(*request, response)));
  });
  return reactor;
}

void EnvServiceImpl::HandleStreamRequest(const v1::StreamRequest& request,
                                         v1::StreamResponse* response) {
  response->Clear();
  response->set_request_id(request.request_id());
  absl::Status status;
  switch (request.kind_case()) {
    case v1::StreamRequest::kReset:
      status = DoReset(request.reset(), response->mutable_result());
      break;
    case v1::StreamRequest::kStep:
      status = DoStep(request.step(), response->mutable_result());
      break;
    case v1::StreamRequest::kRecv:
      status = DoRecv(request.recv(), response->mutable_result());
      break;
    default:
      status = absl::InvalidArgumentError("stream request has neither reset, step nor recv");
  }
  if (!status.ok()) {
    response->clear_result();
    response->mutable_error()->set_code(static_cast<int>(status.code()));
    response->mutable_error()->set_message(std::string(status.message()));
  }
}

namespace {

// One StepStream: read a request, serve it, write the answer, read the next. Only one operation
// is outstanding at a time, so requests are served in order and Finish is called exactly once
// (when a read or a write fails: the client closed or went away, or the server is stopping).
// Requests a client writes ahead wait in gRPC's buffers until read. When the client goes away
// its sessions stay until closed or idle.
class StepStreamReactor final
    : public grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse> {
 public:
  explicit StepStreamReactor(EnvServiceImpl* service)
      : service_(service) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    service_->Schedule(SessionId(request_), Kind(request_), [this] {
      service_->HandleStreamRequest(request_, &response_);
      StartWrite(&response_);
    });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  static const std::string& SessionId(const v1::StreamRequest& request) {
    switch (request.kind_case()) {
      case v1::StreamRequest::kReset: return request.reset().session_id();
      case v1::StreamRequest::kStep: return request.step().session_id();
      case v1::StreamRequest::kRecv: return request.recv().session_id();
      default: return request.step().session_id();  // empty: answered inline with the error
    }
  }
  static CallKind Kind(const v1::StreamRequest& request) {
    switch (request.kind_case()) {
      case v1::StreamRequest::kReset: return CallKind::kReset;
      case v1::StreamRequest::kRecv: return CallKind::kRecv;
      default: return CallKind::kStep;
    }
  }

  EnvServiceImpl* service_;
  v1::StreamRequest request_;
  v1::StreamResponse response_;
};

}  // namespace

grpc::ServerBidiReactor<v1::StreamRequest, v1::StreamResponse>* EnvServiceImpl::StepStream(
    grpc::CallbackServerContext*) {
  return new StepStreamReactor(this);
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Run(std::function<void()> task) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
  if (idle_ >= static_cast<int>(tasks_.size()) ||
      static_cast<int>(threads_.size()) >= max_threads_) {
    cv_.notify_one();
  } else {
    threads_.emplace_back([this] { Loop(); });
  }
}

void WorkerPool::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    ++idle_;
    cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, nothing left
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

grpc::Status EnvServiceImpl::SaveState(grpc::ServerContext*, const v1::SaveStateRequest* request,
                                       v1::SaveStateResponse* response) {
  return ToGrpcStatus(WithSession(request->session_id(), [&](Session& s) -> absl::Status {
    auto id = s.pool->SaveState(Ids(request->env_ids()));
    if (!id.ok()) return id.status();
    response->set_snapshot_id(*id);
    return absl::OkStatus();
  }));
}

grpc::Status EnvServiceImpl::RestoreState(grpc::ServerContext*,
                                          const v1::RestoreStateRequest* request,
                                          v1::StepResponse* response) {
  return ToGrpcStatus(WithSession(request->session_id(), [&](Session& s) {
    return Encode(s.pool->RestoreState(request->snapshot_id()), response);
  }));
}

grpc::Status EnvServiceImpl::ReleaseState(grpc::ServerContext*,
                                          const v1::ReleaseStateRequest* request,
                                          v1::ReleaseStateResponse*) {
  return ToGrpcStatus(WithSession(request->session_id(), [&](Session& s) {
    return s.pool->ReleaseState(request->snapshot_id());
  }));
}

grpc::Status EnvServiceImpl::CloseSession(grpc::ServerContext*,
                                          const v1::CloseSessionRequest* request,
                                          v1::CloseSessionResponse*) {
  if (request->session_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("session_id is empty"));
  }
  return ToGrpcStatus(sessions_->Close(request->session_id()));
}

}  // namespace gridrl::server
