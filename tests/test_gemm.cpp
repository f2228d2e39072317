// The one GEMM (autodiff/ops/gemm.hpp): every transpose combination, leading dimensions and
// the empty-extent conventions against a plain loop, and extents past cblas's 32-bit `int`
// (K = 2^31 and 2^32 + 1 gave 0 with an OpenBLAS complaint, and 6 instead of 41) on lazily
// mapped operands: gigabytes of address space, a few MB resident.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cmath>
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <autodiff/ops/gemm.hpp>

namespace {

// c = beta·c + op(a)·op(b), the definition.
template <class T>
void reference(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda,
               const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double acc = 0;
      for (std::size_t p = 0; p < k; ++p)
        acc += static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      T& out = c[i * ldc + j];
      out = beta == T(0) ? static_cast<T>(acc) : static_cast<T>(beta * out + acc);
    }
}

TEST(Gemm, EveryTransposeAndSizeMatchesTheDefinition) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  // Small (the plain loop), medium (OpenBLAS), and padded leading dimensions.
  for (auto [m, n, k] : {std::array<std::size_t, 3>{1, 1, 1}, {3, 5, 2}, {7, 3, 9}, {17, 33, 12}, {64, 48, 80}})
    for (int flags = 0; flags < 4; ++flags)
      for (double beta : {0.0, 1.0, 0.5})
        for (std::size_t pad : {0, 3}) {
          const bool ta = flags & 1, tb = flags & 2;
          const std::size_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
          std::vector<double> a((ta ? k : m) * lda), b((tb ? n : k) * ldb), c(m * ldc), want;
          for (auto* v : {&a, &b, &c})
            for (double& x : *v) x = u(rng);
          want = c;
          reference(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
          xg::gemm::gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
          for (std::size_t i = 0; i < c.size(); ++i)
            ASSERT_NEAR(c[i], want[i], 1e-12) << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta
                                               << " tb=" << tb << " beta=" << beta << " pad=" << pad;
        }
}

TEST(Gemm, EmptyExtents) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a(6, 1), b(6, 1), c(6, nan);
  xg::gemm::gemm(false, false, 2, 3, 0, a.data(), 1, b.data(), 3, 0.0f, c.data(), 3);  // k = 0, beta = 0: zeros
  for (float v : c) EXPECT_EQ(v, 0.0f);
  std::fill(c.begin(), c.end(), 2.0f);
  xg::gemm::gemm(false, false, 2, 3, 0, a.data(), 1, b.data(), 3, 0.5f, c.data(), 3);  // beta·C
  for (float v : c) EXPECT_EQ(v, 1.0f);
  xg::gemm::gemm(false, false, 0, 3, 2, a.data(), 2, b.data(), 3, 0.0f, c.data(), 3);  // m = 0: untouched
  for (float v : c) EXPECT_EQ(v, 1.0f);
}

// Anonymous, lazily mapped memory: pages read before being written map the shared zero page.
class LazyBuffer {
 public:
  explicit LazyBuffer(std::size_t bytes) : bytes_(bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<float*>(p);
      (void)::madvise(p, bytes, MADV_HUGEPAGE);  // fewer page faults where the huge zero page is on
    }
  }
  ~LazyBuffer() {
    if (data_) ::munmap(data_, bytes_);
  }
  LazyBuffer(const LazyBuffer&) = delete;
  LazyBuffer& operator=(const LazyBuffer&) = delete;
  float* data() const { return data_; }

 private:
  std::size_t bytes_;
  float* data_ = nullptr;
};

constexpr std::size_t kTwo31 = std::size_t{1} << 31;  // INT_MAX + 1
constexpr std::size_t kTwo32p1 = (std::size_t{1} << 32) + 1;

// Two operands of 2^32 + 2 floats (16 GiB of address space each) and a result of 2^31 + 64,
// mostly never touched: only the few entries a case writes become resident.
class GemmBeyondInt : public ::testing::Test {
 protected:
  static constexpr std::size_t kElems = kTwo32p1 + 1;
  void SetUp() override {
    if (!a_.data() || !b_.data() || !c_.data())
      GTEST_SKIP() << "cannot map 40 GiB of address space here (ulimit -v?): the extent > 2^31 - 1 cases "
                      "are not run";
  }
  LazyBuffer a_{kElems * sizeof(float)}, b_{kElems * sizeof(float)}, c_{(kTwo31 + 64) * sizeof(float)};
};

// A row times a column: 1·1 + 5·8 = 41. On main, K = 2^31 made OpenBLAS print "parameter
// number 5 had an illegal value" and left 0; K = 2^32 + 1 was cast to 1 and gave 1 (6 with
// other values) — a wrong number with no error. (Each case reads 2 × K floats: seconds.)
TEST_F(GemmBeyondInt, InnerExtentBeyondInt) {
  float* a = a_.data();
  float* b = b_.data();
  a[0] = 1, b[0] = 1;
  a[kTwo31 - 1] = 5, b[kTwo31 - 1] = 8;
  float c = -7;
  xg::gemm::gemm(false, false, 1, 1, kTwo31, a, kTwo31, b, 1, 0.0f, &c, 1);  // {1, K}·{K, 1}
  EXPECT_EQ(c, 41.0f);
  a[kTwo31 - 1] = 0, b[kTwo31 - 1] = 0;
  a[kTwo32p1 - 1] = 5, b[kTwo32p1 - 1] = 8;
  c = 1;
  xg::gemm::gemm(true, true, 1, 1, kTwo32p1, a, 1, b, kTwo32p1, 1.0f, &c, 1);  // {K, 1}ᵀ·{1, K}ᵀ + C
  EXPECT_EQ(c, 42.0f);
  a[kTwo32p1 - 1] = 0, b[kTwo32p1 - 1] = 0;
}

// Small extents over rows 2^31 floats apart (a leading dimension past int), in every transpose
// combination, against the definition. The extents (m·n·k > 512) take the BLAS path.
TEST_F(GemmBeyondInt, LeadingDimensionBeyondInt) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> u(-4, 4);
  struct Operand {
    float* p;
    std::size_t ld;
  };
  // rows × cols values at p[r·ld + c]; the compact ones live in `keep`.
  std::vector<std::vector<float>> keep;
  auto fill = [&](float* huge, bool use_huge, std::size_t rows, std::size_t cols) {
    Operand o{nullptr, use_huge ? kTwo31 : cols};
    if (use_huge) {
      o.p = huge;
    } else {
      keep.emplace_back(rows * cols);
      o.p = keep.back().data();
    }
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) o.p[r * o.ld + c] = static_cast<float>(u(rng));
    return o;
  };
  enum Which { A, B, C };
  int cases = 0;
  for (Which which : {A, B, C})
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      // The operand with the long rows has at most 2 of them (each is 8 GiB of address space).
      std::size_t m = 16, n = 20, k = 20;
      if (which == A) (ta ? k : m) = 2;
      if (which == B) (tb ? n : k) = 2;
      if (which == C) m = 2;
      const Operand a = fill(a_.data(), which == A, ta ? k : m, ta ? m : k);
      const Operand b = fill(b_.data(), which == B, tb ? n : k, tb ? k : n);
      const Operand c = fill(c_.data(), which == C, m, n);
      std::vector<float> want(m * n);
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) want[i * n + j] = c.p[i * c.ld + j];
      reference(ta, tb, m, n, k, a.p, a.ld, b.p, b.ld, 0.5f, want.data(), n);
      xg::gemm::gemm(ta, tb, m, n, k, a.p, a.ld, b.p, b.ld, 0.5f, c.p, c.ld);
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
          ASSERT_EQ(c.p[i * c.ld + j], want[i * n + j])
              << "long rows in " << "ABC"[which] << ", ta=" << ta << " tb=" << tb << " at " << i << "," << j;
      keep.clear();
      ++cases;
    }
  EXPECT_EQ(cases, 12);
}

}  // namespace
