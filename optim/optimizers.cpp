#include "optim/optimizers.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "core/error.h"

namespace ember::optim {

std::shared_ptr<Optimizer> get(const std::string& name) {
  static const std::map<std::string, std::function<std::shared_ptr<Optimizer>()>> registry = {
      {"adadelta", [] { return std::make_shared<Adadelta>(); }},
      {"adagrad", [] { return std::make_shared<Adagrad>(); }},
      {"adam", [] { return std::make_shared<Adam>(); }},
      {"adamax", [] { return std::make_shared<Adamax>(); }},
      {"adamw", [] { return std::make_shared<AdamW>(); }},
      {"nadam", [] { return std::make_shared<Nadam>(); }},
      {"rmsprop", [] { return std::make_shared<RMSprop>(); }},
      {"sgd", [] { return std::make_shared<SGD>(); }},
  };
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto it = registry.find(key);
  if (it == registry.end()) {
    std::string known;
    for (const auto& [k, make] : registry) known += (known.empty() ? "" : ", ") + k;
    throw Error(cat("optim::get: unknown optimizer \"", name, "\"; known: ", known));
  }
  return it->second();
}

}  // namespace ember::optim
