#pragma once
// Linear: y = x·Wᵀ + b.
#include "nn/module.hpp"

namespace xg::nn {

/// Affine layer y = x·Wᵀ + b with `weight` {out, in} and `bias` {out}, registered in that
/// order. Input {..., in} (1-D, 2-D or 3-D) → output {..., out}; a wrong feature count is a
/// ShapeError naming the layer and the shape. Initialised as PyTorch: weight Kaiming-uniform
/// with a = √5 (U(±1/√in)), bias U(±1/√in). Runs on the fused primitive fused::linear: one GEMM
/// with a transpose flag (no copy of Wᵀ) onto the broadcast bias; its backward skips the input
/// gradient when the input needs none (the first layer).
class Linear : public Module {
 public:
  Linear(std::size_t in_features, std::size_t out_features, bool bias = true);

  Tensor forward(const Tensor& x) override;
  std::string repr() const override;

  std::size_t in_features() const { return in_; }
  std::size_t out_features() const { return out_; }

  Tensor weight;  // {out, in}
  Tensor bias;    // {out}, undefined when constructed without bias

 private:
  std::size_t in_, out_;
};

}  // namespace xg::nn
