// load_csv, load_idx: numeric CSV and IDX (MNIST) files into tensors.
#include "nn/io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/ops.hpp"
#include "nn/file_input.hpp"

namespace xg::nn {
namespace {

using detail::InputFile;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

enum class Parsed { Ok, NotANumber, OutOfRange };

/// For a decimal that std::from_chars found outside double's range (it says result_out_of_range
/// both ways): true when it is tiny, below half the smallest denormal, rather than huge. Out of
/// range means beyond about 1.8e308 or below about 2.5e-324, so the sign of the decimal exponent
/// of its first significant digit tells which. `s` is what from_chars consumed:
/// [-]digits[.digits][(e|E)[+|-]digits].
bool is_tiny(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  bool found = false, point = false;
  long long int_digits = 0, frac_zeros = 0;  // significant digits before the point; zeros after it before any
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (!found && c == '0') {
      if (point) ++frac_zeros;
      continue;
    }
    found = true;
    if (!point) ++int_digits;
  }
  if (!found) return true;  // zero
  const long long lead = int_digits > 0 ? int_digits - 1 : -(frac_zeros + 1);
  long long exp = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) exp = std::min(exp * 10 + (s[i] - '0'), 1LL << 40);
  }
  return lead + (negative ? -exp : exp) < 0;
}

// A finite decimal number filling the whole field, representable in `dtype`. Underflow is not
// an error: a value too small for a double reads as a (signed) zero, and one too small for a
// float becomes 0 or a denormal when it is cast — what numpy's loadtxt and its float32 cast
// give. Overflow (beyond the dtype's largest finite value) is refused, never turned into inf.
Parsed parse_number(std::string_view s, Dtype dtype, double& out) {
  s = trim(s);
  if (s.empty()) return Parsed::NotANumber;
  if (s.front() == '+') {  // from_chars refuses a leading '+'
    s.remove_prefix(1);
    if (s.empty() || s.front() == '+' || s.front() == '-') return Parsed::NotANumber;
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
  if (ptr != s.data() + s.size()) return Parsed::NotANumber;
  if (ec == std::errc::result_out_of_range) {
    if (!is_tiny(s)) return Parsed::OutOfRange;  // beyond double
    out = s.front() == '-' ? -0.0 : 0.0;           // below the smallest denormal: rounds to zero
    return Parsed::Ok;
  }
  if (ec != std::errc() || !std::isfinite(out)) return Parsed::NotANumber;  // "nan", "inf"
  if (dtype == kFloat32 && std::abs(out) > static_cast<double>(std::numeric_limits<float>::max()))
    return Parsed::OutOfRange;  // would become inf in float32
  return Parsed::Ok;
}

/// A field as it goes into a message: quoted, control bytes as \xNN, and cut after
/// kQuotedFieldChars bytes (an 8 MB field must not make an 8 MB message).
constexpr std::size_t kQuotedFieldChars = 40;
std::string quote_field(std::string_view s) {
  if (s.size() <= kQuotedFieldChars) return fmt::format("'{}'", detail::printable(s));
  std::size_t cut = kQuotedFieldChars;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return fmt::format("'{}'\u2026 ({} bytes)", detail::printable(s.substr(0, cut)), s.size());
}

/// The lines of a file, read from its descriptor through a 64 KiB buffer. A line longer than
/// kCsvMaxLineBytes is refused as soon as that many bytes have come without a '\n'.
class LineReader {
 public:
  explicit LineReader(InputFile& file) : file_(file), buf_(std::size_t{1} << 16) {}

  /// The next line, without its '\n', into `line`; false at the end of the file (a last line
  /// without '\n' is still a line). `lineno` (1-based) is that line's number, for the message.
  bool next(std::string& line, std::size_t lineno) {
    line.clear();
    bool any = false;
    for (;;) {
      if (pos_ == end_) {
        if (eof_) return any;
        end_ = file_.read(buf_.data(), buf_.size());
        pos_ = 0;
        if (end_ == 0) {
          eof_ = true;
          return any;
        }
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
      const std::size_t take = nl ? static_cast<std::size_t>(nl - start) : end_ - pos_;
      if (take > kCsvMaxLineBytes - line.size())
        throw ValueError(fmt::format(
            "load_csv: {}:{}: the line is longer than the limit of {} bytes (16 MiB, xg::nn::kCsvMaxLineBytes)",
            file_.path(), lineno, kCsvMaxLineBytes));
      line.append(start, take);
      pos_ += take;
      if (nl) {
        ++pos_;
        return true;
      }
    }
  }

 private:
  InputFile& file_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
};

void split(std::string_view line, char delim, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = line.find(delim, start);
    if (pos == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

Tensor tensor_from(const std::vector<double>& values, Shape shape, Dtype dtype) {
  Tensor t = empty(std::move(shape), dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = t.data_ptr<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

}  // namespace

// ------------------------------------------------------------------------------ CSV

TensorDataset load_csv(const std::string& path, CsvOptions options) {
  InputFile file(path, "load_csv");
  LineReader in(file);

  std::string line;
  std::size_t lineno = 0;
  // skip_rows, then the header (not skip_rows + 1: that wraps for skip_rows = SIZE_MAX).
  for (int part = 0; part < 2; ++part) {
    const std::size_t skip = part == 0 ? options.skip_rows : (options.has_header ? 1 : 0);
    for (std::size_t k = 0; k < skip && in.next(line, lineno + 1); ++k) ++lineno;
  }

  std::vector<std::string_view> fields;
  std::vector<double> features, labels;
  std::size_t ncols = 0, label_col = 0;
  while (in.next(line, lineno + 1)) {
    ++lineno;
    if (trim(line).empty()) continue;
    split(line, options.delimiter, fields);
    if (ncols == 0) {
      ncols = fields.size();
      if (ncols < 2)
        throw ValueError(fmt::format(
            "load_csv: {}:{}: found {} column (delimiter '{}'); need at least one feature and a label", path,
            lineno, ncols, options.delimiter));
      const long long lc = options.label_column < 0 ? static_cast<long long>(ncols) + options.label_column
                                                    : options.label_column;
      if (lc < 0 || lc >= static_cast<long long>(ncols))
        throw ValueError(fmt::format("load_csv: {}: label_column {} is outside the {} columns of line {}", path,
                                     options.label_column, ncols, lineno));
      label_col = static_cast<std::size_t>(lc);
    } else if (fields.size() != ncols) {
      throw ValueError(fmt::format("load_csv: {}:{}: expected {} fields (as on the first data row), got {}", path,
                                   lineno, ncols, fields.size()));
    }
    for (std::size_t c = 0; c < ncols; ++c) {
      double v = 0;
      switch (parse_number(fields[c], options.dtype, v)) {
        case Parsed::Ok: break;
        case Parsed::NotANumber:
          throw ValueError(fmt::format("load_csv: {}:{}: field {} is not a finite number: {}", path, lineno, c + 1,
                                       quote_field(trim(fields[c]))));
        case Parsed::OutOfRange:
          throw ValueError(fmt::format("load_csv: {}:{}: field {} is out of the range of {}: {}", path, lineno,
                                       c + 1, options.dtype == kFloat32 ? "float32 (dtype)" : "float64",
                                       quote_field(trim(fields[c]))));
      }
      (c == label_col ? labels : features).push_back(v);
    }
  }
  if (labels.empty())
    throw ValueError(fmt::format("load_csv: {}: no data rows ({} line(s) read{})", path, lineno,
                                 lineno == 0 ? ", empty file" : ""));
  const std::size_t n = labels.size();
  return TensorDataset(tensor_from(features, {n, ncols - 1}, options.dtype), tensor_from(labels, {n}, options.dtype));
}

// ------------------------------------------------------------------------------ IDX

namespace {

std::size_t idx_type_size(unsigned code) {
  switch (code) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

std::uint64_t read_be(const unsigned char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

template <class T>
void decode(const unsigned char* src, std::size_t count, unsigned code, T* dst) {
  const std::size_t w = idx_type_size(code);
  for (std::size_t i = 0; i < count; ++i, src += w) {
    const std::uint64_t raw = read_be(src, w);
    double v = 0;
    switch (code) {
      case 0x08: v = static_cast<double>(static_cast<std::uint8_t>(raw)); break;
      case 0x09: v = static_cast<double>(static_cast<std::int8_t>(static_cast<std::uint8_t>(raw))); break;
      case 0x0B: v = static_cast<double>(static_cast<std::int16_t>(static_cast<std::uint16_t>(raw))); break;
      case 0x0C: v = static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(raw))); break;
      case 0x0D: {
        const auto bits = static_cast<std::uint32_t>(raw);
        float f;
        std::memcpy(&f, &bits, 4);
        v = f;
        break;
      }
      case 0x0E: {
        double d;
        std::memcpy(&d, &raw, 8);
        v = d;
        break;
      }
      default: break;
    }
    dst[i] = static_cast<T>(v);
  }
}

}  // namespace

Tensor load_idx(const std::string& path, Dtype dtype) {
  InputFile file(path, "load_idx");
  const std::uint64_t file_size = file.size();
  // "holds fewer/more bytes than its size": fstat and read(2) disagree (a file changing while
  // it is read, or a pseudo-file such as /proc's, whose size is 0 whatever it holds).
  auto size_disagrees = [&](std::uint64_t found, bool fewer) {
    if (fewer) file.check_unchanged();
    return ValueError(fmt::format(
        "load_idx: {}: the file holds {} bytes than the {} its size (fstat) reports ({} read): {}; refused", path,
        fewer ? "fewer" : "more", file_size, found,
        fewer ? "it was truncated while being read, or it is a pseudo-file (such as those in /proc or /sys)"
              : "it is a pseudo-file (such as those in /proc) or a file that is growing"));
  };

  // The magic first, 4 bytes whatever the size says: a pseudo-file is judged by what it holds.
  unsigned char magic[4] = {0, 0, 0, 0};
  const std::size_t got = file.read(magic, 4);
  if (got < 4) {
    if (got < std::min<std::uint64_t>(file_size, 4)) throw size_disagrees(got, true);
    throw ValueError(fmt::format("load_idx: {}: truncated header ({} bytes; the magic number alone takes 4)", path,
                                 got));
  }
  if (magic[0] == 0x1f && magic[1] == 0x8b)
    throw ValueError(fmt::format("load_idx: {}: the file is gzip-compressed; decompress it first (gunzip)", path));
  if (magic[0] != 0 || magic[1] != 0)
    throw ValueError(fmt::format(
        "load_idx: {}: bad magic number 0x{:02x}{:02x}{:02x}{:02x}: an IDX file starts with two zero bytes", path,
        magic[0], magic[1], magic[2], magic[3]));
  const unsigned code = magic[2];
  const std::size_t width = idx_type_size(code);
  if (width == 0)
    throw ValueError(fmt::format(
        "load_idx: {}: unknown IDX type code 0x{:02x} (known: 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, "
        "0x0D float32, 0x0E float64)",
        path, code));
  if (file_size < 4) throw size_disagrees(got, false);
  const std::size_t ndim = magic[3];
  const std::uint64_t header = 4 + 4 * static_cast<std::uint64_t>(ndim);
  if (file_size < header)
    throw ValueError(fmt::format("load_idx: {}: truncated header: {} dimensions need {} header bytes, file has {}",
                                 path, ndim, header, file_size));
  std::vector<unsigned char> dims(4 * ndim);
  const std::size_t dims_read = file.read(dims.data(), dims.size());
  if (dims_read != dims.size()) throw size_disagrees(4 + dims_read, true);
  Shape shape(ndim);
  for (std::size_t d = 0; d < ndim; ++d) shape[d] = static_cast<std::size_t>(read_be(&dims[4 * d], 4));

  // Declared byte count, saturating: anything above the bytes present is an error either way.
  const std::uint64_t present = file_size - header;
  bool any_zero = false;
  for (auto e : shape) any_zero = any_zero || e == 0;
  std::uint64_t declared = any_zero ? 0 : width;
  bool too_big = false;
  if (!any_zero)
    for (auto e : shape) {
      if (declared > std::numeric_limits<std::uint64_t>::max() / e) {
        too_big = true;
        break;
      }
      declared *= e;
    }
  if (too_big || declared != present)
    throw ValueError(fmt::format(
        "load_idx: {}: header declares shape {} of {}-byte values = {} bytes of data, but the file holds {} "
        "bytes after its {}-byte header ({})",
        path, shape_str(shape), width, too_big ? std::string("more than 2^64") : std::to_string(declared), present,
        header, too_big || declared > present ? "truncated file or corrupt header" : "trailing bytes"));

  // Exactly the declared bytes, never more; then the file must still be as it was opened.
  const std::size_t count = static_cast<std::size_t>(declared / width);
  Tensor t = empty(shape, dtype);  // checks the size against the machine's memory first
  std::vector<unsigned char> raw(static_cast<std::size_t>(declared));
  const std::size_t data_read = file.read(raw.data(), raw.size());
  if (data_read != raw.size()) throw size_disagrees(header + data_read, true);
  file.check_unchanged();
  dispatch(dtype, [&]<class T>() { decode<T>(raw.data(), count, code, t.data_ptr<T>()); });
  return t;
}

TensorDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path, bool scale_to_unit,
                               Dtype dtype) {
  Tensor x = load_idx(images_path, dtype);
  Tensor y = load_idx(labels_path, dtype);
  if (x.dim() == 0 || y.dim() == 0 || x.shape()[0] != y.shape()[0])
    throw ShapeError(fmt::format("load_idx_dataset: {} has shape {} but {} has shape {}: the first extents differ",
                                 images_path, shape_str(x.shape()), labels_path, shape_str(y.shape())));
  if (scale_to_unit) x = x / 255.0;
  return TensorDataset(x, y);
}

}  // namespace xg::nn
