// Hostile files and paths for the loaders and savers (load_csv, load_idx, nn::load/save,
// optim::load_state/save_state): saves write through symbolic links and clean up the temporary
// files of killed saves; a path with a NUL byte is refused; FIFOs, devices and /proc files are
// refused (or read) without blocking and without reading forever; CSV lines are capped, quoted
// fields in messages are cut, and underflow reads as zero as in numpy.
//
// Every call that blocked or read forever before the fixes runs in a forked child watched by
// the parent (a time limit and a memory limit), so a regression is a test failure, never a hung
// or swapping test run. Children only call the function under test and _exit.
#include <gtest/gtest.h>

#include "expect_error.hpp"
#include "temp_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <nn/file_input.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using xg::testing::expect_error;

// ---------------------------------------------------------------------------------- helpers

using xg::testing::TempDir;

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::vector<double> values_of(const xg::nn::Module& m) {
  std::vector<double> out;
  for (const auto& [name, t] : m.named_parameters())
    for (double v : t.to_vector()) out.push_back(v);
  return out;
}

/// A small model with recognisable values (`seed` makes them differ).
xg::nn::Linear make_model(std::uint64_t seed, std::size_t in = 3, std::size_t out = 2) {
  xg::manual_seed(seed);
  return xg::nn::Linear(in, out);
}

/// A valid IDX file of 2 unsigned bytes, and a valid CSV.
const std::string kIdx = "\0\0\x08\x01\0\0\0\x02\x07\x09"s;
const std::string kCsv = "1,2,0\n3,4,1\n";

/// The four loaders, each on `path`; `who` is how its messages start.
struct Loader {
  const char* who;
  std::function<void(const std::string&)> load;
};

std::vector<Loader> loaders() {
  return {
      {"load_csv", [](const std::string& p) { (void)xg::nn::load_csv(p); }},
      {"load_idx", [](const std::string& p) { (void)xg::nn::load_idx(p); }},
      {"load", [](const std::string& p) {
         auto m = make_model(1);
         xg::nn::load(m, p);
       }},
      {"load_state", [](const std::string& p) {
         auto m = make_model(1);
         xg::optim::Adam opt(m.parameters(), {.lr = 0.01});
         xg::optim::load_state(opt, p);
       }},
  };
}

std::size_t resident_bytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/// What a call made in a child process did.
struct ChildOutcome {
  enum { ValueError, NoError, OtherError, TimedOut, TooMuchMemory, Crashed } kind = Crashed;
  std::string message;  // the exception's message, or what went wrong
};

/// Runs `f` in a forked child, which reports the ValueError `f` throws (or that it threw none, or
/// another exception) and _exits. The parent kills the child when it runs past `seconds` (it
/// blocked, or reads forever) or grows by more than 512 MiB of memory (it reads /dev/zero into
/// memory), so no regression can hang or exhaust the test machine.
ChildOutcome run_in_child(const std::function<void()>& f, double seconds = 5.0) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const std::size_t rss_limit = resident_bytes(::getpid()) + (std::size_t{512} << 20);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(pipe_fds[0]);
    ::alarm(static_cast<unsigned>(seconds) + 10);  // in case the parent is gone
    char code = 'C';
    std::string message;
    try {
      f();
      code = 'N';
    } catch (const xg::ValueError& e) {
      code = 'V';
      message = e.what();
    } catch (const std::exception& e) {
      code = 'O';
      message = e.what();
    } catch (...) {
      code = 'O';
      message = "an exception of unknown type";
    }
    message.insert(message.begin(), code);
    const std::size_t n = std::min<std::size_t>(message.size(), 16000);  // within the pipe's buffer
    (void)!::write(pipe_fds[1], message.data(), n);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  ChildOutcome out;
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool too_long = elapsed > seconds, too_big = resident_bytes(pid) > rss_limit;
    if (too_long || too_big) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(pipe_fds[0]);
      out.kind = too_long ? ChildOutcome::TimedOut : ChildOutcome::TooMuchMemory;
      out.message = too_long ? fmt::format("still running after {} s (blocked, or reading forever)", seconds)
                             : "grew by more than 512 MiB (reading without bound)";
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  if (!WIFEXITED(status) || report.empty()) {
    out.message = fmt::format("the child died (status {:#x})", status);
    return out;
  }
  out.kind = report[0] == 'V' ? ChildOutcome::ValueError : report[0] == 'N' ? ChildOutcome::NoError
                                                                              : ChildOutcome::OtherError;
  out.message = report.substr(1);
  return out;
}

/// Expects `f`, run in a child, to throw a ValueError whose message has every one of `parts`.
void expect_refused_in_child(const std::function<void()>& f, const std::vector<std::string>& parts,
                             double seconds = 5.0) {
  const ChildOutcome r = run_in_child(f, seconds);
  if (r.kind != ChildOutcome::ValueError) {
    ADD_FAILURE() << "expected a ValueError; " << (r.kind == ChildOutcome::NoError ? "it succeeded" : r.message);
    return;
  }
  for (const auto& p : parts) EXPECT_TRUE(contains(r.message, p)) << "'" << p << "' not in: " << r.message;
}

// ------------------------------------------------------------------- saves and symbolic links

TEST(FileSafety, SaveWritesThroughSymlink) {
  TempDir dir;
  const std::string real = dir.file("real.ckpt"), link = dir.file("link.ckpt");
  auto old_model = make_model(1);
  xg::nn::save(old_model, real);
  fs::create_symlink("real.ckpt", link);

  auto model = make_model(2);
  xg::nn::save(model, link);
  EXPECT_TRUE(fs::is_symlink(link)) << "the save replaced the symbolic link with a file";
  EXPECT_EQ(fs::read_symlink(link), fs::path("real.ckpt"));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(real)));
  auto fresh = make_model(3);
  xg::nn::load(fresh, real);  // the target holds the new checkpoint
  EXPECT_EQ(values_of(fresh), values_of(model));
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"link.ckpt", "real.ckpt"}));

  // optim::save_state goes the same way.
  xg::optim::Adam opt(model.parameters(), {.lr = 0.25});
  xg::optim::save_state(opt, link);
  EXPECT_TRUE(fs::is_symlink(link));
  xg::optim::Adam other(model.parameters(), {.lr = 0.5});
  xg::optim::load_state(other, real);
  EXPECT_EQ(other.lr(), 0.25);
}

TEST(FileSafety, SaveWritesThroughAChainOfSymlinksAcrossDirectories) {
  TempDir dir;
  fs::create_directory(dir.file("a"));
  fs::create_directory(dir.file("b"));
  const std::string real = dir.file("a/real.ckpt");
  write_file(real, "old contents");
  fs::create_symlink("../a/real.ckpt", dir.file("b/l1"));  // relative to b/
  fs::create_symlink(dir.file("b/l1"), dir.file("l2"));    // absolute

  auto model = make_model(4);
  xg::nn::save(model, dir.file("l2"));
  EXPECT_TRUE(fs::is_symlink(dir.file("l2")));
  EXPECT_TRUE(fs::is_symlink(dir.file("b/l1")));
  EXPECT_EQ(fs::read_symlink(dir.file("b/l1")), fs::path("../a/real.ckpt"));
  auto fresh = make_model(5);
  xg::nn::load(fresh, dir.file("l2"));
  EXPECT_EQ(values_of(fresh), values_of(model));
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"a", "b", "l2"}));
  EXPECT_EQ(dir.listing("a"), (std::vector<std::string>{"real.ckpt"}));
  EXPECT_EQ(dir.listing("b"), (std::vector<std::string>{"l1"}));
}

TEST(FileSafety, SaveThroughADanglingSymlinkCreatesItsTarget) {
  TempDir dir;
  fs::create_directory(dir.file("sub"));
  const std::string link = dir.file("link.ckpt");
  fs::create_symlink("sub/new.ckpt", link);  // nothing there yet
  auto model = make_model(6);
  xg::nn::save(model, link);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir.file("sub/new.ckpt"))));
  auto fresh = make_model(7);
  xg::nn::load(fresh, link);
  EXPECT_EQ(values_of(fresh), values_of(model));
  EXPECT_TRUE(dir.temp_files().empty());
}

TEST(FileSafety, SaveThroughASymlinkLoopIsRefused) {
  TempDir dir;
  const std::string a = dir.file("a"), b = dir.file("b");
  fs::create_symlink("b", a);
  fs::create_symlink("a", b);
  auto model = make_model(8);
  expect_error<xg::ValueError>([&] { xg::nn::save(model, a); },
                               {"save:", a, "Too many levels of symbolic links"});
  EXPECT_TRUE(fs::is_symlink(a));
  EXPECT_TRUE(fs::is_symlink(b));
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"a", "b"}));
}

TEST(FileSafety, PathWithANulByteIsRefusedBeforeTouchingTheFileSystem) {
  TempDir dir;
  const std::string cut = dir.file("m.ckpt");  // what the system calls would see
  const std::string with_nul = cut + "\0.x"s;
  auto model = make_model(9);
  xg::optim::Adam opt(model.parameters(), {.lr = 0.01});
  // The whole path is in the message, the NUL shown as \x00.
  expect_error<xg::ValueError>([&] { xg::nn::save(model, with_nul); }, {"save:", "NUL", cut + "\\x00.x"});
  expect_error<xg::ValueError>([&] { xg::optim::save_state(opt, with_nul); }, {"save_state:", "NUL"});
  EXPECT_TRUE(dir.listing().empty()) << "a save with a NUL byte in its path created a file";

  // Loads: valid files at the cut-off paths must not be read instead.
  xg::nn::save(model, cut);
  xg::optim::save_state(opt, dir.file("s.ckpt"));
  write_file(dir.file("d.csv"), kCsv);
  write_file(dir.file("d.idx"), kIdx);
  expect_error<xg::ValueError>([&] { xg::nn::load(model, with_nul); }, {"load:", "NUL", cut + "\\x00.x"});
  expect_error<xg::ValueError>([&] { xg::optim::load_state(opt, dir.file("s.ckpt") + "\0"s); },
                               {"load_state:", "NUL"});
  expect_error<xg::ValueError>([&] { xg::nn::load_csv(dir.file("d.csv") + "\0.gz"s); }, {"load_csv:", "NUL"});
  expect_error<xg::ValueError>([&] { xg::nn::load_idx(dir.file("d.idx") + "\0"s); }, {"load_idx:", "NUL"});
}

// -------------------------------------------------------------- stale temporary files

/// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

TEST(FileSafety, SaveRemovesStaleTempFilesOfDeadProcessesOnly) {
  TempDir dir;
  fs::create_directory(dir.file("sub"));
  const pid_t dead = dead_pid();
  const pid_t live = ::fork();  // a live process other than this one
  if (live == 0) {
    for (;;) ::pause();
  }
  auto tmp = [](const std::string& base, long pid, const std::string& tail) {
    return base + ".tmp." + std::to_string(pid) + tail;
  };
  const std::vector<std::string> stale = {tmp("model.ckpt", dead, ".0"), tmp("model.ckpt", dead, ".17")};
  const std::vector<std::string> kept = {
      tmp("model.ckpt", live, ".0"),         // a live process's save in progress
      tmp("model.ckpt", 1, ".0"),            // init is alive
      tmp("model.ckpt", ::getpid(), ".99"),  // this process's
      tmp("other.ckpt", dead, ".0"),         // another target's
      tmp("model.ckpt", dead, ".0.bak"),     // not the pattern
      tmp("model.ckpt", dead, ""),
      "model.ckpt.tmp.x.0",
  };
  for (const auto& n : stale) write_file(dir.file(n), "partial");
  for (const auto& n : kept) write_file(dir.file(n), "partial");
  write_file(dir.file("sub/real.ckpt.tmp." + std::to_string(dead) + ".3"), "partial");
  fs::create_symlink("sub/real.ckpt", dir.file("link.ckpt"));

  auto model = make_model(10);
  xg::nn::save(model, dir.file("model.ckpt"));
  xg::nn::save(model, dir.file("link.ckpt"));  // cleans beside the link's target
  ::kill(live, SIGKILL);
  ::waitpid(live, nullptr, 0);

  std::vector<std::string> expected = kept;
  expected.push_back("link.ckpt");
  expected.push_back("model.ckpt");
  expected.push_back("sub");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(dir.listing(), expected);
  EXPECT_EQ(dir.listing("sub"), (std::vector<std::string>{"real.ckpt"}));
}

TEST(FileSafety, KillDuringSaveLeavesNoTemporaryFileAfterTheNextSave) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  auto model = make_model(11, 256, 256);  // 257 KiB of float32
  const auto started = std::chrono::steady_clock::now();
  std::size_t killed_mid_save = 0;
  for (int k = 0; k < 50; ++k) {
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      try {
        xg::nn::save(model, path);
        (void)!::write(ready[1], "r", 1);  // saving is under way: now the kill may come at any point
        for (;;) xg::nn::save(model, path);
      } catch (...) {
        ::_exit(3);
      }
    }
    ::close(ready[1]);
    pollfd started{ready[0], POLLIN, 0};
    const bool saving = ::poll(&started, 1, 10000) == 1 && (started.revents & POLLIN);
    char byte = 0;
    const bool told = saving && ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    if (told) ::usleep(static_cast<useconds_t>(100 + (k * 397) % 3000));  // 0.1 to 3.1 ms into the loop
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(told) << "the child did not complete its first save (status " << status << ")";
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saving child stopped by itself (status " << status << "): a save threw";
    killed_mid_save += dir.temp_files().empty() ? 0 : 1;
  }
  // Most kills land in the middle of a save (the file is written and fsync'ed, milliseconds); if
  // none did, this test would prove nothing.
  EXPECT_GT(killed_mid_save, 0u);
  // One more save from here removes what the last kills left (and the children's saves removed
  // the earlier ones).
  xg::nn::save(model, path);
  EXPECT_EQ(dir.temp_files(), std::vector<std::string>{});
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"model.ckpt"}));
  auto fresh = make_model(12, 256, 256);
  xg::nn::load(fresh, path);
  EXPECT_EQ(values_of(fresh), values_of(model));
  std::cout << "50 kills, " << killed_mid_save << " left a temporary file before the next save, "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
}

// ------------------------------------------------------------ FIFOs, devices, /proc files

TEST(FileSafety, LoadersRefuseAFifoWithoutAWriterWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const auto& l : loaders()) {
    SCOPED_TRACE(l.who);
    expect_refused_in_child([&] { l.load(fifo); }, {std::string(l.who) + ":", fifo, "is a FIFO"});
  }
}

TEST(FileSafety, LoadersRefuseAFifoWithDataAndAWriter) {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // This process holds the FIFO open for writing (O_RDWR never blocks) and fills its buffer; a
  // loader that read it would read the data, then wait forever for more.
  const int writer = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  std::string data;
  while (data.size() < 8192) data += kCsv;
  ASSERT_GT(::write(writer, data.data(), data.size()), 0);
  for (const auto& l : loaders()) {
    SCOPED_TRACE(l.who);
    expect_refused_in_child([&] { l.load(fifo); }, {std::string(l.who) + ":", fifo, "is a FIFO"});
  }
  ::close(writer);
}

TEST(FileSafety, LoadersRefuseDevZeroAndDevNullAsCharacterDevices) {
  for (const char* dev : {"/dev/zero", "/dev/null"}) {
    if (::access(dev, R_OK) != 0) GTEST_SKIP() << dev << " is not readable here";
    for (const auto& l : loaders()) {
      SCOPED_TRACE(std::string(l.who) + " " + dev);
      expect_refused_in_child([&] { l.load(dev); }, {std::string(l.who) + ":", dev, "is a character device"});
    }
  }
}

TEST(FileSafety, ProcFilesAreReadOrRefusedTruthfully) {
  // /proc files are regular files of st_size 0 that hold text: judged by what they hold.
  const std::string proc = "/proc/self/status";
  if (::access(proc.c_str(), R_OK) != 0) GTEST_SKIP() << "no " << proc;
  for (const auto& l : loaders()) {
    SCOPED_TRACE(l.who);
    const ChildOutcome r = run_in_child([&] { l.load(proc); });
    ASSERT_EQ(r.kind, ChildOutcome::ValueError) << r.message;
    EXPECT_FALSE(contains(r.message, "no such file") || contains(r.message, "No such file")) << r.message;
    EXPECT_FALSE(contains(r.message, "empty")) << r.message;
    const std::string what = l.who == "load_csv"s   ? "found 1 column"
                             : l.who == "load_idx"s ? "bad magic number"
                                                    : "not an xgrad checkpoint";
    EXPECT_TRUE(contains(r.message, what)) << r.message;
  }
  // One that is a valid CSV is read like any file.
  const std::string one_line = "/proc/self/loginuid";  // a number, without a label: one column
  if (::access(one_line.c_str(), R_OK) == 0)
    expect_error<xg::ValueError>([&] { (void)xg::nn::load_csv(one_line); }, {"found 1 column"});
}

TEST(FileSafety, CheckpointThatChangesWhileBeingReadIsRefused) {
  TempDir dir;
  const std::string path = dir.file("m.ckpt");
  auto model = make_model(13);
  xg::nn::save(model, path);
  const std::string saved = read_file(path);
  {
    xg::nn::detail::InputFile in(path, "load");
    EXPECT_EQ(xg::nn::detail::read_checkpoint_bytes(in, "load").size(), saved.size());
  }
  {
    xg::nn::detail::InputFile in(path, "load");  // opened at the saved size...
    std::ofstream(path, std::ios::binary | std::ios::app) << "more";  // ...then it grows
    expect_error<xg::ValueError>([&] { (void)xg::nn::detail::read_checkpoint_bytes(in, "load"); },
                                 {"load:", path, "changed while it was being read", std::to_string(saved.size()),
                                  std::to_string(saved.size() + 4)});
  }
  write_file(path, saved);
  {
    xg::nn::detail::InputFile in(path, "load");
    // Rewritten in place at the same size: the modification time tells.
    const timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    expect_error<xg::ValueError>([&] { (void)xg::nn::detail::read_checkpoint_bytes(in, "load"); },
                                 {"changed while it was being read", "modified"});
  }
  {
    xg::nn::detail::InputFile in(path, "load");
    ASSERT_EQ(::truncate(path.c_str(), 50), 0);  // shrinks under the reader
    expect_error<xg::ValueError>([&] { (void)xg::nn::detail::read_checkpoint_bytes(in, "load"); },
                                 {"changed while it was being read"});
  }
}

TEST(FileSafety, CheckpointHeaderIsCheckedAgainstTheFileSizeFirst) {
  // A header declaring 2^40 bytes in a 36-byte file is refused from the header alone.
  TempDir dir;
  const std::string path = dir.file("m.ckpt");
  std::string bytes = "XGRADCKP\x01\0\0\0"s + std::string(8, '\0') + std::string(8, '\0') + std::string(8, '\0');
  bytes[12 + 5] = 1;  // 2^40
  write_file(path, bytes);
  auto model = make_model(14);
  expect_error<xg::ValueError>([&] { xg::nn::load(model, path); },
                               {"load:", path, "truncated", "declares 1099511627776 bytes", "the file has 36"});
}

// ---------------------------------------------------------------------------------- CSV

TEST(FileSafety, CsvLineLongerThanTheLimitIsRefused) {
  TempDir dir;
  const std::size_t limit = xg::nn::kCsvMaxLineBytes;
  ASSERT_EQ(limit, std::size_t{16} << 20);
  // A line of exactly the limit is read ("5," then spaces, then "1").
  const std::string at_limit = dir.file("at_limit.csv");
  write_file(at_limit, "4,0\n5," + std::string(limit - 3, ' ') + "1\n");
  const auto ds = xg::nn::load_csv(at_limit);
  EXPECT_EQ(ds.inputs().to_vector(), (std::vector<double>{4, 5}));
  EXPECT_EQ(ds.targets().to_vector(), (std::vector<double>{0, 1}));
  // One byte more is refused, naming the file, the line and the limit, in a short message.
  const std::string over = dir.file("over.csv");
  write_file(over, "4,0\n5," + std::string(limit - 2, ' ') + "1\n");
  std::string message;
  try {
    (void)xg::nn::load_csv(over);
    ADD_FAILURE() << "a line over the limit was read";
  } catch (const xg::ValueError& e) {
    message = e.what();
  }
  for (const std::string& part : std::vector<std::string>{"load_csv: " + over + ":2", "longer than the limit", "16777216 bytes"})
    EXPECT_TRUE(contains(message, part)) << "'" << part << "' not in: " << message.substr(0, 300);
  EXPECT_LT(message.size(), 400u);
  // Skipped rows and the header are lines too.
  const std::string header = dir.file("header.csv");
  write_file(header, std::string(limit + 1, 'h') + "\n1,2\n");
  expect_error<xg::ValueError>([&] { (void)xg::nn::load_csv(header, {.has_header = true}); },
                               {header + ":1", "longer than the limit"});
}

TEST(FileSafety, CsvErrorQuotesAtMost40CharactersOfAField) {
  TempDir dir;
  const std::string path = dir.file("wide.csv");
  const std::string field = std::string(40, 'a') + std::string((8 << 20) - 40, 'b');
  write_file(path, "1,2,0\n3," + field + ",1\n");
  std::string message;
  try {
    (void)xg::nn::load_csv(path);
  } catch (const xg::ValueError& e) {
    message = e.what();
  }
  EXPECT_LT(message.size(), 300u) << message.substr(0, 300);
  for (const std::string& part : std::vector<std::string>{path + ":2", "field 2", "'" + std::string(40, 'a') + "'", "(8388608 bytes)"})
    EXPECT_TRUE(contains(message, part)) << "'" << part << "' not in: " << message.substr(0, 300);
  EXPECT_FALSE(contains(message, std::string(40, 'a') + "b")) << message.substr(0, 300);
  // Out-of-range fields too; control bytes are shown as \xNN.
  write_file(path, "1" + std::string(400, '0') + ",0\n");
  expect_error<xg::ValueError>([&] { (void)xg::nn::load_csv(path, {.dtype = xg::kFloat64}); },
                               {"out of the range of float64", "'1" + std::string(39, '0') + "'", "(401 bytes)"});
  write_file(path, "1,a\x01z\n");
  expect_error<xg::ValueError>([&] { (void)xg::nn::load_csv(path); }, {"'a\\x01z'"});
}

TEST(FileSafety, CsvUnderflowReadsAsZeroLikeNumpy) {
  TempDir dir;
  const std::string path = dir.file("tiny.csv");
  const std::string tiny_fraction = "0." + std::string(400, '0') + "1";  // 1e-401
  write_file(path, "1e-400,0\n-1e-400,1\n" + tiny_fraction + ",0\n1e-50,1\n1e-40,0\n4e-320,1\n2.5e-324,0\n");
  // float64 (numpy: np.loadtxt gives 0.0, -0.0, 0.0, 1e-50, 1e-40, 4e-320, 5e-324)
  const auto d = xg::nn::load_csv(path, {.dtype = xg::kFloat64}).inputs().to_vector();
  ASSERT_EQ(d.size(), 7u);
  EXPECT_EQ(d[0], 0.0);
  EXPECT_FALSE(std::signbit(d[0]));
  EXPECT_EQ(d[1], 0.0);
  EXPECT_TRUE(std::signbit(d[1]));
  EXPECT_EQ(d[2], 0.0);
  EXPECT_EQ(d[3], 1e-50);
  EXPECT_EQ(d[4], 1e-40);
  EXPECT_EQ(d[5], 4e-320);
  EXPECT_EQ(d[6], std::numeric_limits<double>::denorm_min());
  // float32: the double cast to float, as numpy's astype(np.float32): 0, a denormal, 0.
  const auto f = xg::nn::load_csv(path).inputs().to_vector();
  ASSERT_EQ(f.size(), 7u);
  EXPECT_EQ(f[0], 0.0);
  EXPECT_TRUE(std::signbit(f[1]));
  EXPECT_EQ(f[3], 0.0);
  EXPECT_EQ(f[4], static_cast<double>(static_cast<float>(1e-40)));
  EXPECT_GT(f[4], 0.0);
  EXPECT_LT(f[4], static_cast<double>(std::numeric_limits<float>::min()));
  EXPECT_EQ(f[5], 0.0);
  // Overflow stays refused, whatever the notation.
  for (const std::string& big : std::vector<std::string>{"1e400", "-1e400", "1" + std::string(400, '0') + "e-10", "0.001e312"}) {
    SCOPED_TRACE(big);
    write_file(path, big + ",0\n");
    expect_error<xg::ValueError>([&] { (void)xg::nn::load_csv(path, {.dtype = xg::kFloat64}); },
                                 {"out of the range of float64"});
  }
  write_file(path, "1e39,0\n");
  expect_error<xg::ValueError>([&] { (void)xg::nn::load_csv(path); }, {"out of the range of float32"});
}

// ------------------------------------------------------------------------- messages

TEST(FileSafety, LoadersNameTheSystemsReasonForAMissingFile) {
  TempDir dir;
  const std::string missing = dir.file("nope");
  for (const auto& l : loaders()) {
    SCOPED_TRACE(l.who);
    expect_error<xg::ValueError>([&] { l.load(missing); },
                                 {std::string(l.who) + ": cannot open '" + missing + "'", "No such file or directory"});
  }
}

}  // namespace
