// Method forms of the free ops: x.relu() is relu(x), with the same defaults.
#include "autodiff/ops.hpp"

namespace xg {

Tensor Tensor::add(const Tensor& o, SourceSite site) const { return xg::add(*this, o, site); }
Tensor Tensor::sub(const Tensor& o, SourceSite site) const { return xg::sub(*this, o, site); }
Tensor Tensor::mul(const Tensor& o, SourceSite site) const { return xg::mul(*this, o, site); }
Tensor Tensor::div(const Tensor& o, SourceSite site) const { return xg::div(*this, o, site); }
Tensor Tensor::add(double o, SourceSite site) const { return SitedTensor(*this, site) + o; }
Tensor Tensor::sub(double o, SourceSite site) const { return SitedTensor(*this, site) - o; }
Tensor Tensor::mul(double o, SourceSite site) const { return SitedTensor(*this, site) * o; }
Tensor Tensor::div(double o, SourceSite site) const { return SitedTensor(*this, site) / o; }
Tensor Tensor::neg(SourceSite site) const { return xg::neg(*this, site); }
Tensor Tensor::pow(double p, SourceSite site) const { return xg::pow(*this, p, site); }
Tensor Tensor::exp(SourceSite site) const { return xg::exp(*this, site); }
Tensor Tensor::log(SourceSite site) const { return xg::log(*this, site); }
Tensor Tensor::sqrt(SourceSite site) const { return xg::sqrt(*this, site); }
Tensor Tensor::abs(SourceSite site) const { return xg::abs(*this, site); }
Tensor Tensor::clamp(double lo, double hi, SourceSite site) const { return xg::clamp(*this, lo, hi, site); }
Tensor Tensor::maximum(const Tensor& o, SourceSite site) const { return xg::maximum(*this, o, site); }
Tensor Tensor::minimum(const Tensor& o, SourceSite site) const { return xg::minimum(*this, o, site); }
Tensor Tensor::where(const Tensor& mask, const Tensor& other, SourceSite site) const { return xg::where(mask, *this, other, site); }
Tensor Tensor::matmul(const Tensor& o, SourceSite site) const { return xg::matmul(*this, o, site); }
Tensor Tensor::sum(SourceSite site) const { return xg::sum(*this, site); }
Tensor Tensor::sum(std::vector<int> dims, bool keepdim, SourceSite site) const { return xg::sum(*this, std::move(dims), keepdim, site); }
Tensor Tensor::mean(SourceSite site) const { return xg::mean(*this, site); }
Tensor Tensor::mean(std::vector<int> dims, bool keepdim, SourceSite site) const { return xg::mean(*this, std::move(dims), keepdim, site); }
Tensor Tensor::max(int dim, bool keepdim, SourceSite site) const { return xg::max(*this, dim, keepdim, site); }
Tensor Tensor::reshape(Shape s, SourceSite site) const { return xg::reshape(*this, std::move(s), site); }
Tensor Tensor::transpose(int d0, int d1, SourceSite site) const { return xg::transpose(*this, d0, d1, site); }
Tensor Tensor::t(SourceSite site) const { return xg::t(*this, site); }
Tensor Tensor::flatten(int start, SourceSite site) const { return xg::flatten(*this, start, site); }
Tensor Tensor::expand(Shape s, SourceSite site) const { return xg::expand(*this, std::move(s), site); }
Tensor Tensor::slice(int dim, std::size_t start, std::size_t end, SourceSite site) const { return xg::slice(*this, dim, start, end, site); }
Tensor Tensor::index_select(int dim, const std::vector<std::size_t>& index, SourceSite site) const {
  return xg::index_select(*this, dim, index, site);
}
Tensor Tensor::sigmoid(SourceSite site) const { return xg::sigmoid(*this, site); }
Tensor Tensor::tanh(SourceSite site) const { return xg::tanh(*this, site); }
Tensor Tensor::relu(SourceSite site) const { return xg::relu(*this, site); }
Tensor Tensor::leaky_relu(double slope, SourceSite site) const { return xg::leaky_relu(*this, slope, site); }
Tensor Tensor::elu(double alpha, SourceSite site) const { return xg::elu(*this, alpha, site); }
Tensor Tensor::prelu(const Tensor& weight, SourceSite site) const { return xg::prelu(*this, weight, site); }
Tensor Tensor::softmax(int dim, SourceSite site) const { return xg::softmax(*this, dim, site); }
Tensor Tensor::log_softmax(int dim, SourceSite site) const { return xg::log_softmax(*this, dim, site); }
Tensor Tensor::step(SourceSite site) const { return xg::step(*this, site); }
Tensor Tensor::identity(SourceSite site) const { return xg::identity(*this, site); }

}  // namespace xg
