// The server against bad input of every kind: each gets a clean status naming what was wrong,
// other sessions are unaffected, and the server keeps serving.
#include "server/server.h"

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "grpcpp/health_check_service_interface.h"
#include "wire/codec.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace gridrl::server {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.address = "127.0.0.1:0";
    options.limits.max_sessions = 4;
    options.limits.max_envs_per_session = 64;
    options.limits.idle_timeout = std::chrono::seconds(600);
    auto s = GridrlServer::Start(options);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::EnvService::NewStub(channel_);
  }
  void TearDown() override { server_->Stop(); }

  // Opens a tutorial session and resets it.
  std::string Open(int64_t num_envs = 2, v1::CreateSessionRequest request = {}) {
    request.set_env_id("tutorial");
    request.set_num_envs(num_envs);
    v1::CreateSessionResponse response;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->CreateSession(&ctx, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::ResetRequest reset;
    reset.set_session_id(response.session_id());
    v1::StepResponse out;
    grpc::ClientContext ctx2;
    EXPECT_TRUE(stub_->Reset(&ctx2, reset, &out).ok());
    spec_ = *codec::FromProto(response.spec());
    return response.session_id();
  }

  // A valid action batch for the tutorial env: stay, signal 0, no sprint, throttle 0.
  v1::StepRequest StayRequest(const std::string& session, int64_t rows) {
    env::ActionBatch a;
    a.Allocate(spec_, rows);
    v1::StepRequest req;
    req.set_session_id(session);
    codec::ToProto(a, req.mutable_action());
    return req;
  }

  grpc::Status Step(const v1::StepRequest& req, v1::StepResponse* out = nullptr) {
    v1::StepResponse ignored;
    grpc::ClientContext ctx;
    return stub_->Step(&ctx, req, out ? out : &ignored);
  }

  void SlowCallsLeaveOtherCallsServed(bool streams_do_the_slow_calls);

  std::unique_ptr<GridrlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EnvService::Stub> stub_;
  env::EnvSpec spec_;
};

void ExpectError(const grpc::Status& s, grpc::StatusCode code, const std::string& fragment) {
  EXPECT_EQ(s.error_code(), code) << s.error_message();
  EXPECT_NE(s.error_message().find(fragment), std::string::npos)
      << "'" << s.error_message() << "' does not mention '" << fragment << "'";
}

TEST_F(ServerTest, ListAndSpec) {
  v1::ListEnvsResponse list;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->ListEnvs(&ctx, {}, &list).ok());
  bool found = false;
  for (const auto& e : list.envs()) found |= e.env_id() == "tutorial";
  EXPECT_TRUE(found);
  v1::GetSpecRequest req;
  req.set_env_id("tutorial");
  (*req.mutable_config()->mutable_values())["width"].set_int_value(9);
  v1::GetSpecResponse spec;
  grpc::ClientContext ctx2;
  ASSERT_TRUE(stub_->GetSpec(&ctx2, req, &spec).ok());
  EXPECT_EQ(spec.spec().config().at("width").int_value(), 9);
  EXPECT_EQ(spec.spec().observation_leaves(0).name(), "agent");
}

TEST_F(ServerTest, UnknownEnvAndConfigErrors) {
  v1::CreateSessionRequest req;
  req.set_env_id("nope");
  v1::CreateSessionResponse resp;
  {
    grpc::ClientContext ctx;
    ExpectError(stub_->CreateSession(&ctx, req, &resp), grpc::StatusCode::NOT_FOUND, "'nope'");
  }
  req.set_env_id("tutorial");
  (*req.mutable_config()->mutable_values())["colour"].set_int_value(1);
  {
    grpc::ClientContext ctx;
    ExpectError(stub_->CreateSession(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                "'colour'");
  }
  req.mutable_config()->clear_values();
  (*req.mutable_config()->mutable_values())["width"].set_int_value(1000);
  {
    grpc::ClientContext ctx;
    ExpectError(stub_->CreateSession(&ctx, req, &resp), grpc::StatusCode::OUT_OF_RANGE, "'width'");
  }
  req.mutable_config()->clear_values();
  req.set_num_envs(65);
  {
    grpc::ClientContext ctx;
    ExpectError(stub_->CreateSession(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                "num_envs");
  }
  req.set_num_envs(2);
  req.set_batch_size(3);
  {
    grpc::ClientContext ctx;
    ExpectError(stub_->CreateSession(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                "batch_size");
  }
}

TEST_F(ServerTest, BadActionsAreRefusedAndTheSessionSurvives) {
  const std::string id = Open(2);
  // Wrong shape (3 rows for 2 envs).
  ExpectError(Step(StayRequest(id, 3)), grpc::StatusCode::INVALID_ARGUMENT, "shape");
  // Wrong dtype on 'move'.
  auto req = StayRequest(id, 2);
  req.mutable_action(0)->set_dtype(v1::DTYPE_FLOAT64);
  ExpectError(Step(req), grpc::StatusCode::INVALID_ARGUMENT, "'move'");
  // Byte count that does not match the shape.
  req = StayRequest(id, 2);
  req.mutable_action(0)->mutable_data()->resize(3);
  ExpectError(Step(req), grpc::StatusCode::INVALID_ARGUMENT, "bytes");
  // Missing leaves.
  req = StayRequest(id, 2);
  req.mutable_action()->RemoveLast();
  ExpectError(Step(req), grpc::StatusCode::INVALID_ARGUMENT, "throttle");
  // NaN throttle.
  req = StayRequest(id, 2);
  float nan = std::nanf("");
  std::memcpy(req.mutable_action(3)->mutable_data()->data() + 4, &nan, 4);
  ExpectError(Step(req), grpc::StatusCode::INVALID_ARGUMENT, "not finite");
  // Out-of-range Discrete.
  req = StayRequest(id, 2);
  int64_t seven = 7;
  std::memcpy(req.mutable_action(0)->mutable_data()->data(), &seven, 8);
  ExpectError(Step(req), grpc::StatusCode::OUT_OF_RANGE, "env 0");
  // Unknown env id.
  req = StayRequest(id, 1);
  req.add_env_ids(9);
  ExpectError(Step(req), grpc::StatusCode::INVALID_ARGUMENT, "env_ids");
  // The session still steps.
  v1::StepResponse out;
  ASSERT_TRUE(Step(StayRequest(id, 2), &out).ok());
  EXPECT_EQ(out.reward().shape(0), 2);
}

TEST_F(ServerTest, UnknownAndClosedSessions) {
  ExpectError(Step(StayRequest("0123456789abcdef", 2)), grpc::StatusCode::NOT_FOUND,
              "0123456789abcdef");
  ExpectError(Step(StayRequest("", 2)), grpc::StatusCode::INVALID_ARGUMENT, "session_id");
  const std::string id = Open(2);
  v1::CloseSessionRequest close;
  close.set_session_id(id);
  v1::CloseSessionResponse closed;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->CloseSession(&ctx, close, &closed).ok());
  }
  ExpectError(Step(StayRequest(id, 2)), grpc::StatusCode::NOT_FOUND, id);
  grpc::ClientContext ctx;
  ExpectError(stub_->CloseSession(&ctx, close, &closed), grpc::StatusCode::NOT_FOUND, id);
}

TEST_F(ServerTest, SessionLimit) {
  for (int i = 0; i < 4; ++i) Open(1);
  v1::CreateSessionRequest req;
  req.set_env_id("tutorial");
  v1::CreateSessionResponse resp;
  grpc::ClientContext ctx;
  ExpectError(stub_->CreateSession(&ctx, req, &resp), grpc::StatusCode::RESOURCE_EXHAUSTED,
              "sessions");
}

TEST_F(ServerTest, StreamReportsErrorsInBandAndKeepsGoing) {
  const std::string id = Open(2);
  grpc::ClientContext ctx;
  auto stream = stub_->StepStream(&ctx);
  v1::StreamRequest bad;
  bad.set_request_id(1);
  *bad.mutable_step() = StayRequest(id, 5);
  v1::StreamRequest good;
  good.set_request_id(2);
  *good.mutable_step() = StayRequest(id, 2);
  // Both in flight before reading either.
  ASSERT_TRUE(stream->Write(bad));
  ASSERT_TRUE(stream->Write(good));
  v1::StreamResponse r;
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.request_id(), 1u);
  EXPECT_EQ(r.error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(r.error().message().find("shape"), std::string::npos);
  ASSERT_TRUE(stream->Read(&r));
  EXPECT_EQ(r.request_id(), 2u);
  EXPECT_FALSE(r.has_error());
  EXPECT_EQ(r.result().reward().shape(0), 2);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServerTest, ClientVanishingMidStreamLeavesOthersServed) {
  const std::string mine = Open(2);
  const std::string other = Open(2);
  {
    auto ctx = std::make_unique<grpc::ClientContext>();
    auto stream = stub_->StepStream(ctx.get());
    v1::StreamRequest req;
    *req.mutable_step() = StayRequest(mine, 2);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(stream->Write(req));
    ctx->TryCancel();  // gone without reading or closing
  }
  // A second client on its own channel that disappears abruptly too.
  {
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                       grpc::InsecureChannelCredentials());
    auto stub = v1::EnvService::NewStub(channel);
    grpc::ClientContext ctx;
    auto stream = stub->StepStream(&ctx);
    v1::StreamRequest req;
    *req.mutable_step() = StayRequest(mine, 2);
    ASSERT_TRUE(stream->Write(req));
    ctx.TryCancel();
  }
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Step(StayRequest(other, 2)).ok());
  // The dropped client's session is intact and usable by a reconnecting client.
  EXPECT_TRUE(Step(StayRequest(mine, 2)).ok());
}

// Stepping calls may run on gRPC's own threads when they are cheap; an expensive one must not,
// or it would hold up other calls. Three clients (more than gRPC's callback threads) first step a
// cheap session, then a slow one (about a second per batch), over streams or unary calls;
// meanwhile health checks, unary calls and another stream are all answered promptly.
void ServerTest::SlowCallsLeaveOtherCallsServed(bool streams_do_the_slow_calls) {
  const std::string cheap = Open(2);
  v1::CreateSessionRequest slow_config;
  codec::ToProto(env::ConfigOverrides{{"work", int64_t{10000000}}}, slow_config.mutable_config());
  slow_config.set_num_threads(1);
  constexpr int kSlowEnvs = 16;
  std::vector<std::string> slow;
  for (int i = 0; i < 3; ++i) slow.push_back(Open(kSlowEnvs, slow_config));
  std::atomic<int> slow_started{0}, slow_done{0};
  std::vector<std::thread> streams;
  for (const auto& id : slow) {
    streams.emplace_back([&, id] {
      if (!streams_do_the_slow_calls) {
        for (int i = 0; i < 5; ++i) EXPECT_TRUE(Step(StayRequest(cheap, 2)).ok());
        ++slow_started;
        grpc::Status st = Step(StayRequest(id, kSlowEnvs));
        EXPECT_TRUE(st.ok()) << st.error_message();
        ++slow_done;
        return;
      }
      grpc::ClientContext ctx;
      auto stream = stub_->StepStream(&ctx);
      v1::StreamRequest req;
      v1::StreamResponse resp;
      *req.mutable_step() = StayRequest(cheap, 2);
      for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(stream->Write(req));
        ASSERT_TRUE(stream->Read(&resp));
        EXPECT_FALSE(resp.has_error()) << resp.error().message();
      }
      *req.mutable_step() = StayRequest(id, kSlowEnvs);
      ASSERT_TRUE(stream->Write(req));
      ++slow_started;
      ASSERT_TRUE(stream->Read(&resp));
      EXPECT_FALSE(resp.has_error()) << resp.error().message();
      ++slow_done;
      stream->WritesDone();
      EXPECT_TRUE(stream->Finish().ok());
    });
  }
  while (slow_started < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the slow batches are running
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext stream_ctx;
  auto fast = stub_->StepStream(&stream_ctx);
  v1::StreamRequest req;
  *req.mutable_step() = StayRequest(cheap, 2);
  v1::StreamResponse resp;
  double slowest_ms = 0;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    grpc::health::v1::HealthCheckRequest check;
    grpc::health::v1::HealthCheckResponse status;
    grpc::ClientContext ctx;
    ASSERT_TRUE(health->Check(&ctx, check, &status).ok());
    ASSERT_TRUE(Step(StayRequest(cheap, 2)).ok());
    ASSERT_TRUE(fast->Write(req));
    ASSERT_TRUE(fast->Read(&resp));
    EXPECT_FALSE(resp.has_error()) << resp.error().message();
    slowest_ms = std::max(slowest_ms, std::chrono::duration<double, std::milli>(
                                          std::chrono::steady_clock::now() - t0)
                                          .count());
  }
  // The other calls were answered while every slow batch was still running, each round promptly.
  EXPECT_EQ(slow_done, 0) << "the slow batches ended too soon for this test to mean anything";
  EXPECT_LT(slowest_ms, 200.0);
  fast->WritesDone();
  EXPECT_TRUE(fast->Finish().ok());
  for (auto& t : streams) t.join();
  EXPECT_EQ(slow_done, 3);
}

TEST_F(ServerTest, SlowStreamRequestsLeaveOtherCallsServed) { SlowCallsLeaveOtherCallsServed(true); }

TEST_F(ServerTest, SlowUnaryStepsLeaveOtherCallsServed) { SlowCallsLeaveOtherCallsServed(false); }

TEST_F(ServerTest, HealthIsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  req.set_service("gridrl.v1.EnvService");
  grpc::ClientContext ctx2;
  ASSERT_TRUE(health->Check(&ctx2, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(ServerTest, SnapshotOverTheWire) {
  const std::string id = Open(1);
  v1::SaveStateRequest save;
  save.set_session_id(id);
  v1::SaveStateResponse saved;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->SaveState(&ctx, save, &saved).ok());
  }
  v1::RestoreStateRequest restore;
  restore.set_session_id(id);
  restore.set_snapshot_id(saved.snapshot_id() + 100);
  v1::StepResponse out;
  grpc::ClientContext ctx;
  ExpectError(stub_->RestoreState(&ctx, restore, &out), grpc::StatusCode::NOT_FOUND, "snapshot");
}

TEST(ServerLifecycle, ServesOnAUnixSocket) {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  options.unix_socket = ::testing::TempDir() + "gridrl-test-" + std::to_string(getpid()) + ".sock";
  auto server = GridrlServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::EnvService::NewStub(
      grpc::CreateChannel("unix:" + options.unix_socket, grpc::InsecureChannelCredentials()));
  v1::ListEnvsResponse list;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub->ListEnvs(&ctx, {}, &list).ok());
  EXPECT_GT(list.envs_size(), 0);
  (*server)->Stop();
  std::remove(options.unix_socket.c_str());
}

TEST(ServerLifecycle, IdleSessionsAreClosed) {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  options.limits.idle_timeout = std::chrono::seconds(1);
  auto server = GridrlServer::Start(options);
  ASSERT_TRUE(server.ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::EnvService::NewStub(channel);
  v1::CreateSessionRequest req;
  req.set_env_id("tutorial");
  v1::CreateSessionResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub->CreateSession(&ctx, req, &resp).ok());
  EXPECT_EQ((*server)->sessions().size(), 1u);
  for (int i = 0; i < 50 && (*server)->sessions().size() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ((*server)->sessions().size(), 0u);
  (*server)->Stop();
}

TEST(ServerLifecycle, StopEndsWaitAndRefusesNewCalls) {
  ServerOptions options;
  options.address = "127.0.0.1:0";
  auto server = GridrlServer::Start(options);
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  std::thread waiter([&] { (*server)->Wait(); });
  (*server)->Stop(std::chrono::milliseconds(500));
  waiter.join();
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = v1::EnvService::NewStub(channel);
  v1::ListEnvsResponse list;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  EXPECT_FALSE(stub->ListEnvs(&ctx, {}, &list).ok());
}

}  // namespace
}  // namespace gridrl::server
