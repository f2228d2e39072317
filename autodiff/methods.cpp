// Method forms of the free ops: x.relu() is relu(x), with the same defaults.
#include "autodiff/ops.hpp"

namespace xg {

Tensor Tensor::add(const Tensor& o) const { return xg::add(*this, o); }
Tensor Tensor::sub(const Tensor& o) const { return xg::sub(*this, o); }
Tensor Tensor::mul(const Tensor& o) const { return xg::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return xg::div(*this, o); }
Tensor Tensor::add(double o) const { return *this + o; }
Tensor Tensor::sub(double o) const { return *this - o; }
Tensor Tensor::mul(double o) const { return *this * o; }
Tensor Tensor::div(double o) const { return *this / o; }
Tensor Tensor::neg() const { return xg::neg(*this); }
Tensor Tensor::pow(double p) const { return xg::pow(*this, p); }
Tensor Tensor::exp() const { return xg::exp(*this); }
Tensor Tensor::log() const { return xg::log(*this); }
Tensor Tensor::sqrt() const { return xg::sqrt(*this); }
Tensor Tensor::abs() const { return xg::abs(*this); }
Tensor Tensor::clamp(double lo, double hi) const { return xg::clamp(*this, lo, hi); }
Tensor Tensor::maximum(const Tensor& o) const { return xg::maximum(*this, o); }
Tensor Tensor::minimum(const Tensor& o) const { return xg::minimum(*this, o); }
Tensor Tensor::where(const Tensor& mask, const Tensor& other) const { return xg::where(mask, *this, other); }
Tensor Tensor::matmul(const Tensor& o) const { return xg::matmul(*this, o); }
Tensor Tensor::sum() const { return xg::sum(*this); }
Tensor Tensor::sum(std::vector<int> dims, bool keepdim) const { return xg::sum(*this, std::move(dims), keepdim); }
Tensor Tensor::mean() const { return xg::mean(*this); }
Tensor Tensor::mean(std::vector<int> dims, bool keepdim) const { return xg::mean(*this, std::move(dims), keepdim); }
Tensor Tensor::max(int dim, bool keepdim) const { return xg::max(*this, dim, keepdim); }
Tensor Tensor::reshape(Shape s) const { return xg::reshape(*this, std::move(s)); }
Tensor Tensor::transpose(int d0, int d1) const { return xg::transpose(*this, d0, d1); }
Tensor Tensor::t() const { return xg::t(*this); }
Tensor Tensor::flatten(int start) const { return xg::flatten(*this, start); }
Tensor Tensor::expand(Shape s) const { return xg::expand(*this, std::move(s)); }
Tensor Tensor::slice(int dim, std::size_t start, std::size_t end) const { return xg::slice(*this, dim, start, end); }
Tensor Tensor::index_select(int dim, const std::vector<std::size_t>& index) const {
  return xg::index_select(*this, dim, index);
}
Tensor Tensor::sigmoid() const { return xg::sigmoid(*this); }
Tensor Tensor::tanh() const { return xg::tanh(*this); }
Tensor Tensor::relu() const { return xg::relu(*this); }
Tensor Tensor::leaky_relu(double slope) const { return xg::leaky_relu(*this, slope); }
Tensor Tensor::elu(double alpha) const { return xg::elu(*this, alpha); }
Tensor Tensor::prelu(const Tensor& weight) const { return xg::prelu(*this, weight); }
Tensor Tensor::softmax(int dim) const { return xg::softmax(*this, dim); }
Tensor Tensor::log_softmax(int dim) const { return xg::log_softmax(*this, dim); }
Tensor Tensor::step() const { return xg::step(*this); }
Tensor Tensor::identity() const { return xg::identity(*this); }

}  // namespace xg
