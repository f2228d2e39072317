// The current op site of each thread, set by the outermost public op while anomaly mode is on.
#include "autodiff/source_site.hpp"

#include <fmt/format.h>

#include "autodiff/anomaly.hpp"

namespace xg {

namespace {
thread_local SourceSite t_site;
}  // namespace

SiteScope::SiteScope(const SourceSite& site) noexcept : active_(!t_site.known() && is_anomaly_enabled()) {
  if (active_) t_site = site;
}

SiteScope::~SiteScope() {
  if (active_) t_site = SourceSite();
}

SourceSite current_site() noexcept { return t_site; }

std::string describe(const SourceSite& site) {
  if (!site.known()) return "an unknown location";
  if (site.function() && *site.function()) return fmt::format("{}:{} (in {})", site.file(), site.line(), site.function());
  return fmt::format("{}:{}", site.file(), site.line());
}

}  // namespace xg
