// imdb: Keras' imdb.npz (ragged arrays of word indices, stored as pickles) and its word index,
// processed in Keras' order with Keras' shuffle.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"
#include "io/data/dataset_sources.h"
#include "io/data/datasets.h"
#include "io/data/numpy_random.h"
#include "io/npy.h"
#include "io/pickle.h"
#include "io/whole_file.h"

namespace ember::io::datasets::imdb {
namespace {

constexpr const char* kLoader = "imdb.load_data";
constexpr const char* kNpz = "imdb.npz";
constexpr const char* kWordIndex = "imdb_word_index.json";
// keras/src/datasets/imdb.py
constexpr const char* kNpzSha256 =
    "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f";
constexpr const char* kWordIndexMd5 = "bfafd718b763782e994055a2d397834f";

// An object array of lists of ints (a .npy whose data is a pickle) as sequences.
Sequences read_sequences(std::string_view npy, const std::string& name) {
  const NpyHeader header = read_npy_header(npy, name);
  if (header.descr != "|O" || header.shape.size() != 1) {
    throw IoError(cat(name, ": expected a 1-D object array of word-index lists, got descr ",
                      header.descr, " of rank ", header.shape.size()));
  }
  PickleLimits limits;
  limits.compact_int_lists = true;
  const PickleValue array = read_pickle(npy.substr(header.data_offset), name, limits);
  if (array.kind != PickleValue::Kind::ndarray || array.dtype != "|O" ||
      static_cast<std::int64_t>(array.items.size()) != header.shape[0]) {
    throw IoError(
        cat(name, ": the pickle holds no object array of ", header.shape[0], " elements"));
  }
  Sequences sequences;
  sequences.reserve(array.items.size());
  for (std::size_t i = 0; i < array.items.size(); ++i) {
    const PickleValue& list = array.items[i];
    if (list.kind != PickleValue::Kind::list) {
      throw IoError(cat(name, ": element ", i, " is a ", list.kind_name(), ", not a list of ints"));
    }
    std::vector<std::int32_t>& words = sequences.emplace_back();
    const std::vector<std::int64_t> indices = list.int_values(name);
    words.reserve(indices.size());
    for (const std::int64_t index : indices) {
      if (index < 0 || index > INT32_MAX / 2) {
        throw IoError(cat(name, ": element ", i, " holds the word index ", index));
      }
      words.push_back(static_cast<std::int32_t>(index));
    }
  }
  return sequences;
}

std::vector<std::int64_t> read_labels(std::string_view npy, const std::string& name,
                                      std::size_t expected) {
  const Tensor labels = parse_npy(npy, name);
  if (labels.rank() != 1 || static_cast<std::size_t>(labels.shape(0)) != expected) {
    throw IoError(cat(name, ": expected ", expected, " labels, got shape ", labels.shape()));
  }
  return cast(labels, int64).to_vector<std::int64_t>();
}

// Keras' shuffle: one RandomState, first the training rows, then the test rows.
void shuffle_together(LegacyRandomState& rng, Sequences& x, std::vector<std::int64_t>& y) {
  std::vector<std::int64_t> order(x.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
  rng.shuffle(order);
  Sequences shuffled_x(x.size());
  std::vector<std::int64_t> shuffled_y(y.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    shuffled_x[i] = std::move(x[static_cast<std::size_t>(order[i])]);
    shuffled_y[i] = y[static_cast<std::size_t>(order[i])];
  }
  x = std::move(shuffled_x);
  y = std::move(shuffled_y);
}

// start_char in front, index_from added to every word.
void offset_words(const Options& options, Sequences& x) {
  for (std::vector<std::int32_t>& words : x) {
    for (std::int32_t& word : words) word += options.index_from;
    if (options.start_char) words.insert(words.begin(), *options.start_char);
  }
}

// Keeps the reviews shorter than maxlen words, with their labels.
void drop_long(std::int32_t maxlen, Sequences& x, std::vector<std::int64_t>& y) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (static_cast<std::int64_t>(x[i].size()) < maxlen) {
      if (kept != i) x[kept] = std::move(x[i]);  // a vector moved onto itself is emptied
      y[kept++] = y[i];
    }
  }
  x.resize(kept);
  y.resize(kept);
}

Tensor labels_tensor(const std::vector<std::int64_t>& y) {
  return detail::from_host(y.data(), Shape{static_cast<std::int64_t>(y.size())}, int64,
                           default_device());
}

}  // namespace

ImdbData load_data(const Options& options) {
  const std::string path = sources::find_or_fetch(kLoader, options.dir, "imdb", kNpz, kNpzSha256);
  const std::vector<ZipEntry> entries = read_zip(path);
  auto member = [&](const char* key) { return sources::npz_member(entries, key, path, kLoader); };
  Sequences x_train = read_sequences(member("x_train"), path + "/x_train.npy");
  Sequences x_test = read_sequences(member("x_test"), path + "/x_test.npy");
  std::vector<std::int64_t> y_train =
      read_labels(member("y_train"), path + "/y_train.npy", x_train.size());
  std::vector<std::int64_t> y_test =
      read_labels(member("y_test"), path + "/y_test.npy", x_test.size());

  LegacyRandomState rng(options.seed);
  shuffle_together(rng, x_train, y_train);
  shuffle_together(rng, x_test, y_test);
  offset_words(options, x_train);
  offset_words(options, x_test);
  if (options.maxlen && *options.maxlen > 0) {
    drop_long(*options.maxlen, x_train, y_train);
    drop_long(*options.maxlen, x_test, y_test);
    if (x_train.empty() || x_test.empty()) {
      throw Error(cat(kLoader, ": after dropping the reviews of maxlen=", *options.maxlen,
                      " words or more, none is left; increase maxlen"));
    }
  }
  std::int32_t num_words = 0;
  if (options.num_words && *options.num_words > 0) {
    num_words = *options.num_words;
  } else {  // the largest index of all
    for (const Sequences* x : {&x_train, &x_test}) {
      for (const auto& words : *x) {
        if (!words.empty())
          num_words = std::max(num_words, *std::max_element(words.begin(), words.end()));
      }
    }
  }
  for (Sequences* x : {&x_train, &x_test}) {
    for (auto& words : *x) {
      const auto out_of_range = [&](std::int32_t w) {
        return w < options.skip_top || w >= num_words;
      };
      if (options.oov_char) {
        std::replace_if(words.begin(), words.end(), out_of_range, *options.oov_char);
      } else {
        words.erase(std::remove_if(words.begin(), words.end(), out_of_range), words.end());
      }
    }
  }
  ImdbData data;
  data.first = {std::move(x_train), labels_tensor(y_train)};
  data.second = {std::move(x_test), labels_tensor(y_test)};
  return data;
}

std::map<std::string, std::int32_t> get_word_index(const std::string& dir) {
  const std::string path =
      sources::find_or_fetch("imdb.get_word_index", dir, "imdb", kWordIndex, kWordIndexMd5);
  const nlohmann::json json =
      nlohmann::json::parse(read_file_bytes(path), nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) throw IoError(cat(path, ": not a JSON object of word -> index"));
  std::map<std::string, std::int32_t> index;
  for (const auto& [word, value] : json.items()) {
    if (!value.is_number_integer()) {
      throw IoError(cat(path, ": the index of \"", word, "\" is not an integer"));
    }
    index[word] = value.get<std::int32_t>();
  }
  return index;
}

}  // namespace ember::io::datasets::imdb
