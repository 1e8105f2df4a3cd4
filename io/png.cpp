#include "io/png.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "io/atomic_file.h"

#if EMBER_WITH_PNG
#include <png.h>
#endif

namespace ember::io {

PngImage to_png_image(const Tensor& image, const char* op) {
  if (!image.defined()) throw Error(cat(op, ": the image tensor is undefined"));
  if (image.rank() != 3)
    throw ShapeError(
        cat(op, ": expected an image of shape [height, width, channels], got ", image.shape()));
  const auto channels = image.shape(2);
  if (channels != 1 && channels != 3 && channels != 4)
    throw ShapeError(
        cat(op, ": expected 1, 3 or 4 channels, got ", channels, " (shape ", image.shape(), ")"));
  if (image.shape(0) <= 0 || image.shape(1) <= 0 || image.shape(0) > (1 << 20) ||
      image.shape(1) > (1 << 20))
    throw ShapeError(cat(op, ": image sides must be within 1 and 2^20, got ", image.shape()));
  PngImage out;
  out.height = static_cast<int>(image.shape(0));
  out.width = static_cast<int>(image.shape(1));
  out.channels = static_cast<int>(channels);
  if (image.dtype() == DType::uint8) {
    out.pixels = image.to_vector<std::uint8_t>();
  } else if (image.dtype() == DType::float32 || image.dtype() == DType::float64) {
    // convert_image_dtype multiplies in the image's own precision.
    const auto convert = [](auto x, auto scale) {
      const auto scaled = x * scale;
      if (!(scaled > 0)) return std::uint8_t{0};  // NaN too
      return scaled >= 255 ? std::uint8_t{255} : static_cast<std::uint8_t>(scaled);
    };
    out.pixels.reserve(static_cast<std::size_t>(image.size()));
    if (image.dtype() == DType::float32) {
      for (const float x : image.to_vector<float>()) out.pixels.push_back(convert(x, 255.5f));
    } else {
      for (const double x : image.to_vector<double>()) out.pixels.push_back(convert(x, 255.5));
    }
  } else {
    throw DTypeError(cat(op, ": expected a uint8 or floating-point image, got ", image.dtype()));
  }
  return out;
}

void write_png(const std::string& path, const Tensor& image) {
  const std::string bytes = encode_png(to_png_image(image));
  write_atomically(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

#if EMBER_WITH_PNG

bool png_available() { return true; }

namespace {
int color_type(int channels) {
  switch (channels) {
    case 1:
      return PNG_COLOR_TYPE_GRAY;
    case 2:
      return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3:
      return PNG_COLOR_TYPE_RGB;
    case 4:
      return PNG_COLOR_TYPE_RGBA;
    default:
      throw Error(cat("encode_png: expected 1 to 4 channels, got ", channels));
  }
}
}  // namespace

std::string encode_png(const PngImage& image) {
  const int type = color_type(image.channels);
  const auto row_bytes = static_cast<std::size_t>(image.width) * image.channels;
  if (image.height <= 0 || image.width <= 0 ||
      image.pixels.size() != row_bytes * static_cast<std::size_t>(image.height))
    throw Error(cat("encode_png: ", image.height, " x ", image.width, " x ", image.channels,
                    " pixels expected, got ", image.pixels.size(), " bytes"));
  png_image png;  // libpng's simplified API: errors come back as a message, not a longjmp
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = type == PNG_COLOR_TYPE_GRAY         ? PNG_FORMAT_GRAY
               : type == PNG_COLOR_TYPE_GRAY_ALPHA ? PNG_FORMAT_GA
               : type == PNG_COLOR_TYPE_RGB        ? PNG_FORMAT_RGB
                                                   : PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(),
                                 static_cast<png_int_32>(row_bytes), nullptr))
    throw Error(cat("encode_png: ", png.message));
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&png, out.data(), &size, 0, image.pixels.data(),
                                 static_cast<png_int_32>(row_bytes), nullptr))
    throw Error(cat("encode_png: ", png.message));
  out.resize(size);
  return out;
}

PngImage decode_png(const std::string& bytes, const std::string& name) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw IoError(cat(name, ": not a readable PNG image: ", png.message));
  const bool alpha = (png.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  const bool color = (png.format & PNG_FORMAT_FLAG_COLOR) != 0;
  png.format = color ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB)
                     : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
  PngImage out;
  out.width = static_cast<int>(png.width);
  out.height = static_cast<int>(png.height);
  out.channels = static_cast<int>(PNG_IMAGE_SAMPLE_CHANNELS(png.format));
  // The header's size is checked against what the data could hold before anything is allocated:
  // deflate packs at most 1032 bytes of pixels into one byte.
  const double claimed = static_cast<double>(png.width) * png.height * out.channels;
  if (png.width == 0 || png.height == 0 || claimed > 1032.0 * static_cast<double>(bytes.size()) ||
      claimed > double(1u << 30)) {
    png_image_free(&png);
    throw IoError(cat(name, ": PNG header claims ", png.width, " x ", png.height,
                      " pixels, more than its ", bytes.size(), " bytes can hold"));
  }
  out.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, out.pixels.data(), 0, nullptr))
    throw IoError(cat(name, ": corrupt PNG image: ", png.message));
  return out;
}

#else  // built without libpng

bool png_available() { return false; }
namespace {
[[noreturn]] void no_png(const char* what) {
  throw Error(cat(what,
                  ": this ember was built without libpng (install libpng-dev and "
                  "configure again)"));
}
}  // namespace
std::string encode_png(const PngImage&) { no_png("encode_png"); }
PngImage decode_png(const std::string&, const std::string& name) { no_png(name.c_str()); }

#endif

}  // namespace ember::io
