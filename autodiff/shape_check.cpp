// Overflow-checked element counts and the allocation limit (autodiff/shape_check.hpp).
#include "autodiff/shape_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "autodiff/errors.hpp"

namespace xg {

namespace {

constexpr std::size_t kAbsoluteLimit = std::size_t{1} << 48;

std::size_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return kAbsoluteLimit;
  const auto p = static_cast<std::size_t>(pages), s = static_cast<std::size_t>(page_size);
  return p > kAbsoluteLimit / s ? kAbsoluteLimit : p * s;
}

}  // namespace

std::size_t max_tensor_bytes() {
  static const std::size_t limit = std::min(kAbsoluteLimit, physical_memory());
  return limit;
}

std::size_t checked_numel(std::string_view op, const Shape& shape) {
  std::size_t n = 1;
  for (const std::size_t e : shape)
    if (e == 0) return 0;
  for (const std::size_t e : shape) {
    if (n > std::numeric_limits<std::size_t>::max() / e)
      throw ShapeError(fmt::format("{}: shape {}: the element count overflows (more than 2^64 elements)", op,
                                   shape_str(shape)));
    n *= e;
  }
  return n;
}

std::size_t check_allocation(std::string_view op, const Shape& shape, Dtype dtype) {
  const std::size_t n = checked_numel(op, shape);
  const std::size_t limit = max_tensor_bytes();
  if (n > limit / dtype_size(dtype))
    throw ShapeError(fmt::format(
        "{}: shape {} of {} needs {} bytes, more than the {} bytes a tensor may take{} — refused before "
        "allocating",
        op, shape_str(shape), dtype_name(dtype),
        n > std::numeric_limits<std::size_t>::max() / dtype_size(dtype)
            ? std::string("more than 2^64")
            : std::to_string(n * dtype_size(dtype)),
        limit, limit == kAbsoluteLimit ? " (2^48)" : " (this machine's physical memory)"));
  return n;
}

}  // namespace xg
