#include "env/space.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridrl::env {

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kInt8: return 1;
    case DType::kBool: return 1;
  }
  return 0;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kInt8: return "int8";
    case DType::kBool: return "bool";
  }
  return "?";
}

const char* SpaceKindName(SpaceKind kind) {
  switch (kind) {
    case SpaceKind::kDiscrete: return "Discrete";
    case SpaceKind::kMultiDiscrete: return "MultiDiscrete";
    case SpaceKind::kMultiBinary: return "MultiBinary";
    case SpaceKind::kBox: return "Box";
    case SpaceKind::kDict: return "Dict";
  }
  return "?";
}

Space Space::Discrete(int64_t n, int64_t start) {
  Space s;
  s.kind = SpaceKind::kDiscrete;
  s.dtype = DType::kInt64;
  s.n = n;
  s.start = start;
  return s;
}

Space Space::MultiDiscrete(std::vector<int64_t> nvec) {
  Space s;
  s.kind = SpaceKind::kMultiDiscrete;
  s.dtype = DType::kInt64;
  s.shape = {static_cast<int64_t>(nvec.size())};
  s.nvec = std::move(nvec);
  return s;
}

Space Space::MultiBinary(int64_t n) {
  Space s;
  s.kind = SpaceKind::kMultiBinary;
  s.dtype = DType::kInt8;
  s.shape = {n};
  return s;
}

Space Space::Box(DType dtype, std::vector<int64_t> shape, double low, double high) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return Box(dtype, std::move(shape), std::vector<double>(count, low),
             std::vector<double>(count, high));
}

Space Space::Box(DType dtype, std::vector<int64_t> shape, std::vector<double> low,
                 std::vector<double> high) {
  Space s;
  s.kind = SpaceKind::kBox;
  s.dtype = dtype;
  s.shape = std::move(shape);
  s.low = std::move(low);
  s.high = std::move(high);
  return s;
}

Space Space::Dict(std::vector<std::pair<std::string, Space>> entries) {
  Space s;
  s.kind = SpaceKind::kDict;
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  s.entries = std::move(entries);
  return s;
}

int64_t Space::NumElements() const {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

std::string Space::DebugString() const {
  switch (kind) {
    case SpaceKind::kDiscrete:
      return start == 0 ? absl::StrCat("Discrete(", n, ")")
                        : absl::StrCat("Discrete(", n, ", start=", start, ")");
    case SpaceKind::kMultiDiscrete:
      return absl::StrCat("MultiDiscrete([", absl::StrJoin(nvec, ", "), "])");
    case SpaceKind::kMultiBinary:
      return absl::StrCat("MultiBinary(", absl::StrJoin(shape, ", "), ")");
    case SpaceKind::kBox: {
      auto [lo, hi] = std::minmax_element(low.begin(), low.end());
      auto [lo2, hi2] = std::minmax_element(high.begin(), high.end());
      std::string bounds = low.empty() ? "" : absl::StrCat(*lo, ", ", *hi2);
      (void)hi;
      (void)lo2;
      return absl::StrCat("Box(", bounds, ", (", absl::StrJoin(shape, ", "),
                          shape.size() == 1 ? ",)" : ")", ", ", DTypeName(dtype), ")");
    }
    case SpaceKind::kDict: {
      std::vector<std::string> parts;
      for (const auto& [k, v] : entries) parts.push_back(absl::StrCat("'", k, "': ", v.DebugString()));
      return absl::StrCat("Dict(", absl::StrJoin(parts, ", "), ")");
    }
  }
  return "?";
}

namespace {

void Flatten(const Space& space, const std::string& prefix, std::vector<Leaf>& out) {
  if (space.kind == SpaceKind::kDict) {
    for (const auto& [key, child] : space.entries) {
      Flatten(child, prefix.empty() ? key : absl::StrCat(prefix, ".", key), out);
    }
    return;
  }
  Leaf leaf;
  leaf.name = prefix;
  leaf.space = &space;
  leaf.dtype = space.dtype;
  leaf.shape = space.shape;
  leaf.num_elements = space.NumElements();
  leaf.num_bytes = static_cast<size_t>(leaf.num_elements) * DTypeSize(space.dtype);
  out.push_back(std::move(leaf));
}

template <typename T>
double ElementAt(const void* values, int64_t i) {
  return static_cast<double>(static_cast<const T*>(values)[i]);
}

double Element(DType dtype, const void* values, int64_t i) {
  switch (dtype) {
    case DType::kFloat32: return ElementAt<float>(values, i);
    case DType::kFloat64: return ElementAt<double>(values, i);
    case DType::kInt32: return ElementAt<int32_t>(values, i);
    case DType::kInt64: return ElementAt<int64_t>(values, i);
    case DType::kInt8: return ElementAt<int8_t>(values, i);
    case DType::kBool: return ElementAt<uint8_t>(values, i);
  }
  return 0.0;
}

std::string IndexSuffix(const Leaf& leaf, int64_t i) {
  return leaf.space->kind == SpaceKind::kDiscrete ? "" : absl::StrCat("[", i, "]");
}

}  // namespace

std::vector<Leaf> Leaves(const Space& space) {
  std::vector<Leaf> out;
  Flatten(space, "", out);
  return out;
}

int64_t MaskSize(const Space& space) {
  switch (space.kind) {
    case SpaceKind::kDiscrete: return space.n;
    case SpaceKind::kMultiDiscrete: {
      int64_t total = 0;
      for (int64_t v : space.nvec) total += v;
      return total;
    }
    case SpaceKind::kDict: {
      int64_t total = 0;
      for (const auto& [k, child] : space.entries) total += MaskSize(child);
      return total;
    }
    default: return 0;
  }
}

absl::Status CheckLeafValues(const Leaf& leaf, const void* values, const std::string& what) {
  const Space& s = *leaf.space;
  for (int64_t i = 0; i < leaf.num_elements; ++i) {
    double v = Element(leaf.dtype, values, i);
    switch (s.kind) {
      case SpaceKind::kDiscrete:
        if (v < s.start || v >= s.start + s.n) {
          return absl::OutOfRangeError(absl::StrCat(what, ": value ", v, " is outside Discrete(",
                                                    s.n, s.start ? absl::StrCat(", start=", s.start) : "",
                                                    "), expected ", s.start, "..", s.start + s.n - 1));
        }
        break;
      case SpaceKind::kMultiDiscrete:
        if (v < 0 || v >= s.nvec[i]) {
          return absl::OutOfRangeError(absl::StrCat(what, IndexSuffix(leaf, i), ": value ", v,
                                                    " is outside 0..", s.nvec[i] - 1));
        }
        break;
      case SpaceKind::kMultiBinary:
        if (v != 0 && v != 1) {
          return absl::OutOfRangeError(
              absl::StrCat(what, IndexSuffix(leaf, i), ": value ", v, " is not 0 or 1"));
        }
        break;
      case SpaceKind::kBox:
        if (!std::isfinite(v)) {
          return absl::InvalidArgumentError(
              absl::StrCat(what, IndexSuffix(leaf, i), ": value is ", v, " (not finite)"));
        }
        if (v < s.low[i] || v > s.high[i]) {
          return absl::OutOfRangeError(absl::StrCat(what, IndexSuffix(leaf, i), ": value ", v,
                                                    " is outside [", s.low[i], ", ", s.high[i], "]"));
        }
        break;
      case SpaceKind::kDict: break;
    }
  }
  return absl::OkStatus();
}

}  // namespace gridrl::env
