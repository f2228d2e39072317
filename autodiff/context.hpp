#pragma once
// xg::Context — what a node keeps between forward and backward.
#include <any>
#include <string>
#include <utility>
#include <vector>

#include "autodiff/allocator.hpp"
#include "autodiff/dtype.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/tensor.hpp"

namespace xg {

class Node;

/// A tensor kept for backward. Saving a node's own output keeps only its data (not its
/// grad_fn), so the output never owns itself; see NOTE [ Saved outputs ].
struct SavedTensor {
  Tensor data;                 // the input itself, or a grad_fn-free alias of the output
  std::uint64_t version = 0;   // storage version when saved
  bool is_output = false;
};

/// Per-call state of a recorded op: the tensors and values its backward needs.
class Context {
 public:
  /// Keeps tensors for backward (inputs, or the op's own output). Undefined tensors are allowed.
  void save_for_backward(std::vector<Tensor> tensors);
  /// The saved tensors, in order. GraphError if the graph was freed by an earlier backward, or
  /// a saved tensor was modified in place since.
  std::vector<Tensor> saved() const;
  /// The i-th saved tensor (same checks as saved()).
  Tensor saved(std::size_t i) const;

  /// Non-tensor values for backward: ctx.set("alpha", 0.1); ctx.get<double>("alpha").
  template <class T>
  void set(const std::string& key, T value) {
    for (auto& [k, v] : values_)
      if (k == key) { v = std::move(value); return; }
    values_.emplace_back(key, std::any(std::move(value)));
  }
  template <class T>
  T get(const std::string& key) const {
    for (const auto& [k, v] : values_)
      if (k == key) {
        if (const T* p = std::any_cast<T>(&v)) return *p;
        throw ValueError("Context::get(\"" + key + "\"): stored value has another type");
      }
    throw ValueError("Context::get(\"" + key + "\"): no value was set under this key");
  }

  /// Whether input i of the forward call needs a gradient (rules may skip the others).
  bool needs_input_grad(std::size_t i) const { return i < needs_.size() && needs_[i]; }

  // Fast attribute slots for the built-in rules (no string lookup on the hot path).
  double scalar = 0;        // pow's exponent, clamp's lo, leaky slope...
  double scalar2 = 0;       // clamp's hi
  int dim = 0;              // softmax / max / slice / concat / transpose dims
  int dim2 = 0;
  bool flag = false;        // keepdim, transpose flags...
  bool flag2 = false;
  std::vector<int> dims;    // reduction dims
  Shape shape;              // an input shape the rule needs
  Shape indices;            // index_select indices, slice/concat offsets

 private:
  friend class Node;
  friend class Engine;
  friend struct Recorder;
  Tensor unpack(const SavedTensor&) const;

  std::vector<SavedTensor, PoolAllocator<SavedTensor>> saved_;
  std::vector<std::pair<std::string, std::any>> values_;
  std::vector<bool, PoolAllocator<bool>> needs_;
  Node* node_ = nullptr;          // the owning node
  bool released_ = false;         // saved tensors freed by a backward without retain_graph
};

}  // namespace xg
