// NOTE [ Buffer cache ]
// Blocks up to 1 MiB come in power-of-two size classes (64 B … 1 MiB) and, when freed, go to a
// per-thread free list instead of back to malloc; at most 64 MiB per thread is kept. The lists
// are intrusive (a free block stores the pointer to the next one), so the hot path touches
// one trivially-destructible thread_local and no container. A block freed on another thread
// than the one that allocated it joins that thread's cache. Larger blocks go straight to
// aligned_alloc/free. A per-thread reaper, registered on the first cached block, frees the
// lists when the thread ends; blocks freed after that (a static tensor destroyed at exit) go
// straight to free().
#include <cstdlib>

#include <fmt/format.h>

#include "autodiff/allocator.hpp"
#include "autodiff/errors.hpp"

namespace xg {

namespace {

constexpr std::size_t kMaxCachedBytes = std::size_t{64} << 20;
constexpr int kClasses = 15;  // 2^6 .. 2^20

struct FreeBlock {
  FreeBlock* next;
};

struct CacheState {  // trivially destructible: no TLS guard on the hot path
  FreeBlock* heads[kClasses];
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
    t_cache.bytes = 0;
    t_cache.dead = true;
  }
};

void register_reaper() {
  thread_local Reaper reaper;
  (void)reaper;
  t_cache.reaper_registered = true;
}

}  // namespace

void* allocate_buffer(std::size_t bytes, std::size_t& capacity) {
  capacity = buffer_capacity(bytes);
  if (capacity <= kMaxCachedBlock) {
    FreeBlock*& head = t_cache.heads[class_of(capacity)];
    if (head) {
      FreeBlock* block = head;
      head = block->next;
      t_cache.bytes -= capacity;
      return block;
    }
  }
  void* p = std::aligned_alloc(kBufferAlign, capacity);
  if (!p) throw ValueError(fmt::format("out of memory allocating a tensor buffer of {} bytes", bytes));
  return p;
}

void free_buffer(void* block, std::size_t capacity) {
  if (!block) return;
  CacheState& c = t_cache;
  if (capacity <= kMaxCachedBlock && !c.dead && c.bytes + capacity <= kMaxCachedBytes) {
    if (!c.reaper_registered) register_reaper();
    FreeBlock* b = static_cast<FreeBlock*>(block);
    FreeBlock*& head = c.heads[class_of(capacity)];
    b->next = head;
    head = b;
    c.bytes += capacity;
    return;
  }
  std::free(block);
}

std::size_t cached_buffer_bytes() { return t_cache.bytes; }

}  // namespace xg
