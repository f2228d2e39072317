#pragma once
// Losses as functions (torch.nn.functional). Each validates its inputs with a typed error and
// reduces with Reduction::Mean (default), Sum or None.
#include "autodiff/tensor.hpp"

namespace xg::nn::functional {

enum class Reduction { Mean, Sum, None };

/// (pred − target)², reduced. Shapes must be equal (ShapeError: no silent broadcast).
Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::Mean,
                SourceSite site = SourceSite::current());

/// Cross-entropy from logits {N, C} (or {C} for one sample):
///  - class-index targets {N} (or {}): integral values of any dtype in [0, C);
///    loss_i = logsumexp(x_i) − x_i[y_i], fused (exact at logits ±1000). A non-integral or
///    out-of-range label is a ValueError naming it and its position; a wrong count a ShapeError.
///  - probability targets {N, C}: loss_i = −Σ_c t_ic·log_softmax(x_i)_c.
/// Mean divides by N.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::Mean,
                     SourceSite site = SourceSite::current());

/// −(t·log p + (1 − t)·log(1 − p)) on probabilities p ∈ [0, 1] (ValueError otherwise), each log
/// clamped at −100 as PyTorch. Shapes must be equal.
Tensor binary_cross_entropy(const Tensor& prob, const Tensor& target, Reduction reduction = Reduction::Mean,
                            SourceSite site = SourceSite::current());

/// BCE of sigmoid(logits) in the stable form max(x, 0) − x·t + log(1 + e^−|x|); gradient
/// σ(x) − t. Shapes must be equal.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean,
                                        SourceSite site = SourceSite::current());

}  // namespace xg::nn::functional
