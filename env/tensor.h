// Tensor: a dtype, a shape and a contiguous little-endian buffer. Batches of observations, actions,
// rewards and infos are Tensors with a leading batch axis; the wire format carries the same bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "env/space.h"

namespace gridrl::env {

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape) { Reset(dtype, std::move(shape)); }

  // Reshapes (reallocating only when it grows) and zero-fills.
  void Reset(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t num_elements() const { return num_elements_; }
  size_t num_bytes() const { return static_cast<size_t>(num_elements_) * DTypeSize(dtype_); }
  bool empty() const { return num_elements_ == 0; }

  std::byte* bytes() { return reinterpret_cast<std::byte*>(storage_.data()); }
  const std::byte* bytes() const { return reinterpret_cast<const std::byte*>(storage_.data()); }
  template <typename T>
  T* data() { return reinterpret_cast<T*>(storage_.data()); }
  template <typename T>
  const T* data() const { return reinterpret_cast<const T*>(storage_.data()); }

  // Bytes of one row of the leading axis.
  size_t row_bytes() const {
    return shape_.empty() || shape_[0] == 0 ? 0 : num_bytes() / static_cast<size_t>(shape_[0]);
  }
  std::byte* row(int64_t i) { return bytes() + static_cast<size_t>(i) * row_bytes(); }
  const std::byte* row(int64_t i) const { return bytes() + static_cast<size_t>(i) * row_bytes(); }

  bool operator==(const Tensor& other) const;

 private:
  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_;
  int64_t num_elements_ = 0;
  std::vector<uint64_t> storage_;  // 8-byte aligned for every dtype
};

}  // namespace gridrl::env
