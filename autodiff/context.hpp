#pragma once
// xg::Context — what a node keeps between forward and backward.
#include <algorithm>
#include <any>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autodiff/allocator.hpp"
#include "autodiff/dtype.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/tensor.hpp"

namespace xg {

class Node;
struct Storage;
struct TensorImpl;

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
  bool needs_input_grad(std::size_t i) const {
    return i < 64 ? (needs_mask_ >> i) & 1 : std::find(needs_beyond_.begin(), needs_beyond_.end(), i) != needs_beyond_.end();
  }

  /// Engine-internal short forms of save_for_backward({a}) and save_for_backward({a, b}) for
  /// the built-in ops: no temporary vector.
  void save(const Tensor& a);
  void save(const Tensor& a, const Tensor& b);

  /// NOTE [ Gradient sinks ]: the accumulated .grad of input i, when input i is a leaf whose
  /// .grad already exists and the running backward pass lets rules add into it directly (no
  /// create_graph, no xg::grad capture, no anomaly mode); else null. A rule that adds its
  /// gradient for input i into the sink in place (e.g. a GEMM with beta = 1 straight into the
  /// weight's .grad) bumps the sink's version and returns an undefined tensor for that input;
  /// the engine then has nothing left to deliver. Only valid while the rule runs. Null too when
  /// the .grad shares storage with a saved tensor or with the incoming gradient (say
  /// `lin(lin.weight.grad())`): a GEMM must never write the buffer it reads.
  TensorImpl* grad_sink(std::size_t i) const;

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

  void set_needs_input_grad(std::size_t i) {
    if (i < 64)
      needs_mask_ |= std::uint64_t{1} << i;
    else
      needs_beyond_.push_back(i);
  }
  SavedTensor make_saved(const Tensor& t) const;

  std::vector<SavedTensor, PoolAllocator<SavedTensor>> saved_;
  std::vector<std::pair<std::string, std::any>> values_;
  std::uint64_t needs_mask_ = 0;  // bit i: input i needs a gradient (inputs 0..63)
  std::vector<std::size_t, PoolAllocator<std::size_t>> needs_beyond_;  // inputs ≥ 64 that do
  Node* node_ = nullptr;          // the owning node
  bool released_ = false;         // saved tensors freed by a backward without retain_graph
  bool sinks_open_ = false;       // the engine allows grad_sink while this node's rule runs
  const Storage* sink_reads_ = nullptr;  // the storage of the gradient the running rule reads
};

}  // namespace xg
