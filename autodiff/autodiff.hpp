#pragma once
// xgrad's core: tensors, recorded ops, the backward pass, gradcheck.
#include <xtensor/xarray.hpp>

#include "autodiff/anomaly.hpp"
#include "autodiff/blas.hpp"
#include "autodiff/context.hpp"
#include "autodiff/creation.hpp"
#include "autodiff/dot.hpp"
#include "autodiff/dtype.hpp"
#include "autodiff/engine.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/format.hpp"
#include "autodiff/function.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/graph_growth.hpp"
#include "autodiff/node.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/tensor.hpp"
