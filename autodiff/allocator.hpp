#pragma once
// The buffer allocator behind Storage: 64-byte-aligned blocks, with a per-thread cache so that
// the many tensors of a training step, small and large, do not go through malloc (and large
// ones do not page-fault afresh) every step. NOTE [ Buffer cache ] in allocator.cpp.
#include <algorithm>
#include <bit>
#include <cstddef>

namespace xg {

/// A block of at least `bytes` bytes, 64-byte aligned. `capacity` receives the block's size
/// class, to pass back to free_buffer. Throws ValueError when memory runs out.
void* allocate_buffer(std::size_t bytes, std::size_t& capacity);
void free_buffer(void* block, std::size_t capacity);

/// Bytes currently held in this thread's cache (for memory tests and diagnostics).
std::size_t cached_buffer_bytes();

inline constexpr std::size_t kBufferAlign = 64;
inline constexpr std::size_t kMaxCachedBlock = std::size_t{1} << 20;

/// The block size allocate_buffer uses for a request of `bytes`: a power of two up to 1 MiB;
/// above, the next multiple of an eighth of the request's power of two (at most 12.5% over,
/// and few enough sizes that a freed block fits the next request of about the same size).
inline std::size_t buffer_capacity(std::size_t bytes) {
  if (bytes <= kMaxCachedBlock) return std::max(kBufferAlign, std::bit_ceil(bytes));
  const std::size_t step = std::bit_floor(bytes) / 8;
  return (bytes + step - 1) / step * step;
}

/// A standard allocator over the buffer cache, for the engine's per-op objects (TensorImpl,
/// Storage and Node through std::allocate_shared, and the small vectors inside a Node).
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT
  T* allocate(std::size_t n) {
    std::size_t capacity;
    return static_cast<T*>(allocate_buffer(n * sizeof(T), capacity));
  }
  void deallocate(T* p, std::size_t n) { free_buffer(p, buffer_capacity(n * sizeof(T))); }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const { return true; }
};

}  // namespace xg
