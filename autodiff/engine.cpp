// The backward pass.
//
// NOTE [ The engine ]
// 1. Discovery: an explicit stack walks the graph from the root nodes, counting for each node
//    how many edges inside the graph point at it (its dependencies).
// 2. Execution, Kahn's algorithm: a node runs once every node that feeds it a gradient has run,
//    so its buffer already holds the sum over all paths. Ready nodes come off a max-heap on the
//    creation sequence number (newest first, PyTorch's order), which keeps runs deterministic.
// 3. A node's rule returns one gradient per input. The engine alone reduces each to its input's
//    shape (sum_to, for broadcasting), checks the dtype, and adds it into the next node's buffer
//    or the leaf's .grad — in place when the buffer is not shared with anyone.
// 4. Without retain_graph a node's saved tensors are freed right after it runs.
// 5. NOTE [ Leaf accumulation ]: a leaf that several edges of the graph feed gets its
//    gradients summed on the side and added to .grad once, when the last one arrives (or
//    when the pass ends), as PyTorch's AccumulateGrad node does. Nodes that read the leaf's
//    .grad (`lin(lin.weight.grad())` twice) thus all see it unchanged; a leaf becomes a
//    gradient sink (NOTE [ Gradient sinks ]) only for its last expected gradient.
// Nothing is recursive: a 100,000-op chain needs no stack depth.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "autodiff/anomaly.hpp"
#include "autodiff/graph_growth.hpp"
#include "autodiff/creation.hpp"
#include "autodiff/engine.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/node.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/recorder.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg {

namespace {

bool uniquely_owned(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl()->storage.use_count() == 1 && !t.impl()->grad_fn;
}

// dst += src elementwise, same shape and dtype, no graph.
void add_in_place(Tensor& dst, const Tensor& src) {
  dispatch(dst.dtype(), [&]<class T>() {
    T* d = dst.impl()->data<T>();
    const T* s = src.impl()->data<T>();
    const std::size_t n = dst.numel();
    for (std::size_t i = 0; i < n; ++i) d[i] += s[i];
  });
}

// Sums a new contribution into an accumulator (buffer or .grad).
void accumulate(Tensor& acc, Tensor&& g, bool create_graph) {
  if (!acc.defined()) {
    acc = std::move(g);
    return;
  }
  if (!create_graph && uniquely_owned(acc)) {
    add_in_place(acc, g);
    ++acc.impl()->storage->version;
  } else {
    acc = acc + g;
  }
}

void check_finite_grad(const Node& node, std::size_t input, const Tensor& g) {
  dispatch(g.dtype(), [&]<class T>() {
    const T* p = g.impl()->data<T>();
    for (std::size_t i = 0; i < g.numel(); ++i)
      if (!std::isfinite(p[i]))
        throw ValueError(fmt::format(
            "anomaly detected: the backward of op '{}' (called at {}) produced {} in the gradient for its "
            "input {} (shape {}) at flat index {}",
            node.name(), describe(node.site()), std::isnan(p[i]) ? "NaN" : "Inf", input, shape_str(g.shape()),
            i));
  });
}

std::atomic<std::uint64_t> g_pass{0};

// PyTorch's warning, once per thread: backward(create_graph) that stores a recorded gradient
// in a leaf's .grad makes the leaf own the graph that leads back to the leaf.
void warn_grad_cycle() {
  thread_local bool warned = false;
  if (std::exchange(warned, true)) return;
  detail::warn(
      "backward(create_graph = true) stored a gradient that has a graph of its own in the .grad of a leaf: the "
      "leaf and its .grad now keep each other alive (a reference cycle, leaked unless broken). Reset the .grad "
      "of the leaves after use (zero_grad()), or get higher-order gradients from xg::grad(...), which leaves "
      ".grad alone");
}

// Scratch vectors of a backward pass, kept per thread so that their capacity survives from one
// pass to the next: a training step's backward does not regrow them every time.
struct Scratch {
  std::vector<Node*> visited;                         // every node the pass reached
  std::vector<TensorImpl*> leaves;                    // every leaf counted (leaf_pass = the pass)
  std::vector<Tensor> partials;                       // leaves' gradients summed on the side
  std::vector<Node*> stack;                           // discovery
  std::vector<std::pair<std::uint64_t, Node*>> ready;  // max-heap on sequence_nr
  bool in_use = false;
};
thread_local Scratch t_scratch;

}  // namespace

class Engine {
 public:
  struct Capture {
    const void* key;  // leaf TensorImpl* or non-leaf grad_fn Node*
    Tensor grad;
  };

  Engine(bool retain_graph, bool create_graph, std::vector<Capture>* captures)
      : retain_(retain_graph || create_graph), create_(create_graph), captures_(captures),
        sinks_allowed_(!create_graph && !captures && !is_anomaly_enabled()),
        pass_(g_pass.fetch_add(1, std::memory_order_relaxed) + 1),
        scratch_(t_scratch.in_use ? own_scratch_ : t_scratch) {  // a pass nested in a rule: its own
    scratch_.in_use = true;
  }
  ~Engine() {
    scratch_.visited.clear();
    scratch_.leaves.clear();
    scratch_.partials.clear();
    scratch_.stack.clear();
    scratch_.ready.clear();
    scratch_.in_use = false;
  }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void run(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_outputs) {
    if (!grad_outputs.empty() && grad_outputs.size() != roots.size())
      throw ValueError(fmt::format("backward: {} roots but {} grad_outputs", roots.size(),
                                   grad_outputs.size()));
    GradModeGuard mode(create_);
    std::vector<std::pair<Node*, Tensor>> seeds;
    for (std::size_t i = 0; i < roots.size(); ++i) {
      const Tensor& root = roots[i];
      if (!root.defined()) throw GraphError("backward: called on an undefined tensor");
      if (!root.requires_grad())
        throw GraphError(fmt::format(
            "backward: the tensor (shape {}) does not require grad and has no grad_fn: no op "
            "on its path was recorded (no input requires grad, or NoGradGuard was active)",
            shape_str(root.shape())));
      Tensor seed = i < grad_outputs.size() ? grad_outputs[i] : Tensor();
      if (!seed.defined()) {
        if (root.numel() != 1)
          throw GraphError(fmt::format(
              "backward: a gradient can be created implicitly only for one-element outputs, "
              "but the tensor has shape {}; pass grad_output",
              shape_str(root.shape())));
        seed = ones_like(root);
      } else {
        if (seed.shape() != root.shape())
          throw ShapeError(fmt::format("backward: grad_output has shape {} but the tensor has shape {}",
                                       shape_str(seed.shape()), shape_str(root.shape())));
        seed = seed.dtype() == root.dtype() ? (create_ ? seed : seed.detach()) : seed.to(root.dtype());
      }
      if (root.grad_fn())
        seeds.emplace_back(root.grad_fn().get(), std::move(seed));
      else
        deliver_to_leaf(root.impl_ptr(), std::move(seed));
    }
    // The scratch state of every visited node is reset however the pass ends.
    struct Cleanup {
      Scratch& s;
      ~Cleanup() {
        for (Node* n : s.visited) {
          n->dependencies_ = 0;
          n->grad_buffer_ = Tensor();
        }
        for (TensorImpl* l : s.leaves) l->leaf_pending = 0;
        s.partials.clear();
      }
    } cleanup{scratch_};
    discover(seeds);
    for (auto& [node, seed] : seeds) accumulate(node->grad_buffer_, std::move(seed), create_);
    execute(seeds);
    flush_leaves();
  }

 private:
  void discover(const std::vector<std::pair<Node*, Tensor>>& seeds) {
    std::vector<Node*>& stack = scratch_.stack;
    for (const auto& s : seeds) visit(s.first, stack);
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->edges_) {
        if (e.leaf) count_leaf(e.leaf.get());
        if (!e.node) continue;
        visit(e.node.get(), stack);
        ++e.node->dependencies_;
      }
    }
  }

  // One more edge of this pass feeds leaf l. A leaf with gradients pending under another pass
  // id belongs to the enclosing pass (re-entrant backward): this pass delivers to it directly.
  void count_leaf(TensorImpl* l) {
    if (l->leaf_pass != pass_) {
      if (l->leaf_pending != 0) return;
      l->leaf_pass = pass_;
      l->leaf_slot = static_cast<std::uint32_t>(scratch_.partials.size());
      scratch_.leaves.push_back(l);
      scratch_.partials.emplace_back();
    }
    ++l->leaf_pending;
  }

  // Leaves whose last expected gradient never came (a rule returned none for that input):
  // what was summed for them goes to .grad now.
  void flush_leaves() {
    for (TensorImpl* l : scratch_.leaves) {
      l->leaf_pending = 0;
      if (Tensor& partial = scratch_.partials[l->leaf_slot]; partial.defined()) add_to_grad(*l, std::move(partial));
    }
  }

  void visit(Node* n, std::vector<Node*>& stack) {
    if (n->pass_ == pass_) return;
    // Every pass resets the nodes it visited when it ends, so a node with pending dependencies
    // or a gradient waiting in its buffer belongs to a pass still running: the enclosing one,
    // when this pass was started from inside a rule (re-entrant backward). Running it here
    // would corrupt that pass's bookkeeping.
    if (n->dependencies_ != 0 || n->grad_buffer_.defined())
      throw GraphError(fmt::format(
          "backward: a backward pass started while another one is running (from inside the backward of a "
          "custom Function) reaches op '{}' (called at {}), which the running pass has yet to process; a "
          "re-entrant backward must run over a graph of its own: compute it from detached inputs",
          n->name(), describe(n->site())));
    n->pass_ = pass_;
    scratch_.visited.push_back(n);
    stack.push_back(n);
  }

  void execute(const std::vector<std::pair<Node*, Tensor>>& seeds) {
    auto& ready = scratch_.ready;
    auto push = [&ready](Node* n) {
      ready.emplace_back(n->sequence_nr_, n);
      std::push_heap(ready.begin(), ready.end());
    };
    std::vector<Node*> queued;
    for (const auto& s : seeds) {
      if (s.first->dependencies_ != 0 || std::find(queued.begin(), queued.end(), s.first) != queued.end())
        continue;
      queued.push_back(s.first);
      push(s.first);
    }
    while (!ready.empty()) {
      std::pop_heap(ready.begin(), ready.end());
      Node* n = ready.back().second;
      ready.pop_back();
      Tensor g = std::move(n->grad_buffer_);
      if (g.defined()) {
        capture_node(n, g);
        GradList grads;
        {
          Recorder::InBackward in_backward;
          SinkScope sinks(n->ctx_, sinks_allowed_, g);
          grads = n->rule_(n->ctx_, g);
        }
        g = Tensor();
        if (grads.size() != n->edges_.size())
          throw GraphError(fmt::format("op '{}': backward returned {} gradients for {} inputs",
                                       n->name(), grads.size(), n->edges_.size()));
        if (!retain_) {
          n->ctx_.saved_.clear();
          n->ctx_.released_ = true;
        }
        for (std::size_t i = 0; i < grads.size(); ++i) {
          const Edge& e = n->edges_[i];
          if (!e.active() || !grads[i].defined()) continue;
          Tensor gi = conform(*n, i, std::move(grads[i]));
          if (is_anomaly_enabled()) check_finite_grad(*n, i, gi);
          if (e.node)
            accumulate(e.node->grad_buffer_, std::move(gi), create_);
          else
            deliver_to_leaf(e.leaf, std::move(gi));
        }
      }
      for (const Edge& e : n->edges_) {
        if (e.node && --e.node->dependencies_ == 0) push(e.node.get());
      }
    }
  }

  // Reduces a rule's gradient to its input's shape and checks the dtype.
  Tensor conform(const Node& n, std::size_t i, Tensor g) {
    const InputMeta& meta = n.inputs_[i];
    if (g.shape() != meta.shape) {
      try {
        g = sum_to(g, meta.shape);
      } catch (const ShapeError&) {
        throw ShapeError(fmt::format(
            "op '{}': backward returned a gradient of shape {} for input {} of shape {}",
            n.name(), shape_str(g.shape()), i, shape_str(meta.shape)));
      }
    }
    if (g.dtype() != meta.dtype)
      throw GraphError(fmt::format("op '{}': backward returned a {} gradient for {} input {}",
                                   n.name(), dtype_name(g.dtype()), dtype_name(meta.dtype), i));
    return g;
  }

  void capture_node(Node* n, const Tensor& g) {
    if (!captures_) return;
    for (auto& c : *captures_)
      if (c.key == n) c.grad = g;
  }

  void deliver_to_leaf(const std::shared_ptr<TensorImpl>& leaf, Tensor&& g) {
    if (captures_) {
      for (auto& c : *captures_)  // an input listed twice gets the gradient twice: a copy each
        if (c.key == leaf.get()) accumulate(c.grad, Tensor(g), create_);
      return;
    }
    TensorImpl& l = *leaf;
    if (l.leaf_pass == pass_ && l.leaf_pending > 0) {  // NOTE [ Leaf accumulation ]
      Tensor& partial = scratch_.partials[l.leaf_slot];
      if (--l.leaf_pending > 0) {  // more to come
        accumulate(partial, std::move(g), create_);
        return;
      }
      if (partial.defined()) {
        accumulate(partial, std::move(g), create_);
        g = std::move(partial);
      }
    }
    add_to_grad(l, std::move(g));
  }

  // .grad += g (or .grad = g), in place unless the pass records a graph.
  void add_to_grad(TensorImpl& leaf_impl, Tensor&& g) {
    TensorImpl* leaf = &leaf_impl;
    Tensor acc = leaf->grad ? Tensor(leaf->grad) : Tensor();
    if (create_ && g.impl()->grad_fn) warn_grad_cycle();
    if (!acc.defined()) {
      // The first gradient becomes .grad; copy it unless nobody else can see it.
      if (!create_ && !uniquely_owned(g)) g = g.clone().detach();
      leaf->grad = g.impl_ptr();
      return;
    }
    if (!create_ && !acc.impl()->grad_fn) {
      add_in_place(acc, g);
      ++acc.impl()->storage->version;
    } else {
      leaf->grad = (acc + g).impl_ptr();
    }
  }

  // Opens a node's gradient sinks (NOTE [ Gradient sinks ]) while its rule runs.
  struct SinkScope {
    SinkScope(Context& c, bool on, const Tensor& incoming) : ctx(c) {
      ctx.sinks_open_ = on;
      ctx.sink_reads_ = incoming.impl()->storage.get();
    }
    ~SinkScope() {
      ctx.sinks_open_ = false;
      ctx.sink_reads_ = nullptr;
    }
    Context& ctx;
  };

  bool retain_, create_;
  std::vector<Capture>* captures_;
  bool sinks_allowed_;
  std::uint64_t pass_;
  Scratch own_scratch_;
  Scratch& scratch_;
};

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_outputs,
              bool retain_graph, bool create_graph) {
  Engine(retain_graph, create_graph, nullptr).run(roots, grad_outputs);
  detail::note_backward_done();
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
  std::vector<Engine::Capture> captures;
  for (const Tensor& x : inputs) {
    if (!x.defined() || !x.requires_grad())
      throw GraphError("grad: every input must be a defined tensor that requires grad");
    captures.push_back({x.grad_fn() ? static_cast<const void*>(x.grad_fn().get())
                                    : static_cast<const void*>(x.impl()),
                        Tensor()});
  }
  Engine(retain_graph, create_graph, &captures).run(outputs, grad_outputs);
  detail::note_backward_done();
  std::vector<Tensor> result;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor g = std::move(captures[i].grad);
    if (!g.defined()) {
      if (!allow_unused)
        throw GraphError(fmt::format("grad: input {} (shape {}) is not used by the outputs", i,
                                     shape_str(inputs[i].shape())));
      g = zeros_like(inputs[i]);
    }
    result.push_back(std::move(g));
  }
  return result;
}

}  // namespace xg
