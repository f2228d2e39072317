#pragma once
// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), in place on .grad.
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg::optim {

/// The norm_type-norm of all the gradients together (as if concatenated into one vector),
/// computed in float64; then every gradient is multiplied in place by
/// min(1, max_norm / (total + 1e-6)) — PyTorch 1.13's rule, so gradients whose total norm is
/// within 1e-6 below max_norm are scaled too (by a factor just under 1). Returns the total norm
/// before clipping. Parameters whose .grad is undefined are skipped; with none at all the result
/// is 0. norm_type is a finite p > 0 or +infinity (the largest |g|).
///
/// Like PyTorch's default (error_if_nonfinite=False), a NaN or infinite total norm is not an
/// error: it is returned, and the scaling makes the gradients NaN (inf total: the coefficient is
/// 0, so finite entries become 0 and infinite ones NaN). Check the result with std::isfinite to
/// skip such a step.
/// ValueError for a negative or NaN max_norm, or a norm_type that is NaN or ≤ 0.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

/// Clamps every defined .grad to [−clip_value, clip_value] in place (NaN stays NaN).
/// ValueError for a negative or NaN clip_value.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace xg::optim
