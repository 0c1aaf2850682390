#include "cli/command.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridrl::cli {

std::map<std::string, Command>& CommandTable() {
  static auto* table = new std::map<std::string, Command>();
  return *table;
}

CommandRegistrar::CommandRegistrar(Command command) {
  std::string name = command.name;
  CommandTable().emplace(std::move(name), std::move(command));
}

}  // namespace gridrl::cli

namespace gridrl::cli {

std::vector<CaseBackend>& CaseBackends() {
  static auto* backends = new std::vector<CaseBackend>();
  return *backends;
}

CaseBackendRegistrar::CaseBackendRegistrar(CaseBackend backend) {
  CaseBackends().push_back(std::move(backend));
}

std::string JsonFormatTag(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buffer;  // project files are small (under a few MB)
  buffer << in.rdbuf();
  const std::string head = buffer.str();
  const size_t key = head.find("\"format\"");
  if (key == std::string::npos) return "";
  const size_t open = head.find('"', head.find(':', key));
  const size_t close = open == std::string::npos ? open : head.find('"', open + 1);
  if (close == std::string::npos) return "";
  return head.substr(open + 1, close - open - 1);
}

}  // namespace gridrl::cli

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace gridrl::cli {

std::vector<AgentRunner>& AgentRunners() {
  static auto* runners = new std::vector<AgentRunner>();
  return *runners;
}

AgentRunnerRegistrar::AgentRunnerRegistrar(AgentRunner runner) {
  AgentRunners().push_back(std::move(runner));
}

namespace {
double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, bool force)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      enabled_(force || isatty(fileno(stderr))),
      start_s_(NowSeconds()) {}

ProgressBar::~ProgressBar() {
  if (!finished_) Finish();
}

void ProgressBar::Update(int64_t done, const std::string& note) {
  if (!enabled_) return;
  const double now = NowSeconds();
  if (done < total_ && now - last_draw_s_ < 0.1) return;
  last_draw_s_ = now;
  constexpr int kWidth = 30;
  const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  const int filled = static_cast<int>(frac * kWidth);
  const double elapsed = now - start_s_;
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  std::fprintf(stderr, "\r%s [%s%s] %lld/%lld %.1f/s eta %.0fs %s\x1b[K", label_.c_str(),
               std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), rate, eta,
               note.c_str());
  std::fflush(stderr);
}

void ProgressBar::Finish(const std::string& note) {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  last_draw_s_ = -1.0;
  std::fprintf(stderr, "\r%s done in %.1fs %s\x1b[K\n", label_.c_str(), NowSeconds() - start_s_,
               note.c_str());
}

}  // namespace gridrl::cli
