#pragma once
// Checkpoints: save and load a module's parameters and buffers by dotted name.
// The file format, guarantees and error messages are documented in docs/checkpoints.md.
#include <string>
#include <string_view>
#include <vector>

#include "nn/module.hpp"

namespace xg::nn {

/// Writes every named parameter and named buffer of `module` (Module::named_parameters(),
/// Module::named_buffers()) to `path` in xgrad's checkpoint format (docs/checkpoints.md):
/// names, kinds, dtypes, shapes and raw little-endian values, sealed by an FNV-1a 64 checksum.
///
/// Atomic: the data goes to a temporary file next to `path` ("<path>.tmp.<pid>.<n>"), which is
/// flushed, fsync'ed and then renamed over `path`. A failed or interrupted save never leaves a
/// partial file at `path`: a file that was there before is left as it was, and the temporary
/// file is removed. Throws ValueError naming the path and the operating system's reason on
/// any I/O failure (missing or unwritable directory, disk full, `path` is a directory, ...).
/// The values are read as they are at the call; the module is not modified.
///
/// Symbolic links are written through, as torch.save does: when `path` is a link (or a chain of
/// links, or a dangling link), the file it ends at is replaced — the temporary file goes beside
/// that file — and the links stay. Temporary files of earlier saves to the same file whose
/// process is dead (killed mid-save) are removed; a live process's never are. A path that is
/// empty or holds a NUL byte is refused (ValueError) before anything touches the file system.
void save(const Module& module, const std::string& path);

/// Reads a checkpoint written by `save` from `path` into `module`'s existing parameters and
/// buffers, in place (Tensor::copy_ under NoGradGuard: tensors keep their identity, so
/// optimizers and shared handles see the new values; requires_grad and grads are untouched).
///
/// All or nothing: the whole file is read and validated before the module is touched — magic
/// bytes, format version, declared size, checksum, every length and count (bounds-checked
/// against the file size before anything is allocated), then the match with the module: the
/// set of names must equal the module's, and each entry's kind (parameter or buffer), dtype
/// and shape must equal its tensor's (dtypes are never converted). On any failure the module
/// is unchanged and ValueError is thrown; its message names the file, and for a mismatch each
/// offending entry with what the module expects and what the file holds.
///
/// Only a regular file is read (a FIFO, a device such as /dev/zero, a directory is refused at
/// once, saying what it is; opening never blocks), and only as many bytes as its size: the
/// magic bytes and the size the header declares are checked against the file's size before
/// the rest is read, and a file that changes while it is read is refused.
void load(Module& module, const std::string& path);

namespace detail {

class InputFile;  // nn/file_input.hpp

/// One named tensor of a checkpoint file; `buffer` is the entry's kind flag (parameter or buffer).
struct NamedTensor {
  std::string name;
  Tensor tensor;
  bool buffer = false;
};

/// The writer behind save(), for any list of named tensors (optimizer state uses it too): the
/// same format, checksum and atomic temporary-file-and-rename. Messages start with `who`.
void write_named_tensors(const std::vector<NamedTensor>& entries, const std::string& path, std::string_view who);

/// The reader behind load(): reads the whole file and validates it (magic, version, size,
/// checksum, bounds, known codes, unique names) before decoding every entry into a new tensor.
/// Touches nothing else; ValueError (starting with `who`, naming the file) on any problem.
std::vector<NamedTensor> read_named_tensors(const std::string& path, std::string_view who);

/// The bytes of a checkpoint, from a file open for reading: its header (at most 28 bytes) first,
/// whose magic and declared size are checked against the size the file had when it was opened,
/// then exactly that many bytes, never more; then the file must be unchanged (same size and
/// modification time as at open). ValueError (starting with `who`) otherwise. Only the envelope
/// is checked here (magic, version, size); read_named_tensors checks the rest.
std::vector<unsigned char> read_checkpoint_bytes(InputFile& file, std::string_view who);

/// A name quoted for a message as load() quotes it (control and non-ASCII bytes as \xNN).
std::string quote_name(std::string_view name);

}  // namespace detail

}  // namespace xg::nn
