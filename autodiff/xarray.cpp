// xtensor interop (the one translation unit of the core that includes xarray.hpp).
#include <algorithm>

#include <xtensor/xarray.hpp>

#include "autodiff/creation.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg {

namespace {
template <class T>
Tensor from_xarray_impl(const xt::xarray<T>& values, Dtype dtype) {
  Shape shape(values.shape().begin(), values.shape().end());
  Tensor out = kernels::empty(shape, dtype);
  // Evaluated in row-major order whatever the source layout.
  std::copy(values.cbegin(), values.cend(), out.impl()->data<T>());
  return out;
}
}  // namespace

Tensor from_xarray(const xt::xarray<float>& values) { return from_xarray_impl(values, kFloat32); }
Tensor from_xarray(const xt::xarray<double>& values) { return from_xarray_impl(values, kFloat64); }

template <class T>
xt::xarray<T> Tensor::to_xarray() const {
  const auto& s = shape();
  xt::xarray<T> out = xt::xarray<T>::from_shape(std::vector<std::size_t>(s.begin(), s.end()));
  dispatch(dtype(), [&]<class S>() {
    const S* p = impl()->data<S>();
    std::transform(p, p + numel(), out.begin(), [](S v) { return static_cast<T>(v); });
  });
  return out;
}

template xt::xarray<float> Tensor::to_xarray<float>() const;
template xt::xarray<double> Tensor::to_xarray<double>() const;

}  // namespace xg
