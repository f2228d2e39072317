#pragma once
// Where in the user's code an op was called: captured for free by a defaulted last parameter
// (`SourceSite site = SourceSite::current()`, evaluated at the call site, as std::source_location)
// on every public op, method and operator, and kept by the graph while anomaly mode is on, so
// that an anomaly names the line that created the op that produced the NaN.
#include <string>

namespace xg {

/// A file, line and function of the caller. Not constructible from a braced list, so that it
/// never competes with an op's other arguments in overload resolution.
class SourceSite {
 public:
  /// The call site (used as a default argument, it is the caller's location).
  static constexpr SourceSite current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE(),
                                      const char* function = __builtin_FUNCTION()) noexcept {
    return SourceSite(file, line, function);
  }
  constexpr SourceSite() noexcept = default;
  constexpr const char* file() const noexcept { return file_; }
  constexpr unsigned line() const noexcept { return line_; }
  constexpr const char* function() const noexcept { return function_; }
  constexpr bool known() const noexcept { return file_ != nullptr; }

 private:
  constexpr explicit SourceSite(const char* file, unsigned line, const char* function) noexcept
      : file_(file), line_(line), function_(function) {}
  const char* file_ = nullptr;
  unsigned line_ = 0;
  const char* function_ = nullptr;
};

/// RAII at the entry of a public op: while anomaly mode is on, makes `site` the current site of
/// this thread unless an enclosing public call already set one (the outermost call is the
/// user's; ops called inside the library inherit it). Does nothing when anomaly mode is off.
class SiteScope {
 public:
  explicit SiteScope(const SourceSite& site) noexcept;
  ~SiteScope();
  SiteScope(const SiteScope&) = delete;
  SiteScope& operator=(const SiteScope&) = delete;

 private:
  bool active_;
};

/// The site set by the outermost SiteScope on this thread (unknown when none, or when anomaly
/// mode is off).
SourceSite current_site() noexcept;

/// "file:line (in function)", or "an unknown location".
std::string describe(const SourceSite& site);

}  // namespace xg
