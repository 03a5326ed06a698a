// Image folders (one sub-folder per class) as rows (source.h), decoded with libpng and libjpeg-turbo.
// Every image is untrusted: its dimensions are checked against max_image_pixels before any pixel buffer is
// allocated, and a file that does not decode is a row with a problem, never the end of the stream.
// jpeglib.h uses size_t and FILE without including their headers.
#include <cstddef>
#include <cstdio>
#include <cstring>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <filesystem>

#include "modelguard/core/io.h"
#include "src/data/source/source_internal.h"

namespace modelguard::data {
namespace {

constexpr uint64_t kMaxImageFileBytes = uint64_t{256} << 20;

struct Image {
  uint32_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height x width x channels
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Result<Image> DecodePng(const std::string& bytes, uint64_t max_pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    return MakeError(ErrorCode::kParse, std::string("not a readable PNG: ") + image.message);
  if (uint64_t{image.width} * image.height > max_pixels) {
    png_image_free(&image);
    return MakeError(ErrorCode::kLimit, "PNG of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                                            " pixels, more than the limit");
  }
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  const bool alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  // Read with the alpha channel and then drop it, as PIL's convert("RGB") / convert("L") does before a
  // training pipeline sees the pixels: libpng's own alpha removal would compose onto a background instead.
  image.format = colour ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB) : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
  std::vector<uint8_t> decoded(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, decoded.data(), 0, nullptr)) {
    std::string message = image.message;
    png_image_free(&image);
    return MakeError(ErrorCode::kParse, "PNG data is damaged: " + message);
  }
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = colour ? 3 : 1;
  if (!alpha) {
    out.pixels = std::move(decoded);
    return out;
  }
  const size_t stride = out.channels + 1;
  out.pixels.resize(decoded.size() / stride * out.channels);
  for (size_t pixel = 0, at = 0; pixel + stride <= decoded.size(); pixel += stride)
    for (size_t c = 0; c < out.channels; ++c) out.pixels[at++] = decoded[pixel + c];
  return out;
}

struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegFail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void JpegQuiet(j_common_ptr, int) {}  // warnings (corrupt-but-readable data) are not printed to stderr

// No C++ object with a destructor lives between setjmp and a longjmp into it: the pixel buffer is owned
// by the caller, and the decompressor is destroyed on both paths.
bool DecodeJpegInto(const std::string& bytes, uint64_t max_pixels, Image& out, std::string& error) {
  jpeg_decompress_struct info{};
  JpegErrors errors{};
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = JpegFail;
  errors.manager.emit_message = JpegQuiet;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    error = std::string("not a readable JPEG: ") + errors.message;
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  if (uint64_t{info.image_width} * info.image_height > max_pixels) {
    jpeg_destroy_decompress(&info);
    error = "JPEG larger than the pixel limit";
    return false;
  }
  info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&info);
  out.width = info.output_width;
  out.height = info.output_height;
  out.channels = static_cast<uint32_t>(info.output_components);
  out.pixels.resize(size_t{out.width} * out.height * out.channels);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + size_t{info.output_scanline} * out.width * out.channels;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

Result<Image> DecodeImage(const std::string& bytes, uint64_t max_pixels) {
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), "\x89PNG\r\n\x1a\n", 8) == 0) return DecodePng(bytes, max_pixels);
  if (bytes.size() >= 3 && std::memcmp(bytes.data(), "\xff\xd8\xff", 3) == 0) {
    Image image;
    std::string error;
    if (!DecodeJpegInto(bytes, max_pixels, image, error)) return MakeError(ErrorCode::kParse, error);
    return image;
  }
  return MakeError(ErrorCode::kParse, "neither PNG nor JPEG content");
}

struct ImageFile {
  std::string path;
  std::string label;  // the class folder's name; empty for a file outside any class folder
};

class ImageFolderSource : public DatasetSource {
 public:
  ImageFolderSource(std::vector<ImageFile> files, uint64_t max_pixels)
      : files_(std::move(files)), max_pixels_(max_pixels) {
    columns_ = {"label", "width", "height", "channels", "mean", "std", "min", "max", "non_finite"};
  }
  Result<bool> Next(Row& row) override {
    if (next_ >= files_.size()) return false;
    const ImageFile& file = files_[next_];
    row = Row{};
    row.location = next_++;
    if (file.label.empty()) {
      row.problem = file.path + ": outside a class folder (DIR/<class>/<image>)";
      return true;
    }
    auto bytes = ReadFile(file.path, kMaxImageFileBytes);
    if (!bytes) {
      row.problem = file.path + ": " + bytes.error().message;
      return true;
    }
    auto image = DecodeImage(*bytes, max_pixels_);
    if (!image) {
      row.problem = file.path + ": " + image.error().message;
      return true;
    }
    bytes_ += image->pixels.size();
    Cell label;
    label.type = CellType::kString;
    label.text = file.label;
    row.cells.push_back(std::move(label));
    for (uint32_t dimension : {image->width, image->height, image->channels}) {
      Cell cell;
      cell.type = CellType::kInteger;
      cell.number = dimension;
      cell.text = std::to_string(dimension);
      row.cells.push_back(std::move(cell));
    }
    scaled_.resize(image->pixels.size());
    for (size_t i = 0; i < scaled_.size(); ++i) scaled_[i] = static_cast<float>(image->pixels[i]) / 255.0f;
    AppendSampleStatistics(scaled_.data(), scaled_.size(), /*per_feature=*/false, row.cells);
    const uint32_t dims[3] = {image->width, image->height, image->channels};
    row.fingerprint = HashBytes(image->pixels.data(), image->pixels.size(), HashBytes(dims, sizeof dims));
    return true;
  }
  const std::vector<std::string>& columns() const override { return columns_; }
  SourceFormat format() const override { return SourceFormat::kImages; }
  uint64_t bytes_read() const override { return bytes_; }

 private:
  std::vector<ImageFile> files_;
  uint64_t max_pixels_;
  std::vector<std::string> columns_;
  std::vector<float> scaled_;
  size_t next_ = 0;
  uint64_t bytes_ = 0;
};

bool IsImageName(const std::string& name) {
  const std::string lower = Lower(name);
  return lower.ends_with(".png") || lower.ends_with(".jpg") || lower.ends_with(".jpeg");
}

}  // namespace

Result<std::array<uint32_t, 3>> DecodeImageBytes(const std::string& bytes, uint64_t max_pixels) {
  MG_ASSIGN_OR_RETURN(Image image, DecodeImage(bytes, max_pixels));
  if (image.pixels.size() != size_t{image.width} * image.height * image.channels)
    return MakeError(ErrorCode::kParse, "decoded pixels do not match the image's size");
  return std::array<uint32_t, 3>{image.width, image.height, image.channels};
}

Result<std::unique_ptr<DatasetSource>> OpenImageFolder(const std::string& root, const SourceOptions& options) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(root, error))
    return MakeError(ErrorCode::kInvalidArgument, "'" + root + "' is not a directory");
  std::vector<ImageFile> files;
  // Symbolic links are not followed: a class folder linking to /etc would read outside the dataset.
  fs::recursive_directory_iterator it(root, fs::directory_options::none, error), end;
  if (error) return MakeError(ErrorCode::kIo, "cannot list '" + root + "': " + error.message());
  for (; it != end; it.increment(error)) {
    if (error) return MakeError(ErrorCode::kIo, "cannot list '" + root + "': " + error.message());
    const fs::path relative = it->path().lexically_relative(root);
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {  // .DS_Store, .git
      if (it->is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(error) || it->is_symlink(error)) continue;
    if (!IsImageName(name)) continue;
    if (files.size() >= options.max_files)
      return MakeError(ErrorCode::kLimit, "'" + root + "': more than " + std::to_string(options.max_files) + " images");
    const auto depth = static_cast<size_t>(std::distance(relative.begin(), relative.end()));
    files.push_back({it->path().string(), depth >= 2 ? relative.begin()->string() : std::string()});
  }
  if (files.empty())
    return MakeError(ErrorCode::kInvalidArgument, "'" + root + "' holds no .png/.jpg/.jpeg files in class folders");
  std::sort(files.begin(), files.end(), [](const ImageFile& a, const ImageFile& b) { return a.path < b.path; });
  return std::unique_ptr<DatasetSource>(
      std::make_unique<ImageFolderSource>(std::move(files), options.max_image_pixels));
}

}  // namespace modelguard::data
