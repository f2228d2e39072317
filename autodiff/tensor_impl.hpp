#pragma once
// The state behind a Tensor handle. Engine-internal; op authors use it through Tensor.
#include <cstdint>
#include <memory>

#include "autodiff/allocator.hpp"

#include "autodiff/dtype.hpp"

namespace xg {

class Node;

/// One contiguous, 64-byte-aligned element buffer. Tensors that alias it (reshape, detach,
/// saved outputs) share the storage and therefore its version counter: every in-place edit
/// bumps `version`, and a node that saved the tensor compares versions at backward time.
struct Storage {
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data = nullptr;
  std::size_t nbytes = 0;
  std::size_t capacity = 0;  // the allocator's block size
  std::uint64_t version = 0;
};

struct TensorImpl {
  TensorImpl(Shape shape_, Dtype dtype_);                       // fresh, uninitialised storage
  TensorImpl(Shape shape_, Dtype dtype_, std::shared_ptr<Storage> storage_);  // alias
  ~TensorImpl();  // releases grad_fn iteratively (see NOTE [ Iterative graph release ])

  template <class T>
  T* data() const { return static_cast<T*>(storage->data); }

  Shape shape;
  std::size_t numel;
  Dtype dtype;
  std::shared_ptr<Storage> storage;
  bool requires_grad = false;
  // Leaves only, scratch of the backward pass `leaf_pass` (NOTE [ Leaf accumulation ]): how
  // many of its gradients are still to come, and the slot where they are summed meanwhile.
  std::uint32_t leaf_pending = 0;
  std::uint32_t leaf_slot = 0;
  std::uint64_t leaf_pass = 0;
  std::shared_ptr<Node> grad_fn;       // null for leaves
  std::shared_ptr<TensorImpl> grad;    // accumulated gradient of a leaf
};

/// A TensorImpl from the per-thread object cache (NOTE [ Buffer cache ]).
template <class... Args>
std::shared_ptr<TensorImpl> make_impl(Args&&... args) {
  return std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>{}, std::forward<Args>(args)...);
}

}  // namespace xg
