// Spaces: the shapes and bounds of observations and actions, as Gymnasium knows them.
//
// A Space is a tree (Dict of leaves); every leaf is one tensor per environment with a fixed dtype
// and shape. Batches store one contiguous tensor per leaf with a leading batch axis, in the order
// `Leaves()` gives (depth-first, Dict keys sorted, the order Gymnasium uses for a Dict built from a
// mapping). Element types follow Gymnasium: Discrete and MultiDiscrete are int64, MultiBinary int8,
// Box float32, float64 or int32.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace gridrl::env {

enum class DType : uint8_t { kFloat32, kFloat64, kInt32, kInt64, kInt8, kBool };

size_t DTypeSize(DType dtype);
const char* DTypeName(DType dtype);  // numpy's names: "float32", "int64", "bool", ...

enum class SpaceKind : uint8_t { kDiscrete, kMultiDiscrete, kMultiBinary, kBox, kDict };

const char* SpaceKindName(SpaceKind kind);

struct Space {
  SpaceKind kind = SpaceKind::kBox;
  DType dtype = DType::kFloat32;  // element type of the leaf (unused by Dict)
  std::vector<int64_t> shape;     // leaf shape for one environment ({} for Discrete)
  int64_t n = 0;                  // Discrete: number of values
  int64_t start = 0;              // Discrete: smallest value
  std::vector<int64_t> nvec;      // MultiDiscrete: values per element (0..nvec[i]-1)
  std::vector<double> low, high;  // Box: one bound per element (row-major)
  std::vector<std::pair<std::string, Space>> entries;  // Dict: sorted by key

  static Space Discrete(int64_t n, int64_t start = 0);
  static Space MultiDiscrete(std::vector<int64_t> nvec);
  static Space MultiBinary(int64_t n);
  static Space Box(DType dtype, std::vector<int64_t> shape, double low, double high);
  static Space Box(DType dtype, std::vector<int64_t> shape, std::vector<double> low,
                   std::vector<double> high);
  static Space Dict(std::vector<std::pair<std::string, Space>> entries);  // sorts the keys

  int64_t NumElements() const;  // elements of one leaf (1 for Discrete)
  bool operator==(const Space& other) const = default;
  std::string DebugString() const;  // Gymnasium-like: Dict('a': Discrete(3), ...)
};

// One tensor of a flattened space. `name` is the path of Dict keys joined by '.', "" for a
// space that is itself a leaf.
struct Leaf {
  std::string name;
  const Space* space = nullptr;  // points into the owning spec's tree
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  int64_t num_elements = 1;
  size_t num_bytes = 0;  // one environment's row
};

std::vector<Leaf> Leaves(const Space& space);

// Number of categorical choices a flat action mask covers for this space: the sum of n over
// Discrete leaves and of nvec over MultiDiscrete leaves (Box and MultiBinary have none).
int64_t MaskSize(const Space& space);

// Checks that `values` (one environment's row of a leaf) lies in the leaf's space: integers in
// range, binary values 0/1, finite Box values within bounds. The error names `what` (e.g.
// "action 'move' of env 3") and the offending element.
absl::Status CheckLeafValues(const Leaf& leaf, const void* values, const std::string& what);

}  // namespace gridrl::env
