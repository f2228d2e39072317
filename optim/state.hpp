#pragma once
// Resumable training: an optimizer's state (and a schedule's) to a file and back, in the
// checkpoint format of nn::save (docs/checkpoints.md), with the same guarantees.
#include <string>

#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"

namespace xg::optim {

/// Writes the optimizer's learning rate, its per-parameter state (Momentum's velocities, Adam's
/// moments and step counts, RMSprop's averages: Optimizer::state_slots()) and the shape of each
/// of its parameters to `path` — with a schedule's state (Scheduler::state()) too in the second
/// form. The parameters' values are not included: save the model with nn::save.
///
/// The file is an xgrad checkpoint (docs/checkpoints.md) written by the same code as nn::save:
/// checksummed, and atomic (temporary file, fsync, rename; a failed save leaves `path` as it
/// was). ValueError naming the path and the operating system's reason on any I/O failure.
/// Options given to the constructors (momentum, betas, step_size, ...) are not saved.
void save_state(const Optimizer& optimizer, const std::string& path);
void save_state(const Optimizer& optimizer, const Scheduler& scheduler, const std::string& path);

/// Restores what save_state wrote into an optimizer (and schedule) built the same way: same
/// class, same parameters (count, order and shapes), same schedule class. All or nothing: the
/// whole file is read and checked first — the checkpoint envelope and checksum, then every
/// entry against the optimizer: names, shapes and dtypes of the state tensors (those of their
/// parameters), counts and learning rates — and on any problem ValueError is thrown naming the
/// file and each problem, and neither object changes. A file with schedule state must be loaded
/// with a schedule, and one without it without.
void load_state(Optimizer& optimizer, const std::string& path);
void load_state(Optimizer& optimizer, Scheduler& scheduler, const std::string& path);

}  // namespace xg::optim
