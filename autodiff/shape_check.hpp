#pragma once
// Overflow-checked sizes for shapes that come from users or files: an element count that
// overflows std::size_t, or a buffer larger than the machine could ever hold, is a ShapeError
// naming the op and the shape — never a wrapped-around size, an abort or a std::bad_alloc.
#include <cstddef>
#include <string_view>

#include "autodiff/dtype.hpp"

namespace xg {

/// The largest tensor buffer xgrad will try to allocate, in bytes: the smaller of 2^48 (256 TiB)
/// and the machine's physical memory (sysconf), computed once. A tensor larger than physical
/// memory cannot be filled without the process being killed for memory, and sanitizer
/// allocators abort outright on such requests: it is refused up front instead.
std::size_t max_tensor_bytes();

/// Element count of `shape` (1 for 0-D; 0 when any extent is 0, whatever the others, as in
/// PyTorch). ShapeError "<op>: shape [..]: the element count overflows" when the product of the
/// extents does not fit in std::size_t.
std::size_t checked_numel(std::string_view op, const Shape& shape);

/// checked_numel, and also a ShapeError "<op>: shape [..] of <dtype> needs N bytes, more than
/// the M bytes ..." when the tensor's buffer would exceed max_tensor_bytes(). Call it before
/// allocating a tensor whose shape comes from outside; returns the element count.
std::size_t check_allocation(std::string_view op, const Shape& shape, Dtype dtype);

}  // namespace xg
