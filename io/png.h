// PNG images through libpng: what summary::image writes for TensorBoard and what the samples draw
// (lesson 11's reconstructions).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ember::io {

/// An image as rows of pixels: height x width x channels bytes, row-major.
struct PngImage {
  int height = 0, width = 0;
  /// 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
  int channels = 0;
  std::vector<std::uint8_t> pixels;
};

/// The PNG file of `image` (8 bits per channel).
std::string encode_png(const PngImage& image);
/// A PNG file's pixels at 8 bits per channel (palettes expanded, 16-bit samples cut to 8).
/// `name` is used in messages; a malformed file is an IoError naming it.
PngImage decode_png(const std::string& bytes, const std::string& name = "PNG data");

/// An image tensor [height, width, channels] (channels 1, 3 or 4) as pixels: uint8 as it is, or
/// floating point in [0, 1] converted as tf.image.convert_image_dtype(..., uint8, saturate=True)
/// does (x * 255.5, clamped to [0, 255], rounded toward zero).
PngImage to_png_image(const Tensor& image, const char* op = "io::write_png");
/// Writes `image` ([height, width, channels]) as a PNG file (crash-safe: a temporary renamed
/// into place).
void write_png(const std::string& path, const Tensor& image);
/// Whether this ember was built with libpng.
bool png_available();

}  // namespace ember::io
