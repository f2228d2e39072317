// Storage, TensorImpl, Node lifetime, dtypes and shapes.
#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>

#include <fmt/format.h>

#include "autodiff/allocator.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/node.hpp"
#include "autodiff/shape_check.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg {

std::string_view dtype_name(Dtype d) { return d == Dtype::Float64 ? "float64" : "float32"; }
std::size_t dtype_size(Dtype d) { return d == Dtype::Float64 ? 8 : 4; }

std::size_t shape_numel(const Shape& shape) {
  std::size_t n = 1;
  for (auto e : shape) {
    if (e != 0 && n > std::numeric_limits<std::size_t>::max() / e)
      throw ShapeError(fmt::format("shape {}: element count overflows", shape_str(shape)));
    n *= e;
  }
  return n;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// ------------------------------------------------------------------------------------- Storage
Storage::Storage(std::size_t bytes) : nbytes(bytes) {
  if (bytes > (std::size_t{1} << 46))
    throw ValueError(fmt::format("cannot allocate a tensor of {} bytes", bytes));
  data = allocate_buffer(bytes, capacity);
}

Storage::~Storage() { free_buffer(data, capacity); }

// ---------------------------------------------------------------------------------- TensorImpl
TensorImpl::TensorImpl(Shape shape_, Dtype dtype_)
    : shape(std::move(shape_)), numel(shape_numel(shape)), dtype(dtype_) {
  if (numel > max_tensor_bytes() / dtype_size(dtype)) check_allocation("tensor allocation", shape, dtype);  // throws
  storage = std::allocate_shared<Storage>(PoolAllocator<Storage>{}, numel * dtype_size(dtype));
}

TensorImpl::TensorImpl(Shape shape_, Dtype dtype_, std::shared_ptr<Storage> storage_)
    : shape(std::move(shape_)), numel(shape_numel(shape)), dtype(dtype_), storage(std::move(storage_)) {}

TensorImpl::~TensorImpl() { release_node(std::move(grad_fn)); }

// NOTE [ Iterative graph release ]
// A chain of n recorded ops is a chain of shared_ptr<Node>: dropping the last handle to its
// output would destroy node n, whose edge destroys node n-1, ... n frames deep, overflowing the
// stack for long chains. Instead every Node/TensorImpl hands the node references it owns to
// release_node, which drops references that are not the last directly and queues last
// references; the outermost call drains the queue in a loop, so the depth stays constant.
void release_node(std::shared_ptr<Node>&& node) {
  if (!node) return;
  if (node.use_count() > 1) {
    node.reset();
    return;
  }
  thread_local std::vector<std::shared_ptr<Node>> queue;
  thread_local bool draining = false;
  queue.push_back(std::move(node));
  if (draining) return;
  draining = true;
  while (!queue.empty()) {
    std::shared_ptr<Node> last = std::move(queue.back());
    queue.pop_back();
    last.reset();  // may push this node's own references onto the queue
  }
  draining = false;
}

namespace {
std::atomic<std::size_t> g_live_nodes{0};
std::atomic<std::uint64_t> g_sequence{0};
}  // namespace

std::size_t live_node_count() { return g_live_nodes.load(std::memory_order_relaxed); }

Node::Node(const char* name, BackwardRule rule)
    : name_(name), rule_(rule), sequence_nr_(g_sequence.fetch_add(1, std::memory_order_relaxed)) {
  ctx_.node_ = this;
  g_live_nodes.fetch_add(1, std::memory_order_relaxed);
}

Node::~Node() {
  for (auto& e : edges_) {
    release_node(std::move(e.node));
    e.leaf.reset();
  }
  ctx_.saved_.clear();
  grad_buffer_ = Tensor();
  g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace xg
