#pragma once
// What every example shares: its command line (--quick, --out DIR), where the bundled data
// lives, a summary file of the numbers it claims (read back by tests/examples), and figures
// written as CSV + a gnuplot script, rendered to PNG when gnuplot is installed.
//
//   int main(int argc, char** argv) {
//     auto run = xg::examples::Run::start("gradient_descent", argc, argv);
//     ...
//     run.summary("final_w", w);            // -> <out>/gradient_descent.summary
//     xg::examples::Figure fig("iteration");
//     fig.column("cost", costs);
//     fig.panel("cost per iteration", "cost").plot("cost");
//     run.report(fig.save(run.out_path("gradient_descent_cost")));
//   }
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xg::examples {

namespace fs = std::filesystem;

/// One run of an example: its parsed command line and its output folder.
///
/// Command line: `--quick` (a short version for tests: fewer epochs / smaller nets, same claims),
/// `--out DIR` (output folder; default $XGRAD_OUT or ./xgrad-out), `--help`; any other
/// arguments are kept in `args` for the example. The output folder is created.
class Run {
 public:
  static Run start(std::string name, int argc, char** argv, std::string usage_extra = "");

  const std::string& name() const { return name_; }
  bool quick() const { return quick_; }
  const fs::path& out_dir() const { return out_dir_; }
  const std::vector<std::string>& args() const { return args_; }

  /// `<out>/<file>`.
  fs::path out_path(const std::string& file) const { return out_dir_ / file; }

  /// Records a number the example claims; all are written, `key = value` per line, to
  /// `<out>/<name>.summary` when the Run is destroyed (and by write_summary()).
  void summary(const std::string& key, double value);
  void summary(const std::string& key, const std::string& value);
  void write_summary() const;

  /// Prints "wrote <path>" for an output file (nothing for an empty optional).
  void report(const std::optional<fs::path>& written) const;

  ~Run();
  Run(Run&&) = default;
  Run& operator=(Run&&) = delete;

 private:
  Run() = default;
  std::string name_;
  bool quick_ = false;
  fs::path out_dir_;
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> summary_;
};

/// A bundled data file: `<XGRAD_DATA_DIR>/<file>` (the repository's data/ folder, compiled in),
/// or $XGRAD_DATA_DIR/<file> when that is set.
fs::path data_file(const std::string& file);

/// Reads a `.summary` file written by Run into key -> value text (for tests).
std::map<std::string, std::string> read_summary(const fs::path& path);

/// A figure: one table of columns sharing an x column, drawn as one or more panels (stacked
/// side by side) of line plots. save(stem) writes stem.csv (the table), stem.gp (a gnuplot
/// script that draws stem.png from stem.csv) and runs gnuplot when it is on PATH.
class Figure {
 public:
  struct Panel {
    std::string title, y_label;
    bool log_y = false;
    std::vector<std::string> columns;
    Panel& plot(const std::string& column) { columns.push_back(column); return *this; }
    Panel& logscale_y() { log_y = true; return *this; }
  };

  explicit Figure(std::string x_label, std::vector<double> x = {});

  /// The x values (1, 2, 3, ... when never set).
  void x(std::vector<double> values) { x_ = std::move(values); }
  /// Adds a column of y values; shorter columns are padded with missing values.
  void column(const std::string& name, std::vector<double> values);
  /// Adds a panel (drawn left to right); plot() columns onto it.
  Panel& panel(std::string title, std::string y_label);

  /// Writes stem.csv and stem.gp; returns stem.png if gnuplot rendered it, else nullopt (the
  /// script still lets the user render it later: `gnuplot stem.gp`).
  std::optional<fs::path> save(const fs::path& stem) const;

 private:
  std::string x_label_;
  std::vector<double> x_;
  std::vector<std::pair<std::string, std::vector<double>>> columns_;
  std::deque<Panel> panels_;  // deque: panel() references stay valid
};

/// True when `program` is an executable on PATH.
bool have_program(const std::string& program);

}  // namespace xg::examples
