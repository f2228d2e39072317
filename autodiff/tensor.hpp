#pragma once
// xg::Tensor — a cheap, shared handle to an n-dimensional array that can record the ops applied
// to it. Copies share storage and autograd state, as torch::Tensor does.
#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xstorage.hpp>
#include <xtensor/xtensor_forward.hpp>

#include "autodiff/dtype.hpp"
#include "autodiff/source_site.hpp"
#include "autodiff/errors.hpp"

namespace xg {

struct TensorImpl;
class Node;

/// A nested list of numbers for `xg::tensor`: a number is 0-D and each brace level adds one
/// dimension (up to 4). Ints and doubles may be mixed; ragged lists are a ShapeError.
class TensorLiteral {
 public:
  template <class N>
    requires std::is_arithmetic_v<N>
  TensorLiteral(N value) : value_(static_cast<double>(value)), is_number_(true) {}  // NOLINT
  TensorLiteral(std::initializer_list<TensorLiteral> items) : items_(items) {}    // NOLINT

  bool is_number() const { return is_number_; }
  double value() const { return value_; }
  const std::vector<TensorLiteral>& items() const { return items_; }

 private:
  std::vector<TensorLiteral> items_;
  double value_ = 0;
  bool is_number_ = false;
};

class Tensor {
 public:
  Tensor() = default;  ///< undefined
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  std::size_t dim() const;
  std::size_t numel() const;
  Dtype dtype() const;
  /// The value of a one-element tensor (any shape with numel 1); ValueError otherwise.
  double item() const;
  /// A copy of the values as an xtensor array (T = float or double; converts if needed).
  template <class T>
  xt::xarray<T> to_xarray() const;
  /// A copy of the values, flattened in row-major order, converted to double.
  std::vector<double> to_vector() const;
  /// Differentiable cast; returns *this when the dtype already matches.
  Tensor to(Dtype, SourceSite site = SourceSite::current()) const;
  /// Raw, contiguous, row-major element buffer (T must match dtype(), else ValueError).
  template <class T>
  T* data_ptr();
  template <class T>
  const T* data_ptr() const;

  // ---- autograd ----
  bool requires_grad() const;
  /// Marks a leaf as a variable to differentiate with respect to. GraphError on a non-leaf.
  Tensor& requires_grad_(bool on = true);
  /// True for tensors created by the user (no grad_fn); tensors that do not require grad are leaves too.
  bool is_leaf() const;
  /// Accumulated gradient; undefined until a backward reaches this leaf.
  Tensor grad() const;
  /// Drops the accumulated gradient (the next backward starts from nothing).
  void zero_grad();
  /// Reverse-mode pass from this tensor. Without grad_output the tensor must have one element.
  /// retain_graph keeps saved tensors for another pass; create_graph records the pass itself
  /// (and implies retain_graph).
  void backward(const Tensor& grad_output = {}, bool retain_graph = false,
                bool create_graph = false) const;
  /// The node that produced this tensor (null for leaves).
  const std::shared_ptr<Node>& grad_fn() const;
  /// A new tensor sharing storage, cut from the graph (requires_grad false).
  Tensor detach() const;
  /// Copies src's values into this tensor in place (same shape; dtype converted).
  Tensor& copy_(const Tensor& src);
  /// A new tensor with a copy of the values (differentiable, like torch.clone).
  Tensor clone() const;

  // ---- in place (version counted; on a leaf that requires grad only under NoGradGuard) ----
  Tensor& add_(const Tensor& other);
  Tensor& add_(double other);
  Tensor& sub_(const Tensor& other);
  Tensor& sub_(double other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double other);
  Tensor& zero_();
  Tensor& fill_(double value);
  Tensor& clamp_(double lo, double hi);

  // ---- method forms of the free ops (same defaults) ----
  Tensor add(const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor sub(const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor mul(const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor div(const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor add(double other, SourceSite site = SourceSite::current()) const;  ///< x.add(0.5) == x + 0.5, as torch's scalar overloads
  Tensor sub(double other, SourceSite site = SourceSite::current()) const;
  Tensor mul(double other, SourceSite site = SourceSite::current()) const;
  Tensor div(double other, SourceSite site = SourceSite::current()) const;
  Tensor neg(SourceSite site = SourceSite::current()) const;
  Tensor pow(double exponent, SourceSite site = SourceSite::current()) const;
  Tensor exp(SourceSite site = SourceSite::current()) const;
  Tensor log(SourceSite site = SourceSite::current()) const;
  Tensor sqrt(SourceSite site = SourceSite::current()) const;
  Tensor abs(SourceSite site = SourceSite::current()) const;
  Tensor clamp(double lo, double hi, SourceSite site = SourceSite::current()) const;
  Tensor maximum(const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor minimum(const Tensor& other, SourceSite site = SourceSite::current()) const;
  /// PyTorch's method form: where(mask, *this, other).
  Tensor where(const Tensor& mask, const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor matmul(const Tensor& other, SourceSite site = SourceSite::current()) const;
  Tensor sum(SourceSite site = SourceSite::current()) const;
  Tensor sum(std::vector<int> dims, bool keepdim = false, SourceSite site = SourceSite::current()) const;
  Tensor mean(SourceSite site = SourceSite::current()) const;
  Tensor mean(std::vector<int> dims, bool keepdim = false, SourceSite site = SourceSite::current()) const;
  Tensor max(int dim, bool keepdim = false, SourceSite site = SourceSite::current()) const;
  Tensor reshape(Shape shape, SourceSite site = SourceSite::current()) const;
  Tensor transpose(int d0, int d1, SourceSite site = SourceSite::current()) const;
  Tensor t(SourceSite site = SourceSite::current()) const;
  Tensor flatten(int start = 1, SourceSite site = SourceSite::current()) const;
  Tensor expand(Shape shape, SourceSite site = SourceSite::current()) const;
  Tensor slice(int dim, std::size_t start, std::size_t end, SourceSite site = SourceSite::current()) const;
  Tensor index_select(int dim, const std::vector<std::size_t>& index, SourceSite site = SourceSite::current()) const;
  Tensor sigmoid(SourceSite site = SourceSite::current()) const;
  Tensor tanh(SourceSite site = SourceSite::current()) const;
  Tensor relu(SourceSite site = SourceSite::current()) const;
  Tensor leaky_relu(double slope = 0.01, SourceSite site = SourceSite::current()) const;
  Tensor elu(double alpha = 1.0, SourceSite site = SourceSite::current()) const;
  Tensor prelu(const Tensor& weight, SourceSite site = SourceSite::current()) const;
  Tensor softmax(int dim = -1, SourceSite site = SourceSite::current()) const;
  Tensor log_softmax(int dim = -1, SourceSite site = SourceSite::current()) const;
  Tensor step(SourceSite site = SourceSite::current()) const;
  Tensor identity(SourceSite site = SourceSite::current()) const;

  // ---- engine access ----
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  TensorImpl& checked() const;  // GraphError-free "undefined tensor" check -> ValueError
  [[noreturn]] static void throw_undefined();
  std::shared_ptr<TensorImpl> impl_;
};

/// PyTorch-style repr: `tensor([[1.0000, 2.0000]], dtype=float64, grad_fn=<mul>)`.
std::ostream& operator<<(std::ostream&, const Tensor&);
std::string to_string(const Tensor&);

}  // namespace xg

#include "autodiff/tensor_impl.hpp"

namespace xg {

// The metadata accessors are inline: every op reads them several times.
inline TensorImpl& Tensor::checked() const {
  if (!impl_) throw_undefined();
  return *impl_;
}
inline const Shape& Tensor::shape() const { return checked().shape; }
inline std::size_t Tensor::dim() const { return checked().shape.size(); }
inline std::size_t Tensor::numel() const { return checked().numel; }
inline Dtype Tensor::dtype() const { return checked().dtype; }

}  // namespace xg
