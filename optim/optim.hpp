#pragma once
// xg::optim — optimizers.
#include "autodiff/autodiff.hpp"
#include "optim/adam.hpp"
#include "optim/optimizer.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
