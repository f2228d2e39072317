// InputFile: a regular file opened for reading without ever blocking in open(2) (NOTE [ Input files ]).
#include "nn/file_input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <fmt/format.h>

#include "autodiff/errors.hpp"

namespace xg::nn::detail {

namespace {

std::string os_error(int err) { return std::generic_category().message(err); }

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

void check_path(std::string_view path, std::string_view who) {
  if (path.empty()) throw ValueError(fmt::format("{}: the path is empty", who));
  const std::size_t nul = path.find('\0');
  if (nul != std::string_view::npos)
    throw ValueError(fmt::format("{}: the path '{}' contains a NUL byte (at offset {}); a file name cannot hold one",
                                 who, printable(path), nul));
}

std::string_view file_type_name(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a file of unknown type";
}

InputFile::InputFile(const std::string& path, std::string_view who) : path_(path), who_(who) {
  check_path(path, who);
  // O_NONBLOCK: a FIFO without a writer opens at once instead of blocking (it is refused below).
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    struct stat st {};
    if (err == ENXIO && ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))  // sockets do not open
      throw ValueError(fmt::format("{}: cannot read '{}': it is a socket, not a regular file", who, path));
    throw ValueError(fmt::format("{}: cannot open '{}': {}", who, path, os_error(err)));
  }
  auto fail = [&](const std::string& why) {
    ::close(fd_);
    fd_ = -1;
    throw ValueError(fmt::format("{}: cannot read '{}': {}", who, path, why));
  };
  if (::fstat(fd_, &at_open_) != 0) fail(os_error(errno));
  if (!S_ISREG(at_open_.st_mode)) {
    std::string why = fmt::format("it is {}, not a regular file", file_type_name(at_open_.st_mode));
    if (S_ISDIR(at_open_.st_mode)) why += fmt::format(" ({})", os_error(EISDIR));
    fail(why);
  }
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) fail(os_error(errno));
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t InputFile::read(void* dst, std::size_t n) {
  auto* p = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::read(fd_, p + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw ValueError(fmt::format("{}: cannot read '{}': {}", who_, path_, os_error(errno)));
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

void InputFile::check_unchanged() const {
  struct stat now {};
  if (::fstat(fd_, &now) != 0)
    throw ValueError(fmt::format("{}: cannot read '{}': {}", who_, path_, os_error(errno)));
  const bool same_size = now.st_size == at_open_.st_size;
  if (same_size && now.st_mtim.tv_sec == at_open_.st_mtim.tv_sec && now.st_mtim.tv_nsec == at_open_.st_mtim.tv_nsec)
    return;
  throw ValueError(fmt::format(
      "{}: '{}' changed while it was being read ({}): refused; read it again once it is complete", who_, path_,
      same_size ? std::string("it was modified")
                : fmt::format("its size was {} bytes when opened, {} bytes now", at_open_.st_size, now.st_size)));
}

}  // namespace xg::nn::detail
