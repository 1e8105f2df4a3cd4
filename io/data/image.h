// Image augmentation (tf.image): random flips and crops for batches of images in NHWC layout (or
// a single HWC image), on any device, usable inside Dataset::map.
//
//   auto augment = [](const Dataset::Element& e) -> Dataset::Element {
//     return {image::random_flip_left_right(image::random_crop_with_padding(e[0], 4)), e[1]};
//   };
//   auto train = Dataset::from_tensor_slices({x, y}).shuffle(50000).batch(128).map(augment);
//
// Each image of a batch gets its own random choice. The draws come from ember's global generator
// (reproducible after random::set_seed) or from the Generator given.
#pragma once

#include <cstdint>

#include "core/random/random.h"
#include "core/tensor.h"

namespace ember::image {

/// Mirrors every image left to right.
Tensor flip_left_right(const Tensor& images);
/// Mirrors every image upside down.
Tensor flip_up_down(const Tensor& images);
/// Mirrors each image left to right with probability 1/2.
Tensor random_flip_left_right(const Tensor& images);
Tensor random_flip_left_right(const Tensor& images, random::Generator& generator);
/// Mirrors each image upside down with probability 1/2.
Tensor random_flip_up_down(const Tensor& images);
Tensor random_flip_up_down(const Tensor& images, random::Generator& generator);
/// A height x width window of each image, at a uniformly random position.
Tensor random_crop(const Tensor& images, std::int64_t height, std::int64_t width);
Tensor random_crop(const Tensor& images, std::int64_t height, std::int64_t width,
                   random::Generator& generator);
/// Pads every side with `padding` zeros, then crops back to the original size at a random
/// position: random shifts by up to `padding` pixels (the usual CIFAR-10 augmentation).
Tensor random_crop_with_padding(const Tensor& images, std::int64_t padding);
Tensor random_crop_with_padding(const Tensor& images, std::int64_t padding,
                                random::Generator& generator);

}  // namespace ember::image
