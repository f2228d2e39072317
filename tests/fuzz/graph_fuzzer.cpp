// The random-graph gradient fuzzer. Each op generator picks operands among the values computed
// so far (favouring recent ones, so graphs grow deep as well as wide, and reusing values, so
// subexpressions are shared), checks that the op's inputs are inside its domain and at least
// kMargin away from its kinks and ties (finite differences across a kink measure a slope that
// does not exist), and otherwise declines; the builder then tries another op.
#include "graph_fuzzer.hpp"

#include "op_registry.hpp"
#include <autodiff/ops/linear.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace xg::fuzz {

namespace {

// Distance every kink-sensitive input keeps from its kink (relu/abs/step at 0, clamp's bounds,
// ties of maximum/minimum/max); the check perturbs inputs by 1e-6.
constexpr double kMargin = 1e-2;
// Values above this are declined: they only measure rounding.
constexpr double kMaxMagnitude = 50;

// softplus(x) = log(1 + eˣ), with its own backward σ(x): a user op through Function<>.
struct Softplus : Function<Softplus> {
  static constexpr const char* name = "fuzz_softplus";
  static Tensor forward(Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return log(exp(x) + 1.0);
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& g) { return {g * sigmoid(ctx.saved(0))}; }
};

// f(a, b) = a·b + a², two inputs of one shape: ∂f/∂a = b + 2a, ∂f/∂b = a.
struct MulAddSquare : Function<MulAddSquare> {
  static constexpr const char* name = "fuzz_mul_add_square";
  static Tensor forward(Context& ctx, const Tensor& a, const Tensor& b) {
    ctx.save_for_backward({a, b});
    return a * b + a * a;
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& g) {
    const Tensor a = ctx.saved(0), b = ctx.saved(1);
    return {g * (b + 2.0 * a), g * a};
  }
};

// A deliberately wrong derivative: x³ with backward 3x² + 0.5.
struct WrongCube : Function<WrongCube> {
  static constexpr const char* name = "fuzz_wrong_cube";
  static Tensor forward(Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * x * x;
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& g) {
    const Tensor x = ctx.saved(0);
    return {g * (3.0 * x * x + 0.5)};
  }
};

std::string shape_text(const Shape& s) { return fmt::format("{{{}}}", fmt::join(s, ",")); }

std::optional<Shape> broadcast(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    const std::size_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = std::max(da, db);
  }
  return out;
}

double min_abs(const Tensor& t) {
  double m = INFINITY;
  for (double v : t.to_vector()) m = std::min(m, std::abs(v));
  return m;
}
double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}
double min_value(const Tensor& t) {
  double m = INFINITY;
  for (double v : t.to_vector()) m = std::min(m, v);
  return m;
}
bool all_finite(const Tensor& t) {
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}

using Apply = std::function<Tensor(const std::vector<Tensor>&)>;

// Builds one program: the random source, the values so far, and the op generators.
class Builder {
 public:
  Builder(std::uint64_t seed, std::size_t index, const FuzzOptions& options)
      : rng_(seed * 0x9E3779B97F4A7C15ULL + index * 0xBF58476D1CE4E5B9ULL + 1), options_(options) {
    program_.seed = seed;
    program_.index = index;
  }

  Program build() {
    const std::size_t leaves = 1 + below(3);
    for (std::size_t i = 0; i < leaves; ++i) add_leaf(random_shape());
    const std::size_t steps = options_.min_steps + below(options_.max_steps - options_.min_steps + 1);
    std::size_t made = 0, attempts = 0;
    while (made < steps && attempts < steps * 40) {
      ++attempts;
      if (try_step()) ++made;
    }
    if (options_.inject_wrong_op) {
      // Applied to a leaf, whose gradient it then shifts by 0.5 × the loss weight everywhere.
      std::size_t x = 0;
      while (!program_.entries[x].is_leaf || chance(0.5)) x = below(values_.size());
      if (max_abs(values_[x]) < 3) add_step(fmt::format("WrongCube::apply({})", name(x)), {x},
                                              [x](const std::vector<Tensor>& v) { return WrongCube::apply(v[x]); });
    }
    // The loss: a weighted sum of every value that no step consumed (at least the last one).
    for (std::size_t i = 0; i < program_.entries.size(); ++i) {
      if (!used_[i] || i + 1 == program_.entries.size()) {
        program_.outputs.push_back(i);
        program_.output_weights.push_back(std::round(uniform(0.5, 1.5) * 100) / 100);
      }
    }
    return std::move(program_);
  }

 private:
  // ---- random choices ----
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  bool chance(double p) { return uniform(0, 1) < p; }
  template <class T>
  const T& one_of(const std::vector<T>& v) { return v[below(v.size())]; }

  Shape random_shape() {
    static const std::vector<Shape> shapes = {{}, {3}, {4}, {2, 3}, {3, 1}, {1, 3}, {3, 4}, {2, 1, 3}, {2, 3, 2}};
    return one_of(shapes);
  }

  // An earlier value: one of the last four with probability 0.6, else any.
  std::size_t pick() {
    const std::size_t n = values_.size();
    if (n > 4 && chance(0.6)) return n - 1 - below(4);
    return below(n);
  }
  // An earlier value of rank ≥ r, if any (a few tries).
  std::optional<std::size_t> pick_rank(std::size_t r) {
    for (int i = 0; i < 8; ++i) {
      const std::size_t k = pick();
      if (values_[k].dim() >= r) return k;
    }
    return std::nullopt;
  }

  std::string name(std::size_t i) const { return fmt::format("t{}", i); }

  // ---- program entries ----
  std::size_t add_leaf(const Shape& shape) {
    Entry e;
    e.is_leaf = true;
    e.text = "leaf";
    e.shape = shape;
    std::vector<double> v(std::max<std::size_t>(1, numel(shape)));
    for (auto& x : v) {
      do x = uniform(-1.5, 1.5);
      while (std::abs(x) < 0.05);
    }
    e.leaf_value = from_vector(v, shape, kFloat64);
    values_.push_back(e.leaf_value);
    used_.push_back(false);
    program_.entries.push_back(std::move(e));
    return values_.size() - 1;
  }

  static std::size_t numel(const Shape& s) {
    std::size_t n = 1;
    for (auto d : s) n *= d;
    return n;
  }

  // Evaluates a candidate step on the current values; keeps it if the result is finite and
  // moderate.
  bool add_step(std::string text, std::vector<std::size_t> operands, Apply apply) {
    Tensor out;
    try {
      NoGradGuard no_grad;
      out = apply(values_);
    } catch (const ShapeError&) {
      return false;  // a combination the op rejects (the fuzzer checks gradients, not errors)
    } catch (const ValueError&) {
      return false;
    }
    if (!all_finite(out) || max_abs(out) > kMaxMagnitude || out.dtype() != kFloat64) return false;
    for (auto i : operands) used_[i] = true;
    Entry e;
    e.text = std::move(text);
    e.apply = std::move(apply);
    e.shape = out.shape();
    values_.push_back(out);
    used_.push_back(false);
    program_.entries.push_back(std::move(e));
    return true;
  }

  // A value broadcastable with `a`: an earlier one if one fits, else a new leaf of a compatible
  // shape (a's shape with some dims set to 1, or a suffix of it).
  std::size_t partner_for(std::size_t a) {
    for (int i = 0; i < 6; ++i) {
      const std::size_t b = pick();
      if (broadcast(values_[a].shape(), values_[b].shape())) return b;
    }
    Shape s = values_[a].shape();
    if (!s.empty() && chance(0.3)) s.erase(s.begin());
    for (auto& d : s)
      if (chance(0.3)) d = 1;
    return add_leaf(s);
  }

  bool try_step() {
    switch (below(12)) {
      case 0: case 1: return unary();
      case 2: return scalar_op();
      case 3: case 4: return binary();
      case 5: return select_like();
      case 6: return reduction();
      case 7: return shape_op();
      case 8: return indexing();
      case 9: return matmul_op();
      case 10: return softmax_like();
      default: return custom_or_loss();
    }
  }

  bool unary() {
    const std::size_t x = pick();
    const Tensor& v = values_[x];
    const std::string n = name(x);
    auto op = [&](const char* f, auto fn) {
      return add_step(fmt::format("{}({})", f, n), {x}, [x, fn](const std::vector<Tensor>& vals) { return fn(vals[x]); });
    };
    switch (below(14)) {
      case 0: return max_abs(v) < 3 && op("exp", [](const Tensor& t) { return exp(t); });
      case 1: return min_value(v) > 0.1 && op("log", [](const Tensor& t) { return log(t); });
      case 2: return min_value(v) > 0.1 && op("sqrt", [](const Tensor& t) { return sqrt(t); });
      case 3: return min_abs(v) > kMargin && op("abs", [](const Tensor& t) { return abs(t); });
      case 4: return op("neg", [](const Tensor& t) { return -t; });
      case 5: return op("sigmoid", [](const Tensor& t) { return sigmoid(t); });
      case 6: return op("tanh", [](const Tensor& t) { return tanh(t); });
      case 7: return min_abs(v) > kMargin && op("relu", [](const Tensor& t) { return relu(t); });
      case 8: {
        const double slope = std::round(uniform(0.01, 0.3) * 100) / 100;
        return min_abs(v) > kMargin &&
               add_step(fmt::format("leaky_relu({}, {})", n, slope), {x},
                        [x, slope](const std::vector<Tensor>& vals) { return leaky_relu(vals[x], slope); });
      }
      case 9: {
        const double alpha = std::round(uniform(0.5, 1.5) * 100) / 100;
        return min_abs(v) > kMargin &&
               add_step(fmt::format("elu({}, {})", n, alpha), {x},
                        [x, alpha](const std::vector<Tensor>& vals) { return elu(vals[x], alpha); });
      }
      case 10: return min_abs(v) > kMargin && op("step", [](const Tensor& t) { return step(t); });
      case 11: {
        static const std::vector<double> exponents = {2, 3, -1, 0.5, 1.5, -0.5};
        const double p = one_of(exponents);
        const bool integral = p == std::round(p);
        if (integral && p < 0 && min_abs(v) < 0.3) return false;
        if (!integral && min_value(v) < (p < 0 ? 0.3 : 0.1)) return false;
        return add_step(fmt::format("pow({}, {})", n, p), {x},
                        [x, p](const std::vector<Tensor>& vals) { return pow(vals[x], p); });
      }
      case 12: {
        // Bounds between the values, each at least kMargin from every element.
        auto vals = v.to_vector();
        const double lo = std::round(uniform(-1.0, 0.0) * 100) / 100, hi = std::round(uniform(0.05, 1.0) * 100) / 100;
        for (double e : vals)
          if (std::abs(e - lo) < kMargin || std::abs(e - hi) < kMargin) return false;
        return add_step(fmt::format("clamp({}, {}, {})", n, lo, hi), {x},
                        [x, lo, hi](const std::vector<Tensor>& vs) { return clamp(vs[x], lo, hi); });
      }
      default: return op("identity", [](const Tensor& t) { return identity(t); });
    }
  }

  bool scalar_op() {
    const std::size_t x = pick();
    const double c = std::round(uniform(-2, 2) * 100) / 100;
    if (std::abs(c) < 0.3) return false;
    const std::string n = name(x);
    switch (below(5)) {
      case 0: return add_step(fmt::format("{} + {}", n, c), {x}, [x, c](const std::vector<Tensor>& v) { return v[x] + c; });
      case 1: return add_step(fmt::format("{} - {}", c, n), {x}, [x, c](const std::vector<Tensor>& v) { return c - v[x]; });
      case 2: return add_step(fmt::format("{} * {}", n, c), {x}, [x, c](const std::vector<Tensor>& v) { return v[x] * c; });
      case 3: return add_step(fmt::format("{} / {}", n, c), {x}, [x, c](const std::vector<Tensor>& v) { return v[x] / c; });
      default:
        return min_abs(values_[x]) > 0.3 &&
               add_step(fmt::format("{} / {}", c, n), {x}, [x, c](const std::vector<Tensor>& v) { return c / v[x]; });
    }
  }

  bool binary() {
    const std::size_t a = pick();
    const std::size_t b = partner_for(a);
    const std::string na = name(a), nb = name(b);
    auto bin = [&](const char* f, auto fn) {
      return add_step(fmt::format("{}({}, {})", f, na, nb), {a, b},
                      [a, b, fn](const std::vector<Tensor>& v) { return fn(v[a], v[b]); });
    };
    switch (below(6)) {
      case 0: return bin("add", [](const Tensor& p, const Tensor& q) { return p + q; });
      case 1: return bin("sub", [](const Tensor& p, const Tensor& q) { return p - q; });
      case 2: return bin("mul", [](const Tensor& p, const Tensor& q) { return p * q; });
      case 3: return min_abs(values_[b]) > 0.3 && bin("div", [](const Tensor& p, const Tensor& q) { return p / q; });
      case 4: {
        NoGradGuard no_grad;
        if (min_abs(values_[a] - values_[b]) < kMargin) return false;  // ties
        return bin("maximum", [](const Tensor& p, const Tensor& q) { return maximum(p, q); });
      }
      default: {
        NoGradGuard no_grad;
        if (min_abs(values_[a] - values_[b]) < kMargin) return false;
        return bin("minimum", [](const Tensor& p, const Tensor& q) { return minimum(p, q); });
      }
    }
  }

  // where(m > 0, a, b): the mask comes from a value kept away from 0.
  bool select_like() {
    const std::size_t a = pick();
    const std::size_t b = partner_for(a);
    const std::size_t m = pick();
    if (min_abs(values_[m]) < kMargin) return false;
    const auto ab = broadcast(values_[a].shape(), values_[b].shape());
    if (!ab || !broadcast(*ab, values_[m].shape())) return false;
    return add_step(fmt::format("where(gt({}, 0), {}, {})", name(m), name(a), name(b)), {a, b, m},
                    [a, b, m](const std::vector<Tensor>& v) {
                      return where(gt(v[m], zeros({}, kFloat64)), v[a], v[b]);
                    });
  }

  bool reduction() {
    const std::size_t x = pick();
    const Tensor& v = values_[x];
    const std::string n = name(x);
    if (v.dim() == 0 || chance(0.2)) {
      if (chance(0.5)) return add_step(fmt::format("sum({})", n), {x}, [x](const std::vector<Tensor>& vs) { return sum(vs[x]); });
      return add_step(fmt::format("mean({})", n), {x}, [x](const std::vector<Tensor>& vs) { return mean(vs[x]); });
    }
    const int dim = static_cast<int>(below(v.dim())) - (chance(0.3) ? static_cast<int>(v.dim()) : 0);
    const bool keepdim = chance(0.5);
    switch (below(3)) {
      case 0:
        return add_step(fmt::format("sum({}, {{{}}}, {})", n, dim, keepdim), {x},
                        [x, dim, keepdim](const std::vector<Tensor>& vs) { return sum(vs[x], {dim}, keepdim); });
      case 1:
        return add_step(fmt::format("mean({}, {{{}}}, {})", n, dim, keepdim), {x},
                        [x, dim, keepdim](const std::vector<Tensor>& vs) { return mean(vs[x], {dim}, keepdim); });
      default: {
        // The maximum must be unique along the dim: no element within kMargin of it.
        NoGradGuard no_grad;
        const Tensor top = max(v, dim, true);
        const Tensor near_top = sum(gt(v, top - kMargin).to(kFloat64), {dim});
        for (double c : near_top.to_vector())
          if (c != 1.0) return false;
        return add_step(fmt::format("max({}, {}, {})", n, dim, keepdim), {x},
                        [x, dim, keepdim](const std::vector<Tensor>& vs) { return max(vs[x], dim, keepdim); });
      }
    }
  }

  bool shape_op() {
    const std::size_t x = pick();
    const Tensor& v = values_[x];
    const Shape s = v.shape();
    const std::string n = name(x);
    switch (below(7)) {
      case 0: {  // reshape to a random factorisation
        const std::size_t total = v.numel();
        std::vector<Shape> options = {{total}, {1, total}, {total, 1}};
        for (std::size_t f = 2; f < total; ++f)
          if (total % f == 0) options.push_back({f, total / f});
        const Shape to = one_of(options);
        return add_step(fmt::format("reshape({}, {})", n, shape_text(to)), {x},
                        [x, to](const std::vector<Tensor>& vs) { return reshape(vs[x], to); });
      }
      case 1: {
        if (s.size() < 2) return false;
        const int d0 = static_cast<int>(below(s.size())), d1 = static_cast<int>(below(s.size()));
        return add_step(fmt::format("transpose({}, {}, {})", n, d0, d1), {x},
                        [x, d0, d1](const std::vector<Tensor>& vs) { return transpose(vs[x], d0, d1); });
      }
      case 2: {
        if (s.size() != 2) return false;
        return add_step(fmt::format("t({})", n), {x}, [x](const std::vector<Tensor>& vs) { return t(vs[x]); });
      }
      case 3: {
        if (s.size() < 2) return false;
        const int start = static_cast<int>(below(s.size() - 1));
        return add_step(fmt::format("flatten({}, {})", n, start), {x},
                        [x, start](const std::vector<Tensor>& vs) { return flatten(vs[x], start); });
      }
      case 4: {  // expand: size-1 dims to 2 or 3, maybe a new leading dim
        Shape to = s;
        for (auto& d : to)
          if (d == 1 && chance(0.7)) d = 2 + below(2);
        if (to.size() < 3 && chance(0.5)) to.insert(to.begin(), 2);
        if (to == s) return false;
        return add_step(fmt::format("expand({}, {})", n, shape_text(to)), {x},
                        [x, to](const std::vector<Tensor>& vs) { return expand(vs[x], to); });
      }
      case 5: {
        if (s.empty()) return false;
        const int dim = static_cast<int>(below(s.size()));
        const std::size_t extent = s[static_cast<std::size_t>(dim)];
        if (extent < 2) return false;
        const std::size_t start = below(extent - 1), end = start + 1 + below(extent - start);
        return add_step(fmt::format("slice({}, {}, {}, {})", n, dim, start, end), {x},
                        [x, dim, start, end](const std::vector<Tensor>& vs) { return slice(vs[x], dim, start, end); });
      }
      default: {  // concat with an earlier value of the same shape, or with itself
        if (s.empty()) return false;
        std::size_t y = x;
        for (int i = 0; i < 6; ++i) {
          const std::size_t c = pick();
          if (values_[c].shape() == s) y = c;
        }
        const int dim = static_cast<int>(below(s.size()));
        return add_step(fmt::format("concat({{{}, {}}}, {})", n, name(y), dim), {x, y},
                        [x, y, dim](const std::vector<Tensor>& vs) { return concat({vs[x], vs[y]}, dim); });
      }
    }
  }

  bool indexing() {
    const auto xo = pick_rank(1);
    if (!xo) return false;
    const std::size_t x = *xo;
    const Shape s = values_[x].shape();
    const int dim = static_cast<int>(below(s.size()));
    const std::size_t extent = s[static_cast<std::size_t>(dim)];
    std::vector<std::size_t> index(1 + below(4));
    for (auto& i : index) i = below(extent);  // repeats on purpose: gradients must add up
    const std::string idx = fmt::format("{{{}}}", fmt::join(index, ","));
    if (chance(0.5))
      return add_step(fmt::format("index_select({}, {}, {})", name(x), dim, idx), {x},
                      [x, dim, index](const std::vector<Tensor>& vs) { return index_select(vs[x], dim, index); });
    // index_add: rows of x scattered into a zero tensor of `size` rows at `index`.
    std::vector<std::size_t> target(extent);
    const std::size_t size = 1 + below(4);
    for (auto& i : target) i = below(size);
    const std::string tgt = fmt::format("{{{}}}", fmt::join(target, ","));
    return add_step(fmt::format("index_add({}, {}, {}, {})", name(x), dim, tgt, size), {x},
                    [x, dim, target, size](const std::vector<Tensor>& vs) { return index_add(vs[x], dim, target, size); });
  }

  bool matmul_op() {
    const std::size_t a = pick();
    const Shape sa = values_[a].shape();
    if (sa.empty() || sa.size() > 3) return false;
    const std::size_t k = sa.back();
    if (chance(0.3)) {
      // The fused affine map x·Wᵀ + b, with a new weight {out, k} and a bias {out} or none.
      const std::size_t out = 1 + below(3);
      const std::size_t w = add_leaf({out, k});
      if (chance(0.3))
        return add_step(fmt::format("fused::linear({}, {}, Tensor())", name(a), name(w)), {a, w},
                        [a, w](const std::vector<Tensor>& v) { return fused::linear(v[a], v[w], Tensor()); });
      const std::size_t b = add_leaf({out});
      return add_step(fmt::format("fused::linear({}, {}, {})", name(a), name(w), name(b)), {a, w, b},
                      [a, w, b](const std::vector<Tensor>& v) { return fused::linear(v[a], v[w], v[b]); });
    }
    // A right operand {k, n} (or {k}): an earlier value if one fits, else a new leaf.
    std::optional<std::size_t> b;
    for (int i = 0; i < 8 && !b; ++i) {
      const std::size_t c = pick();
      const Shape sc = values_[c].shape();
      if ((sc.size() == 2 || sc.size() == 1) && sc[0] == k && !(sa.size() == 1 && sc.size() == 1)) b = c;
    }
    if (!b) b = add_leaf(chance(0.8) ? Shape{k, 1 + below(3)} : Shape{k});
    const std::size_t bb = *b;
    if (sa.size() == 2 && values_[bb].dim() == 2 && chance(0.4)) {
      // The same product as matmul_t(aᵀ-stored, bᵀ-stored, true, true).
      return add_step(fmt::format("matmul_t(t({}), t({}), true, true)", name(a), name(bb)), {a, bb},
                      [a, bb](const std::vector<Tensor>& v) { return matmul_t(t(v[a]), t(v[bb]), true, true); });
    }
    return add_step(fmt::format("matmul({}, {})", name(a), name(bb)), {a, bb},
                    [a, bb](const std::vector<Tensor>& v) { return matmul(v[a], v[bb]); });
  }

  bool softmax_like() {
    const auto xo = pick_rank(1);
    if (!xo) return false;
    const std::size_t x = *xo;
    const int dim = static_cast<int>(below(values_[x].dim()));
    if (chance(0.5))
      return add_step(fmt::format("softmax({}, {})", name(x), dim), {x},
                      [x, dim](const std::vector<Tensor>& v) { return softmax(v[x], dim); });
    return add_step(fmt::format("log_softmax({}, {})", name(x), dim), {x},
                    [x, dim](const std::vector<Tensor>& v) { return log_softmax(v[x], dim); });
  }

  bool custom_or_loss() {
    const std::size_t x = pick();
    const Tensor& v = values_[x];
    const std::string n = name(x);
    switch (below(6)) {
      case 0:
        return max_abs(v) < 10 && add_step(fmt::format("Softplus::apply({})", n), {x},
                                           [x](const std::vector<Tensor>& vs) { return Softplus::apply(vs[x]); });
      case 1: {
        std::optional<std::size_t> y;
        for (int i = 0; i < 6 && !y; ++i) {
          const std::size_t c = pick();
          if (values_[c].shape() == v.shape()) y = c;
        }
        const std::size_t yy = y ? *y : add_leaf(v.shape());
        return add_step(fmt::format("MulAddSquare::apply({}, {})", n, name(yy)), {x, yy},
                        [x, yy](const std::vector<Tensor>& vs) { return MulAddSquare::apply(vs[x], vs[yy]); });
      }
      case 2: {
        if (v.dim() != 2 || v.shape()[1] < 2) return false;
        std::vector<std::size_t> labels(v.shape()[0]);
        for (auto& l : labels) l = below(v.shape()[1]);
        return add_step(fmt::format("fused::softmax_cross_entropy({}, {{{}}})", n, fmt::join(labels, ",")), {x},
                        [x, labels](const std::vector<Tensor>& vs) { return fused::softmax_cross_entropy(vs[x], labels); });
      }
      case 3: {
        const Tensor target = constant_target(v.shape());
        return add_step(fmt::format("fused::bce_with_logits({}, {})", n, target_text(target)), {x},
                        [x, target](const std::vector<Tensor>& vs) { return fused::bce_with_logits(vs[x], target); });
      }
      case 4: {
        // bce needs probabilities away from 0 and 1.
        for (double p : v.to_vector())
          if (p < 0.05 || p > 0.95) return false;
        const Tensor target = constant_target(v.shape());
        return add_step(fmt::format("fused::bce({}, {})", n, target_text(target)), {x},
                        [x, target](const std::vector<Tensor>& vs) { return fused::bce(vs[x], target); });
      }
      default: {
        // prelu with a learnable weight: {1}, or one per channel (dim 1).
        if (min_abs(v) < kMargin || v.dim() == 0) return false;
        const Shape ws = v.dim() >= 2 && chance(0.5) ? Shape{v.shape()[1]} : Shape{1};
        const std::size_t w = add_leaf(ws);
        return add_step(fmt::format("prelu({}, {})", n, name(w)), {x, w},
                        [x, w](const std::vector<Tensor>& vs) { return prelu(vs[x], vs[w]); });
      }
    }
  }

  Tensor constant_target(const Shape& shape) {
    std::vector<double> t(std::max<std::size_t>(1, numel(shape)));
    for (auto& e : t) e = std::round(uniform(0.0, 1.0) * 100) / 100;
    return from_vector(t, shape, kFloat64);
  }
  static std::string target_text(const Tensor& t) {
    return fmt::format("tensor({}, {})", fmt::join(t.to_vector(), ","), shape_text(t.shape()));
  }

  std::mt19937_64 rng_;
  FuzzOptions options_;
  Program program_;
  std::vector<Tensor> values_;
  std::vector<bool> used_;
};

}  // namespace

std::vector<Tensor> Program::leaf_values() const {
  std::vector<Tensor> out;
  for (const auto& e : entries)
    if (e.is_leaf) out.push_back(e.leaf_value);
  return out;
}

std::size_t Program::steps() const {
  std::size_t n = 0;
  for (const auto& e : entries) n += e.is_leaf ? 0 : 1;
  return n;
}

Tensor Program::run(const std::vector<Tensor>& leaves) const {
  std::vector<Tensor> values;
  values.reserve(entries.size());
  std::size_t next_leaf = 0;
  for (const auto& e : entries) values.push_back(e.is_leaf ? leaves.at(next_leaf++) : e.apply(values));
  Tensor loss;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    Tensor term = sum(values[outputs[i]]) * output_weights[i];
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

std::string Program::to_string(bool with_values) const {
  std::string out = fmt::format("graph {} of seed {}: {} entries\n", index, seed, entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.is_leaf) {
      out += fmt::format("  t{} = leaf {}", i, shape_text(e.shape));
      if (with_values) out += fmt::format(" = [{:.17g}]", fmt::join(e.leaf_value.to_vector(), ", "));
      out += "\n";
    } else {
      out += fmt::format("  t{} = {}  -> {}\n", i, e.text, shape_text(e.shape));
    }
  }
  out += "  loss =";
  for (std::size_t i = 0; i < outputs.size(); ++i)
    out += fmt::format("{} {}·sum(t{})", i ? " +" : "", output_weights[i], outputs[i]);
  out += fmt::format("\nreplay: xgrad_fuzz_graphs --seed {} --graph {} --verbose\n", seed, index);
  return out;
}

Program generate(std::uint64_t seed, std::size_t index, const FuzzOptions& options) {
  return Builder(seed, index, options).build();
}

CheckResult check(const Program& program, bool second_order) {
  CheckResult result;
  auto f = [&program](const std::vector<Tensor>& in) { return program.run(in); };
  const auto leaves = program.leaf_values();
  {
    std::vector<Tensor> recorded;
    for (const auto& l : leaves) recorded.push_back(l.detach().requires_grad_());
    result.ops = testing::recorded_ops(program.run(recorded));
  }
  const GradcheckResult first = gradcheck(f, leaves);
  if (!first.ok) {
    result.ok = false;
    result.report = "gradcheck failed: " + first.report + "\n" + program.to_string(true);
    return result;
  }
  if (second_order) {
    result.second_order = true;
    const GradcheckResult second = gradgradcheck(f, leaves);
    if (!second.ok) {
      result.ok = false;
      result.report = "gradgradcheck failed: " + second.report + "\n" + program.to_string(true);
    }
  }
  return result;
}

std::set<std::string> primitive_names_not_fuzzed() {
  // "to" (Cast): a float64 → float32 → float64 round trip rounds to 1e-8 relative, so central
  // differences with eps = 1e-6 cannot measure its gradient; the registry sweep covers it.
  return {"to"};
}

}  // namespace xg::fuzz
