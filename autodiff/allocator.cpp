// NOTE [ Buffer cache ]
// Blocks up to 1 MiB come in power-of-two size classes (64 B … 1 MiB) and, when freed, go to a
// per-thread free list instead of back to malloc; at most 64 MiB per thread is kept. A block
// freed on another thread than the one that allocated it simply joins that thread's cache.
// Larger blocks go straight to aligned_alloc/free. The cache is released when the thread ends;
// a block freed after that (a static tensor destroyed at exit) goes straight to free().
#include <bit>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "autodiff/allocator.hpp"
#include "autodiff/errors.hpp"

namespace xg {

namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kMaxCachedBlock = std::size_t{1} << 20;
constexpr std::size_t kMaxCachedBytes = std::size_t{64} << 20;
constexpr int kClasses = 15;  // 2^6 .. 2^20

struct Cache {
  std::vector<void*> free_lists[kClasses];
  std::size_t bytes = 0;
  ~Cache() {
    for (auto& list : free_lists)
      for (void* p : list) std::free(p);
    alive = false;
  }
  static thread_local bool alive;
};
thread_local bool Cache::alive = true;
thread_local Cache t_cache;

int class_of(std::size_t capacity) { return std::countr_zero(capacity) - 6; }

}  // namespace

std::size_t buffer_capacity(std::size_t bytes) {
  return bytes <= kMaxCachedBlock ? std::max(kAlign, std::bit_ceil(bytes)) : (bytes + kAlign - 1) / kAlign * kAlign;
}

void* allocate_buffer(std::size_t bytes, std::size_t& capacity) {
  capacity = buffer_capacity(bytes);
  if (bytes <= kMaxCachedBlock) {
    if (Cache::alive) {
      auto& list = t_cache.free_lists[class_of(capacity)];
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        t_cache.bytes -= capacity;
        return p;
      }
    }
  }
  void* p = std::aligned_alloc(kAlign, capacity);
  if (!p) throw ValueError(fmt::format("out of memory allocating a tensor buffer of {} bytes", bytes));
  return p;
}

void free_buffer(void* block, std::size_t capacity) {
  if (!block) return;
  if (capacity <= kMaxCachedBlock && Cache::alive && t_cache.bytes + capacity <= kMaxCachedBytes) {
    t_cache.free_lists[class_of(capacity)].push_back(block);
    t_cache.bytes += capacity;
    return;
  }
  std::free(block);
}

std::size_t cached_buffer_bytes() { return Cache::alive ? t_cache.bytes : 0; }

}  // namespace xg
