// The derivative table: one entry per primitive, the math in a comment beside it.
//
// Each rule maps the gradient g of the op's output to one gradient per input (undefined = none,
// e.g. for an input that needs no gradient). Rules are written with differentiable xg ops, so
// with create_graph the engine records them and second derivatives come for free. Rules need
// not reduce broadcast gradients: the engine sums each one down to its input's shape.
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/grad_kernels.hpp"
#include "autodiff/ops/linear.hpp"

namespace xg {

namespace {

using Grads = GradList;

// A tensor computed without recording: masks and signs that the gradient is multiplied by.
template <class F>
Tensor constant(F f) {
  NoGradGuard no_grad;
  return f();
}

Tensor scalar(double v, const Tensor& like) { return full({}, v, like.dtype()); }

namespace gk = grad_kernels;

// −g, by the direct loop where it applies.
Tensor negated(const Tensor& g, bool may_reuse) {
  if (gk::direct(g, g)) return gk::map(g, g, may_reuse, [](auto a, auto) { return -a; });
  return -g;
}

// g·x, by the direct loop where it applies (NOTE [ Backward fast paths ]).
Tensor times(const Tensor& g, const Tensor& x, bool may_reuse) {
  if (gk::direct(g, x)) return gk::map(g, x, may_reuse, [](auto a, auto b) { return a * b; });
  return g * x;
}

// g·f(y) for an elementwise op with saved y (its input or output) of g's shape: the direct loop
// computes g·f(y) where it applies, else `composed` (differentiable) runs.
template <class F, class Composed>
Tensor scaled(const Tensor& g, const Tensor& y, F f, Composed composed) {
  if (gk::direct(g, y) && y.shape() == g.shape())
    return gk::map(g, y, true, [f](auto a, auto b) { return a * f(b); });
  return composed();
}

// g of a reduction, shaped back to the input: reinsert reduced dims, then broadcast.
Tensor unreduce(const Tensor& g, const Context& c) {
  Shape kshape = c.shape;
  for (int d : c.dims) kshape[d] = 1;
  return expand(c.flag ? g : reshape(g, kshape), c.shape);
}

// The gradient of matmul_t(a, b, ta, tb) — NOTE [ matmul_t backward ]: each case is again a
// matmul_t with transpose flags, so no transposed copy is ever made.
Grads matmul_backward(Context& c, const Tensor& g) {
  const Tensor a = c.saved(0), b = c.saved(1);
  const bool ta = c.flag, tb = c.flag2;
  Tensor ga, gb;
  // A leaf whose .grad exists takes its gradient by a GEMM with beta = 1 straight into .grad.
  // (The operands and flags are those of the matmul_t calls below.)
  const bool into_a = c.needs_input_grad(0) &&
                      detail::gemm_into_sink(c.grad_sink(0), !ta ? g : b, !ta ? b : g, ta && tb, !ta ? !tb : true);
  const bool into_b = c.needs_input_grad(1) &&
                      detail::gemm_into_sink(c.grad_sink(1), !tb ? a : g, !tb ? g : a, !tb ? !ta : true, ta && tb);
  if (c.needs_input_grad(0) && !into_a)
    ga = !ta ? matmul_t(g, b, false, !tb)   // A·op(B):    dA = g·op(B)ᵀ
             : (!tb ? matmul_t(b, g, false, true) : matmul_t(b, g, true, true));  // Aᵀ·op(B): dA = op(B)·gᵀ
  if (c.needs_input_grad(1) && !into_b)
    gb = !tb ? matmul_t(a, g, !ta, false)   // op(A)·B:    dB = op(A)ᵀ·g
             : (!ta ? matmul_t(g, a, true, false) : matmul_t(g, a, true, true));  // op(A)·Bᵀ: dB = gᵀ·op(A)
  return {ga, gb};
}

Grads slice_backward(Context& c, const Tensor& g) {
  const std::size_t start = c.indices[0], end = c.indices[1], n = c.shape[c.dim];
  std::vector<Tensor> parts;
  Shape pad = c.shape;
  if (start > 0) {
    pad[c.dim] = start;
    parts.push_back(zeros(pad, g.dtype()));
  }
  parts.push_back(g);
  if (end < n) {
    pad[c.dim] = n - end;
    parts.push_back(zeros(pad, g.dtype()));
  }
  return {parts.size() == 1 ? g : concat(parts, c.dim)};
}

Grads concat_backward(Context& c, const Tensor& g) {
  Grads out;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < c.indices.size(); ++i) {
    out.push_back(c.needs_input_grad(i) ? slice(g, c.dim, offset, offset + c.indices[i]) : Tensor());
    offset += c.indices[i];
  }
  return out;
}

// (softmax(x) − onehot(y))·g per row. Without create_graph a direct kernel on the probabilities
// the forward saved (no one-hot tensor, no exponentials); with it, the same formula from
// differentiable ops on the logits.
Grads softmax_cross_entropy_backward(Context& c, const Tensor& g) {
  const Tensor x = c.saved(0);
  const std::size_t n = x.shape()[0], k = x.shape()[1];
  if (is_grad_enabled()) {
    Tensor onehot = zeros(x.shape(), x.dtype());
    dispatch(x.dtype(), [&]<class T>() {
      for (std::size_t i = 0; i < n; ++i) onehot.data_ptr<T>()[i * k + c.indices[i]] = 1;
    });
    return {(softmax(x, 1) - onehot) * reshape(g, {n, 1})};
  }
  const Tensor p = c.saved(1);
  Tensor out = empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* pp = p.data_ptr<T>();
    const T* gi = g.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < k; ++j) o[i * k + j] = pp[i * k + j];
      o[i * k + c.indices[i]] -= 1;
      for (std::size_t j = 0; j < k; ++j) o[i * k + j] *= gi[i];
    }
  });
  return {out};
}

Tensor softmax_grad(const Tensor& y, const Tensor& g, int dim) {  // y·(g − Σ g·y)
  return y * (g - sum(g * y, {dim}, true));
}

Tensor log_softmax_grad(const Tensor& y, const Tensor& g, int dim) {  // g − softmax·Σ g
  return g - exp(y) * sum(g, {dim}, true);
}

// clang-format off
constexpr std::array<Rule, static_cast<std::size_t>(Op::Count_)> kRules{{
  // d(a + b) = g, g
  {Op::Add, "add", [](Context& c, const Tensor& g) -> Grads {
     return {c.needs_input_grad(0) ? g : Tensor(), c.needs_input_grad(1) ? g : Tensor()}; }},
  // d(a − b) = g, −g
  {Op::Sub, "sub", [](Context& c, const Tensor& g) -> Grads {
     const bool na = c.needs_input_grad(0);
     return {na ? g : Tensor(), c.needs_input_grad(1) ? negated(g, !na) : Tensor()}; }},
  // d(a·b) = g·b, g·a
  {Op::Mul, "mul", [](Context& c, const Tensor& g) -> Grads {
     const bool na = c.needs_input_grad(0), nb = c.needs_input_grad(1);
     Tensor ga = na ? times(g, c.saved(1), !nb) : Tensor();  // g's buffer is free only for the last
     return {ga, nb ? times(g, c.saved(0), true) : Tensor()}; }},
  // d(a / b) = g / b, −g·a / b²
  {Op::Div, "div", [](Context& c, const Tensor& g) -> Grads {
     const Tensor a = c.saved(0), b = c.saved(1);
     const bool nb = c.needs_input_grad(1);
     Tensor ga;
     if (c.needs_input_grad(0))
       ga = gk::direct(g, b) ? gk::map(g, b, !nb, [](auto x, auto y) { return x / y; }) : g / b;
     return {ga, nb ? -(g * a) / (b * b) : Tensor()}; }},
  // d(−a) = −g
  {Op::Neg, "neg", [](Context&, const Tensor& g) -> Grads { return {negated(g, true)}; }},
  // d xᵖ = g·p·xᵖ⁻¹  (p = 0: 0)
  {Op::Pow, "pow", [](Context& c, const Tensor& g) -> Grads {
     const Tensor x = c.saved(0);
     const double p = c.scalar;
     if (p == 0) return {zeros_like(x)};
     return {scaled(g, x, [p](auto v) { return static_cast<decltype(v)>(p * std::pow(v, p - 1)); },
                    [&] { return g * (p * pow(x, p - 1)); })}; }},
  // d eˣ = g·eˣ   (the saved output)
  {Op::Exp, "exp", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     return {scaled(g, y, [](auto v) { return v; }, [&] { return g * y; })}; }},
  // d ln x = g / x
  {Op::Log, "log", [](Context& c, const Tensor& g) -> Grads {
     const Tensor x = c.saved(0);
     if (gk::direct(g, x)) return {gk::map(g, x, true, [](auto a, auto v) { return a / v; })};
     return {g / x}; }},
  // d √x = g / (2√x)   (the saved output)
  {Op::Sqrt, "sqrt", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     if (gk::direct(g, y)) return {gk::map(g, y, true, [](auto a, auto v) { return a / (v * 2); })};
     return {g / (y * 2.0)}; }},
  // d |x| = g·sign(x), sign(0) = 0
  {Op::Abs, "abs", [](Context& c, const Tensor& g) -> Grads {
     const Tensor x = c.saved(0);
     const Tensor sign = constant([&] { return gt(x, scalar(0, x)) - lt(x, scalar(0, x)); });
     return {g * sign}; }},
  // d clamp(x, lo, hi) = g where lo ≤ x ≤ hi
  {Op::Clamp, "clamp", [](Context& c, const Tensor& g) -> Grads {
     const Tensor x = c.saved(0);
     const Tensor inside = constant([&] { return ge(x, scalar(c.scalar, x)) * le(x, scalar(c.scalar2, x)); });
     return {g * inside}; }},
  // d max(a, b) = g·[a > b] + g/2·[a = b], and the rest to b
  {Op::Maximum, "maximum", [](Context& c, const Tensor& g) -> Grads {
     const auto s = c.saved();
     const Tensor to_a = constant([&] { return gt(s[0], s[1]) + eq(s[0], s[1]) * 0.5; });
     return {g * to_a, g * (1.0 - to_a)}; }},
  // d min(a, b) = g·[a < b] + g/2·[a = b], and the rest to b
  {Op::Minimum, "minimum", [](Context& c, const Tensor& g) -> Grads {
     const auto s = c.saved();
     const Tensor to_a = constant([&] { return lt(s[0], s[1]) + eq(s[0], s[1]) * 0.5; });
     return {g * to_a, g * (1.0 - to_a)}; }},
  // d where(m, a, b) = (none), g where m, g where not m
  {Op::Where, "where", [](Context& c, const Tensor& g) -> Grads {
     const Tensor m = c.saved(0), zero = scalar(0, g);
     return {Tensor(), c.needs_input_grad(1) ? where(m, g, zero) : Tensor(),
             c.needs_input_grad(2) ? where(m, zero, g) : Tensor()}; }},
  // d σ(x) = g·σ·(1 − σ)   (the saved output)
  {Op::Sigmoid, "sigmoid", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     return {scaled(g, y, [](auto v) { return v * (1 - v); }, [&] { return g * (y * (1.0 - y)); })}; }},
  // d tanh x = g·(1 − tanh²x)   (the saved output)
  {Op::Tanh, "tanh", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     return {scaled(g, y, [](auto v) { return 1 - v * v; }, [&] { return g * (1.0 - y * y); })}; }},
  // d relu(x) = g·[x > 0]   (relu'(0) = 0; [y > 0] = [x > 0])
  {Op::Relu, "relu", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     if (gk::direct(g, y) && y.shape() == g.shape())
       return {gk::map(g, y, true, [](auto a, auto v) { return v > 0 ? a : decltype(a)(0); })};
     return {g * constant([&] { return gt(y, scalar(0, y)); })}; }},
  // d step(x) = 0
  {Op::Step, "step", [](Context&, const Tensor& g) -> Grads { return {zeros_like(g)}; }},
  // d softmax = y·(g − Σ g·y)
  {Op::Softmax, "softmax", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     return {y.dim() == 0 ? zeros_like(g) : softmax_grad(y, g, c.dim)}; }},
  // d log_softmax = g − eʸ·Σ g
  {Op::LogSoftmax, "log_softmax", [](Context& c, const Tensor& g) -> Grads {
     const Tensor y = c.saved(0);
     return {y.dim() == 0 ? zeros_like(g) : log_softmax_grad(y, g, c.dim)}; }},
  // d Σx = g broadcast back over the reduced dims
  {Op::Sum, "sum", [](Context& c, const Tensor& g) -> Grads {
     if (!is_grad_enabled() && g.numel() == 1) return {full(c.shape, g.item(), g.dtype())};  // a total: g everywhere
     return {unreduce(g, c)}; }},
  // d max(x, dim) = g at the first maximum of each slice (saved one-hot mask)
  {Op::Max, "max", [](Context& c, const Tensor& g) -> Grads {
     return {reshape(g, c.shape) * c.saved(0)}; }},
  // d expand(x) = g, summed back to x's shape by the engine
  {Op::Expand, "expand", [](Context&, const Tensor& g) -> Grads { return {g}; }},
  // d reshape(x) = reshape(g, x.shape)
  {Op::Reshape, "reshape", [](Context& c, const Tensor& g) -> Grads { return {reshape(g, c.shape)}; }},
  // d transpose(x, i, j) = transpose(g, i, j)
  {Op::Transpose, "transpose", [](Context& c, const Tensor& g) -> Grads {
     return {transpose(g, c.dim, c.dim2)}; }},
  // d slice(x) = g placed back between zeros
  {Op::Slice, "slice", &slice_backward},
  // d concat(xs) = the slices of g
  {Op::Concat, "concat", &concat_backward},
  // d index_select(x, idx) = index_add(g, idx)
  {Op::IndexSelect, "index_select", [](Context& c, const Tensor& g) -> Grads {
     return {index_add(g, c.dim, c.indices, c.shape[c.dim])}; }},
  // d index_add(src, idx) = index_select(g, idx)
  {Op::IndexAdd, "index_add", [](Context& c, const Tensor& g) -> Grads {
     return {index_select(g, c.dim, c.indices)}; }},
  // d op(A)·op(B): see matmul_backward
  {Op::Matmul, "matmul", &matmul_backward},
  // d (x·Wᵀ + b) = g·W, gᵀ·x, Σ_rows g: see linear_backward
  {Op::Linear, "linear", &detail::linear_backward},
  // d x.to(dtype) = g.to(x's dtype)
  {Op::Cast, "to", [](Context& c, const Tensor& g) -> Grads { return {g.to(c.flag ? kFloat64 : kFloat32)}; }},
  // d CE(x, y) = g·(softmax(x) − onehot(y)), per row
  {Op::SoftmaxCrossEntropy, "softmax_cross_entropy", &softmax_cross_entropy_backward},
  // d BCE(σ(x), t) = g·(σ(x) − t), −g·x
  {Op::BceWithLogits, "bce_with_logits", [](Context& c, const Tensor& g) -> Grads {
     const auto s = c.saved();
     return {c.needs_input_grad(0) ? g * (sigmoid(s[0]) - s[1]) : Tensor(),
             c.needs_input_grad(1) ? -(g * s[0]) : Tensor()}; }},
  // d BCE(p, t) = g·(p − t) / max(p(1 − p), 1e-12), g·(log(1 − p) − log p)
  {Op::Bce, "bce", [](Context& c, const Tensor& g) -> Grads {
     const auto s = c.saved();
     const Tensor& p = s[0];
     const Tensor& t = s[1];
     const double inf = std::numeric_limits<double>::infinity();
     return {c.needs_input_grad(0) ? g * (p - t) / clamp(p * (1.0 - p), 1e-12, inf) : Tensor(),
             c.needs_input_grad(1) ? g * (clamp(log(1.0 - p), -100, inf) - clamp(log(p), -100, inf)) : Tensor()}; }},
}};
// clang-format on

constexpr bool rules_in_op_order() {
  for (std::size_t i = 0; i < kRules.size(); ++i)
    if (static_cast<std::size_t>(kRules[i].op) != i) return false;
  return true;
}
static_assert(rules_in_op_order(), "kRules must list the primitives in Op order");

}  // namespace

const Rule& rule_of(Op op) { return kRules[static_cast<std::size_t>(op)]; }
std::span<const Rule> all_rules() { return kRules; }

}  // namespace xg
