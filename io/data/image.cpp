// Every augmentation is one gather: the source pixel of each output pixel is worked out by a few
// integer ops on the device of the images, from the random draws made there, so that nothing is
// read back to the host or uploaded per batch (a training step on a GPU never waits for it).
#include "io/data/image.h"

#include <functional>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/ops/op_support.h"
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

/// 0, 1, ..., n - 1 (int64) on `device`, laid along `axis` of a rank-3 (image, row, column) grid
/// (kept from call to call: no upload per batch).
Tensor iota_along(std::int64_t n, int axis, const Device& device) {
  std::vector<std::int64_t> dims = {1, 1, 1};
  dims[static_cast<std::size_t>(axis)] = n;
  return reshape(detail::iota(n, device), dims);
}

/// The result's pixel (i, y, x) is the batch's pixel (i, sy, sx): sy and sx are int64 tensors on
/// the batch's device that broadcast to (n, out_h, out_w).
Tensor remap(const Tensor& batch, const Tensor& sy, const Tensor& sx, std::int64_t out_h,
             std::int64_t out_w) {
  const std::int64_t n = batch.shape(0), h = batch.shape(1), w = batch.shape(2), c = batch.shape(3);
  const autodiff::PauseAll untaped;  // augmentation is data preparation, not part of a model
  const Tensor image = iota_along(n, 0, batch.device());
  const Tensor source = (image * h + sy) * w + sx;  // (n, out_h, out_w)
  const Tensor picked = gather(reshape(batch, {n * h * w, c}), reshape(source, {-1}));
  return reshape(picked, {n, out_h, out_w, c});
}

/// `count` integers uniform in [0, limit) on `device`, as an (count, 1, 1) grid column.
Tensor draw(std::int64_t count, std::int64_t limit, random::Generator* generator,
            const Device& device) {
  const random::UniformOptions options{
      .minval = 0, .maxval = static_cast<double>(limit), .dtype = int64};
  const DeviceScope scope(device);
  const Tensor values =
      generator ? generator->uniform({count}, options) : random::uniform({count}, options);
  return reshape(values, {count, 1, 1});
}

/// Mirrors the images whose entry in `which` (an (n, 1, 1) grid of 0 and 1) is 1, or every image
/// when `which` is undefined.
Tensor flip(const Tensor& images, bool horizontal, const Tensor& which, const char* op) {
  const Tensor batch = as_batch(images, op);
  const std::int64_t h = batch.shape(1), w = batch.shape(2);
  const autodiff::PauseAll untaped;
  const Tensor y = iota_along(h, 1, batch.device()), x = iota_along(w, 2, batch.device());
  // The mirrored coordinate is size - 1 - t, which is t + (size - 1 - 2t).
  const auto mirrored = [&](const Tensor& t, std::int64_t size) {
    const Tensor shift = (size - 1) - 2 * t;
    return t + (which.defined() ? which * shift : shift);
  };
  const Tensor sy = horizontal ? y : mirrored(y, h), sx = horizontal ? mirrored(x, w) : x;
  return like_input(remap(batch, sy, sx, h, w), images);
}

Tensor random_flip(const Tensor& images, bool horizontal, random::Generator* generator,
                   const char* op) {
  if (trace::recording()) {
    return traced_augmentation(op, images, generator,
                               [horizontal, op](const Tensor& x, random::Generator* g) {
                                 return random_flip(x, horizontal, g, op);
                               });
  }
  const Tensor batch = as_batch(images, op);
  return flip(images, horizontal, draw(batch.shape(0), 2, generator, batch.device()), op);
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
  const Tensor dy = draw(n, h - height + 1, generator, batch.device());
  const Tensor dx = draw(n, w - width + 1, generator, batch.device());
  const autodiff::PauseAll untaped;
  return like_input(remap(batch, dy + iota_along(height, 1, batch.device()),
                          dx + iota_along(width, 2, batch.device()), height, width),
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
  return flip(images, true, Tensor(), "flip_left_right");
}
Tensor flip_up_down(const Tensor& images) { return flip(images, false, Tensor(), "flip_up_down"); }

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
