#pragma once
// The three typed errors every op throws. Messages name the op and the shapes or values involved.
#include <stdexcept>

namespace xg {

/// Incompatible shapes: the message names the op and every shape involved.
struct ShapeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Bad values: a class label out of range, a negative learning rate, NaN where banned...
struct ValueError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// Misuse of the graph: backward twice through freed buffers, backward from a tensor with no
/// grad_fn, a saved tensor modified in place...
struct GraphError : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace xg
