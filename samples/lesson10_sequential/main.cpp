// Lesson 10: keras::Sequential — weights appear once the input shape is known, add/pop/summary,
// Input and input_shape, a model with one output per layer, a truncated model, and a nested
// frozen model.
#include <iostream>

#include "ember.h"

using namespace ember;

int main() {
  std::cout << "device: " << default_device() << "\n\n";
  random::set_seed(1);

  keras::Sequential model(
      {layers::Dense(128, _activation = "relu"), layers::Dense(10, _activation = "softmax")});
  std::cout << "before any data: layers[0].weights has " << model.layers()[0]->weights().size()
            << " entries\n";
  model.pop();                                            // remove the last layer
  model.add(layers::Dense(10, _activation = "softmax"));  // and add one
  const Tensor x = random::uniform({1, 20});
  (void)model(x);
  std::cout << "after model(x): layers[0].weights = " << model.layers()[0]->weights()[0].shape()
            << " and " << model.layers()[0]->weights()[1].shape() << "\n";
  model.summary();

  // Best practice: give the input shape, and the model is built at once.
  keras::Sequential with_input({keras::Input({20}), layers::Dense(128, _activation = "relu"),
                                layers::Dense(10, _activation = "softmax")});
  std::cout << "\nwith an Input: " << with_input.layers().size()
            << " layers (the Input is not one), " << with_input.count_params() << " parameters\n";

  keras::Sequential base({layers::Dense(128, _activation = "relu", _input_shape = Shape{784}),
                          layers::Dense(10, _activation = "softmax")});

  // One input, one output per layer: the same layers and weights.
  std::vector<keras::KerasTensor> outputs;
  for (const auto& layer : base.layers()) outputs.push_back(layer->output());
  keras::Model model_ex(base.inputs(), outputs);
  const std::vector<Tensor> both = model_ex(std::vector<Tensor>{random::uniform({2, 784})});
  std::cout << "\nmodel_ex outputs: " << both[0].shape() << " and " << both[1].shape() << "\n";

  // Cut the model after its first layer.
  keras::Model first(base.inputs(), base.layers()[0]->output());
  first.summary();

  // A trained model as a layer of a bigger one, frozen.
  keras::Sequential model_ex_2({base, layers::Dense(12)});
  base.set_trainable(false);  // model.trainable = False
  model_ex_2.summary();
  std::cout << "trainable variables of model_ex_2: " << model_ex_2.trainable_variables().size()
            << "\n";
  return 0;
}
