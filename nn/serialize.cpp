// Checkpoints: xgrad's binary format (docs/checkpoints.md), written atomically through a
// temporary file, read and validated completely before the module is touched.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/shape_check.hpp"
#include "nn/file_input.hpp"
#include "nn/serialize.hpp"

namespace xg::nn {

using detail::check_path;
using detail::InputFile;

namespace {

// ---------------------------------------------------------------------------------- format

constexpr std::array<unsigned char, 8> kMagic = {'X', 'G', 'R', 'A', 'D', 'C', 'K', 'P'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kSizeOffset = 12;                  // after magic and version
constexpr std::size_t kHeaderSize = 8 + 4 + 8 + 8;       // magic, version, file size, entry count
constexpr std::size_t kChecksumSize = 8;                 // FNV-1a 64 of everything before it
constexpr std::size_t kMinEntrySize = 1 + 4 + 1 + 4;     // kind, name length, dtype, ndim
constexpr std::size_t kListed = 8;                       // names / mismatches a message lists

enum class Kind : std::uint8_t { Parameter = 0, Buffer = 1 };

static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "checkpoints store IEEE 754 binary32/binary64 values");
static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "mixed-endian hosts are not supported");

std::string_view kind_name(Kind k) { return k == Kind::Parameter ? "parameter" : "buffer"; }

std::uint8_t dtype_code(Dtype d) { return d == kFloat64 ? 1 : 0; }

/// FNV-1a, 64-bit. Any single changed byte changes the result (each step is a bijection).
struct Fnv1a64 {
  std::uint64_t state = 0xcbf29ce484222325ULL;
  void update(const unsigned char* p, std::size_t n) {
    std::uint64_t h = state;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    state = h;
  }
};

std::string os_error(int err) { return std::generic_category().message(err); }

/// A name as it goes into a message: quoted, with control and non-ASCII bytes as \xNN (a
/// corrupt file can hold anything).
std::string quoted(std::string_view name) {
  std::string out = "'";
  for (unsigned char c : name) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  return out + "'";
}

struct Entry {
  Kind kind;
  std::string name;
  Tensor tensor;
};

/// Parameters first, then buffers, each in the module's registration order.
std::vector<Entry> entries_of(const Module& module) {
  std::vector<Entry> out;
  for (auto& [name, t] : module.named_parameters()) out.push_back({Kind::Parameter, name, t});
  for (auto& [name, t] : module.named_buffers()) out.push_back({Kind::Buffer, name, t});
  return out;
}

// ---------------------------------------------------------------------------------- save

/// Buffered writer on a file descriptor that checksums what passes through it.
class Writer {
 public:
  Writer(int fd, const std::string& path, const std::string& tmp, std::string_view who)
      : fd_(fd), path_(path), tmp_(tmp), who_(who) {
    buf_.reserve(kBufSize);
  }

  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    hash_.update(p, n);
    raw(p, n);
  }
  void u8(std::uint8_t v) { bytes(&v, 1); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }

  /// Element data, little-endian whatever the host.
  template <class T>
  void elements(const T* data, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
      bytes(data, n * sizeof(T));
    } else {
      using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
      for (std::size_t i = 0; i < n; ++i) le(std::bit_cast<U>(data[i]), static_cast<int>(sizeof(T)));
    }
  }

  /// Appends the checksum of everything written so far and flushes.
  void finish() {
    unsigned char sum[8];
    for (int i = 0; i < 8; ++i) sum[i] = static_cast<unsigned char>(hash_.state >> (8 * i));
    raw(sum, 8);
    flush();
  }

 private:
  static constexpr std::size_t kBufSize = std::size_t{1} << 16;

  void le(std::uint64_t v, int n) {
    unsigned char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(b, static_cast<std::size_t>(n));
  }

  void raw(const unsigned char* p, std::size_t n) {
    if (buf_.size() + n > kBufSize) flush();
    if (n >= kBufSize) {
      write_all(p, n);
    } else {
      buf_.insert(buf_.end(), p, p + n);
    }
  }

  void flush() {
    write_all(buf_.data(), buf_.size());
    buf_.clear();
  }

  void write_all(const unsigned char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        const int err = w < 0 ? errno : EIO;
        throw ValueError(fmt::format("{}: cannot write {} (writing the temporary file '{}'): {}", who_, path_,
                                     tmp_, os_error(err)));
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  int fd_;
  const std::string& path_;
  const std::string& tmp_;
  std::string_view who_;
  std::vector<unsigned char> buf_;
  Fnv1a64 hash_;
};

/// The temporary file of one save: closed and removed on scope exit unless committed.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};

std::string temp_path_for(const std::string& path) {
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, static_cast<long>(::getpid()), counter.fetch_add(1));
}

/// The directory part of a path ("." for none, "/" for the root) and the last component.
std::pair<std::string, std::string> split_path(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// NOTE [ Saving through symbolic links ]
// rename(2) replaces the directory entry it is given: renaming a new file onto a symbolic link
// replaces the link with a regular file, while torch.save (open with O_TRUNC) writes through
// it. So a save first follows the chain of links at `path` to the file it ends at — one that
// does not exist yet, for a dangling link, as open(2) with O_CREAT would create it — writes the
// temporary file beside that file (rename(2) cannot cross file systems) and renames it onto
// that file: every link stays, and shows the new contents. A chain of more than 40 links (or a
// loop) is refused with ELOOP's message, as open(2) would.

/// The file a save to `path` must replace: `path` itself, or, when it is a symbolic link, the
/// end of its chain of links (NOTE [ Saving through symbolic links ]). Relative link targets are
/// taken from the link's directory; the kernel resolves the directories on the way, so no path
/// is normalised here (".." after a linked directory means what the kernel says it means).
std::string resolve_final_target(const std::string& path, std::string_view who) {
  constexpr int kMaxLinks = 40;  // Linux's limit for one path (ELOOP beyond it)
  std::string current = path;
  for (int links = 0;; ++links) {
    struct stat st {};
    // Missing (the save creates it) or unreachable (creating the temporary file says why).
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
    if (links == kMaxLinks)
      throw ValueError(fmt::format("{}: cannot write '{}': {} (more than {} symbolic links in a row, or a loop)", who,
                                   path, os_error(ELOOP), kMaxLinks));
    std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    ssize_t n = 0;
    while ((n = ::readlink(current.c_str(), target.data(), target.size())) >= static_cast<ssize_t>(target.size()))
      target.resize(2 * target.size());  // the link changed since lstat: try again with more room
    if (n < 0)
      throw ValueError(fmt::format("{}: cannot write '{}': cannot read the symbolic link '{}': {}", who, path, current,
                                   os_error(errno)));
    target.resize(static_cast<std::size_t>(n));
    if (target.empty() || target.front() == '/') current = target;
    else current = split_path(current).first + "/" + target;
  }
}

/// Removes the temporary files that saves to `target` killed mid-write left behind:
/// "<basename>.tmp.<pid>.<n>" in the target's directory whose process no longer exists
/// (kill(pid, 0) fails with ESRCH). A live process's file — this process's included — is never
/// touched. Best effort: an unreadable directory or a failed unlink is not an error.
void remove_stale_temp_files(const std::string& target) {
  const auto [dir_path, base] = split_path(target);
  if (base.empty()) return;
  DIR* dir = ::opendir(dir_path.c_str());
  if (dir == nullptr) return;
  const std::string prefix = base + ".tmp.";
  const long self = static_cast<long>(::getpid());
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (!name.starts_with(prefix)) continue;
    // <pid>.<n>, both decimal, and nothing else.
    const std::string_view rest = name.substr(prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) continue;
    const std::string_view pid_text = rest.substr(0, dot), n_text = rest.substr(dot + 1);
    auto all_digits = [](std::string_view t) {
      return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!all_digits(pid_text) || !all_digits(n_text)) continue;
    long pid = 0;
    const auto [ptr, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
    if (ec != std::errc() || pid <= 0 || pid == self || pid > std::numeric_limits<pid_t>::max()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    struct stat st {};
    if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    (void)::unlinkat(::dirfd(dir), e->d_name, 0);
  }
  ::closedir(dir);
}

/// Makes the rename durable: fsync on the directory holding `path`. Best effort (some file
/// systems refuse fsync on directories); the checkpoint itself is complete by then.
void sync_parent_directory(const std::string& path) {
  const std::string dir = split_path(path).first;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

std::uint64_t entry_size(const Entry& e) {
  return kMinEntrySize + e.name.size() + 8 * e.tensor.dim() + e.tensor.numel() * dtype_size(e.tensor.dtype());
}

}  // namespace

namespace detail {

void write_named_tensors(const std::vector<NamedTensor>& named, const std::string& path, std::string_view who) {
  check_path(path, who);  // before touching the file system
  std::vector<Entry> entries;
  entries.reserve(named.size());
  for (const auto& n : named) entries.push_back({n.buffer ? Kind::Buffer : Kind::Parameter, n.name, n.tensor});
  std::uint64_t file_size = kHeaderSize + kChecksumSize;
  for (const auto& e : entries) file_size += entry_size(e);

  // NOTE [ Saving through symbolic links ]: the temporary file goes beside the file the link
  // chain ends at, and is renamed onto it, so the links stay and show the new contents.
  const std::string target = resolve_final_target(path, who);
  const std::string shown =
      target == path ? fmt::format("'{}'", path) : fmt::format("'{}' (a symbolic link to '{}')", path, target);
  remove_stale_temp_files(target);

  TempFile tmp{temp_path_for(target)};
  // errno first: building the message must not clobber it.
  auto fail = [&](std::string_view step, std::string_view after = "") {
    const int err = errno;
    throw ValueError(fmt::format("{}: cannot write {} ({} the temporary file '{}'{}): {}", who, shown, step,
                                 tmp.path, after, os_error(err)));
  };
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (tmp.fd < 0) {
    tmp.committed = true;  // nothing was created: nothing to remove
    fail("creating");
  }

  Writer out(tmp.fd, shown, tmp.path, who);
  out.bytes(kMagic.data(), kMagic.size());
  out.u32(kVersion);
  out.u64(file_size);
  out.u64(entries.size());
  for (const auto& e : entries) {
    out.u8(static_cast<std::uint8_t>(e.kind));
    out.u32(static_cast<std::uint32_t>(e.name.size()));
    out.bytes(e.name.data(), e.name.size());
    out.u8(dtype_code(e.tensor.dtype()));
    out.u32(static_cast<std::uint32_t>(e.tensor.dim()));
    for (std::size_t extent : e.tensor.shape()) out.u64(extent);
    dispatch(e.tensor.dtype(), [&]<class T>() { out.elements(e.tensor.data_ptr<T>(), e.tensor.numel()); });
  }
  out.finish();

  if (::fsync(tmp.fd) != 0) fail("syncing");
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail("closing");
  if (::rename(tmp.path.c_str(), target.c_str()) != 0) fail("renaming", " over it");
  tmp.committed = true;
  sync_parent_directory(target);
}

}  // namespace detail

void save(const Module& module, const std::string& path) {
  std::vector<detail::NamedTensor> named;
  for (auto& e : entries_of(module)) named.push_back({e.name, e.tensor, e.kind == Kind::Buffer});
  detail::write_named_tensors(named, path, "save");
}

// ---------------------------------------------------------------------------------- load

namespace {

/// One entry as the file holds it; `data` points into the file's bytes.
struct FileEntry {
  Kind kind;
  std::string name;
  Dtype dtype;
  Shape shape;
  const unsigned char* data;
  std::size_t nbytes;
};

/// Bounds-checked little-endian reads over [pos, end): every length is checked against what
/// remains before it is used, so a corrupt count can neither over-read nor over-allocate.
class Reader {
 public:
  Reader(const std::vector<unsigned char>& bytes, std::size_t end, const std::string& path, std::string_view who)
      : p_(bytes.data()), end_(end), path_(path), who_(who) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return end_ - pos_; }

  const unsigned char* take(std::size_t n, std::string_view what) {
    if (n > remaining())
      throw ValueError(fmt::format("{}: '{}' is corrupt: {} needs {} bytes at offset {}, but only {} remain", who_, path_,
                                   what, n, pos_, remaining()));
    const unsigned char* at = p_ + pos_;
    pos_ += n;
    return at;
  }
  std::uint64_t le(std::size_t n, std::string_view what) {
    const unsigned char* b = take(n, what);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{b[i]} << (8 * i);
    return v;
  }
  std::uint8_t u8(std::string_view what) { return static_cast<std::uint8_t>(le(1, what)); }
  std::uint32_t u32(std::string_view what) { return static_cast<std::uint32_t>(le(4, what)); }
  std::uint64_t u64(std::string_view what) { return le(8, what); }

 private:
  const unsigned char* p_;
  std::size_t end_;
  std::size_t pos_ = 0;
  const std::string& path_;
  std::string_view who_;
};

std::uint64_t read_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

/// The envelope's fixed fields: magic, version, and the declared size against `size`, the
/// file's. Needs the first min(size, kHeaderSize) bytes of the file at `p`.
void check_envelope(const unsigned char* p, std::uint64_t size, const std::string& path, std::string_view who) {
  if (size == 0) throw ValueError(fmt::format("{}: '{}' is empty, not a checkpoint", who, path));
  if (std::memcmp(p, kMagic.data(), static_cast<std::size_t>(std::min<std::uint64_t>(size, kMagic.size()))) != 0)
    throw ValueError(fmt::format("{}: '{}' is not an xgrad checkpoint (it does not start with the magic bytes "
                                 "\"XGRADCKP\")", who,
                                 path));
  if (size < kMagic.size() + 4)
    throw ValueError(fmt::format("{}: '{}' is truncated: {} bytes, too short for a checkpoint header", who, path, size));
  const auto version = static_cast<std::uint32_t>(read_le(p + kMagic.size(), 4));
  if (version != kVersion)
    throw ValueError(fmt::format("{}: '{}' has checkpoint format version {}; this build of xgrad reads version {}", who,
                                 path, version, kVersion));
  if (size < kHeaderSize + kChecksumSize)
    throw ValueError(fmt::format("{}: '{}' is truncated: {} bytes, shorter than the smallest checkpoint ({} bytes)", who,
                                 path, size, kHeaderSize + kChecksumSize));
  const std::uint64_t declared = read_le(p + kSizeOffset, 8);
  if (declared != size)
    throw ValueError(fmt::format("{}: '{}' is {}: its header declares {} bytes, the file has {}", who, path,
                                 declared > size ? "truncated" : "corrupt", declared, size));
}

/// Checks the envelope (magic, version, size, checksum) and parses every entry.
std::vector<FileEntry> parse(const std::vector<unsigned char>& bytes, const std::string& path, std::string_view who) {
  auto corrupt = [&](const std::string& why) {
    return ValueError(fmt::format("{}: '{}' is corrupt: {}", who, path, why));
  };
  const std::size_t size = bytes.size();
  check_envelope(bytes.data(), size, path, who);
  Fnv1a64 hash;
  hash.update(bytes.data(), size - kChecksumSize);
  const std::uint64_t stored = read_le(bytes.data() + size - kChecksumSize, 8);
  if (stored != hash.state)
    throw corrupt(fmt::format("checksum mismatch (stored {:#018x}, computed {:#018x})", stored, hash.state));

  // The checksum matched, but a crafted file can carry any numbers: bound everything anyway.
  Reader in(bytes, size - kChecksumSize, path, who);
  in.take(kHeaderSize, "the header");
  const std::uint64_t count = read_le(bytes.data() + kHeaderSize - 8, 8);
  if (count > in.remaining() / kMinEntrySize)
    throw corrupt(fmt::format("it declares {} entries, but its {} bytes of entries can hold at most {}", count,
                              in.remaining(), in.remaining() / kMinEntrySize));

  std::vector<FileEntry> entries;
  entries.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1024)));  // grows with what parses
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string label = fmt::format("entry {}", i);
    FileEntry e{};
    const std::uint8_t kind = in.u8(label + "'s kind");
    const std::uint32_t name_len = in.u32(label + "'s name length");
    const unsigned char* name = in.take(name_len, label + "'s name");
    e.name.assign(reinterpret_cast<const char*>(name), name_len);
    const std::string where = fmt::format("entry {} ({})", i, quoted(e.name));
    if (kind > 1) throw corrupt(fmt::format("{} has unknown kind code {}", where, kind));
    e.kind = static_cast<Kind>(kind);
    const std::uint8_t dtype = in.u8(where + "'s dtype");
    if (dtype > 1) throw corrupt(fmt::format("{} has unknown dtype code {}", where, dtype));
    e.dtype = dtype == 1 ? kFloat64 : kFloat32;
    const std::uint32_t ndim = in.u32(where + "'s dimension count");
    if (ndim > in.remaining() / 8)
      throw corrupt(fmt::format("{} declares {} dimensions, but only {} bytes remain", where, ndim, in.remaining()));
    e.shape.resize(ndim);
    std::uint64_t numel = 1;
    bool overflow = false;
    for (auto& extent : e.shape) {
      const std::uint64_t x = in.u64(where + "'s shape");
      if (x > std::numeric_limits<std::size_t>::max()) overflow = true;
      extent = static_cast<std::size_t>(x);
      if (x != 0 && numel > std::numeric_limits<std::uint64_t>::max() / x) overflow = true;
      else numel *= x;
    }
    const std::size_t esize = dtype_size(e.dtype);
    if (overflow)
      throw corrupt(fmt::format("{} declares shape {}, whose element count overflows", where, shape_str(e.shape)));
    if (numel > in.remaining() / esize)
      throw corrupt(fmt::format("{} declares shape {} ({} {} values), but only {} bytes remain", where,
                                shape_str(e.shape), numel, dtype_name(e.dtype), in.remaining()));
    e.nbytes = static_cast<std::size_t>(numel) * esize;
    e.data = in.take(e.nbytes, where + "'s values");
    entries.push_back(std::move(e));
  }
  if (in.remaining() != 0)
    throw corrupt(fmt::format("{} unexpected bytes after the last entry", in.remaining()));
  return entries;
}

/// "'P' holds fewer/more bytes than its size": what fstat said and what read(2) found disagree.
ValueError size_disagrees(const InputFile& file, std::uint64_t found, bool fewer) {
  return ValueError(fmt::format(
      "{}: '{}' holds {} bytes than the {} its size (fstat) reports ({} read): {}; refused", file.who(), file.path(),
      fewer ? "fewer" : "more", file.size(), found,
      fewer ? "it was truncated while being read, or it is a pseudo-file (such as those in /proc or /sys)"
            : "it is a pseudo-file (such as those in /proc) or a file that is growing"));
}

}  // namespace

namespace detail {

std::vector<unsigned char> read_checkpoint_bytes(InputFile& file, std::string_view who) {
  const std::string& path = file.path();
  const std::uint64_t size = file.size();
  // The header first, at most kHeaderSize bytes whatever the file: the magic and the declared
  // size are checked against the size fstat reported before anything else is read.
  std::array<unsigned char, kHeaderSize> head{};
  const std::size_t got = file.read(head.data(), head.size());
  const auto expected = static_cast<std::size_t>(std::min<std::uint64_t>(size, kHeaderSize));
  if (got != expected) {
    if (got > 0 && std::memcmp(head.data(), kMagic.data(), std::min(got, kMagic.size())) != 0)
      check_envelope(head.data(), got, path, who);  // "not an xgrad checkpoint": true whatever the size
    if (got < expected) file.check_unchanged();
    throw size_disagrees(file, got, got < expected);
  }
  check_envelope(head.data(), size, path, who);  // from here on, size == declared size >= 36
  if (size > max_tensor_bytes())
    throw ValueError(fmt::format("{}: '{}' declares {} bytes, more than this machine's memory ({} bytes): refused",
                                 who, path, size, max_tensor_bytes()));
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  std::memcpy(bytes.data(), head.data(), got);
  // Exactly the declared size, never past it; then the file must still be as it was opened.
  const std::size_t rest = file.read(bytes.data() + got, bytes.size() - got);
  if (rest != bytes.size() - got) {
    file.check_unchanged();
    throw size_disagrees(file, got + rest, true);
  }
  file.check_unchanged();
  return bytes;
}

}  // namespace detail

namespace {

/// "'a', 'b', 'c' and 2 more".
std::string name_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kListed; ++i) out += (i ? ", " : "") + quoted(names[i]);
  if (names.size() > kListed) out += fmt::format(" and {} more", names.size() - kListed);
  return out;
}

/// A new tensor holding an entry's values (little-endian in the file, native here).
Tensor decode(const FileEntry& e) {
  Tensor t = empty(e.shape, e.dtype);
  dispatch(e.dtype, [&]<class T>() {
    T* dst = t.data_ptr<T>();
    const std::size_t n = e.nbytes / sizeof(T);
    if constexpr (std::endian::native == std::endian::little) {
      if (n > 0) std::memcpy(dst, e.data, e.nbytes);
    } else {
      using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
      for (std::size_t i = 0; i < n; ++i)
        dst[i] = std::bit_cast<T>(static_cast<U>(read_le(e.data + i * sizeof(T), static_cast<int>(sizeof(T)))));
    }
  });
  return t;
}

}  // namespace

void load(Module& module, const std::string& path) {
  InputFile in(path, "load");
  const std::vector<unsigned char> bytes = detail::read_checkpoint_bytes(in, "load");
  const std::vector<FileEntry> file = parse(bytes, path, "load");

  std::map<std::string_view, const FileEntry*> by_name;
  for (const auto& e : file)
    if (!by_name.emplace(e.name, &e).second)
      throw ValueError(fmt::format("load: '{}' is corrupt: the entry {} appears more than once", path, quoted(e.name)));

  // Match every entry against the module; collect every problem before refusing.
  const std::vector<Entry> targets = entries_of(module);
  std::vector<std::string> missing, unexpected, problems;
  std::vector<std::pair<Tensor, const FileEntry*>> plan;
  std::set<std::string_view> in_model;
  for (const auto& t : targets) {
    in_model.insert(t.name);
    const auto it = by_name.find(t.name);
    if (it == by_name.end()) {
      missing.push_back(t.name);
      continue;
    }
    const FileEntry& e = *it->second;
    if (e.kind != t.kind)
      problems.push_back(fmt::format("entry {}: the module has a {}, the file a {}", quoted(t.name),
                                     kind_name(t.kind), kind_name(e.kind)));
    else if (e.dtype != t.tensor.dtype())
      problems.push_back(fmt::format("entry {}: the module expects {}, the file holds {}", quoted(t.name),
                                     dtype_name(t.tensor.dtype()), dtype_name(e.dtype)));
    else if (e.shape != t.tensor.shape())
      problems.push_back(fmt::format("entry {}: the module expects shape {}, the file holds shape {}",
                                     quoted(t.name), shape_str(t.tensor.shape()), shape_str(e.shape)));
    else
      plan.emplace_back(t.tensor, &e);
  }
  for (const auto& e : file)
    if (!in_model.contains(e.name)) unexpected.push_back(e.name);
  if (!problems.empty() || !missing.empty() || !unexpected.empty()) {
    std::string why;
    auto add = [&](const std::string& part) { why += (why.empty() ? "" : "; ") + part; };
    for (std::size_t i = 0; i < problems.size() && i < kListed; ++i) add(problems[i]);
    if (problems.size() > kListed) add(fmt::format("{} more mismatched entries", problems.size() - kListed));
    if (!missing.empty()) add("missing from the file: " + name_list(missing));
    if (!unexpected.empty()) add("unexpected in the file (not in the module): " + name_list(unexpected));
    throw ValueError(fmt::format("load: '{}' does not fit the module: {}", path, why));
  }

  // Everything matches: decode (the only step left that can fail, by running out of memory),
  // then copy in place.
  std::vector<Tensor> values;
  values.reserve(plan.size());
  for (const auto& [_, e] : plan) values.push_back(decode(*e));
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < plan.size(); ++i) plan[i].first.copy_(values[i]);
}

namespace detail {

std::vector<NamedTensor> read_named_tensors(const std::string& path, std::string_view who) {
  InputFile in(path, who);
  const std::vector<unsigned char> bytes = read_checkpoint_bytes(in, who);
  const std::vector<FileEntry> file = parse(bytes, path, who);
  std::set<std::string_view> seen;
  for (const auto& e : file)
    if (!seen.insert(e.name).second)
      throw ValueError(fmt::format("{}: '{}' is corrupt: the entry {} appears more than once", who, path,
                                   quoted(e.name)));
  std::vector<NamedTensor> out;
  out.reserve(file.size());
  for (const auto& e : file) out.push_back({e.name, decode(e), e.kind == Kind::Buffer});
  return out;
}

std::string quote_name(std::string_view name) { return quoted(name); }

}  // namespace detail

}  // namespace xg::nn
