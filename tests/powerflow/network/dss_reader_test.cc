// OpenDSS reader: the IEEE 123 files, a small feeder solved against a hand calculation, the
// project's JSON form, and bad input that must name the file and line.
#include "powerflow/network/dss_reader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>

#include "gtest/gtest.h"
#include "powerflow/network/feeder_data.h"
#include "powerflow/distribution/feeder_solver.h"

namespace gridrl::powerflow {
namespace {

std::string SharedDss() {
  return std::string(GRIDRL_SOURCE_DIR) + "/../shared/data/ieee123/opendss/IEEE123Switches.dss";
}

TEST(DssReader, ReadsIeee123) {
  if (!std::filesystem::exists(SharedDss())) GTEST_SKIP() << "shared data not present";
  auto d = ReadDssFile(SharedDss());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->name, "ieee123");
  EXPECT_EQ(d->loads.size(), 91u);
  EXPECT_EQ(d->capacitors.size(), 4u);
  EXPECT_EQ(d->transformers.size(), 8u);
  EXPECT_EQ(d->regulators.size(), 7u);
  EXPECT_EQ(d->sources.size(), 1u);
  double kw = 0;
  for (const auto& l : d->loads) kw += l.kw;
  EXPECT_NEAR(kw, 3490, 1e-9);
  // Ties wired to real buses and open; switches carry the OpenDSS 1e-6 ohm.
  const FeederLine& sw8 = d->lines[d->FindLine("Sw8")];
  EXPECT_TRUE(sw8.is_switch);
  EXPECT_FALSE(sw8.closed);
  EXPECT_EQ(d->buses[sw8.bus2].name, "94");
  EXPECT_EQ(sw8.nodes1, std::vector<int>{1});
  EXPECT_NEAR(sw8.r_ohm[0], 1e-6, 1e-18);
  EXPECT_TRUE(d->lines[d->FindLine("Sw1")].closed);
  // like= copies reg3a into reg3c, with its own bus.
  const FeederTransformer& reg3c = d->transformers[d->FindTransformer("reg3c")];
  EXPECT_EQ(reg3c.bank, "reg3");
  EXPECT_EQ(reg3c.windings[1].nodes, std::vector<int>{3});
  EXPECT_NEAR(reg3c.windings[0].kv, 2.402, 1e-12);
  // Voltage bases: 4.16 kV everywhere but the 0.48 kV transformer secondary.
  EXPECT_NEAR(d->buses[d->FindBus("610")].kv_base, 0.48, 1e-12);
  EXPECT_NEAR(d->buses[d->FindBus("83")].kv_base, 4.16, 1e-12);
  EXPECT_TRUE(d->buses[d->FindBus("83")].has_xy);
  // Line L1: linecode 10, 0.175 kft: r = 0.251742424 ohm/kft.
  const FeederLine& l1 = d->lines[d->FindLine("L1")];
  EXPECT_NEAR(l1.r_ohm[0], 0.251742424 * 0.175, 1e-12);
  EXPECT_NEAR(l1.b_siemens[0], 2 * std::numbers::pi * 60 * 2.270366128e-9 * 0.175, 1e-15);
}

TEST(DssReader, BuiltinCopyMatchesTheReaderWithPublishedTaps) {
  if (!std::filesystem::exists(SharedDss())) GTEST_SKIP() << "shared data not present";
  auto dss = ReadDssFile(SharedDss());
  auto builtin = LoadFeeder("ieee123");
  ASSERT_TRUE(dss.ok() && builtin.ok());
  ASSERT_EQ(dss->lines.size(), builtin->lines.size());
  ASSERT_EQ(dss->buses.size(), builtin->buses.size());
  for (size_t i = 0; i < dss->lines.size(); ++i) {
    EXPECT_EQ(dss->lines[i].r_ohm, builtin->lines[i].r_ohm);
    EXPECT_EQ(dss->lines[i].closed, builtin->lines[i].closed);
  }
  std::vector<int> taps;
  for (const auto& g : builtin->regulators) taps.push_back(g.tap);
  EXPECT_EQ(taps, (std::vector<int>{7, -1, 0, -1, 8, 1, 5}));
}

// Source 1.0 pu behind a tiny impedance, one line of 1+2j ohm per phase (no mutual, no shunt),
// a balanced constant-impedance wye load: V = E * Zload / (Zline + Zload) per phase.
TEST(DssReader, TwoBusFeederMatchesHandCalculation) {
  const char* text = R"(
Clear
New Circuit.tiny basekv=4.16 pu=1.0 bus1=src R1=0 X1=1e-9 R0=0 X0=1e-9
New Line.l1 bus1=src bus2=load phases=3 r1=1 x1=2 r0=1 x0=2 c1=0 c0=0 length=1
New Load.ld bus1=load phases=3 conn=wye model=2 kV=4.16 kW=300 kvar=100
Set VoltageBases=[4.16]
CalcVoltageBases
)";
  auto d = ReadDssText(text, "tiny.dss", ".");
  ASSERT_TRUE(d.ok()) << d.status();
  auto model = FeederModel::Build(*d);
  ASSERT_TRUE(model.ok()) << model.status();
  FeederSolver solver(*model);
  const FeederResult& r = solver.Solve((*model)->NormalState());
  ASSERT_TRUE(r.converged) << r.message;
  const double vb = 4160 / std::sqrt(3.0);
  const Complex sph(100e3, 100e3 / 3);  // per phase
  const Complex zload = vb * vb / std::conj(sph);
  const Complex zline(1, 2);
  const Complex v = vb * zload / (zline + zload);
  int node = (*model)->NodeIndex(d->FindBus("load"), 2);
  EXPECT_NEAR(r.vm_pu[node], std::abs(v) / vb, 1e-7);
  EXPECT_NEAR(r.va_deg[node], std::arg(v) * 180 / std::numbers::pi - 120, 1e-5);
  const Complex i = v / zload;
  EXPECT_NEAR(r.loss_kw, 3 * std::norm(i) * 1.0 / 1000, 1e-6);
}

TEST(DssReader, JsonRoundTripKeepsTheSolution) {
  auto builtin = LoadFeeder("ieee123");
  ASSERT_TRUE(builtin.ok()) << builtin.status();
  std::string text = FeederToJson(*builtin);
  auto back = FeederFromJson(text, "roundtrip");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FeederToJson(*back), text);
}

struct BadCase {
  const char* text;
  const char* expect;  // substring of the error
};

TEST(DssReader, BadInputNamesFileAndLine) {
  const BadCase cases[] = {
      {"New Circuit.c basekv=4.16\nNew Reactor.r1 bus1=a\n", "bad.dss:2: unsupported element class 'reactor'"},
      {"New Circuit.c basekv=4.16\nNew Line.l1 bus1=a bus2=b wibble=3\n", "bad.dss:2: unsupported property 'wibble'"},
      {"New Circuit.c basekv=4.16\nFrobnicate now\n", "bad.dss:2: unsupported command"},
      {"New Circuit.c basekv=4.16\nNew Line.l1 bus1=a bus2=b linecode=nope\n", "bad.dss:2: linecode: no linecode named 'nope'"},
      {"New Circuit.c basekv=4.16\nNew Linecode.x nphases=2 rmatrix=[1 | 2]\n", "bad.dss:2: rmatrix"},
      {"New Circuit.c basekv=4.16\nNew Line.l1 bus1=a bus2=b length=abc\n", "bad.dss:2: length: 'abc' is not a number"},
      {"New Circuit.c basekv=4.16\nNew Line.l1 bus1=a.7 bus2=b\n", "bad.dss:2: bus1: node '7'"},
      {"~ r1=3\n", "bad.dss:1:"},
      {"New Circuit.c basekv=4.16\nRedirect missing_file.dss\n", "bad.dss:2: cannot open"},
      {"New Circuit.c basekv=4.16\nNew Load.l bus1=a model=3\n", "bad.dss:2: model=3 is not supported"},
      {"New Circuit.c basekv=4.16\nNew Line.l1 bus1=a bus2=b rmatrix=[1 2\n", "bad.dss:2: unterminated"},
      {"New Circuit.c basekv=4.16\nSet mode=daily\n", "bad.dss:2: unsupported Set option 'mode'"},
      {"New Circuit.c basekv=4.16\nopen Line.nope 2\n", "bad.dss:2: no line named 'nope'"},
      {"New Circuit.c basekv=4.16\nNew Transformer.t windings=3\n", "bad.dss:2: only 2-winding"},
      {"New Line.l1 bus1=a bus2=b\n", "no circuit"},
  };
  for (const BadCase& c : cases) {
    auto d = ReadDssText(c.text, "bad.dss", "/nonexistent");
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_NE(std::string(d.status().message()).find(c.expect), std::string::npos)
        << "got: " << d.status().message() << "\nwanted: " << c.expect;
  }
}

TEST(DssReader, MissingFileIsNotFound) {
  auto d = ReadDssFile("/nonexistent/feeder.dss");
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
}

TEST(FeederJson, BadFieldsAreNamed) {
  EXPECT_NE(std::string(FeederFromJson("{", "x.json").status().message()).find("x.json"),
            std::string::npos);
  EXPECT_NE(std::string(FeederFromJson(R"({"format":"other"})", "x.json").status().message())
                .find("gridrl-feeder-1"),
            std::string::npos);
  auto s = FeederFromJson(
      R"({"format":"gridrl-feeder-1","name":"f","buses":[{"name":"a"}],
          "lines":[{"name":"l","bus1":"a","bus2":"zz","nodes1":[1],"nodes2":[1],
                    "r_ohm":[1],"x_ohm":[1],"b_siemens":[0]}]})",
      "x.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("line l: field 'bus2' names unknown bus 'zz'"),
            std::string::npos)
      << s.status();
  // A delta single-phase load needs two nodes; a ground node is not a phase.
  auto load = FeederFromJson(
      R"({"format":"gridrl-feeder-1","name":"f","buses":[{"name":"a","kv_base":4.16}],
          "sources":[{"name":"s","bus":"a","kv_ll":4.16}],
          "loads":[{"name":"ld","bus":"a","nodes":[1],"conn":"delta","kv":4.16,"kw":1,"kvar":0}]})",
      "x.json");
  ASSERT_FALSE(load.ok());
  EXPECT_NE(std::string(load.status().message()).find("x.json: load ld"), std::string::npos)
      << load.status();
  auto src = FeederFromJson(
      R"({"format":"gridrl-feeder-1","name":"f","buses":[{"name":"a","kv_base":4.16}],
          "sources":[{"name":"s","bus":"a","nodes":[0,1,2],"kv_ll":4.16}]})",
      "x.json");
  ASSERT_FALSE(src.ok());
  EXPECT_NE(std::string(src.status().message()).find("source s"), std::string::npos);
}

TEST(FeederNames, RegulatorsAndSwitchesResolveAsUsersWriteThem) {
  auto d = LoadFeeder("ieee123");
  ASSERT_TRUE(d.ok());
  auto rg4a = FindRegulators(*d, "RG4.a");
  ASSERT_TRUE(rg4a.ok());
  ASSERT_EQ(rg4a->size(), 1u);
  EXPECT_EQ(d->regulators[(*rg4a)[0]].name, "creg4a");
  auto rg4 = FindRegulators(*d, "rg4");
  ASSERT_TRUE(rg4.ok());
  EXPECT_EQ(rg4->size(), 3u);
  auto rg1 = FindRegulators(*d, "RG1");
  ASSERT_TRUE(rg1.ok());
  EXPECT_EQ(rg1->size(), 1u);
  EXPECT_FALSE(FindRegulators(*d, "RG9").ok());
  EXPECT_FALSE(FindRegulators(*d, "RG4.x").ok());
  auto sw = FindSwitchLine(*d, "94-54");
  ASSERT_TRUE(sw.ok());
  EXPECT_EQ(d->lines[*sw].name, "Sw8");
  EXPECT_FALSE(FindSwitchLine(*d, "1-2").ok());
}

}  // namespace
}  // namespace gridrl::powerflow

namespace gridrl::powerflow {
namespace {

TEST(DssReader, LengthUnitsConvertBetweenLinecodeAndLine) {
  const char* text = R"(
New Circuit.u basekv=4.16 bus1=s
New Linecode.mile nphases=1 r1=1 x1=2 c1=0 c0=0 units=mi
New Line.a bus1=s.1 bus2=x.1 linecode=mile length=5280 units=ft
New Line.b bus1=s.2 bus2=y.2 linecode=mile length=2
~ normamps=123
Edit Line.b length=3
New Transformer.t phases=1 windings=2 xhl=2
~ wdg=1 bus=s.3 kv=2.4 kva=50 %r=0.5
~ wdg=2 bus=z.3 kv=0.24 kva=50 %r=0.5
)";
  auto d = ReadDssText(text, "units.dss", ".");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_NEAR(d->lines[d->FindLine("a")].r_ohm[0], 1.0, 1e-12);
  EXPECT_NEAR(d->lines[d->FindLine("a")].x_ohm[0], 2.0, 1e-12);
  EXPECT_NEAR(d->lines[d->FindLine("b")].r_ohm[0], 3.0, 1e-12);  // no line units: code's units
  EXPECT_EQ(d->lines[d->FindLine("b")].norm_amps, 123);
  const FeederTransformer& t = d->transformers[d->FindTransformer("t")];
  EXPECT_NEAR(t.windings[1].kv, 0.24, 1e-12);
  EXPECT_EQ(t.windings[1].nodes, std::vector<int>{3});
  EXPECT_NEAR(d->buses[d->FindBus("z")].kv_base, 4.16 * 0.1, 1e-12);  // no bases set: ratio
}

TEST(FeederSolver, NonConvergenceIsAResult) {
  auto d = LoadFeeder("ieee123");
  ASSERT_TRUE(d.ok());
  auto model = FeederModel::Build(*d);
  ASSERT_TRUE(model.ok());
  FeederSolver solver(*model);
  FeederSolveOptions o;
  o.max_iterations = 2;
  const FeederResult& r = solver.Solve((*model)->NormalState(), o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 2);
  EXPECT_GT(r.max_change_pu, o.tol_pu);
  EXPECT_NE(r.message.find("no convergence"), std::string::npos);
  // The same workspace then solves normally.
  EXPECT_TRUE(solver.Solve((*model)->NormalState()).converged);
}

}  // namespace
}  // namespace gridrl::powerflow
