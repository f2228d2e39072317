#include "example.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#ifndef XGRAD_DATA_DIR
#define XGRAD_DATA_DIR "data"
#endif

namespace xg::examples {

Run Run::start(std::string name, int argc, char** argv, std::string usage_extra) {
  Run run;
  run.name_ = std::move(name);
  const char* env_out = std::getenv("XGRAD_OUT");
  run.out_dir_ = env_out && *env_out ? fs::path(env_out) : fs::path("xgrad-out");
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      run.quick_ = true;
    } else if (a == "--out") {
      if (i + 1 >= argc) throw std::invalid_argument("--out needs a folder");
      run.out_dir_ = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::cout << "usage: " << run.name_ << " [--quick] [--out DIR]" << (usage_extra.empty() ? "" : " ")
                << usage_extra << "\n"
                << "  --quick    a short run (fewer epochs), as the tests use\n"
                << "  --out DIR  output folder (default $XGRAD_OUT or ./xgrad-out)\n";
      std::exit(0);
    } else {
      run.args_.push_back(a);
    }
  }
  fs::create_directories(run.out_dir_);
  return run;
}

void Run::summary(const std::string& key, double value) {
  std::ostringstream s;
  s.precision(17);
  s << value;
  summary(key, s.str());
}

void Run::summary(const std::string& key, const std::string& value) {
  for (auto& kv : summary_) {
    if (kv.first == key) {
      kv.second = value;
      return;
    }
  }
  summary_.emplace_back(key, value);
}

void Run::write_summary() const {
  if (name_.empty()) return;  // moved-from
  const fs::path path = out_dir_ / (name_ + ".summary");
  const fs::path tmp = out_dir_ / (name_ + ".summary.tmp");
  {
    std::ofstream out(tmp);
    for (const auto& [k, v] : summary_) out << k << " = " << v << "\n";
  }
  fs::rename(tmp, path);
}

void Run::report(const std::optional<fs::path>& written) const {
  if (written) std::cout << "wrote " << written->string() << "\n";
}

Run::~Run() {
  try {
    write_summary();
  } catch (const std::exception& e) {
    std::cerr << "could not write the summary: " << e.what() << "\n";
  }
}

fs::path data_file(const std::string& file) {
  const char* env = std::getenv("XGRAD_DATA_DIR");
  return fs::path(env && *env ? env : XGRAD_DATA_DIR) / file;
}

std::map<std::string, std::string> read_summary(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    out[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return out;
}

bool have_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

Figure::Figure(std::string x_label, std::vector<double> x) : x_label_(std::move(x_label)), x_(std::move(x)) {}

void Figure::column(const std::string& name, std::vector<double> values) {
  columns_.emplace_back(name, std::move(values));
}

Figure::Panel& Figure::panel(std::string title, std::string y_label) {
  panels_.push_back(Panel{std::move(title), std::move(y_label), false, {}});
  return panels_.back();
}

namespace {

std::string gnuplot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A CSV header field: quoted (with "" for ") when it holds a comma or a quote.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// For a POSIX shell: 'text' with each ' written as '\''.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace

std::optional<fs::path> Figure::save(const fs::path& stem) const {
  std::size_t rows = x_.size();
  for (const auto& c : columns_) rows = std::max(rows, c.second.size());
  const fs::path csv = fs::path(stem).concat(".csv");
  const fs::path gp = fs::path(stem).concat(".gp");
  const fs::path png = fs::path(stem).concat(".png");
  {
    std::ofstream out(csv);
    out.precision(9);
    out << csv_field(x_label_);
    for (const auto& c : columns_) out << "," << csv_field(c.first);
    out << "\n";
    for (std::size_t r = 0; r < rows; ++r) {
      if (r < x_.size()) out << x_[r]; else out << (r + 1);
      for (const auto& c : columns_) {
        out << ",";
        // Missing and non-finite values are left empty: gnuplot skips them.
        if (r < c.second.size() && std::isfinite(c.second[r])) out << c.second[r];
      }
      out << "\n";
    }
    if (!out) throw std::runtime_error("could not write " + csv.string());
  }
  auto column_index = [&](const std::string& name) {
    for (std::size_t i = 0; i < columns_.size(); ++i)
      if (columns_[i].first == name) return i + 2;  // gnuplot columns are 1-based; x is 1
    throw std::invalid_argument("Figure: no column named '" + name + "'");
  };
  {
    std::ofstream out(gp);
    const std::size_t n = std::max<std::size_t>(panels_.size(), 1);
    out << "# Draws " << png.filename().string() << " from " << csv.filename().string()
        << ": gnuplot " << gp.filename().string() << "\n";
    out << "set terminal pngcairo size " << 640 * n << ",480 noenhanced\n";
    out << "set output " << gnuplot_quote(png.filename().string()) << "\n";
    out << "set datafile separator ','\n";
    out << "set datafile missing ''\n";
    out << "set key below\nset grid\n";
    if (panels_.size() > 1) out << "set multiplot layout 1," << panels_.size() << "\n";
    for (const auto& p : panels_) {
      out << "set title " << gnuplot_quote(p.title) << "\n";
      out << "set xlabel " << gnuplot_quote(x_label_) << "\n";
      out << "set ylabel " << gnuplot_quote(p.y_label) << "\n";
      out << (p.log_y ? "set logscale y\nset format y '%.0e'\n" : "unset logscale y\nset format y '%g'\n");
      out << "plot ";
      for (std::size_t i = 0; i < p.columns.size(); ++i) {
        if (i) out << ", \\\n     ";
        out << gnuplot_quote(csv.filename().string()) << " using 1:" << column_index(p.columns[i])
            << " with linespoints pointsize 0.5 title " << gnuplot_quote(p.columns[i]);
      }
      out << "\n";
    }
    if (panels_.size() > 1) out << "unset multiplot\n";
    if (!out) throw std::runtime_error("could not write " + gp.string());
  }
  if (!have_program("gnuplot")) return std::nullopt;
  // gnuplot runs in the figure's folder so the script's relative names resolve.
  const std::string dir = gp.parent_path().empty() ? "." : gp.parent_path().string();
  const std::string cmd = "cd " + shell_quote(dir) + " && gnuplot " + shell_quote(gp.filename().string()) +
                          " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0 || !fs::exists(png)) return std::nullopt;
  return png;
}

}  // namespace xg::examples
