// Every augmentation is one gather: the source pixel of each output pixel is worked out on the
// host (a few hundred thousand indices for a CIFAR batch) and the pixels move on the device of
// the images.
#include "io/data/image.h"

#include <functional>

#include "core/error.h"
#include "core/ops.h"
#include "core/ops/run_op.h"
#include "core/tensor_impl.h"

namespace ember::image {

namespace {

/// Runs an augmentation as a random op, so that every call of a graph function draws afresh (the
/// draws happen on the host, out of the ops' sight). `augment(images, generator)` is the
/// augmentation itself; the generator (if any) is copied, and copies share their state.
template <class F>
Tensor traced_augmentation(const char* op, const Tensor& images, random::Generator* generator,
                           F augment) {
  if (generator == nullptr) {
    return detail::run_random_op(
        op, [augment](const Tensor& x) { return augment(x, nullptr); }, images);
  }
  return detail::run_random_op(
      op,
      [augment, shared = *generator](const Tensor& x) {
        random::Generator g = shared;
        return augment(x, &g);
      },
      images);
}

/// The images as a batch [N, H, W, C] (a single HWC image becomes a batch of one).
Tensor as_batch(const Tensor& images, const char* op) {
  detail::check_defined(images, op);
  if (images.rank() == 3) return expand_dims(images, 0);
  if (images.rank() != 4) {
    throw ShapeError(cat("image::", op,
                         ": expects images [batch, height, width, channels] or one image ",
                         "[height, width, channels], got shape ", images.shape()));
  }
  return images;
}

Tensor like_input(const Tensor& batch, const Tensor& images) {
  return images.rank() == 3 ? squeeze(batch, std::vector<std::int64_t>{0}) : batch;
}

/// Output pixel (n, y, x) of an out_h x out_w result comes from input pixel source(n, y, x) =
/// (n, sy, sx) of the batch.
Tensor remap(const Tensor& batch, std::int64_t out_h, std::int64_t out_w,
             const std::function<std::pair<std::int64_t, std::int64_t>(std::int64_t, std::int64_t,
                                                                       std::int64_t)>& source) {
  const std::int64_t n = batch.shape(0), h = batch.shape(1), w = batch.shape(2), c = batch.shape(3);
  std::vector<std::int64_t> indices;
  indices.reserve(static_cast<std::size_t>(n * out_h * out_w));
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t y = 0; y < out_h; ++y) {
      for (std::int64_t x = 0; x < out_w; ++x) {
        const auto [sy, sx] = source(i, y, x);
        indices.push_back((i * h + sy) * w + sx);
      }
    }
  }
  const autodiff::PauseAll untaped;  // augmentation is data preparation, not part of a model
  const Tensor pixels = reshape(batch, {n * h * w, c});
  const Tensor picked = gather(pixels, constant(indices).to(batch.device()));
  return reshape(picked, {n, out_h, out_w, c});
}

std::vector<std::int64_t> draw(std::int64_t count, std::int64_t limit,
                               random::Generator* generator) {
  if (count == 0) return {};
  const random::UniformOptions options{
      .minval = 0, .maxval = static_cast<double>(limit), .dtype = int64};
  const Tensor values =
      generator ? generator->uniform({count}, options) : random::uniform({count}, options);
  return values.to(Device::cpu()).to_vector<std::int64_t>();
}

/// Mirrors the images whose entry in `which` is nonzero, or every image when `which` is null.
Tensor flip(const Tensor& images, bool horizontal, const std::vector<std::int64_t>* which,
            const char* op) {
  const Tensor batch = as_batch(images, op);
  const std::int64_t h = batch.shape(1), w = batch.shape(2);
  return like_input(remap(batch, h, w,
                          [&](std::int64_t i, std::int64_t y,
                              std::int64_t x) -> std::pair<std::int64_t, std::int64_t> {
                            if (which != nullptr && !(*which)[static_cast<std::size_t>(i)])
                              return {y, x};
                            return horizontal ? std::pair{y, w - 1 - x} : std::pair{h - 1 - y, x};
                          }),
                    images);
}

Tensor random_flip(const Tensor& images, bool horizontal, random::Generator* generator,
                   const char* op) {
  if (trace::recording()) {
    return traced_augmentation(op, images, generator,
                               [horizontal, op](const Tensor& x, random::Generator* g) {
                                 return random_flip(x, horizontal, g, op);
                               });
  }
  const std::vector<std::int64_t> which = draw(as_batch(images, op).shape(0), 2, generator);
  return flip(images, horizontal, &which, op);
}

Tensor crop(const Tensor& images, std::int64_t height, std::int64_t width,
            random::Generator* generator) {
  if (trace::recording()) {
    return traced_augmentation("random_crop", images, generator,
                               [height, width](const Tensor& x, random::Generator* g) {
                                 return crop(x, height, width, g);
                               });
  }
  const Tensor batch = as_batch(images, "random_crop");
  const std::int64_t h = batch.shape(1), w = batch.shape(2);
  if (height <= 0 || width <= 0 || height > h || width > w) {
    throw ShapeError(cat("image::random_crop: a ", height, "x", width,
                         " crop does not fit images of ", h, "x", w));
  }
  const std::int64_t n = batch.shape(0);
  const std::vector<std::int64_t> dy = draw(n, h - height + 1, generator),
                                  dx = draw(n, w - width + 1, generator);
  return like_input(remap(batch, height, width,
                          [&](std::int64_t i, std::int64_t y, std::int64_t x) {
                            return std::pair{dy[static_cast<std::size_t>(i)] + y,
                                             dx[static_cast<std::size_t>(i)] + x};
                          }),
                    images);
}

Tensor crop_with_padding(const Tensor& images, std::int64_t padding, random::Generator* generator) {
  if (trace::recording()) {
    return traced_augmentation("random_crop_with_padding", images, generator,
                               [padding](const Tensor& x, random::Generator* g) {
                                 return crop_with_padding(x, padding, g);
                               });
  }
  if (padding < 0)
    throw Error(cat("image::random_crop_with_padding: padding must be >= 0, got ", padding));
  const Tensor batch = as_batch(images, "random_crop_with_padding");
  const autodiff::PauseAll untaped;
  const Tensor padded = pad(batch, {{0, 0}, {padding, padding}, {padding, padding}, {0, 0}});
  return like_input(crop(padded, batch.shape(1), batch.shape(2), generator), images);
}

}  // namespace

Tensor flip_left_right(const Tensor& images) {
  return flip(images, true, nullptr, "flip_left_right");
}
Tensor flip_up_down(const Tensor& images) { return flip(images, false, nullptr, "flip_up_down"); }

Tensor random_flip_left_right(const Tensor& images) {
  return random_flip(images, true, nullptr, "random_flip_left_right");
}
Tensor random_flip_left_right(const Tensor& images, random::Generator& generator) {
  return random_flip(images, true, &generator, "random_flip_left_right");
}
Tensor random_flip_up_down(const Tensor& images) {
  return random_flip(images, false, nullptr, "random_flip_up_down");
}
Tensor random_flip_up_down(const Tensor& images, random::Generator& generator) {
  return random_flip(images, false, &generator, "random_flip_up_down");
}
Tensor random_crop(const Tensor& images, std::int64_t height, std::int64_t width) {
  return crop(images, height, width, nullptr);
}
Tensor random_crop(const Tensor& images, std::int64_t height, std::int64_t width,
                   random::Generator& generator) {
  return crop(images, height, width, &generator);
}
Tensor random_crop_with_padding(const Tensor& images, std::int64_t padding) {
  return crop_with_padding(images, padding, nullptr);
}
Tensor random_crop_with_padding(const Tensor& images, std::int64_t padding,
                                random::Generator& generator) {
  return crop_with_padding(images, padding, &generator);
}

}  // namespace ember::image
