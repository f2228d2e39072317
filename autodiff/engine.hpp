#pragma once
// The backward pass. NOTE [ The engine ] in engine.cpp describes the algorithm.
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg {

/// Runs the backward pass from `roots` (seeded with `grad_outputs`; an undefined seed means
/// ones, allowed for one-element roots) and accumulates into the .grad of every leaf reached.
/// create_graph implies retain_graph (as in PyTorch): the recorded backward refers to the graph.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

/// Like torch.autograd.grad: the gradients of `outputs` with respect to `inputs`, returned
/// instead of accumulated into .grad (an input the outputs do not depend on gets zeros, or a
/// GraphError unless allow_unused). With create_graph the results are differentiable again.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = true);

/// Sums g down to `shape` (the reverse of broadcasting): leading dims and dims where shape has
/// extent 1 are summed. ShapeError if g's shape does not broadcast from `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace xg
