#pragma once
// xg::Node — one recorded op in the graph: its backward rule, its context and its edges.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <vector>

#include "autodiff/context.hpp"
#include "autodiff/source_site.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg {

/// The gradients a backward rule returns, one per forward input (undefined = no gradient).
/// Built like a vector (`return {ga, gb};`, push_back, or from a std::vector such as a
/// Function's backward returns); up to three are held inline, so the rules of the built-in
/// ops (all but concat) return without a heap allocation.
class GradList {
 public:
  GradList() = default;
  GradList(std::initializer_list<Tensor> grads) {
    for (const Tensor& g : grads) push_back(g);
  }
  GradList(std::vector<Tensor> grads) {  // NOLINT: implicit, for Function::backward's vector
    if (grads.size() <= kInline)
      for (Tensor& g : grads) push_back(std::move(g));
    else
      heap_ = std::move(grads), size_ = heap_.size();
  }
  std::size_t size() const { return size_; }
  Tensor& operator[](std::size_t i) { return size_ <= kInline ? inline_[i] : heap_[i]; }
  void push_back(Tensor g) {
    if (size_ < kInline) {
      inline_[size_++] = std::move(g);
      return;
    }
    if (size_ == kInline) heap_.assign(std::make_move_iterator(inline_.begin()), std::make_move_iterator(inline_.end()));
    heap_.push_back(std::move(g));
    ++size_;
  }

 private:
  static constexpr std::size_t kInline = 3;
  std::array<Tensor, kInline> inline_;
  std::vector<Tensor> heap_;  // all of them once there are more than kInline
  std::size_t size_ = 0;
};

/// A backward rule: given the gradient of the op's output, returns one gradient per forward
/// input (undefined = no gradient). Rules are written with differentiable ops, so running
/// them with grad mode on (create_graph) records the backward pass itself.
using BackwardRule = GradList (*)(Context&, const Tensor& grad);

/// Where an input's gradient goes: the node that produced it, or the leaf that accumulates it.
struct Edge {
  std::shared_ptr<Node> node;
  std::shared_ptr<TensorImpl> leaf;
  bool active() const { return node || leaf; }
};

/// Shape and dtype of a forward input: the engine reduces broadcast gradients to it.
struct InputMeta {
  Shape shape;
  Dtype dtype;
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node(const char* name, BackwardRule rule);
  ~Node();  // see NOTE [ Iterative graph release ]
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// The forward op's name ("mul", "matmul", or a custom Function's name).
  const char* name() const { return name_; }
  /// Creation order; creation order is a topological order of the graph.
  std::uint64_t sequence_nr() const { return sequence_nr_; }
  const std::vector<Edge, PoolAllocator<Edge>>& edges() const { return edges_; }
  const std::vector<InputMeta, PoolAllocator<InputMeta>>& inputs() const { return inputs_; }
  Context& context() { return ctx_; }
  /// True after a backward without retain_graph freed the saved tensors.
  bool released() const { return ctx_.released_; }
  /// Where the user's code called the op; recorded only while anomaly mode is on (unknown else).
  const SourceSite& site() const { return site_; }

 private:
  friend struct Recorder;
  friend class Engine;
  friend class Context;

  const char* name_;
  BackwardRule rule_;
  std::uint64_t sequence_nr_;
  Context ctx_;
  std::vector<Edge, PoolAllocator<Edge>> edges_;
  std::vector<InputMeta, PoolAllocator<InputMeta>> inputs_;
  SourceSite site_;
  // Engine scratch, valid only during one backward pass.
  Tensor grad_buffer_;
  int dependencies_ = 0;
  std::uint64_t pass_ = 0;  // id of the last backward pass that visited this node
};

/// Hands a node reference to the iterative releaser instead of dropping it recursively.
void release_node(std::shared_ptr<Node>&& node);

/// Number of graph nodes alive in this process (for leak and growth checks).
std::size_t live_node_count();

}  // namespace xg
