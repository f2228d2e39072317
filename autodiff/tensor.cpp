// Tensor handle: metadata and autograd members. The method forms of ops are in methods.cpp.
#include <fmt/format.h>

#include "autodiff/engine.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/node.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/tensor.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg {

void Tensor::throw_undefined() {
  throw ValueError("operation on an undefined tensor (default-constructed xg::Tensor)");
}

double Tensor::item() const {
  const auto& impl = checked();
  if (impl.numel != 1)
    throw ValueError(fmt::format("item(): the tensor has shape {} ({} elements); item() needs exactly one",
                                 shape_str(impl.shape), impl.numel));
  return impl.dtype == kFloat64 ? impl.data<double>()[0] : impl.data<float>()[0];
}

std::vector<double> Tensor::to_vector() const {
  const auto& impl = checked();
  return dispatch(impl.dtype, [&]<class T>() {
    const T* p = impl.data<T>();
    return std::vector<double>(p, p + impl.numel);
  });
}

Tensor Tensor::to(Dtype d, SourceSite site) const { return xg::to(*this, d, site); }

template <class T>
T* Tensor::data_ptr() {
  auto& impl = checked();
  if ((impl.dtype == kFloat64) != std::is_same_v<T, double>)
    throw ValueError(fmt::format("data_ptr: the tensor is {}", dtype_name(impl.dtype)));
  return impl.data<T>();
}
template <class T>
const T* Tensor::data_ptr() const {
  return const_cast<Tensor*>(this)->data_ptr<T>();
}
template float* Tensor::data_ptr<float>();
template double* Tensor::data_ptr<double>();
template const float* Tensor::data_ptr<float>() const;
template const double* Tensor::data_ptr<double>() const;

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
  auto& impl = checked();
  if (impl.grad_fn) {
    if (on) return *this;
    throw GraphError(fmt::format(
        "requires_grad_(false): the tensor (shape {}) was made by op '{}' and is not a leaf; use "
        "detach() to cut it from the graph",
        shape_str(impl.shape), impl.grad_fn->name()));
  }
  impl.requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const { return checked().grad_fn == nullptr; }

Tensor Tensor::grad() const { return checked().grad ? Tensor(impl_->grad) : Tensor(); }

void Tensor::zero_grad() { checked().grad.reset(); }

void Tensor::backward(const Tensor& grad_output, bool retain_graph, bool create_graph) const {
  checked();
  std::vector<Tensor> seeds;
  if (grad_output.defined()) seeds.push_back(grad_output);
  xg::backward({*this}, seeds, retain_graph, create_graph);
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_ ? impl_->grad_fn : none;
}

Tensor Tensor::detach() const {
  const auto& impl = checked();
  return Tensor(make_impl(impl.shape, impl.dtype, impl.storage));
}

}  // namespace xg
