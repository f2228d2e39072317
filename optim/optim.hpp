#pragma once
// xg::optim — optimizers.
#include "autodiff/autodiff.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "optim/optimizer.hpp"
#include "optim/progress.hpp"
#include "optim/rmsprop.hpp"
#include "optim/schedule.hpp"
#include "optim/sgd.hpp"
#include "optim/state.hpp"
