// NOTE [ Buffer cache ]
// Freed blocks go to a per-thread cache instead of back to malloc, and the next request of the
// same size class takes the most recently freed one (still warm in the CPU caches):
//  - small blocks (up to 1 MiB) come in power-of-two size classes (64 B … 1 MiB), each with an
//    intrusive free list (a free block stores the pointer to the next one), so the hot path
//    touches one trivially-destructible thread_local and no container;
//  - large blocks (their size rounded up to an eighth of its power of two, see buffer_capacity)
//    are kept in a small table searched by exact size. A training step frees and re-allocates
//    the same large gradients and activations every step; handing them back to malloc would
//    return them to the kernel and page-fault them in again (zero-filled) on the next step.
// At most 64 MiB per thread is kept, small and large together. A block freed on another
// thread than the one that allocated it joins that thread's cache. A per-thread reaper,
// registered on the first cached block, frees the cache when the thread ends; blocks freed
// after that (a static tensor destroyed at exit) go straight to free().
#include <cstdlib>

#include <fmt/format.h>

#include "autodiff/allocator.hpp"
#include "autodiff/errors.hpp"

namespace xg {

namespace {

constexpr std::size_t kMaxCachedBytes = std::size_t{64} << 20;
constexpr int kClasses = 15;      // 2^6 .. 2^20
constexpr int kLargeSlots = 32;   // cached large blocks

struct FreeBlock {
  FreeBlock* next;
};

struct LargeBlock {
  void* block;
  std::size_t capacity;
};

struct CacheState {  // trivially destructible: no TLS guard on the hot path
  FreeBlock* heads[kClasses];
  LargeBlock large[kLargeSlots];  // slots [0, large_count) are in use, newest last
  int large_count;
  std::size_t bytes;
  bool reaper_registered;
  bool dead;
};
thread_local CacheState t_cache{};

int class_of(std::size_t capacity) { return std::countr_zero(capacity) - 6; }

struct Reaper {
  ~Reaper() {
    for (auto& head : t_cache.heads)
      while (head) {
        FreeBlock* next = head->next;
        std::free(head);
        head = next;
      }
    for (int i = 0; i < t_cache.large_count; ++i) std::free(t_cache.large[i].block);
    t_cache.large_count = 0;
    t_cache.bytes = 0;
    t_cache.dead = true;
  }
};

void register_reaper() {
  thread_local Reaper reaper;
  (void)reaper;
  t_cache.reaper_registered = true;
}

void* take_large(std::size_t capacity) {
  CacheState& c = t_cache;
  for (int i = c.large_count; i-- > 0;) {
    if (c.large[i].capacity != capacity) continue;
    void* p = c.large[i].block;
    for (int j = i; j + 1 < c.large_count; ++j) c.large[j] = c.large[j + 1];
    --c.large_count;
    c.bytes -= capacity;
    return p;
  }
  return nullptr;
}

// The paths that are not "a small block from / back to its free list", kept out of line so the
// hot path stays a few instructions.
[[gnu::noinline]] void* allocate_slow(std::size_t bytes, std::size_t capacity) {
  if (capacity > kMaxCachedBlock && t_cache.large_count > 0)
    if (void* p = take_large(capacity)) return p;
  void* p = std::aligned_alloc(kBufferAlign, capacity);
  if (!p) throw ValueError(fmt::format("out of memory allocating a tensor buffer of {} bytes", bytes));
  return p;
}

[[gnu::noinline]] void free_slow(void* block, std::size_t capacity) {
  CacheState& c = t_cache;
  if (!c.dead && capacity > kMaxCachedBlock && capacity <= kMaxCachedBytes / 2) {
    // Make room by evicting the oldest large blocks: sizes no longer in use age out.
    while (c.large_count > 0 && (c.large_count == kLargeSlots || c.bytes + capacity > kMaxCachedBytes)) {
      std::free(c.large[0].block);
      c.bytes -= c.large[0].capacity;
      for (int j = 0; j + 1 < c.large_count; ++j) c.large[j] = c.large[j + 1];
      --c.large_count;
    }
    if (c.bytes + capacity <= kMaxCachedBytes) {
      if (!c.reaper_registered) register_reaper();
      c.large[c.large_count++] = {block, capacity};
      c.bytes += capacity;
      return;
    }
  }
  std::free(block);
}

}  // namespace

void* allocate_buffer(std::size_t bytes, std::size_t& capacity) {
  capacity = buffer_capacity(bytes);
  if (capacity <= kMaxCachedBlock) {
    FreeBlock*& head = t_cache.heads[class_of(capacity)];
    if (FreeBlock* block = head) {
      head = block->next;
      t_cache.bytes -= capacity;
      return block;
    }
  }
  return allocate_slow(bytes, capacity);
}

void free_buffer(void* block, std::size_t capacity) {
  if (!block) return;
  CacheState& c = t_cache;
  if (capacity <= kMaxCachedBlock && c.reaper_registered && !c.dead && c.bytes + capacity <= kMaxCachedBytes) {
    FreeBlock* b = static_cast<FreeBlock*>(block);
    FreeBlock*& head = c.heads[class_of(capacity)];
    b->next = head;
    head = b;
    c.bytes += capacity;
    return;
  }
  if (capacity <= kMaxCachedBlock && !c.dead && c.bytes + capacity <= kMaxCachedBytes) {
    register_reaper();  // the first cached block of this thread
    return free_buffer(block, capacity);
  }
  free_slow(block, capacity);
}

std::size_t cached_buffer_bytes() { return t_cache.bytes; }

}  // namespace xg
