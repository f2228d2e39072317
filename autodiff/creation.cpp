// Tensor creation and the global random generator.
#include <cmath>
#include <limits>
#include <mutex>
#include <utility>
#include <numeric>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/ops/kernels.hpp"
#include "autodiff/shape_check.hpp"

namespace xg {

// ------------------------------------------------------------------------------ from literals
namespace {

void literal_shape(const TensorLiteral& lit, std::size_t depth, Shape& shape) {
  if (lit.is_number()) return;
  if (depth >= 4) throw ShapeError("tensor: nested lists deeper than 4 levels are not supported");
  shape.push_back(lit.items().size());
  if (!lit.items().empty()) literal_shape(lit.items().front(), depth + 1, shape);
}

template <class T>
void literal_fill(const TensorLiteral& lit, const Shape& shape, std::size_t depth, T*& out) {
  if (depth == shape.size()) {
    if (!lit.is_number())
      throw ShapeError(fmt::format("tensor: ragged nested list: expected a number at depth {} of shape {}",
                                   depth, shape_str(shape)));
    *out++ = static_cast<T>(lit.value());
    return;
  }
  if (lit.is_number() || lit.items().size() != shape[depth])
    throw ShapeError(fmt::format(
        "tensor: ragged nested list: a list at depth {} has {} items where shape {} needs {}", depth,
        lit.is_number() ? 0 : lit.items().size(), shape_str(shape), shape[depth]));
  for (const auto& item : lit.items()) literal_fill(item, shape, depth + 1, out);
}

}  // namespace

Tensor tensor(TensorLiteral data, Dtype dtype) {
  Shape shape;
  literal_shape(data, 0, shape);
  Tensor out = kernels::empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = out.impl()->data<T>();
    literal_fill(data, shape, 0, p);
  });
  return out;
}

Tensor from_vector(const std::vector<double>& values, Shape shape, Dtype dtype) {
  const std::size_t numel = check_allocation("from_vector", shape, dtype);
  if (values.size() != numel)
    throw ShapeError(fmt::format("from_vector: {} values for shape {} ({} elements)", values.size(),
                                 shape_str(shape), numel));
  Tensor out = kernels::empty(shape, dtype);
  dispatch(dtype, [&]<class T>() { std::copy(values.begin(), values.end(), out.impl()->data<T>()); });
  return out;
}

Tensor empty(Shape shape, Dtype dtype) {
  check_allocation("empty", shape, dtype);
  return kernels::empty(shape, dtype);
}
Tensor full(Shape shape, double value, Dtype dtype) {
  check_allocation("full", shape, dtype);
  Tensor out = kernels::empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    std::fill_n(out.impl()->data<T>(), out.numel(), static_cast<T>(value));
  });
  return out;
}
Tensor zeros(Shape shape, Dtype dtype) {
  check_allocation("zeros", shape, dtype);
  return full(std::move(shape), 0.0, dtype);
}
Tensor ones(Shape shape, Dtype dtype) {
  check_allocation("ones", shape, dtype);
  return full(std::move(shape), 1.0, dtype);
}
Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), like.dtype()); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), like.dtype()); }
Tensor full_like(const Tensor& like, double value) { return full(like.shape(), value, like.dtype()); }

Tensor arange(std::size_t n, Dtype dtype) {
  check_allocation("arange", {n}, dtype);
  Tensor out = kernels::empty({n}, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = out.impl()->data<T>();
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(i);
  });
  return out;
}

// ---------------------------------------------------------------------------- random numbers
namespace {

// xoshiro256** seeded through splitmix64: fast, and the same sequence on every platform.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) { reseed(seed); }
  void reseed(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

std::mutex g_mutex;
Generator g_generator(0);

template <class Fill>
Tensor random_tensor(const char* op, const Shape& shape, Dtype dtype, Fill fill) {
  check_allocation(op, shape, dtype);
  Tensor out = kernels::empty(shape, dtype);
  std::lock_guard lock(g_mutex);
  dispatch(dtype, [&]<class T>() { fill(out.impl()->data<T>(), out.numel()); });
  return out;
}

}  // namespace

void manual_seed(std::uint64_t seed) {
  std::lock_guard lock(g_mutex);
  g_generator.reseed(seed);
}

Tensor uniform(Shape shape, double lo, double hi, Dtype dtype) {
  // PyTorch's checks: finite bounds within the dtype's range, lo ≤ hi, and hi − lo finite in
  // the dtype (else the samples are inf or NaN).
  const double limit = dtype == kFloat32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  for (const auto& [name, v] : {std::pair{"lo", lo}, std::pair{"hi", hi}})
    if (!(std::abs(v) <= limit))
      throw ValueError(fmt::format("uniform: {} = {} is not a finite {} value", name, v, dtype_name(dtype)));
  if (!(lo <= hi)) throw ValueError(fmt::format("uniform: lo = {} must not exceed hi = {}", lo, hi));
  if (!(hi - lo <= limit))
    throw ValueError(fmt::format("uniform: hi - lo = {} - ({}) exceeds the largest {} ({}): the samples would overflow",
                                 hi, lo, dtype_name(dtype), limit));
  return random_tensor("uniform", shape, dtype, [&]<class T>(T* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<T>(lo + (hi - lo) * g_generator.uniform());
  });
}

Tensor rand(Shape shape, Dtype dtype) {
  check_allocation("rand", shape, dtype);
  return uniform(std::move(shape), 0.0, 1.0, dtype);
}

Tensor normal(Shape shape, double mean, double stddev, Dtype dtype) {
  if (!(stddev >= 0)) throw ValueError(fmt::format("normal: stddev = {} must be >= 0", stddev));
  return random_tensor("normal", shape, dtype, [&]<class T>(T* p, std::size_t n) {
    // Box-Muller, two values per pair of uniforms.
    for (std::size_t i = 0; i < n; i += 2) {
      const double u1 = 1.0 - g_generator.uniform();  // (0, 1]
      const double u2 = g_generator.uniform();
      const double r = std::sqrt(-2.0 * std::log(u1));
      p[i] = static_cast<T>(mean + stddev * r * std::cos(2 * M_PI * u2));
      if (i + 1 < n) p[i + 1] = static_cast<T>(mean + stddev * r * std::sin(2 * M_PI * u2));
    }
  });
}

Tensor randn(Shape shape, Dtype dtype) {
  check_allocation("randn", shape, dtype);
  return normal(std::move(shape), 0.0, 1.0, dtype);
}

std::vector<std::size_t> randperm(std::size_t n) {
  if (n > max_tensor_bytes() / sizeof(std::size_t))
    throw ValueError(fmt::format("randperm: n = {} needs more memory than the {} bytes a buffer may take", n,
                                 max_tensor_bytes()));
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  std::lock_guard lock(g_mutex);
  for (std::size_t i = n; i > 1; --i) {  // Fisher-Yates
    const std::size_t j = static_cast<std::size_t>(g_generator.uniform() * static_cast<double>(i));
    std::swap(perm[i - 1], perm[j]);
  }
  return perm;
}

}  // namespace xg
