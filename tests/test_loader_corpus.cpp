// Replays every file of the loader fuzzers' corpus (fuzz/corpus/<target>/: the seeds and the
// regression inputs of every bug the fuzzers found) through the same harness the fuzzers use
// (fuzz/loader_harness.hpp): each must load or be refused with one of xgrad's typed errors —
// no other exception, no crash, no sanitizer report, and a refused checkpoint load must leave
// its module or optimizer unchanged. So the corpus runs in every test build (Release, ASan +
// UBSan, ...), not only under scripts/fuzz.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/loader_harness.hpp"

#ifndef XGRAD_FUZZ_CORPUS_DIR
#error "XGRAD_FUZZ_CORPUS_DIR must name fuzz/corpus (tests/CMakeLists.txt defines it)"
#endif

namespace {

namespace fs = std::filesystem;
namespace fl = xg::fuzz_loaders;

std::vector<fs::path> corpus(const char* target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(XGRAD_FUZZ_CORPUS_DIR) / target;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

template <class Run>
void replay(const char* target, Run run) {
  const auto files = corpus(target);
  ASSERT_FALSE(files.empty()) << "no corpus files in " << XGRAD_FUZZ_CORPUS_DIR << "/" << target;
  std::size_t loaded = 0, refused = 0;
  for (const auto& f : files) {
    const auto data = bytes_of(f);
    const std::string name = f.filename().string();
    try {
      const fl::Outcome r = run(data.data(), data.size());
      (r == fl::Outcome::Loaded ? loaded : refused)++;
      // The input of a fixed bug is an invalid file (fuzz/README.md): refused, unless named "-loads".
      if (name.starts_with("regress-") && name.find("-loads") == std::string::npos) {
        EXPECT_EQ(r, fl::Outcome::Refused) << name << " loaded; a regression input must be refused";
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << f.filename() << ": not one of xgrad's typed errors: " << e.what();
    }
  }
  // The seeds include valid files: some must load, or the harness itself is broken.
  EXPECT_GT(loaded, 0u) << target;
  std::cout << target << ": " << files.size() << " files, " << loaded << " loaded, " << refused << " refused\n";
}

TEST(LoaderCorpus, Csv) { replay("csv", fl::run_csv); }
TEST(LoaderCorpus, Idx) { replay("idx", fl::run_idx); }
TEST(LoaderCorpus, Checkpoint) { replay("checkpoint", fl::run_checkpoint); }

TEST(LoaderCorpus, SeedFilesThatMustLoadDo) {
  // A valid file of each kind loads (so the corpus exercises the success paths too).
  for (const char* name : {"csv/seed-basic", "idx/seed-ubyte-2x3", "idx/seed-dataset", "checkpoint/seed-net",
                           "checkpoint/seed-adam-stepped", "checkpoint/seed-momentum-steplr-stepped",
                           "checkpoint/seed-rmsprop-plateau-stepped"}) {
    const auto data = bytes_of(fs::path(XGRAD_FUZZ_CORPUS_DIR) / name);
    ASSERT_FALSE(data.empty()) << name;
    const std::string target(name, std::string_view(name).find('/'));
    const fl::Outcome r = target == "csv"   ? fl::run_csv(data.data(), data.size())
                          : target == "idx" ? fl::run_idx(data.data(), data.size())
                                            : fl::run_checkpoint(data.data(), data.size());
    EXPECT_EQ(r, fl::Outcome::Loaded) << name;
  }
}

}  // namespace
