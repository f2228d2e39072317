#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "nn/serialize.hpp"
#include "optim/state.hpp"

namespace xg::optim {

namespace {

using nn::detail::NamedTensor;

// Entry names. Optimizer entries start with its name ("Adam.lr", "Adam.param.0.shape",
// "Adam.0.exp_avg", "Adam.0.step"), schedule entries with "scheduler." and its name
// ("scheduler.StepLR.last_epoch"), so a file for another class is refused by name.
std::string param_shape_name(const char* opt, std::size_t i) { return fmt::format("{}.param.{}.shape", opt, i); }
std::string slot_name(const char* opt, std::size_t i, const std::string& slot) {
  return fmt::format("{}.{}.{}", opt, i, slot);
}
std::string sched_prefix(const Scheduler& s) { return fmt::format("scheduler.{}.", s.name()); }

Tensor scalar(double v) { return full({}, v, kFloat64); }

struct SchedField {
  const char* name;
  bool integral;
};
constexpr SchedField kSchedFields[] = {{"last_epoch", true}, {"base_lr", false}, {"last_lr", false},
                                       {"best", false},      {"num_bad_epochs", true}, {"cooldown_counter", true}};

std::vector<double> sched_values(const SchedulerState& s) {
  return {static_cast<double>(s.last_epoch), s.base_lr, s.last_lr, s.best, static_cast<double>(s.num_bad_epochs),
          static_cast<double>(s.cooldown_counter)};
}

std::vector<NamedTensor> entries_of(const Optimizer& const_opt, const Scheduler* sched) {
  // state_slots() hands out pointers for load_state too; here they are only read.
  auto& opt = const_cast<Optimizer&>(const_opt);
  const char* name = opt.name();
  const auto& params = opt.params();
  std::vector<NamedTensor> out;
  out.push_back({fmt::format("{}.lr", name), scalar(opt.lr())});
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Shape& shape = params[i].shape();
    Tensor s = zeros({shape.size()}, kFloat64);
    for (std::size_t d = 0; d < shape.size(); ++d) s.data_ptr<double>()[d] = static_cast<double>(shape[d]);
    out.push_back({param_shape_name(name, i), s});
  }
  const StateSlots slots = opt.state_slots();
  for (std::size_t i = 0; i < params.size(); ++i) {
    for (const auto& [slot, vec] : slots.tensors)
      if (i < vec->size() && (*vec)[i].defined()) out.push_back({slot_name(name, i, slot), (*vec)[i]});
    for (const auto& [slot, vec] : slots.counts)
      if (i < vec->size()) out.push_back({slot_name(name, i, slot), scalar(static_cast<double>((*vec)[i]))});
  }
  if (sched) {
    const auto values = sched_values(sched->state());
    for (std::size_t k = 0; k < std::size(kSchedFields); ++k)
      out.push_back({sched_prefix(*sched) + kSchedFields[k].name, scalar(values[k])});
  }
  return out;
}

void save_impl(const Optimizer& opt, const Scheduler* sched, const std::string& path) {
  nn::detail::write_named_tensors(entries_of(opt, sched), path, "save_state");
}

bool is_scalar(const Tensor& t) { return t.dtype() == kFloat64 && t.shape().empty(); }

void load_impl(Optimizer& opt, Scheduler* sched, const std::string& path) {
  const std::vector<NamedTensor> file = nn::detail::read_named_tensors(path, "load_state");
  std::map<std::string, const Tensor*> by_name;
  for (const auto& e : file) by_name.emplace(e.name, &e.tensor);
  std::set<std::string> used;
  std::vector<std::string> problems;
  auto q = [](const std::string& s) { return nn::detail::quote_name(s); };
  auto find = [&](const std::string& n) -> const Tensor* {
    const auto it = by_name.find(n);
    if (it == by_name.end()) return nullptr;
    used.insert(n);
    return it->second;
  };
  // A required float64 scalar (which may hold any value, NaN included); nullopt if missing or
  // malformed (a problem is recorded).
  auto get_scalar = [&](const std::string& n) -> std::optional<double> {
    const Tensor* t = find(n);
    if (!t) {
      problems.push_back(fmt::format("missing {}", q(n)));
      return std::nullopt;
    }
    if (!is_scalar(*t)) {
      problems.push_back(fmt::format("entry {} should be a float64 scalar, the file holds {} of shape {}", q(n),
                                     dtype_name(t->dtype()), shape_str(t->shape())));
      return std::nullopt;
    }
    return t->item();
  };
  auto is_count = [](double v) { return v >= 0 && v <= 9007199254740992.0 && v == std::floor(v); };

  const char* name = opt.name();
  const auto& params = opt.params();
  if (!by_name.contains(fmt::format("{}.lr", name)))  // another optimizer class: say so, not every entry
    for (const auto& e : file)
      if (e.name.ends_with(".lr") && !e.name.starts_with("scheduler.") && e.tensor.shape().empty())
        throw ValueError(fmt::format("load_state: '{}' holds {} optimizer state, not {} state", path,
                                     q(e.name.substr(0, e.name.size() - 3)), name));
  const std::optional<double> lr = get_scalar(fmt::format("{}.lr", name));
  // set_lr's own rule, checked now: set_lr runs last, when nothing may fail any more.
  if (lr) {
    try {
      check_option(name, "lr", *lr, 0.0);
    } catch (const ValueError& e) {
      problems.push_back(fmt::format("entry {} = {} is not a valid learning rate ({})", q(fmt::format("{}.lr", name)),
                                     *lr, e.what()));
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string n = param_shape_name(name, i);
    const Tensor* t = find(n);
    if (!t) {
      problems.push_back(fmt::format("missing {}", q(n)));
      continue;
    }
    const Shape& want = params[i].shape();
    bool same = t->dtype() == kFloat64 && t->dim() == 1 && t->numel() == want.size();
    for (std::size_t d = 0; same && d < want.size(); ++d) same = t->data_ptr<double>()[d] == static_cast<double>(want[d]);
    if (!same)
      problems.push_back(fmt::format("parameter {}: the optimizer's has shape {}, the file's another ({})", i,
                                     shape_str(want), q(n)));
  }

  // Per-parameter state: build complete replacement vectors, committed only if all is well.
  const StateSlots slots = opt.state_slots();
  std::vector<std::vector<Tensor>> new_tensors(slots.tensors.size(), std::vector<Tensor>(params.size()));
  std::vector<std::vector<std::size_t>> new_counts(slots.counts.size(), std::vector<std::size_t>(params.size()));
  for (std::size_t i = 0; i < params.size(); ++i) {
    for (std::size_t k = 0; k < slots.tensors.size(); ++k) {
      const std::string n = slot_name(name, i, slots.tensors[k].first);
      const Tensor* t = find(n);
      if (!t) continue;  // no state yet for this parameter
      if (t->dtype() != params[i].dtype() || t->shape() != params[i].shape())
        problems.push_back(fmt::format("entry {}: the optimizer expects {} of shape {}, the file holds {} of shape {}",
                                       q(n), dtype_name(params[i].dtype()), shape_str(params[i].shape()),
                                       dtype_name(t->dtype()), shape_str(t->shape())));
      else
        new_tensors[k][i] = *t;  // a fresh tensor decoded from the file: owned by nobody else
    }
    for (std::size_t k = 0; k < slots.counts.size(); ++k) {
      const std::string n = slot_name(name, i, slots.counts[k].first);
      const std::optional<double> v = get_scalar(n);
      if (!v) continue;
      if (!is_count(*v)) problems.push_back(fmt::format("entry {} = {} is not a count", q(n), *v));
      else new_counts[k][i] = static_cast<std::size_t>(*v);
    }
  }

  // Schedule fields as doubles; converted to the state (counts to integers) only once every one
  // has passed its check (a NaN or huge count converted to an integer is undefined behaviour).
  std::vector<double> sched_v;
  if (sched) {
    for (const auto& f : kSchedFields) {
      const std::string n = sched_prefix(*sched) + f.name;
      const std::optional<double> x = get_scalar(n);
      if (x && f.integral && !is_count(*x)) problems.push_back(fmt::format("entry {} = {} is not a count", q(n), *x));
      sched_v.push_back(x.value_or(0));
    }
  }

  std::vector<std::string> unexpected;
  for (const auto& e : file)
    if (!used.contains(e.name)) unexpected.push_back(q(e.name));
  if (!unexpected.empty()) {
    std::string list;
    for (std::size_t i = 0; i < unexpected.size() && i < 8; ++i) list += (i ? ", " : "") + unexpected[i];
    if (unexpected.size() > 8) list += fmt::format(" and {} more", unexpected.size() - 8);
    problems.push_back("unexpected in the file: " + list);
  }
  if (!problems.empty()) {
    std::string why;
    for (std::size_t i = 0; i < problems.size() && i < 8; ++i) why += (i ? "; " : "") + problems[i];
    if (problems.size() > 8) why += fmt::format("; and {} more problems", problems.size() - 8);
    throw ValueError(fmt::format("load_state: '{}' does not fit the {} optimizer{}: {}", path, name,
                                 sched ? fmt::format(" and {} schedule", sched->name()) : std::string(), why));
  }

  // Everything checked. The schedule validates its own values (throwing before any change);
  // after it, nothing left can fail.
  if (sched) {
    const SchedulerState sched_state{static_cast<std::int64_t>(sched_v[0]), sched_v[1], sched_v[2], sched_v[3],
                                     static_cast<std::int64_t>(sched_v[4]), static_cast<std::int64_t>(sched_v[5])};
    try {
      sched->load_state(sched_state);
    } catch (const ValueError& e) {
      throw ValueError(fmt::format("load_state: '{}': {}", path, e.what()));
    }
  }
  for (std::size_t k = 0; k < slots.tensors.size(); ++k) slots.tensors[k].second->swap(new_tensors[k]);
  for (std::size_t k = 0; k < slots.counts.size(); ++k) slots.counts[k].second->swap(new_counts[k]);
  opt.set_lr(*lr);
}

}  // namespace

void save_state(const Optimizer& optimizer, const std::string& path) { save_impl(optimizer, nullptr, path); }
void save_state(const Optimizer& optimizer, const Scheduler& scheduler, const std::string& path) {
  save_impl(optimizer, &scheduler, path);
}
void load_state(Optimizer& optimizer, const std::string& path) { load_impl(optimizer, nullptr, path); }
void load_state(Optimizer& optimizer, Scheduler& scheduler, const std::string& path) {
  load_impl(optimizer, &scheduler, path);
}

}  // namespace xg::optim
