#include "run_example.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <sys/wait.h>

#include "example.hpp"

namespace xg::examples::testing {

double ExampleResult::number(const std::string& key) const {
  auto it = summary.find(key);
  if (it == summary.end()) throw std::runtime_error("the summary has no '" + key + "'\n" + output);
  return std::stod(it->second);
}

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}
}  // namespace

ExampleResult run_example(const std::string& name, const std::vector<std::string>& extra) {
  ExampleResult r;
  r.out_dir = std::filesystem::path(XGRAD_EXAMPLES_OUT) / name;
  std::filesystem::remove_all(r.out_dir);
  std::string cmd = shell_quote(std::string(XGRAD_EXAMPLES_DIR) + "/" + name);
  cmd += " --quick --out ";
  cmd += shell_quote(r.out_dir.string());
  for (const auto& a : extra) cmd += " " + shell_quote(a);
  cmd += " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + cmd);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const auto summary = r.out_dir / (name + ".summary");
  if (std::filesystem::exists(summary)) r.summary = read_summary(summary);
  return r;
}

}  // namespace xg::examples::testing
