// Data utilities: TensorDataset, DataLoader, train_test_split, Standardizer, load_csv, load_idx.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>


namespace {

using xg::nn::DataLoader;
using xg::nn::TensorDataset;

// x row i = {i, 10 i}, y = i: every batch says which samples it holds.
TensorDataset counting(std::size_t n) {
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < n; ++i) {
    xs.push_back(static_cast<double>(i));
    xs.push_back(10.0 * static_cast<double>(i));
    ys.push_back(static_cast<double>(i));
  }
  return TensorDataset(xg::from_vector(xs, {n, 2}), xg::from_vector(ys, {n}));
}

std::vector<std::size_t> epoch_ids(DataLoader& loader) {
  std::vector<std::size_t> ids;
  for (auto [x, y] : loader) {
    auto yv = y.to_vector();
    auto xv = x.to_vector();
    for (std::size_t k = 0; k < yv.size(); ++k) {
      EXPECT_EQ(xv[2 * k], yv[k]);  // inputs and targets stay paired
      EXPECT_EQ(xv[2 * k + 1], 10 * yv[k]);
      ids.push_back(static_cast<std::size_t>(yv[k]));
    }
  }
  return ids;
}

// The repository's data/ folder, found from this source file's path (no build-system define needed).
std::string data_dir() {
#ifdef XGRAD_DATA_DIR
  return XGRAD_DATA_DIR;
#else
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / "data").string();
#endif
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  auto p = std::filesystem::temp_directory_path() / ("xgrad_test_data_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream out(p, std::ios::binary);
  out << content;
  return p;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// ------------------------------------------------------------------------------ TensorDataset

TEST(TensorDataset, SizeGetAndBatch) {
  auto ds = counting(5);
  EXPECT_EQ(ds.size(), 5u);
  auto [x, y] = ds.get(3);
  EXPECT_EQ(x.shape(), (xg::Shape{2}));
  EXPECT_EQ(y.shape(), (xg::Shape{}));
  EXPECT_EQ(y.item(), 3.0);
  auto b = ds.batch({4, 0});
  EXPECT_EQ(b.x.shape(), (xg::Shape{2, 2}));
  EXPECT_EQ(b.y.to_vector(), (std::vector<double>{4, 0}));
  EXPECT_THROW(ds.get(5), xg::ValueError);
  EXPECT_THROW(ds.batch({1, 7}), xg::ValueError);
}

TEST(TensorDataset, MismatchedFirstDimIsShapeError) {
  EXPECT_THROW(TensorDataset(xg::zeros({4, 3}), xg::zeros({5})), xg::ShapeError);
  EXPECT_THROW(TensorDataset(xg::zeros({}), xg::zeros({})), xg::ShapeError);
  auto msg = error_of([] { TensorDataset(xg::zeros({4, 3}), xg::zeros({5})); });
  EXPECT_NE(msg.find("[4, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[5]"), std::string::npos) << msg;
}

// ------------------------------------------------------------------------------ DataLoader

TEST(DataLoader, InOrderWithoutShuffleAndBatchShapes) {
  DataLoader loader(counting(10), {.batch_size = 4});
  EXPECT_EQ(loader.size(), 3u);
  std::vector<xg::Shape> xs, ys;
  for (auto [x, y] : loader) {
    xs.push_back(x.shape());
    ys.push_back(y.shape());
  }
  EXPECT_EQ(xs, (std::vector<xg::Shape>{{4, 2}, {4, 2}, {2, 2}}));
  EXPECT_EQ(ys, (std::vector<xg::Shape>{{4}, {4}, {2}}));
  std::vector<std::size_t> expect(10);
  for (std::size_t i = 0; i < 10; ++i) expect[i] = i;
  EXPECT_EQ(epoch_ids(loader), expect);
}

TEST(DataLoader, DropLast) {
  DataLoader loader(counting(10), {.batch_size = 4, .shuffle = true, .drop_last = true, .seed = 3});
  EXPECT_EQ(loader.size(), 2u);
  std::size_t batches = 0;
  for (auto [x, y] : loader) {
    EXPECT_EQ(x.shape(), (xg::Shape{4, 2}));
    ++batches;
  }
  EXPECT_EQ(batches, 2u);
  DataLoader exact(counting(8), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(exact.size(), 2u);
  DataLoader tiny(counting(3), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(tiny.size(), 0u);
  for (auto b : tiny) {
    (void)b;
    ADD_FAILURE() << "no batch expected";
  }
}

TEST(DataLoader, ShuffleVisitsEverySampleOncePerEpoch) {
  DataLoader loader(counting(37), {.batch_size = 5, .shuffle = true, .seed = 11});
  for (int epoch = 0; epoch < 3; ++epoch) {
    auto ids = epoch_ids(loader);
    ASSERT_EQ(ids.size(), 37u);
    std::set<std::size_t> seen(ids.begin(), ids.end());
    EXPECT_EQ(seen.size(), 37u);
    EXPECT_EQ(*seen.rbegin(), 36u);
  }
  EXPECT_EQ(loader.epoch(), 3u);
}

TEST(DataLoader, SameSeedSameOrderOtherEpochOrSeedDifferent) {
  DataLoader a(counting(50), {.batch_size = 8, .shuffle = true, .seed = 7});
  DataLoader b(counting(50), {.batch_size = 8, .shuffle = true, .seed = 7});
  DataLoader c(counting(50), {.batch_size = 8, .shuffle = true, .seed = 8});
  const auto a0 = epoch_ids(a), a1 = epoch_ids(a);
  const auto b0 = epoch_ids(b), b1 = epoch_ids(b);
  const auto c0 = epoch_ids(c);
  EXPECT_EQ(a0, b0);
  EXPECT_EQ(a1, b1);
  EXPECT_NE(a0, a1);  // next epoch reshuffles
  EXPECT_NE(a0, c0);  // another seed
  std::vector<std::size_t> sorted(50);
  for (std::size_t i = 0; i < 50; ++i) sorted[i] = i;
  EXPECT_NE(a0, sorted);
  // replaying an epoch
  a.set_epoch(1);
  EXPECT_EQ(epoch_ids(a), a1);
  EXPECT_EQ(a.order(0), a0);
}

TEST(DataLoader, DoesNotTouchTheGlobalGenerator) {
  xg::manual_seed(5);
  const auto expect = xg::rand({4}).to_vector();
  xg::manual_seed(5);
  DataLoader loader(counting(20), {.batch_size = 3, .shuffle = true, .seed = 1});
  (void)epoch_ids(loader);
  EXPECT_EQ(xg::rand({4}).to_vector(), expect);
}

TEST(DataLoader, ZeroBatchSizeIsValueError) {
  EXPECT_THROW(DataLoader(counting(3), {.batch_size = 0}), xg::ValueError);
}

TEST(DataLoader, StructuredBindingOverBatchesWithTraining) {
  // The API's usage shape: for (auto [x, y] : loader) with a loss and backward.
  xg::manual_seed(0);
  xg::nn::Linear lin(2, 3);
  DataLoader loader(counting(6), {.batch_size = 4, .shuffle = true});
  for (auto [x, y] : loader) {
    auto loss = xg::nn::functional::cross_entropy(lin(x / 100.0), xg::clamp(y, 0, 2));
    loss.backward();
  }
  EXPECT_TRUE(lin.weight.grad().defined());
}

// ------------------------------------------------------------------------------ train_test_split

TEST(TrainTestSplit, SizesDisjointAndSeeded) {
  auto [train, test] = xg::nn::train_test_split(counting(10), 0.25, 42);
  EXPECT_EQ(test.size(), 3u);  // ceil(2.5)
  EXPECT_EQ(train.size(), 7u);
  auto ids = train.targets().to_vector();
  auto tids = test.targets().to_vector();
  ids.insert(ids.end(), tids.begin(), tids.end());
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(ids[i], static_cast<double>(i));
  // rows stay paired
  auto tx = test.inputs().to_vector();
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(tx[2 * k], tids[k]);

  auto again = xg::nn::train_test_split(counting(10), 0.25, 42);
  EXPECT_EQ(again.second.targets().to_vector(), tids);
  auto other = xg::nn::train_test_split(xg::nn::train_test_split(counting(100), 0.5, 1).first.inputs(),
                                        xg::nn::train_test_split(counting(100), 0.5, 1).first.targets(), 0.2, 9);
  EXPECT_EQ(other.second.size(), 10u);
  EXPECT_NE(xg::nn::train_test_split(counting(50), 0.2, 1).second.targets().to_vector(),
            xg::nn::train_test_split(counting(50), 0.2, 2).second.targets().to_vector());
}

TEST(TrainTestSplit, BadFractionsAreValueErrors) {
  EXPECT_THROW(xg::nn::train_test_split(counting(10), 0.0, 0), xg::ValueError);
  EXPECT_THROW(xg::nn::train_test_split(counting(10), 1.0, 0), xg::ValueError);
  EXPECT_THROW(xg::nn::train_test_split(counting(1), 0.5, 0), xg::ValueError);
  EXPECT_THROW(xg::nn::train_test_split(xg::zeros({3, 2}), xg::zeros({4}), 0.5, 0), xg::ShapeError);
}

// ------------------------------------------------------------------------------ Standardizer

TEST(Standardizer, MatchesPopulationStatistics) {
  // reference computed here as numpy would: mean(axis=0), std(axis=0, ddof=0)
  const std::vector<double> v = {1, 10, 5, 2, 30, 5, 4, 20, 5, 7, 40, 5};  // 4 rows, 3 features; last constant
  const std::size_t n = 4, f = 3;
  auto x = xg::from_vector(v, {n, f}, xg::kFloat64);
  xg::nn::Standardizer s;
  auto z = s.fit_transform(x);
  ASSERT_EQ(z.shape(), (xg::Shape{4, 3}));
  EXPECT_EQ(z.dtype(), xg::kFloat64);
  std::vector<double> mean(f, 0), sd(f, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) mean[j] += v[i * f + j] / n;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) sd[j] += (v[i * f + j] - mean[j]) * (v[i * f + j] - mean[j]) / n;
  for (auto& s2 : sd) s2 = std::sqrt(s2);
  EXPECT_NEAR(mean[0], 3.5, 1e-12);
  EXPECT_NEAR(sd[0], std::sqrt(5.25), 1e-12);
  auto zv = z.to_vector();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(zv[i * f + j], (v[i * f + j] - mean[j]) / sd[j], 1e-12);
    EXPECT_EQ(zv[i * f + 2], 0.0);  // constant feature: centred, not divided, no NaN
  }
  EXPECT_EQ(s.scale().to_vector()[2], 1.0);
  EXPECT_NEAR(s.mean().to_vector()[1], 25.0, 1e-12);
  // transform of another split uses the training statistics
  auto t = s.transform(xg::from_vector({3.5, 25, 6}, {1, 3}, xg::kFloat64)).to_vector();
  EXPECT_NEAR(t[0], 0.0, 1e-12);
  EXPECT_NEAR(t[1], 0.0, 1e-12);
  EXPECT_NEAR(t[2], 1.0, 1e-12);
  // a single sample {F}, float32 stays float32; inverse_transform round-trips
  auto one = s.transform(xg::from_vector({7, 40, 5}, {3}));
  EXPECT_EQ(one.dtype(), xg::kFloat32);
  EXPECT_EQ(one.shape(), (xg::Shape{3}));
  auto back = s.inverse_transform(z).to_vector();
  for (std::size_t k = 0; k < v.size(); ++k) EXPECT_NEAR(back[k], v[k], 1e-12);
}

TEST(Standardizer, StandardisedTrainingDataHasZeroMeanUnitStd) {
  xg::manual_seed(3);
  auto x = xg::randn({200, 5}) * 7.0 + 100.0;
  auto z = xg::nn::Standardizer().fit_transform(x).to(xg::kFloat64);
  auto m = z.mean({0}).to_vector();
  auto var = (z * z).mean({0}).to_vector();
  for (std::size_t j = 0; j < 5; ++j) {
    EXPECT_NEAR(m[j], 0.0, 1e-5);
    EXPECT_NEAR(var[j], 1.0, 1e-4);
  }
}

TEST(Standardizer, Errors) {
  xg::nn::Standardizer s;
  EXPECT_THROW(s.transform(xg::zeros({2, 3})), xg::ValueError);
  EXPECT_THROW(s.fit(xg::zeros({6})), xg::ShapeError);
  EXPECT_THROW(s.fit(xg::zeros({0, 3})), xg::ValueError);
  s.fit(xg::rand({4, 3}));
  EXPECT_THROW(s.transform(xg::zeros({2, 4})), xg::ShapeError);
  auto msg = error_of([&] { s.transform(xg::zeros({2, 4})); });
  EXPECT_NE(msg.find("[2, 4]"), std::string::npos) << msg;
  EXPECT_NO_THROW(s.transform(xg::zeros({2, 3})));
}

// ------------------------------------------------------------------------------ load_csv

TEST(LoadCsv, BreastCancer) {
  auto ds = xg::nn::load_csv(data_dir() + "/breast_cancer.csv", {.has_header = true});
  EXPECT_EQ(ds.inputs().shape(), (xg::Shape{569, 30}));
  EXPECT_EQ(ds.targets().shape(), (xg::Shape{569}));
  EXPECT_EQ(ds.inputs().dtype(), xg::kFloat32);
  auto x = ds.inputs().to_vector();
  EXPECT_NEAR(x[0], 17.99, 1e-4);
  EXPECT_NEAR(x[3], 1001, 1e-3);
  auto y = ds.targets().to_vector();
  EXPECT_EQ(y[0], 0.0);
  double benign = 0;
  for (double v : y) {
    EXPECT_TRUE(v == 0.0 || v == 1.0);
    benign += v;
  }
  EXPECT_EQ(benign, 357.0);  // 212 malignant, 357 benign
}

TEST(LoadCsv, OptionsLabelColumnSkipRowsDelimiter) {
  auto p = temp_file("opts.csv", "# comment line\nname;a;b\n7; 1.5 ;2e1\r\n\n8;-3;+4\n");
  auto ds = xg::nn::load_csv(p.string(), {.label_column = 0, .has_header = true, .skip_rows = 1, .delimiter = ';'});
  EXPECT_EQ(ds.inputs().shape(), (xg::Shape{2, 2}));
  EXPECT_EQ(ds.inputs().to_vector(), (std::vector<double>{1.5, 20, -3, 4}));
  EXPECT_EQ(ds.targets().to_vector(), (std::vector<double>{7, 8}));
  auto mid = xg::nn::load_csv(p.string(), {.label_column = -2, .has_header = true, .skip_rows = 1, .delimiter = ';',
                                           .dtype = xg::kFloat64});
  EXPECT_EQ(mid.targets().to_vector(), (std::vector<double>{1.5, -3}));
  EXPECT_EQ(mid.inputs().dtype(), xg::kFloat64);
  std::filesystem::remove(p);
}

TEST(LoadCsv, ErrorsNameFileLineAndField) {
  auto missing = std::filesystem::temp_directory_path() / "xgrad_no_such_file.csv";
  auto msg = error_of([&] { xg::nn::load_csv(missing.string()); });
  EXPECT_NE(msg.find(missing.string()), std::string::npos) << msg;
  EXPECT_THROW(xg::nn::load_csv(missing.string()), xg::ValueError);

  auto wrong_count = temp_file("count.csv", "1,2,0\n3,4,1\n5,6\n");
  msg = error_of([&] { xg::nn::load_csv(wrong_count.string()); });
  EXPECT_NE(msg.find(wrong_count.string() + ":3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 3"), std::string::npos) << msg;
  EXPECT_THROW(xg::nn::load_csv(wrong_count.string()), xg::ValueError);

  auto text = temp_file("text.csv", "h1,h2,h3\n1,2,0\n3,abc,1\n");
  msg = error_of([&] { xg::nn::load_csv(text.string(), {.has_header = true}); });
  EXPECT_NE(msg.find(text.string() + ":3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("field 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'abc'"), std::string::npos) << msg;
  // the header, if not declared, is a malformed line 1
  msg = error_of([&] { xg::nn::load_csv(text.string()); });
  EXPECT_NE(msg.find(text.string() + ":1"), std::string::npos) << msg;

  auto empty_field = temp_file("emptyfield.csv", "1,,0\n");
  EXPECT_THROW(xg::nn::load_csv(empty_field.string()), xg::ValueError);
  auto nan_field = temp_file("nan.csv", "1,nan,0\n");
  EXPECT_THROW(xg::nn::load_csv(nan_field.string()), xg::ValueError);

  auto empty = temp_file("empty.csv", "");
  msg = error_of([&] { xg::nn::load_csv(empty.string()); });
  EXPECT_NE(msg.find(empty.string()), std::string::npos) << msg;
  EXPECT_THROW(xg::nn::load_csv(empty.string()), xg::ValueError);
  auto header_only = temp_file("header.csv", "a,b\n");
  EXPECT_THROW(xg::nn::load_csv(header_only.string(), {.has_header = true}), xg::ValueError);

  auto ok = temp_file("ok.csv", "1,2,0\n");
  EXPECT_THROW(xg::nn::load_csv(ok.string(), {.label_column = 3}), xg::ValueError);
  EXPECT_THROW(xg::nn::load_csv(ok.string(), {.label_column = -4}), xg::ValueError);
  for (auto& p : {wrong_count, text, empty_field, nan_field, empty, header_only, ok}) std::filesystem::remove(p);
}

// ------------------------------------------------------------------------------ load_idx

namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idx_header(unsigned char type, std::vector<std::uint32_t> dims) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims) s += be32(d);
  return s;
}

}  // namespace

TEST(LoadIdx, UnsignedByteImagesAndLabels) {
  std::string images = idx_header(0x08, {3, 2, 2});
  for (int k = 0; k < 12; ++k) images += static_cast<char>(k == 11 ? 255 : k * 20);
  std::string labels = idx_header(0x08, {3});
  labels += std::string{'\x07', '\x00', '\x09'};
  auto pi = temp_file("images.idx3-ubyte", images);
  auto pl = temp_file("labels.idx1-ubyte", labels);

  auto x = xg::nn::load_idx(pi.string());
  EXPECT_EQ(x.shape(), (xg::Shape{3, 2, 2}));
  EXPECT_EQ(x.dtype(), xg::kFloat32);
  auto xv = x.to_vector();
  EXPECT_EQ(xv[1], 20.0);
  EXPECT_EQ(xv[11], 255.0);  // unsigned: 0xFF is 255
  auto y = xg::nn::load_idx(pl.string(), xg::kFloat64);
  EXPECT_EQ(y.dtype(), xg::kFloat64);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{7, 0, 9}));

  auto ds = xg::nn::load_idx_dataset(pi.string(), pl.string(), /*scale_to_unit=*/true);
  EXPECT_EQ(ds.size(), 3u);
  EXPECT_NEAR(ds.inputs().to_vector()[11], 1.0, 1e-7);
  auto short_labels = temp_file("labels2.idx1-ubyte", idx_header(0x08, {2}) + std::string{'\x01', '\x02'});
  EXPECT_THROW(xg::nn::load_idx_dataset(pi.string(), short_labels.string()), xg::ShapeError);
  for (auto& p : {pi, pl, short_labels}) std::filesystem::remove(p);
}

TEST(LoadIdx, OtherTypeCodesAreBigEndian) {
  // 0x09 signed byte
  auto p = temp_file("i8.idx", idx_header(0x09, {2}) + std::string{'\xFF', '\x05'});
  EXPECT_EQ(xg::nn::load_idx(p.string()).to_vector(), (std::vector<double>{-1, 5}));
  // 0x0B int16: 0x0102 = 258, 0xFFFE = -2
  p = temp_file("i16.idx", idx_header(0x0B, {2}) + std::string{'\x01', '\x02', '\xFF', '\xFE'});
  EXPECT_EQ(xg::nn::load_idx(p.string()).to_vector(), (std::vector<double>{258, -2}));
  // 0x0C int32: 0x00010000 = 65536, 0xFFFFFFFF = -1
  p = temp_file("i32.idx", idx_header(0x0C, {1, 2}) + be32(65536) + be32(0xFFFFFFFFu));
  auto t = xg::nn::load_idx(p.string());
  EXPECT_EQ(t.shape(), (xg::Shape{1, 2}));
  EXPECT_EQ(t.to_vector(), (std::vector<double>{65536, -1}));
  // 0x0D float32: 1.5f = 0x3FC00000
  p = temp_file("f32.idx", idx_header(0x0D, {1}) + be32(0x3FC00000u));
  EXPECT_EQ(xg::nn::load_idx(p.string()).to_vector(), (std::vector<double>{1.5}));
  // 0x0E float64: -2.25 = 0xC002000000000000
  p = temp_file("f64.idx", idx_header(0x0E, {1}) + be32(0xC0020000u) + be32(0));
  EXPECT_EQ(xg::nn::load_idx(p.string(), xg::kFloat64).to_vector(), (std::vector<double>{-2.25}));
  std::filesystem::remove(p);
}

TEST(LoadIdx, CorruptFilesAreValueErrors) {
  auto check = [](const std::string& name, const std::string& content, const std::string& needle) {
    auto p = temp_file(name, content);
    auto msg = error_of([&] { xg::nn::load_idx(p.string()); });
    EXPECT_NE(msg.find(p.string()), std::string::npos) << name << ": " << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << name << ": " << msg;
    EXPECT_THROW(xg::nn::load_idx(p.string()), xg::ValueError) << name;
    std::filesystem::remove(p);
  };
  std::string good = idx_header(0x08, {2, 3}) + std::string(6, '\x01');
  check("truncated.idx", good.substr(0, good.size() - 1), "truncated");
  check("trailing.idx", good + "x", "trailing");
  check("bad_magic.idx", "\x01\x02" + good.substr(2), "magic");
  check("bad_type.idx", idx_header(0x0A, {2}) + "ab", "type code");
  check("short_header.idx", std::string{'\0', '\0', '\x08'}, "header");
  check("short_dims.idx", idx_header(0x08, {5, 5}).substr(0, 9), "header");
  check("gzip.idx", std::string{'\x1f', '\x8b', '\x08', '\0', '\0'}, "gzip");
  // a huge declared size is refused without allocating it
  check("huge.idx", idx_header(0x0E, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}) + "abcdefgh", "bytes");
  check("big.idx", idx_header(0x08, {60000, 28, 28}) + std::string(16, '\0'), "47040000");
  auto missing = std::filesystem::temp_directory_path() / "xgrad_no_such_file.idx";
  EXPECT_THROW(xg::nn::load_idx(missing.string()), xg::ValueError);
}
