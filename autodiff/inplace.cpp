// In-place ops. They bump the storage's version counter, so a node that saved the tensor
// notices at backward time (Context::unpack). They are not recorded in the graph: on a leaf
// that requires grad, or on a tensor that is part of a recorded graph, they are allowed only
// with grad mode off (NoGradGuard), as optimizer updates and parameter loading do.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg {

namespace {

void check_inplace(const Tensor& self, const char* op) {
  if (!self.defined()) throw ValueError(fmt::format("{}: undefined tensor", op));
  if (!is_grad_enabled()) return;
  if (self.requires_grad())
    throw GraphError(fmt::format(
        "{}: in-place op on a tensor of shape {} that {}; in-place edits are not recorded, so "
        "they are allowed there only under NoGradGuard",
        op, shape_str(self.shape()),
        self.is_leaf() ? "is a leaf requiring grad" : "is part of a recorded graph"));
}

template <class F>
Tensor& apply_binary(Tensor& self, const Tensor& other, const char* op, F f) {
  check_inplace(self, op);
  if (!other.defined()) throw ValueError(fmt::format("{}: undefined operand", op));
  Shape out = kernels::broadcast_shapes(self.shape(), other.shape(), op);
  if (out != self.shape())
    throw ShapeError(fmt::format("{}: operand of shape {} does not broadcast to the tensor's shape {}",
                                 op, shape_str(other.shape()), shape_str(self.shape())));
  Tensor rhs;
  {
    NoGradGuard no_grad;
    rhs = other.dtype() == self.dtype() ? other : other.to(self.dtype());
  }
  dispatch(self.dtype(), [&]<class T>() { kernels::binary_map<T>(self, rhs, self, f); });
  ++self.impl()->storage->version;
  return self;
}

template <class F>
Tensor& apply_unary(Tensor& self, const char* op, F f) {
  check_inplace(self, op);
  dispatch(self.dtype(), [&]<class T>() { kernels::unary_map<T>(self, self, f); });
  ++self.impl()->storage->version;
  return self;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& o) { return apply_binary(*this, o, "add_", [](auto a, auto b) { return a + b; }); }
Tensor& Tensor::sub_(const Tensor& o) { return apply_binary(*this, o, "sub_", [](auto a, auto b) { return a - b; }); }
Tensor& Tensor::mul_(const Tensor& o) { return apply_binary(*this, o, "mul_", [](auto a, auto b) { return a * b; }); }
Tensor& Tensor::div_(const Tensor& o) { return apply_binary(*this, o, "div_", [](auto a, auto b) { return a / b; }); }
Tensor& Tensor::add_(double v) { return apply_unary(*this, "add_", [v](auto a) { return static_cast<decltype(a)>(a + v); }); }
Tensor& Tensor::sub_(double v) { return apply_unary(*this, "sub_", [v](auto a) { return static_cast<decltype(a)>(a - v); }); }
Tensor& Tensor::mul_(double v) { return apply_unary(*this, "mul_", [v](auto a) { return static_cast<decltype(a)>(a * v); }); }
Tensor& Tensor::div_(double v) { return apply_unary(*this, "div_", [v](auto a) { return static_cast<decltype(a)>(a / v); }); }
Tensor& Tensor::zero_() { return apply_unary(*this, "zero_", [](auto a) { return static_cast<decltype(a)>(0); }); }
Tensor& Tensor::fill_(double v) { return apply_unary(*this, "fill_", [v](auto a) { return static_cast<decltype(a)>(v); }); }

Tensor& Tensor::clamp_(double lo, double hi) {
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    throw ValueError(fmt::format("clamp_: lo = {} must not exceed hi = {}", lo, hi));
  return apply_unary(*this, "clamp_", [lo, hi](auto a) {
    using T = decltype(a);
    return std::isnan(a) ? a : std::min(std::max(a, static_cast<T>(lo)), static_cast<T>(hi));
  });
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace(*this, "copy_");
  if (!src.defined()) throw ValueError("copy_: undefined source");
  if (src.shape() != shape())
    throw ShapeError(fmt::format("copy_: source shape {} differs from the tensor's shape {}",
                                 shape_str(src.shape()), shape_str(shape())));
  dispatch(dtype(), [&]<class T>() {
    T* dst = impl()->data<T>();
    dispatch(src.dtype(), [&]<class S>() {
      const S* s = src.impl()->template data<S>();
      std::transform(s, s + src.numel(), dst, [](S v) { return static_cast<T>(v); });
    });
  });
  ++impl()->storage->version;
  return *this;
}

}  // namespace xg
