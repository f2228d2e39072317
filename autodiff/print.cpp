// Printing tensors like PyTorch's repr.
#include <cmath>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "autodiff/node.hpp"
#include "autodiff/tensor.hpp"

namespace xg {

namespace {

constexpr std::size_t kSummarizeAbove = 1000;  // elements, as torch's print threshold
constexpr std::size_t kEdgeItems = 3;

struct Style {
  bool integral = true;
  bool scientific = false;
  int width = 1;
  std::string format(double v) const {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (scientific) return fmt::format("{:.4e}", v);
    if (integral) return fmt::format("{:.0f}.", v);
    return fmt::format("{:.4f}", v);
  }
};

Style choose_style(const std::vector<double>& values) {
  Style s;
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v != std::trunc(v)) s.integral = false;
    max_abs = std::max(max_abs, std::abs(v));
    if (v != 0) min_abs = std::min(min_abs, std::abs(v));
  }
  if (max_abs >= 1e8 || (!s.integral && (min_abs < 1e-4 || max_abs / min_abs > 1000))) {
    s.scientific = true;
    s.integral = false;
  }
  for (double v : values) s.width = std::max<int>(s.width, static_cast<int>(s.format(v).size()));
  return s;
}

class Printer {
 public:
  Printer(const Shape& shape, const std::vector<double>& values)
      : shape_(shape), values_(values), summarize_(values.size() > kSummarizeAbove) {
    strides_.assign(shape.size(), 1);
    for (std::size_t d = shape.size(); d-- > 1;) strides_[d - 1] = strides_[d] * shape[d];
    std::vector<double> shown;
    collect(0, 0, shown);
    style_ = choose_style(shown);
  }

  void print(std::ostream& os, std::size_t indent) { print(os, 0, 0, indent); }

 private:
  std::vector<std::size_t> visible(std::size_t d) const {
    std::vector<std::size_t> idx;
    const std::size_t n = shape_[d];
    if (summarize_ && n > 2 * kEdgeItems) {
      for (std::size_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(SIZE_MAX);  // the "..." marker
      for (std::size_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (std::size_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(std::size_t d, std::size_t offset, std::vector<double>& out) const {
    if (d == shape_.size()) {
      out.push_back(values_[offset]);
      return;
    }
    for (std::size_t i : visible(d))
      if (i != SIZE_MAX) collect(d + 1, offset + i * strides_[d], out);
  }

  void print(std::ostream& os, std::size_t d, std::size_t offset, std::size_t indent) {
    if (d == shape_.size()) {
      os << fmt::format("{:>{}}", style_.format(values_[offset]), style_.width);
      return;
    }
    os << '[';
    const auto idx = visible(d);
    const bool innermost = d + 1 == shape_.size();
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k > 0) {
        os << ',';
        if (innermost) {
          os << ' ';
        } else {
          os << std::string(shape_.size() - d - 1, '\n') << std::string(indent + d + 1, ' ');
        }
      }
      if (idx[k] == SIZE_MAX)
        os << "...";
      else
        print(os, d + 1, offset + idx[k] * strides_[d], indent);
    }
    os << ']';
  }

  const Shape& shape_;
  const std::vector<double>& values_;
  bool summarize_;
  std::vector<std::size_t> strides_;
  Style style_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  const std::vector<double> values = t.to_vector();
  os << "tensor(";
  if (t.numel() == 0) {
    os << "[]";
    if (t.dim() != 1) os << ", size=" << shape_str(t.shape());
  } else {
    Printer(t.shape(), values).print(os, 7);
  }
  if (t.dtype() == kFloat64) os << ", dtype=float64";
  if (t.grad_fn())
    os << ", grad_fn=<" << t.grad_fn()->name() << '>';
  else if (t.requires_grad())
    os << ", requires_grad=true";
  return os << ')';
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace xg
