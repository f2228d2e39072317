#pragma once
// xg::nn — modules, layers, activations, losses, initialisers.
#include "autodiff/autodiff.hpp"
#include "nn/activation.hpp"
#include "nn/dropout.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"
#include "nn/loss.hpp"
#include "nn/module.hpp"
#include "nn/normalization.hpp"
#include "nn/sequential.hpp"
#include "nn/serialize.hpp"
