// Lesson 12: VGG-16 and VGG-19 for 224x224x3 images with the 1000-class top, built from Keras
// layers, with their summaries (138,357,544 and 143,667,240 parameters, as in Keras); and the
// lesson's remark that two 3x3 convolutions see as far as one 5x5 with fewer parameters.
#include <iostream>
#include <utility>
#include <vector>

#include "ember.h"

using namespace ember;

// blocks: (filters, number of 3x3 convolutions) before each 2x2 max pooling. The layers are
// listed first, as Keras' Sequential([...]) takes them, and the model is returned by value.
keras::Sequential vgg(const std::string& name,
                      const std::vector<std::pair<std::int64_t, int>>& blocks) {
  std::vector<keras::SequentialItem> layer_list = {keras::Input({224, 224, 3})};
  for (const auto& [filters, count] : blocks) {
    for (int i = 0; i < count; ++i)
      layer_list.push_back(layers::Conv2D(filters, 3, _activation = "relu", _padding = "same"));
    layer_list.push_back(layers::MaxPooling2D(2));
  }
  layer_list.push_back(layers::Flatten());
  layer_list.push_back(layers::Dense(4096, _activation = "relu"));
  layer_list.push_back(layers::Dense(4096, _activation = "relu"));
  layer_list.push_back(layers::Dense(1000, _activation = "softmax"));
  return keras::Sequential(std::move(layer_list), name);
}

int main() {
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);

  // Conv3-64 x2, MaxPool, Conv3-128 x2, MaxPool, Conv3-256 x3, MaxPool, Conv3-512 x3, MaxPool,
  // Conv3-512 x3, MaxPool, Dense-4096, Dense-4096, Dense-1000, Softmax: 13 + 3 weight layers.
  vgg("vgg16", {{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}}).summary();
  // VGG-19 adds a fourth convolution to the last three blocks: 16 + 3 weight layers.
  vgg("vgg19", {{64, 2}, {128, 2}, {256, 4}, {512, 4}, {512, 4}}).summary();

  // Conv3 -> Conv3 covers 5x5 like one Conv5, with (3*3+1)*2 = 20 parameters instead of 5*5+1 = 26.
  keras::Sequential two_3x3({keras::Input({9, 9, 1}), layers::Conv2D(1, 3), layers::Conv2D(1, 3)});
  keras::Sequential one_5x5({keras::Input({9, 9, 1}), layers::Conv2D(1, 5)});
  std::cout << "\ntwo 3x3 convolutions: output "
            << keras::shape_string(two_3x3.outputs()[0].shape()) << ", " << two_3x3.count_params()
            << " parameters; one 5x5: output " << keras::shape_string(one_5x5.outputs()[0].shape())
            << ", " << one_5x5.count_params() << " parameters\n";
  return 0;
}
