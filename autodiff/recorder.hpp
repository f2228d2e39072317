#pragma once
// Recording an op into the graph — the one place where nodes, edges and outputs are wired.
// Used by every built-in op and by xg::Function.
#include <initializer_list>
#include <memory>
#include <span>

#include "autodiff/node.hpp"

namespace xg {

struct Recorder {
  /// True when an op over these inputs must be recorded: grad mode is on and some input
  /// requires grad.
  static bool should_record(std::span<const Tensor* const> inputs);

  /// A node with edges to `inputs` (not yet attached to an output).
  static std::shared_ptr<Node> make_node(const char* name, BackwardRule rule,
                                         std::span<const Tensor* const> inputs);

  /// Makes `out` the node's output: out gets grad_fn = node (out is first replaced by an alias
  /// if it already belongs to the graph, e.g. a forward that returned its input), and any saved
  /// tensor that is `out` itself is re-saved as data only (NOTE [ Saved outputs ]).
  static void attach_output(const std::shared_ptr<Node>& node, Tensor& out);

  /// should_record + make_node + attach_output. Returns the node's context for the op to save
  /// what its backward needs, or nullptr when nothing was recorded.
  static Context* record(const char* name, BackwardRule rule, Tensor& out,
                         std::span<const Tensor* const> inputs);

  /// Anomaly mode: throws ValueError if `out` holds NaN or Inf, naming `op`, where the user's
  /// code called it (current_site()) and statistics of `inputs`. Silent while a backward rule
  /// runs: there the engine checks the rule's results and names the forward op.
  static void check_forward(const char* op, const Tensor& out, std::span<const Tensor* const> inputs = {});

  /// RAII: marks that a backward rule is running on this thread.
  class InBackward {
   public:
    InBackward();
    ~InBackward();
    InBackward(const InBackward&) = delete;
    InBackward& operator=(const InBackward&) = delete;

   private:
    bool previous_;
  };
};

}  // namespace xg
