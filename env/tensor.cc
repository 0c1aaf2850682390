#include "env/tensor.h"

namespace gridrl::env {

void Tensor::Reset(DType dtype, std::vector<int64_t> shape) {
  dtype_ = dtype;
  shape_ = std::move(shape);
  num_elements_ = 1;
  for (int64_t d : shape_) num_elements_ *= d;
  size_t words = (num_bytes() + 7) / 8;
  storage_.assign(words, 0);
}

bool Tensor::operator==(const Tensor& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         std::memcmp(bytes(), other.bytes(), num_bytes()) == 0;
}

}  // namespace gridrl::env
