// Training feedback: ProgressBar output formats and accuracy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <optim/optim.hpp>

using xg::optim::ProgressBar;
using xg::optim::ProgressMode;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

}  // namespace

TEST(ProgressBar, LinesModeEveryTenPercentWithFakeClock) {
  std::ostringstream out;
  double t = 0;
  {
    ProgressBar bar(20, {.description = "epoch 1", .stream = &out, .mode = ProgressMode::Lines,
                         .clock = [&t] { return t; }});
    EXPECT_EQ(bar.mode(), ProgressMode::Lines);
    for (int i = 0; i < 20; ++i) {
      t += 0.5;  // 32 samples every half second: 64 samples/s
      bar.update(32, /*loss=*/i < 10 ? 1.0 : 0.5, /*accuracy=*/0.75);
    }
    EXPECT_DOUBLE_EQ(bar.mean_loss(), 0.75);
    EXPECT_DOUBLE_EQ(bar.mean_accuracy(), 0.75);
    EXPECT_EQ(bar.samples(), 640u);
  }  // destructor closes: the final line was already written, nothing more
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 10u) << out.str();
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
  EXPECT_EQ(lines[0], "epoch 1 2/20  10% loss 1.0000 acc 75.0% 64.0 samples/s ETA 0:09");
  EXPECT_EQ(lines[4], "epoch 1 10/20  50% loss 1.0000 acc 75.0% 64.0 samples/s ETA 0:05");
  EXPECT_EQ(lines[9], "epoch 1 20/20 100% loss 0.7500 acc 75.0% 64.0 samples/s in 0:10");
}

TEST(ProgressBar, LinesModeWithoutAccuracyAndUnevenTotal) {
  std::ostringstream out;
  double t = 100;  // any clock origin
  ProgressBar bar(3, {.stream = &out, .mode = ProgressMode::Lines, .line_every_percent = 50,
                      .clock = [&t] { return t; }});
  t += 2;
  bar.update(1000, 2.0);
  t += 2;
  bar.update(1000, 1.0);  // 66%: crosses 50
  EXPECT_TRUE(std::isnan(bar.mean_accuracy()));
  t += 2;
  bar.update(1000, 3.0);
  bar.close();
  bar.close();  // idempotent
  EXPECT_EQ(out.str(), "2/3  66% loss 1.5000 500 samples/s ETA 0:02\n3/3 100% loss 2.0000 500 samples/s in 0:06\n");
}

TEST(ProgressBar, CloseEarlyWritesFinalLineAndTimeBasedLines) {
  std::ostringstream out;
  double t = 0;
  ProgressBar bar(100, {.stream = &out, .mode = ProgressMode::Lines, .line_every_percent = 100,
                        .line_every_s = 5, .clock = [&t] { return t; }});
  for (int i = 0; i < 4; ++i) {
    t += 2;
    bar.update(10, 1.0);
  }  // a line at t = 6 (>= 5 s since start), none at 2, 4, 8
  bar.close();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 2u) << out.str();
  EXPECT_EQ(lines[0], "3/100   3% loss 1.0000 5.0 samples/s ETA 3:14");
  EXPECT_EQ(lines[1], "4/100   4% loss 1.0000 5.0 samples/s ETA 3:12");
  EXPECT_THROW(bar.update(1, 1.0), xg::ValueError);
}

TEST(ProgressBar, TerminalModeRedrawsInPlace) {
  std::ostringstream out;
  double t = 0;
  {
    ProgressBar bar(4, {.description = "train", .stream = &out, .mode = ProgressMode::Terminal, .min_redraw_s = 0,
                        .clock = [&t] { return t; }, .bar_width = 8});
    for (int i = 0; i < 4; ++i) {
      t += 1;
      bar.update(10, 0.5, 1.0);
    }
  }
  const std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\r'), 4);
  EXPECT_EQ(std::count(s.begin(), s.end(), '\n'), 1);
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(s.substr(s.size() - 2), " \n");  // padded: the last line is shorter than the one it overwrites
  EXPECT_NE(s.find("\rtrain 1/4 [==>     ]  25% loss 0.5000 acc 100.0% 10.0 samples/s ETA 0:03"), std::string::npos)
      << s;
  EXPECT_NE(s.find("\rtrain 4/4 [========] 100% loss 0.5000 acc 100.0% 10.0 samples/s in 0:04"), std::string::npos)
      << s;
}

TEST(ProgressBar, TerminalThrottleAndSilent) {
  std::ostringstream out;
  double t = 0;
  {
    ProgressBar bar(10, {.stream = &out, .mode = ProgressMode::Terminal, .min_redraw_s = 1.0,
                         .clock = [&t] { return t; }});
    for (int i = 0; i < 10; ++i) {
      t += 0.25;
      bar.update(1, 1.0);
    }
  }
  // draws at t = 0.25 (first), 1.25, 2.25, and the last step
  const std::string drawn = out.str();
  EXPECT_EQ(std::count(drawn.begin(), drawn.end(), '\r'), 4) << drawn;

  std::ostringstream quiet;
  {
    ProgressBar bar(3, {.stream = &quiet, .mode = ProgressMode::Silent});
    bar.update(5, 1.0, 0.2);
    EXPECT_DOUBLE_EQ(bar.mean_accuracy(), 0.2);
  }
  EXPECT_TRUE(quiet.str().empty());
}

TEST(ProgressBar, AutoOnAStringStreamIsLinesAndBadOptionsThrow) {
  std::ostringstream out;
  ProgressBar bar(2, {.stream = &out});
  EXPECT_EQ(bar.mode(), ProgressMode::Lines);
  EXPECT_THROW(ProgressBar(2, {.stream = &out, .line_every_percent = 0}), xg::ValueError);
  EXPECT_THROW(ProgressBar(2, {.stream = &out, .mode = ProgressMode::Lines, .line_every_s = -1}), xg::ValueError);
}

// ------------------------------------------------------------------------------ accuracy

TEST(Accuracy, MulticlassArgmax) {
  auto logits = xg::tensor({{2.0, 1.0, 0.0}, {0.0, 3.0, 1.0}, {0.1, 0.2, 0.3}, {5.0, 5.0, 1.0}});
  auto labels = xg::tensor({0, 1, 0, 0});  // last row ties: first maximum wins
  EXPECT_DOUBLE_EQ(xg::optim::accuracy(logits, labels), 0.75);
  EXPECT_EQ(xg::optim::count_correct(logits, labels), 3u);
  EXPECT_DOUBLE_EQ(xg::optim::accuracy(logits, labels.reshape({4, 1})), 0.75);
  EXPECT_THROW(xg::optim::accuracy(logits, xg::tensor({0, 1, 3, 0})), xg::ValueError);
  EXPECT_THROW(xg::optim::accuracy(logits, xg::tensor({0, 1, 0.5, 0})), xg::ValueError);
  EXPECT_THROW(xg::optim::accuracy(logits, xg::tensor({0, 1, 0})), xg::ShapeError);
}

TEST(Accuracy, BinaryThreshold) {
  auto prob = xg::tensor({0.9, 0.2, 0.5, 0.7});
  auto y = xg::tensor({1, 0, 1, 0});
  // 0.5 is not > 0.5: predicted 0
  EXPECT_DOUBLE_EQ(xg::optim::accuracy(prob, y), 0.5);
  EXPECT_DOUBLE_EQ(xg::optim::accuracy(prob.reshape({4, 1}), y.reshape({4, 1})), 0.5);
  auto logits = xg::tensor({2.0, -1.0, 0.3, -0.2});
  EXPECT_DOUBLE_EQ(xg::optim::accuracy(logits, y, /*threshold=*/0.0), 1.0);
  EXPECT_THROW(xg::optim::accuracy(prob, xg::tensor({1, 0, 2, 0})), xg::ValueError);
  EXPECT_THROW(xg::optim::accuracy(xg::zeros({0}), xg::zeros({0})), xg::ValueError);
  EXPECT_THROW(xg::optim::accuracy(xg::zeros({2, 2, 2}), xg::zeros({2})), xg::ShapeError);
}
