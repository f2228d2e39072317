#pragma once
// The graph-growth warning: memory that grows without bound because something keeps every
// training step's graph alive — the classic `total_loss += loss` (instead of `loss.item()`), or a
// tensor carried from one step to the next without detach() (pytorch #1346).
#include <cstddef>
#include <functional>
#include <string>

namespace xg {

/// When the warning fires (an aggregate; designated initialisers in this order).
struct GraphGrowthOptions {
  bool enabled = true;
  /// The live node count (live_node_count(), process-wide) must have grown after each of at
  /// least this many consecutive backward() / grad() calls on the thread ...
  std::size_t window = 10;
  /// ... and by at least this many nodes since the streak began.
  std::size_t min_growth = 1000;
};

/// Sets the thresholds (for every thread). ValueError for window < 2.
void set_graph_growth_options(GraphGrowthOptions options);
GraphGrowthOptions graph_growth_options();

/// Where warnings go: the default handler writes "xgrad warning: <message>" and a newline to
/// std::cerr. Pass an empty function to restore it. Used by the graph-growth warning.
using WarningHandler = std::function<void(const std::string& message)>;
void set_warning_handler(WarningHandler handler);

/// Warnings issued on this thread so far (for tests and monitoring).
std::size_t graph_growth_warnings();

namespace detail {
/// Sends a warning to the handler of set_warning_handler (or std::cerr).
void warn(const std::string& message);
/// Called by the engine after each backward pass: records live_node_count() and warns when the
/// graph has kept growing. Fires once, then again only when the count has doubled since.
void note_backward_done();
}  // namespace detail

}  // namespace xg
