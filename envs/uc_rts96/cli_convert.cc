// `gridrl convert-uc-timeseries`: turns the RTS-GMLC day-ahead regional load and wind records into
// the project's own copies used by the `uc_rts96` environment:
//   OUT/rts96_load_da.csv  day,hour,area1,area2,area3  (fraction of each region's annual peak)
//   OUT/rts96_wind_da.csv  day,hour,bus_<id>...        (MW per wind plant, at its bus)
// and puts the RTS-GMLC data-use notice beside them.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"

namespace gridrl::cli {
namespace {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

absl::StatusOr<Table> ReadTable(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  Table t;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, ',')) cells.push_back(c);
    if (first) {
      t.header = std::move(cells);
      first = false;
    } else {
      if (cells.size() != t.header.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path.string(), ": a row has ", cells.size(), " cells, header ",
                         t.header.size()));
      }
      t.rows.push_back(std::move(cells));
    }
  }
  if (t.header.size() < 5 || t.header[3] != "Period") {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": expected Year,Month,Day,Period,... columns"));
  }
  if (t.rows.empty() || t.rows.size() % 24 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": expected whole days"));
  }
  return t;
}

absl::StatusOr<double> Num(const std::string& s, const std::string& where) {
  double v = 0;
  if (!absl::SimpleAtod(s, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": '", s, "' is not a number"));
  }
  return v;
}

absl::Status Run(const Args& args) {
  const std::string src = args.GetOr("src", "../shared/data/rts96/rts_gmlc");
  const std::string out = args.GetOr("out", "data/timeseries");
  if (auto s = args.CheckAllUsed(); !s.ok()) return s;
  const std::filesystem::path ts = std::filesystem::path(src) / "timeseries_data_files";
  auto load = ReadTable(ts / "Load" / "DAY_AHEAD_regional_Load.csv");
  if (!load.ok()) return load.status();
  auto wind = ReadTable(ts / "WIND" / "DAY_AHEAD_wind.csv");
  if (!wind.ok()) return wind.status();
  if (wind->rows.size() != load->rows.size()) {
    return absl::InvalidArgumentError("load and wind records cover different periods");
  }
  std::filesystem::create_directories(out);

  const size_t areas = load->header.size() - 4;
  std::vector<double> peak(areas, 0.0);
  std::vector<std::vector<double>> values(load->rows.size(), std::vector<double>(areas));
  for (size_t r = 0; r < load->rows.size(); ++r) {
    for (size_t a = 0; a < areas; ++a) {
      auto v = Num(load->rows[r][4 + a], absl::StrCat("load row ", r + 2));
      if (!v.ok()) return v.status();
      values[r][a] = *v;
      peak[a] = std::max(peak[a], *v);
    }
  }
  {
    std::ofstream f(std::filesystem::path(out) / "rts96_load_da.csv");
    f << "day,hour";
    for (size_t a = 0; a < areas; ++a) f << ",area" << load->header[4 + a];
    f << "\n";
    for (size_t r = 0; r < values.size(); ++r) {
      f << r / 24 + 1 << "," << r % 24;
      for (size_t a = 0; a < areas; ++a) {
        std::ostringstream v;
        v.precision(8);
        v << (peak[a] > 0 ? values[r][a] / peak[a] : 0.0);
        f << "," << v.str();
      }
      f << "\n";
    }
  }
  {
    std::ofstream f(std::filesystem::path(out) / "rts96_wind_da.csv");
    f << "day,hour";
    for (size_t c = 4; c < wind->header.size(); ++c) {
      // RTS-GMLC names a plant <bus>_WIND_<n>.
      const std::string& name = wind->header[c];
      const size_t us = name.find('_');
      f << ",bus_" << name.substr(0, us);
    }
    f << "\n";
    for (size_t r = 0; r < wind->rows.size(); ++r) {
      f << r / 24 + 1 << "," << r % 24;
      for (size_t c = 4; c < wind->header.size(); ++c) {
        auto v = Num(wind->rows[r][c], absl::StrCat("wind row ", r + 2));
        if (!v.ok()) return v.status();
        f << "," << *v;
      }
      f << "\n";
    }
  }
  // The notice must travel with every copy of the data: NOTICE.md says which files it covers,
  // then carries the notice text in full.
  const auto notice = std::filesystem::path(src).parent_path() / "RTS-GMLC_DATA_USE_DISCLAIMER.md";
  std::ifstream notice_in(notice);
  if (!notice_in) {
    return absl::NotFoundError(absl::StrCat("data-use notice ", notice.string(),
                                            " not found (it must travel with the copies)"));
  }
  {
    std::ofstream f(std::filesystem::path(out) / "NOTICE.md");
    f << "# Data-use notice for rts96_load_da.csv and rts96_wind_da.csv\n\n"
         "These files are converted from the RTS-GMLC data (GridMod/RTS-GMLC, NREL). Its data-use\n"
         "notice, reproduced in full below, applies to them and must accompany any copy.\n\n";
    f << notice_in.rdbuf();
    if (!f) return absl::InternalError(absl::StrCat("cannot write ", out, "/NOTICE.md"));
  }
  std::cout << "wrote " << out << "/rts96_load_da.csv (" << values.size() / 24 << " days, "
            << areas << " areas) and rts96_wind_da.csv (" << wind->header.size() - 4
            << " plants) with the RTS-GMLC data-use notice\n";
  return absl::OkStatus();
}

}  // namespace

GRIDRL_COMMAND({.name = "convert-uc-timeseries",
                .summary = "convert RTS-GMLC day-ahead load and wind records for uc_rts96",
                .usage = "gridrl convert-uc-timeseries [--src DIR] [--out DIR]\n"
                         "  --src  RTS-GMLC folder with timeseries_data_files/ (default "
                         "../shared/data/rts96/rts_gmlc)\n"
                         "  --out  output folder (default data/timeseries)\n",
                .run = Run});

}  // namespace gridrl::cli
