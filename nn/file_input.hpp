#pragma once
// Opening a file for reading, for every loader (load_csv, load_idx, nn::load, optim::load_state):
// only a regular file is read, and opening never blocks (a FIFO without a writer would block
// open(2) forever, /dev/zero or an endless FIFO would be read forever). See NOTE [ Input files ].
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace xg::nn::detail {

// NOTE [ Input files ]
// A loader opens its path once, with O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC (O_NONBLOCK:
// open(2) of a FIFO returns at once instead of waiting for a writer), fstat(2)s that descriptor
// and refuses anything but a regular file, saying what it is ("it is a FIFO (named pipe)", "a
// character device", "a directory", ...). Then O_NONBLOCK is cleared and the same descriptor
// is read: nothing is opened twice by name, so there is no window in which the path can be
// swapped for something else. Symbolic links are followed (the file they name is read).
// Pseudo-files (/proc, /sys) are regular files whose st_size is not their content's size (0
// for /proc): readers that trust the size check what they read against it and say so.

/// Refuses a path that no system call can take as it is: empty, or holding a NUL byte (the
/// call would silently stop at the NUL and use another file). ValueError "<who>: ...", with the
/// path printed by printable(). Called before touching the file system.
void check_path(std::string_view path, std::string_view who);

/// A path (or any text) as it goes into a message: control bytes (NUL included) and DEL as \xNN.
std::string printable(std::string_view s);

/// What a file of this st_mode is, for a message: "a regular file", "a directory", "a FIFO (named
/// pipe)", "a character device", "a block device", "a socket", "a symbolic link", "a file of
/// unknown type".
std::string_view file_type_name(mode_t mode);

/// A regular file open for reading (see NOTE [ Input files ]); closed on destruction.
class InputFile {
 public:
  /// check_path, then opens and checks the file. ValueError naming `who` and the path: "cannot
  /// open 'P': <the system's reason>" (No such file or directory, Permission denied, ...), or
  /// "cannot read 'P': it is a FIFO (named pipe), not a regular file" (and so on).
  InputFile(const std::string& path, std::string_view who);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  std::string_view who() const { return who_; }
  int fd() const { return fd_; }
  /// st_size when opened (0 for /proc's pseudo-files, whatever they hold).
  std::uint64_t size() const { return static_cast<std::uint64_t>(at_open_.st_size); }

  /// Reads up to `n` bytes into `dst`, fewer only at the end of the file; retries on EINTR.
  /// ValueError "<who>: cannot read 'P': <reason>" on a read error.
  std::size_t read(void* dst, std::size_t n);

  /// ValueError "<who>: 'P' changed while it was being read ..." when the file's size or
  /// modification time now differ from those at open (a file being written or appended to).
  void check_unchanged() const;

 private:
  int fd_ = -1;
  std::string path_;
  std::string who_;
  struct stat at_open_ {};
};

}  // namespace xg::nn::detail
