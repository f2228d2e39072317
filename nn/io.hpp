#pragma once
// xg::nn data loaders: numeric CSV files and IDX files (the MNIST format).
#include <cstddef>
#include <string>

#include "autodiff/tensor.hpp"
#include "nn/data.hpp"

namespace xg::nn {

/// load_csv settings (an aggregate; designated initialisers in this order).
struct CsvOptions {
  int label_column = -1;   ///< column holding the label; negative counts from the end (-1 = last)
  bool has_header = false;  ///< the first line after skip_rows is a header (ignored, never parsed)
  std::size_t skip_rows = 0;  ///< lines to skip at the top, before the header
  char delimiter = ',';
  Dtype dtype = kFloat32;  ///< dtype of both returned tensors
};

/// The longest line load_csv reads: 16 MiB, the '\n' not counted. A longer line (a file that is
/// not a CSV of numbers, or one endless line) is refused once that many bytes have been read,
/// instead of growing one string without bound.
inline constexpr std::size_t kCsvMaxLineBytes = std::size_t{16} << 20;

/// Reads a numeric CSV file into a data set: features x {N, F} (every column but the label
/// column, in file order) and labels y {N} (e.g. class indices for cross_entropy).
///
/// Rules: every field must be a finite decimal number (surrounding spaces and a trailing '\r'
/// are allowed; quotes, empty fields, "nan"/"inf" are not) within the range of `dtype` (no
/// silent overflow to inf; a value too small for the dtype underflows to 0 or a denormal, as in
/// numpy: "1e-400" reads as 0); every data row must have as many fields as the first data row;
/// blank lines are skipped; no line may be longer than kCsvMaxLineBytes (16 MiB).
/// Only a regular file is read (nn/file_input.hpp): a FIFO, a device or a directory is refused
/// at once, saying what it is, and opening never blocks.
/// Errors (all ValueError, message starting "load_csv: <path>"): file cannot be opened (with the
/// system's reason) or is not a regular file; no data rows; a row with the wrong number of
/// fields (names the line number, expected and found counts); a field that is not a number, or
/// out of the dtype's range (names line number, 1-based column and the text, cut after 40
/// characters); a line over the limit (names the line number and the limit); label_column
/// outside the row; fewer than 2 columns; a path that is empty or holds a NUL byte.
TensorDataset load_csv(const std::string& path, CsvOptions options = {});

/// Reads an IDX file (the MNIST format, http://yann.lecun.com/exdb/mnist/) into a tensor.
///
/// Layout: magic = two zero bytes, a type code, the number of dimensions d; then d big-endian
/// uint32 extents; then the values, big-endian, row-major. Type codes: 0x08 unsigned byte
/// (values 0..255, not rescaled), 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32,
/// 0x0E float64. The result has the declared shape and `dtype` (float32 by default).
/// Errors (ValueError naming the path): file cannot be opened (with the system's reason) or is
/// not a regular file (a FIFO, a device, a directory: said so, and never blocking); gzip-compressed
/// file (decompress first); bad magic (non-zero leading bytes, unknown type code); truncated
/// header; declared data size differing from the bytes present (truncated or trailing bytes); a
/// file that changes while it is read, or whose contents disagree with its size (a pseudo-file
/// such as /proc's). The declared size is checked against the file size before any allocation,
/// so a corrupt header cannot cause a huge allocation, and no more than that size is read.
Tensor load_idx(const std::string& path, Dtype dtype = kFloat32);

/// Images and labels from two IDX files as one data set (e.g. MNIST's train-images-idx3-ubyte and
/// train-labels-idx1-ubyte): x as stored ({N, 28, 28} for MNIST; values 0..255 unless
/// `scale_to_unit`, which divides by 255), y {N}. ShapeError when the first extents differ.
TensorDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                               bool scale_to_unit = false, Dtype dtype = kFloat32);

}  // namespace xg::nn
