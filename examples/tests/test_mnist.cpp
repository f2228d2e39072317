// mnist: the CI machine has no MNIST, so the test writes the bundled 8x8 digits (data/digits.csv)
// as the four standard IDX files — unsigned-byte images {N, 8, 8} and labels {N} — and trains on
// those; the example reads the image size from the files. Also: a missing data folder gives
// the distinct exit status 3 and says how to fetch MNIST.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <nn/nn.hpp>

#include "example.hpp"
#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

namespace fs = std::filesystem;

// An IDX file of unsigned bytes (type code 0x08): magic 00 00 08 <dims>, big-endian uint32
// extents, then the bytes row-major.
void write_idx_ubyte(const fs::path& path, const std::vector<std::uint32_t>& dims,
                     const std::vector<std::uint8_t>& values) {
  std::ofstream out(path, std::ios::binary);
  const unsigned char magic[4] = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  out.write(reinterpret_cast<const char*>(magic), 4);
  for (std::uint32_t d : dims) {
    const unsigned char be[4] = {static_cast<unsigned char>(d >> 24), static_cast<unsigned char>(d >> 16),
                                 static_cast<unsigned char>(d >> 8), static_cast<unsigned char>(d)};
    out.write(reinterpret_cast<const char*>(be), 4);
  }
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A temporary folder holding digits.csv as MNIST-style IDX files: every `test_every`-th image
// as t10k-*, the others as train-*. Pixel counts 0..16 become bytes 0..255. Removed on destruction.
class DigitsAsIdx {
 public:
  explicit DigitsAsIdx(std::size_t test_every)
      : dir_(fs::temp_directory_path() / ("xgrad_test_mnist_" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto digits = xg::nn::load_csv(data_file("digits.csv").string());
    const auto x = digits.inputs().to_xarray<double>();  // {1797, 64}
    const auto y = digits.targets().to_xarray<double>();
    auto write_part = [&](const std::string& prefix, bool held_out) {
      std::vector<std::uint8_t> pixels, labels;
      for (std::size_t i = 0; i < digits.size(); ++i) {
        if ((i % test_every == 0) != held_out) continue;
        for (std::size_t j = 0; j < 64; ++j)
          pixels.push_back(static_cast<std::uint8_t>(std::lround(x(i, j) * 255.0 / 16.0)));
        labels.push_back(static_cast<std::uint8_t>(y(i)));
      }
      const auto count = static_cast<std::uint32_t>(labels.size());
      write_idx_ubyte(dir_ / (prefix + "-images-idx3-ubyte"), {count, 8, 8}, pixels);
      write_idx_ubyte(dir_ / (prefix + "-labels-idx1-ubyte"), {count}, labels);
      return labels.size();
    };
    n_train_ = write_part("train", false);
    n_test_ = write_part("t10k", true);
  }
  ~DigitsAsIdx() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const fs::path& dir() const { return dir_; }
  std::size_t n_train() const { return n_train_; }
  std::size_t n_test() const { return n_test_; }

 private:
  fs::path dir_;
  std::size_t n_train_ = 0, n_test_ = 0;
};

TEST(Mnist, TrainsOnIdxFilesOfAnyImageSize) {
  const DigitsAsIdx data(/*test_every=*/5);  // 1437 images to train on, 360 held out
  // The files are read back as written (a check of the test's own IDX writer).
  const auto images = xg::nn::load_idx((data.dir() / "t10k-images-idx3-ubyte").string());
  ASSERT_EQ(images.shape(), (xg::Shape{360, 8, 8}));
  ASSERT_EQ(data.n_train(), 1437u);

  // --quick caps MNIST at 10 000 training images and 2 epochs; the 1437 digits need more epochs
  // (12 steps each) to learn.
  const auto r = run_example("mnist", {"--data", data.dir().string(), "--epochs", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.summary.at("image_shape"), "8x8");
  EXPECT_EQ(r.number("pixels"), 64.0);
  EXPECT_EQ(r.number("classes"), 10.0);
  EXPECT_EQ(r.number("train_samples"), static_cast<double>(data.n_train()));
  EXPECT_EQ(r.number("test_samples"), static_cast<double>(data.n_test()));
  EXPECT_EQ(r.number("epochs"), 20.0);

  EXPECT_LT(r.number("final_train_loss"), 0.5 * r.number("first_epoch_train_loss"));
  EXPECT_GE(r.number("test_accuracy"), 0.9) << r.output;  // on the 360 held-out digits
  EXPECT_GT(r.number("seconds_per_epoch"), 0.0);
  EXPECT_NE(r.output.find("training time per epoch"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(r.out_dir / "mnist.csv"));
  EXPECT_TRUE(fs::exists(r.out_dir / "mnist.gp"));
}

// Runs the mnist binary with `args` and its --out in a temporary folder of its own (run_example's
// shared out/mnist folder belongs to the training test, which ctest may run at the same time).
struct RawResult {
  int exit_code = -1;
  std::string output;
};
RawResult run_mnist(const std::string& args) {
  const fs::path out = fs::temp_directory_path() / ("xgrad_test_mnist_out_" + std::to_string(::getpid()));
  const std::string cmd =
      std::string("'") + XGRAD_EXAMPLES_DIR + "/mnist' --out '" + out.string() + "' " + args + " 2>&1";
  RawResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::error_code ignored;
  fs::remove_all(out, ignored);
  return r;
}

TEST(Mnist, MissingDataExitsWithStatus3AndSaysHowToFetch) {
  const fs::path nowhere = fs::temp_directory_path() / ("xgrad_test_no_mnist_" + std::to_string(::getpid()));
  fs::remove_all(nowhere);
  const auto r = run_mnist("--quick --data '" + nowhere.string() + "'");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find(nowhere.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("train-images-idx3-ubyte"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fetch_mnist.sh"), std::string::npos) << r.output;
}

TEST(Mnist, BadArgumentsExitWithStatus2) {
  EXPECT_EQ(run_mnist("--epochs zero").exit_code, 2);
  EXPECT_EQ(run_mnist("--no-such-option").exit_code, 2);
}

}  // namespace
}  // namespace xg::examples::testing
