// `gridrl pf`, `gridrl n1` (dispatching `--case` to the first CaseBackend that claims it), the
// MATPOWER-derived case backend (built-in transmission/distribution cases, *.m and *.json), and
// `gridrl import-case`, which turns a MATPOWER file into the project's JSON case format.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "nlohmann/json.hpp"
#include "powerflow/transmission/ac_power_flow.h"
#include "powerflow/network/case_io.h"
#include "powerflow/transmission/contingency.h"
#include "powerflow/transmission/dc_power_flow.h"
#include "powerflow/network/matpower_reader.h"

namespace gridrl::cli {
namespace {

namespace pf = ::gridrl::powerflow;
using json = nlohmann::ordered_json;

absl::StatusOr<std::string> CaseArg(const Args& args) {
  auto c = args.Get("case");
  if (!c || c->empty()) {
    return absl::InvalidArgumentError("--case NAME|PATH is required (e.g. --case rts96)");
  }
  return *c;
}

absl::StatusOr<bool> JsonFormat(const Args& args) {
  const std::string format = args.GetOr("format", "table");
  if (format == "json") return true;
  if (format == "table") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: expected 'json' or 'table', got '", format, "'"));
}

absl::StatusOr<pf::SolveOptions> ReadSolveOptions(const Args& args) {
  pf::SolveOptions o;
  auto tol = args.GetDouble("tol", o.tolerance_pu);
  if (!tol.ok()) return tol.status();
  if (!(*tol > 0)) return absl::InvalidArgumentError("--tol: expected a positive number (pu)");
  o.tolerance_pu = *tol;
  auto it = args.GetInt("max-iter", o.max_iterations);
  if (!it.ok()) return it.status();
  if (*it < 1 || *it > 1000) return absl::InvalidArgumentError("--max-iter: expected 1..1000");
  o.max_iterations = static_cast<int>(*it);
  o.flat_start = args.Flag("flat");
  o.enforce_q_limits = args.Flag("qlim");
  return o;
}

absl::StatusOr<std::shared_ptr<const pf::Grid>> LoadGrid(const std::string& case_arg) {
  auto net = pf::LoadCase(case_arg);
  if (!net.ok()) return net.status();
  return pf::Grid::Create(*std::move(net));
}

bool MatpowerClaims(std::string_view c) {
  const std::string arg(c);
  if (pf::IsBuiltinCaseName(c) || absl::EndsWith(arg, ".m")) return true;
  // A .json path is ours unless it says it is another kind of project file (e.g. a feeder).
  return absl::EndsWith(arg, ".json") && JsonFormatTag(arg) != "gridrl-feeder-1";
}

absl::Status RunMatpowerPf(const Args& args) {
  auto case_arg = CaseArg(args);
  if (!case_arg.ok()) return case_arg.status();
  auto as_json = JsonFormat(args);
  if (!as_json.ok()) return as_json.status();
  auto opts = ReadSolveOptions(args);
  if (!opts.ok()) return opts.status();
  const bool dc = args.Flag("dc");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;  // before any work
  auto grid = LoadGrid(*case_arg);
  if (!grid.ok()) return grid.status();
  const pf::Network& net = (*grid)->network();
  pf::AcPowerFlow solver(*grid);

  if (dc) {
    auto res = pf::SolveDcPowerFlow(solver);
    if (!res.ok()) return res.status();
    if (*as_json) {
      json out;
      out["converged"] = true;
      out["iterations"] = 1;
      out["max_mismatch"] = 0.0;
      json buses = json::array();
      for (size_t i = 0; i < net.buses.size(); ++i) {
        buses.push_back({{"id", net.buses[i].id}, {"vm_pu", res->energized[i] ? 1.0 : 0.0},
                         {"va_deg", res->va_deg[i]}});
      }
      out["buses"] = std::move(buses);
      json branches = json::array();
      for (size_t l = 0; l < net.branches.size(); ++l) {
        branches.push_back({{"from", net.branches[l].from_id}, {"to", net.branches[l].to_id},
                            {"p_from_mw", res->p_from_mw[l]}, {"q_from_mvar", 0.0},
                            {"p_to_mw", -res->p_from_mw[l]}, {"q_to_mvar", 0.0}});
      }
      out["branches"] = std::move(branches);
      out["losses_mw"] = 0.0;
      std::cout << out.dump(1) << "\n";
    } else {
      std::printf("DC power flow, case %s (%zu buses, %zu branches)\n", net.name.c_str(),
                  net.buses.size(), net.branches.size());
      std::printf("%8s %10s\n", "bus", "Va(deg)");
      for (size_t i = 0; i < net.buses.size(); ++i) {
        std::printf("%8d %10.4f\n", net.buses[i].id, res->va_deg[i]);
      }
      std::printf("%8s %8s %10s\n", "from", "to", "P(MW)");
      for (size_t l = 0; l < net.branches.size(); ++l) {
        std::printf("%8d %8d %10.3f\n", net.branches[l].from_id, net.branches[l].to_id,
                    res->p_from_mw[l]);
      }
    }
    return absl::OkStatus();
  }

  const pf::SolveReport rep = solver.Solve(*opts);
  const pf::PowerFlowResult r = solver.Result();
  if (*as_json) {
    json out;
    out["case"] = net.name;
    out["converged"] = rep.converged;
    out["iterations"] = rep.iterations;
    out["max_mismatch"] = rep.max_mismatch_pu;
    out["islands"] = rep.num_islands;
    out["unserved_mw"] = rep.unserved_mw;
    json buses = json::array();
    for (size_t i = 0; i < r.vm_pu.size(); ++i) {
      buses.push_back({{"id", r.bus_id[i]}, {"vm_pu", r.vm_pu[i]}, {"va_deg", r.va_deg[i]}});
    }
    out["buses"] = std::move(buses);
    json branches = json::array();
    for (size_t l = 0; l < r.branches.size(); ++l) {
      const auto& f = r.branches[l];
      branches.push_back({{"from", net.branches[l].from_id}, {"to", net.branches[l].to_id},
                          {"p_from_mw", f.p_from_mw}, {"q_from_mvar", f.q_from_mvar},
                          {"p_to_mw", f.p_to_mw}, {"q_to_mvar", f.q_to_mvar}});
    }
    out["branches"] = std::move(branches);
    json gens = json::array();
    for (size_t k = 0; k < r.gen_p_mw.size(); ++k) {
      gens.push_back({{"bus", net.gens[k].bus_id}, {"p_mw", r.gen_p_mw[k]},
                      {"q_mvar", r.gen_q_mvar[k]}});
    }
    out["gens"] = std::move(gens);
    out["losses_mw"] = r.losses_mw;
    std::cout << out.dump(1) << "\n";
  } else {
    std::printf("AC power flow, case %s: %zu buses, %zu branches, %zu generators\n",
                net.name.c_str(), net.buses.size(), net.branches.size(), net.gens.size());
    std::printf("%s in %d iterations, largest mismatch %.3e pu; %d island(s), %.3f MW unserved\n",
                rep.converged ? "converged" : "DID NOT CONVERGE", rep.iterations,
                rep.max_mismatch_pu, rep.num_islands, rep.unserved_mw);
    std::printf("\n%8s %10s %10s\n", "bus", "Vm(pu)", "Va(deg)");
    for (size_t i = 0; i < r.vm_pu.size(); ++i) {
      std::printf("%8d %10.6f %10.4f\n", r.bus_id[i], r.vm_pu[i], r.va_deg[i]);
    }
    std::printf("\n%8s %8s %11s %11s %11s %11s\n", "from", "to", "Pf(MW)", "Qf(MVAr)", "Pt(MW)",
                "Qt(MVAr)");
    for (size_t l = 0; l < r.branches.size(); ++l) {
      const auto& f = r.branches[l];
      std::printf("%8d %8d %11.3f %11.3f %11.3f %11.3f\n", net.branches[l].from_id,
                  net.branches[l].to_id, f.p_from_mw, f.q_from_mvar, f.p_to_mw, f.q_to_mvar);
    }
    std::printf("\n%8s %11s %11s\n", "gen bus", "P(MW)", "Q(MVAr)");
    for (size_t k = 0; k < r.gen_p_mw.size(); ++k) {
      if (!net.gens[k].in_service) continue;
      std::printf("%8d %11.3f %11.3f\n", net.gens[k].bus_id, r.gen_p_mw[k], r.gen_q_mvar[k]);
    }
    std::printf("\nlosses: %.4f MW\n", r.losses_mw);
  }
  return absl::OkStatus();
}

absl::Status RunMatpowerN1(const Args& args) {
  auto case_arg = CaseArg(args);
  if (!case_arg.ok()) return case_arg.status();
  auto as_json = JsonFormat(args);
  if (!as_json.ok()) return as_json.status();
  auto opts = ReadSolveOptions(args);
  if (!opts.ok()) return opts.status();
  auto threads = args.GetInt("threads", 1);
  if (!threads.ok()) return threads.status();
  if (*threads < 1 || *threads > 256) return absl::InvalidArgumentError("--threads: expected 1..256");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;  // before any work
  auto grid = LoadGrid(*case_arg);
  if (!grid.ok()) return grid.status();
  const pf::Network& net = (*grid)->network();
  pf::AcPowerFlow base(*grid);
  const auto t0 = std::chrono::steady_clock::now();
  const pf::SolveReport rep = base.Solve(*opts);
  if (!rep.converged) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the base case of '", net.name, "' did not converge (", rep.iterations,
        " iterations, mismatch ", rep.max_mismatch_pu, " pu); N-1 needs a solved base state"));
  }
  pf::ContingencyAnalyzer analyzer(*grid);
  pf::ContingencyOptions copts;
  copts.solve = *opts;
  copts.threads = static_cast<int>(*threads);
  const auto& results = analyzer.Run(base, copts);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (*as_json) {
    json out;
    out["case"] = net.name;
    json list = json::array();
    for (const auto& c : results) {
      list.push_back({{"branch", c.branch}, {"from", c.from_id}, {"to", c.to_id},
                      {"islanded", c.islanded}, {"converged", c.converged},
                      {"iterations", c.iterations}, {"overloads", c.overloads},
                      {"max_loading", c.max_loading}, {"v_violations", c.v_violations}});
    }
    out["contingencies"] = std::move(list);
    out["elapsed_ms"] = elapsed_ms;
    std::cout << out.dump(1) << "\n";
  } else {
    std::printf("N-1 on case %s: %zu contingencies, %lld thread(s), %.2f ms\n", net.name.c_str(),
                results.size(), static_cast<long long>(*threads), elapsed_ms);
    std::printf("%6s %6s %6s %9s %9s %5s %9s %11s %12s\n", "branch", "from", "to", "islanded",
                "converged", "iter", "overloads", "max_loading", "v_violations");
    int failed = 0, overloaded = 0;
    for (const auto& c : results) {
      std::printf("%6d %6d %6d %9s %9s %5d %9d %11.3f %12d\n", c.branch, c.from_id, c.to_id,
                  c.islanded ? "yes" : "no", c.converged ? "yes" : "no", c.iterations,
                  c.overloads, c.max_loading, c.v_violations);
      failed += !c.converged;
      overloaded += c.overloads > 0;
    }
    std::printf("\n%d not converged, %d with overloads\n", failed, overloaded);
  }
  return absl::OkStatus();
}

absl::StatusOr<const CaseBackend*> ClaimingBackend(const Args& args) {
  auto case_arg = CaseArg(args);
  if (!case_arg.ok()) return case_arg.status();
  std::vector<std::string> names;
  for (const CaseBackend& b : CaseBackends()) {
    if (b.claims(*case_arg)) return &b;
    names.push_back(b.name);
  }
  return absl::NotFoundError(absl::StrCat(
      "no case backend understands --case '", *case_arg, "' (backends: ",
      absl::StrJoin(names, ", "), "; built-in MATPOWER-derived cases: ",
      absl::StrJoin(pf::BuiltinCaseNames(), ", "), ", or a .m/.json path)"));
}

absl::Status RunPf(const Args& args) {
  auto backend = ClaimingBackend(args);
  if (!backend.ok()) return backend.status();
  return (*backend)->run_pf(args);
}

absl::Status RunN1(const Args& args) {
  auto backend = ClaimingBackend(args);
  if (!backend.ok()) return backend.status();
  if (!(*backend)->run_n1) {
    return absl::UnimplementedError(
        absl::StrCat("the '", (*backend)->name, "' case backend does not support N-1"));
  }
  return (*backend)->run_n1(args);
}

absl::Status RunImportCase(const Args& args) {
  auto in = args.Get("matpower");
  auto name = args.Get("name");
  auto out = args.Get("out");
  auto notice_path = args.Get("notice-file");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;
  if (!in || !name || !out) {
    return absl::InvalidArgumentError("usage: gridrl import-case --matpower PATH --name NAME --out PATH");
  }
  pf::MatpowerReadInfo info;
  auto net = pf::ReadMatpowerFile(*in, &info);
  if (!net.ok()) return net.status();
  net->name = *name;
  net->source = std::string(std::filesystem::path(*in).filename());
  if (notice_path) {
    std::ifstream f(*notice_path);
    if (!f) return absl::NotFoundError(absl::StrCat("--notice-file: cannot open '", *notice_path, "'"));
    std::stringstream ss;
    ss << f.rdbuf();
    net->notice = ss.str();
  }
  if (auto s = pf::WriteCaseJsonFile(*net, *out); !s.ok()) return s;
  std::fprintf(stderr, "wrote %s: %zu buses, %zu generators, %zu branches%s%s\n", out->c_str(),
               net->buses.size(), net->gens.size(), net->branches.size(),
               info.conversions.empty() ? "" : "; converted ",
               absl::StrJoin(info.conversions, "; ").c_str());
  return absl::OkStatus();
}

}  // namespace

GRIDRL_CASE_BACKEND({.name = "matpower",
                     .claims = MatpowerClaims,
                     .run_pf = RunMatpowerPf,
                     .run_n1 = RunMatpowerN1});

GRIDRL_COMMAND({.name = "pf",
                .summary = "solve a power flow (--case NAME|PATH)",
                .usage = "gridrl pf --case NAME|PATH [--format table|json] [--flat] [--qlim]\n"
                         "          [--tol PU] [--max-iter N] [--dc]\n"
                         "  Newton-Raphson AC power flow (or --dc) of a built-in case (rts96,\n"
                         "  rts_gmlc, case70da, case33bw, case69, or another backend's case) or a\n"
                         "  .json/.m file. --flat: flat start; --qlim: enforce generator Q limits.",
                .run = RunPf});

GRIDRL_COMMAND({.name = "n1",
                .summary = "N-1 branch contingency analysis (--case NAME|PATH --threads N)",
                .usage = "gridrl n1 --case NAME|PATH [--threads N] [--format table|json] [--qlim]\n"
                         "          [--tol PU] [--max-iter N]\n"
                         "  Solves the base case, then every in-service branch out in turn\n"
                         "  (warm-started), reporting islanding, convergence, overloads over\n"
                         "  RATE_A and bus voltage violations.",
                .run = RunN1});

GRIDRL_COMMAND({.name = "import-case",
                .summary = "convert a MATPOWER .m case into the project's JSON case format",
                .usage = "gridrl import-case --matpower PATH --name NAME --out PATH [--notice-file PATH]\n"
                         "  Reads a MATPOWER case (applying its kW/ohm conversion block, if any) and\n"
                         "  writes the project's JSON case. --notice-file embeds a data-use notice.",
                .run = RunImportCase});

}  // namespace gridrl::cli
