// The graph-growth warning: a per-thread window of live node counts after each backward pass.
#include "autodiff/graph_growth.hpp"

#include <atomic>
#include <iostream>
#include <mutex>

#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "autodiff/node.hpp"

namespace xg {

namespace {

std::mutex g_mutex;  // guards the options and the handler
GraphGrowthOptions g_options;
WarningHandler g_handler;

struct GrowthWatch {
  std::size_t previous = 0;      // live nodes after the last pass
  std::size_t streak = 0;        // consecutive passes after which the count had grown
  std::size_t streak_start = 0;  // the count before the streak began
  std::size_t last_warned = 0;
  std::size_t warnings = 0;
};
thread_local GrowthWatch t_watch;

void warn_impl(const std::string& message) {
  WarningHandler handler;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    handler = g_handler;
  }
  if (handler) handler(message);
  else std::cerr << "xgrad warning: " << message << "\n";
}

}  // namespace

void set_graph_growth_options(GraphGrowthOptions options) {
  if (options.window < 2)
    throw ValueError(fmt::format("set_graph_growth_options: window must be >= 2, got {}", options.window));
  std::lock_guard<std::mutex> lock(g_mutex);
  g_options = options;
}

GraphGrowthOptions graph_growth_options() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_options;
}

void set_warning_handler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_handler = std::move(handler);
}

std::size_t graph_growth_warnings() { return t_watch.warnings; }

namespace detail {

void warn(const std::string& message) { warn_impl(message); }


void note_backward_done() {
  const GraphGrowthOptions options = graph_growth_options();
  if (!options.enabled) return;
  GrowthWatch& w = t_watch;
  const std::size_t now = live_node_count();
  if (now > w.previous) {
    if (w.streak++ == 0) w.streak_start = w.previous;
  } else {
    w.streak = 0;
  }
  w.previous = now;
  const std::size_t first = w.streak_start;
  if (w.streak < options.window || now - first < options.min_growth || now < 2 * w.last_warned) return;
  w.last_warned = now;
  ++w.warnings;
  warn_impl(fmt::format(
      "the autograd graph grew after each of the last {} backward passes ({} -> {} live nodes). "
      "Something keeps every step's graph alive: typically a loss summed across steps "
      "(`total = total + loss`; use `total += loss.item()`), or a tensor carried from one step to the next "
      "without detach(). See docs/debugging.md.",
      w.streak, first, now));
}

}  // namespace detail
}  // namespace xg
