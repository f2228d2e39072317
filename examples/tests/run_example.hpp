#pragma once
// Runs an example binary in --quick mode into its own output folder and reads its summary.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace xg::examples::testing {

struct ExampleResult {
  int exit_code = -1;
  std::string output;                          ///< stdout and stderr together
  std::filesystem::path out_dir;               ///< the example's --out folder (emptied first)
  std::map<std::string, std::string> summary;  ///< <out>/<name>.summary, empty when missing

  /// The summary value `key` as a number; throws std::runtime_error naming the key when absent.
  double number(const std::string& key) const;
};

/// Runs `<examples dir>/<name> --quick --out <tests out>/<name> [extra...]`.
ExampleResult run_example(const std::string& name, const std::vector<std::string>& extra = {});

}  // namespace xg::examples::testing
