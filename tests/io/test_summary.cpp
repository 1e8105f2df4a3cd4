// tf.summary's event files: TFRecord framing and CRC-32C against a bitwise reference, a file
// written by TensorFlow 2.21 (tests/golden/make_tensorboard_golden.py) read back, ember's own
// summaries equal to TensorFlow's, histograms against a float64 loop, and damaged files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ember.h"
#include "io/summary/record_file.h"
#include "tests/test_support.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using summary::Event;
using summary::SummaryValue;

std::string fixture(const std::string& name) { return testing::test_data("tensorboard/" + name); }
using testing::read_bytes;

/// CRC-32C bit by bit (reflected polynomial 0x82F63B78): the reference for ISA-L's.
std::uint32_t crc32c_bitwise(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::uint32_t mask(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::string le(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  return out;
}

void skip_without_event_files() {
  if (!summary::available()) GTEST_SKIP() << "built without protobuf/ISA-L (EMBER_TENSORBOARD)";
}

/// The one event file a writer made in `dir`.
std::string only_file(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path().string());
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? std::string() : files[0];
}

const SummaryValue& value_of(const std::vector<Event>& events, const std::string& tag) {
  for (const auto& e : events)
    for (const auto& v : e.values)
      if (v.tag == tag) return v;
  throw Error("no summary value tagged " + tag);
}

std::int64_t step_of(const std::vector<Event>& events, const std::string& tag) {
  for (const auto& e : events)
    for (const auto& v : e.values)
      if (v.tag == tag) return e.step;
  throw Error("no summary value tagged " + tag);
}

TEST(Crc32c, MatchesTheBitwiseDefinitionAndKnownVectors) {
  skip_without_event_files();
  EXPECT_EQ(summary::detail::crc32c("123456789"), 0xE3069283u);  // RFC 3720's check value
  EXPECT_EQ(summary::detail::crc32c(std::string(32, '\0')), 0x8A9136AAu);
  const auto random = testing::random_values(1000, 0, 255, 7);
  std::string data;
  for (const double x : random) data.push_back(static_cast<char>(static_cast<int>(x)));
  for (std::size_t n : {0u, 1u, 7u, 8u, 63u, 1000u})
    EXPECT_EQ(summary::detail::crc32c(std::string_view(data).substr(0, n)),
              crc32c_bitwise(std::string_view(data).substr(0, n)))
        << n << " bytes";
}

TEST(RecordFile, FramesLengthAndBothMaskedCrcs) {
  skip_without_event_files();
  const std::string framed = summary::detail::frame_record("hello");
  const std::string header = le(5, 8);
  EXPECT_EQ(framed, header + le(mask(crc32c_bitwise(header)), 4) + "hello" +
                        le(mask(crc32c_bitwise("hello")), 4));
}

TEST(EventFiles, ReadsAFileWrittenByTensorFlow) {
  skip_without_event_files();
  const auto events = summary::read_events(fixture("tf_written.tfevents"));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  const auto& loss = value_of(events, "loss");
  EXPECT_EQ(loss.plugin_name, "scalars");
  EXPECT_EQ(loss.tensor.dtype, "float32");
  EXPECT_TRUE(loss.tensor.shape.empty());
  EXPECT_EQ(loss.tensor.numbers, std::vector<double>{0.25});
  EXPECT_EQ(step_of(events, "loss"), 3);
  // [1, 2, 2.5, 4] in 3 buckets: edges 1, 2, 3, 4 and counts 1, 2, 1.
  const auto& w = value_of(events, "w");
  EXPECT_EQ(w.plugin_name, "histograms");
  EXPECT_EQ(w.tensor.shape, (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(w.tensor.numbers, (std::vector<double>{1, 2, 1, 2, 3, 2, 3, 4, 1}));
  // One value twice in 2 buckets: both edges at the value, the count in the last bucket.
  EXPECT_EQ(value_of(events, "one").tensor.numbers, (std::vector<double>{7, 7, 0, 7, 7, 2}));
  const auto& img = value_of(events, "img");
  EXPECT_EQ(img.plugin_name, "images");
  ASSERT_EQ(img.tensor.strings.size(), 3u);
  EXPECT_EQ(img.tensor.strings[0], "3");  // width, then height
  EXPECT_EQ(img.tensor.strings[1], "2");
  if (io::png_available()) {
    const auto png = io::decode_png(img.tensor.strings[2]);
    EXPECT_EQ(png.height, 2);
    EXPECT_EQ(png.width, 3);
    EXPECT_EQ(png.channels, 1);
    EXPECT_EQ(png.pixels, std::vector<std::uint8_t>(6, 127));  // 0.5 * 255.5, rounded down
  }
  const auto& note = value_of(events, "note");
  EXPECT_EQ(note.plugin_name, "text");
  EXPECT_EQ(note.tensor.strings, std::vector<std::string>{"hello"});
}

TEST(EventFiles, ReadsTensorFlow1FormsWrittenByTensorBoardsOwnWriter) {
  skip_without_event_files();
  const auto events = summary::read_events(fixture("tensorboard_written.tfevents"));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  const auto& loss = value_of(events, "legacy_loss");
  EXPECT_EQ(loss.kind, SummaryValue::Kind::simple_value);
  EXPECT_EQ(loss.simple_value, 0.5);
  EXPECT_EQ(step_of(events, "legacy_loss"), 1);
  const auto& h = value_of(events, "legacy_histogram");
  EXPECT_EQ(h.kind, SummaryValue::Kind::histogram);
  EXPECT_EQ(h.histogram_min, 1.0);
  EXPECT_EQ(h.histogram_max, 4.0);
  EXPECT_EQ(h.histogram_num, 4.0);
  EXPECT_EQ(h.histogram_sum, 9.5);
  EXPECT_EQ(h.bucket_limits, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(h.bucket_counts, (std::vector<double>{1, 2, 1}));
  const auto& image = value_of(events, "legacy_image");
  EXPECT_EQ(image.kind, SummaryValue::Kind::image);
  EXPECT_EQ(image.image_height, 2);
  EXPECT_EQ(image.image_width, 3);
  EXPECT_EQ(image.image_colorspace, 1);
  if (io::png_available()) {
    EXPECT_EQ(io::decode_png(image.encoded_image).pixels,
              (std::vector<std::uint8_t>{0, 50, 100, 150, 200, 250}));
  }
  EXPECT_DOUBLE_EQ(events[3].wall_time, 1.7e9 + 3);
}

/// The summaries of tests/golden/make_tensorboard_golden.py, written by ember.
void write_golden_summaries() {
  summary::scalar("loss", 0.25, 3);
  summary::histogram("w", constant({1.0f, 2.0f, 2.5f, 4.0f}), 3, 3);
  summary::histogram("one", constant({7.0f, 7.0f}), 4, 2);
  summary::image("img", fill({1, 2, 3, 1}, 0.5f), 3);
  summary::text("note", "hello", 3);
}

TEST(EventFiles, EmberWritesWhatTensorFlowWrites) {
  skip_without_event_files();
  if (!io::png_available()) GTEST_SKIP() << "built without libpng";
  testing::TempDir dir;
  {
    auto writer = summary::create_file_writer(dir / "logs");
    auto scope = writer.as_default();
    write_golden_summaries();
    writer.close();
  }
  const std::string path = only_file(dir / "logs");
  EXPECT_EQ(fs::path(path).filename().string().rfind("events.out.tfevents.", 0), 0u) << path;
  EXPECT_TRUE(path.ends_with(".v2")) << path;
  const auto ours = summary::read_events(path);
  const auto theirs = summary::read_events(fixture("tf_written.tfevents"));
  ASSERT_EQ(ours.size(), theirs.size());
  EXPECT_EQ(ours[0].file_version, theirs[0].file_version);
  for (std::size_t i = 1; i < ours.size(); ++i) {
    ASSERT_EQ(ours[i].values.size(), 1u);
    const auto& a = ours[i].values[0];
    const auto& b = theirs[i].values[0];
    SCOPED_TRACE(b.tag);
    EXPECT_EQ(ours[i].step, theirs[i].step);
    EXPECT_EQ(a.tag, b.tag);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.plugin_name, b.plugin_name);
    EXPECT_EQ(a.plugin_content, b.plugin_content);
    EXPECT_EQ(a.tensor.dtype, b.tensor.dtype);
    EXPECT_EQ(a.tensor.shape, b.tensor.shape);
    EXPECT_EQ(a.tensor.numbers, b.tensor.numbers);
    ASSERT_EQ(a.tensor.strings.size(), b.tensor.strings.size());
    for (std::size_t s = 0; s < a.tensor.strings.size(); ++s) {
      if (b.tag == "img" && s == 2) {  // PNG encoders differ in bytes, not in pixels
        EXPECT_EQ(io::decode_png(a.tensor.strings[s]).pixels,
                  io::decode_png(b.tensor.strings[s]).pixels);
      } else {
        EXPECT_EQ(a.tensor.strings[s], b.tensor.strings[s]);
      }
    }
    EXPECT_GT(ours[i].wall_time, 1.7e9);
  }
}

// tensorboard_read.json is what TensorBoard's own reader found in ember's files
// (tests/golden/make_tensorboard_golden.py): the values ember was asked to write, and what ember's
// reader finds in the same files.
TEST(EventFiles, TensorBoardReadsWhatEmberWrote) {
  skip_without_event_files();
  const auto read = nlohmann::json::parse(read_bytes(fixture("tensorboard_read.json")));
  const auto& summaries = read.at("summaries.tfevents");
  const auto first = [&](const char* tag) { return summaries.at(tag).at("events").at(0); };
  EXPECT_EQ(summaries.at("loss").at("plugin"), "scalars");
  EXPECT_EQ(first("loss").at("step"), 3);
  EXPECT_EQ(first("loss").at("values"), nlohmann::json::array({0.25}));
  EXPECT_EQ(summaries.at("w").at("plugin"), "histograms");
  EXPECT_EQ(first("w").at("values"), nlohmann::json::array({1, 2, 1, 2, 3, 2, 3, 4, 1}));
  EXPECT_EQ(first("one").at("step"), 4);
  EXPECT_EQ(first("one").at("values"), nlohmann::json::array({7, 7, 0, 7, 7, 2}));
  EXPECT_EQ(summaries.at("img").at("plugin"), "images");
  EXPECT_EQ(first("img").at("width"), 3);
  EXPECT_EQ(first("img").at("height"), 2);
  EXPECT_EQ(first("img").at("pixels"), nlohmann::json::array({std::vector<int>(6, 127)}));
  EXPECT_EQ(summaries.at("note").at("plugin"), "text");
  EXPECT_EQ(first("note").at("strings"), nlohmann::json::array({"hello"}));
  // The callback's runs: every tag TensorBoard found, ember's reader finds with the same values.
  for (const char* run : {"summaries.tfevents", "fit_train.tfevents", "fit_validation.tfevents"}) {
    SCOPED_TRACE(run);
    const auto events = summary::read_events(fixture(std::string("ember_written/") + run));
    for (const auto& [tag, entry] : read.at(run).items()) {
      std::size_t n = 0;
      for (const auto& e : events)
        for (const auto& v : e.values) {
          if (v.tag != tag) continue;
          const auto& theirs = entry.at("events").at(n++);
          EXPECT_EQ(theirs.at("step"), e.step) << tag;
          EXPECT_EQ(v.plugin_name, entry.at("plugin")) << tag;
          if (theirs.contains("values")) {
            EXPECT_EQ(theirs.at("values"), nlohmann::json(v.tensor.numbers)) << tag;
          }
        }
      EXPECT_EQ(n, entry.at("events").size()) << tag;
    }
  }
  const auto& train = read.at("fit_train.tfevents");
  for (const char* tag : {"epoch_loss", "epoch_learning_rate", "keras", "dense/kernel/histogram"})
    EXPECT_TRUE(train.contains(tag)) << tag;
  EXPECT_TRUE(read.at("fit_validation.tfevents").contains("epoch_loss"));
}

TEST(EventFiles, HistogramsMatchAFloat64Reference) {
  skip_without_event_files();
  testing::TempDir dir;
  const auto data = testing::random_values(1000, -3.0, 5.0, 11);
  auto writer = summary::create_file_writer(dir / "logs");
  {
    auto scope = writer.as_default(7);
    summary::histogram("h", constant(data, {10, 100}, DType::float64));
    summary::histogram("empty", zeros({0}), std::nullopt, 4);
  }
  writer.close();
  const auto events = summary::read_events(only_file(dir / "logs"));
  const auto& h = value_of(events, "h").tensor;
  EXPECT_EQ(step_of(events, "h"), 7);
  ASSERT_EQ(h.shape, (std::vector<std::int64_t>{30, 3}));
  const double lo = *std::min_element(data.begin(), data.end());
  const double hi = *std::max_element(data.begin(), data.end());
  std::vector<double> counts(30, 0.0);
  for (const double x : data)
    counts[std::min<std::size_t>(29, static_cast<std::size_t>((x - lo) / ((hi - lo) / 30)))] += 1;
  double total = 0;
  for (int i = 0; i < 30; ++i) {
    EXPECT_NEAR(h.numbers[3 * i], lo + (hi - lo) * i / 30, 1e-12) << i;
    EXPECT_NEAR(h.numbers[3 * i + 1], i == 29 ? hi : lo + (hi - lo) * (i + 1) / 30, 1e-12) << i;
    EXPECT_EQ(h.numbers[3 * i + 2], counts[i]) << i;
    total += h.numbers[3 * i + 2];
  }
  EXPECT_EQ(h.numbers[3 * 29 + 1], hi);
  EXPECT_EQ(total, 1000.0);
  // No data: the buckets are all zeros, as TensorBoard's histogram summary makes them.
  EXPECT_EQ(value_of(events, "empty").tensor.numbers, std::vector<double>(12, 0.0));
}

TEST(EventFiles, NothingIsWrittenWithoutADefaultWriterAndAStepIsNeeded) {
  skip_without_event_files();
  EXPECT_FALSE(summary::scalar("loss", 1.0, 0));
  EXPECT_FALSE(summary::histogram("h", ones({3}), 0));
  testing::TempDir dir;
  auto writer = summary::create_file_writer(dir / "logs");
  auto scope = writer.as_default();
  try {
    summary::scalar("loss", 1.0);
    FAIL() << "a summary without a step must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no step for 'loss'"), std::string::npos) << e.what();
  }
  summary::set_step(12);
  EXPECT_TRUE(summary::scalar("loss", 1.0));
  summary::set_step(std::nullopt);
  // The default writer belongs to this thread only, as in TensorFlow.
  bool written_elsewhere = true;
  std::thread([&] { written_elsewhere = summary::scalar("loss", 2.0, 1); }).join();
  EXPECT_FALSE(written_elsewhere);
  writer.close();
  EXPECT_THROW(summary::scalar("loss", 1.0, 1), IoError);  // closed
  const auto events = summary::read_events(writer.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].step, 12);
}

TEST(EventFiles, BadArgumentsNameTheSummary) {
  skip_without_event_files();
  testing::TempDir dir;
  auto writer = summary::create_file_writer(dir / "logs");
  auto scope = writer.as_default(0);
  EXPECT_THROW(summary::scalar("s", ones({2})), ShapeError);
  EXPECT_THROW(summary::image("i", ones({2, 2, 3})), ShapeError);     // not [k, h, w, c]
  EXPECT_THROW(summary::image("i", ones({1, 2, 2, 2})), ShapeError);  // 2 channels
  EXPECT_THROW(summary::image("i", ones({1, 2, 2, 1}, DType::int32)), DTypeError);
  EXPECT_THROW(summary::histogram("h", ones({2}), 0, -1), Error);
  EXPECT_THROW(summary::create_file_writer(dir / "x", {.max_queue = -1}), Error);
  testing::write_bytes(dir / "file", "x");
  EXPECT_THROW(summary::create_file_writer(dir / "file"), IoError);  // a file, not a folder
}

TEST(EventFiles, TheTimerAndTheQueueWriteWithoutAFlush) {
  skip_without_event_files();
  testing::TempDir dir;
  auto timed = summary::create_file_writer(dir / "timed", {.flush_millis = 50});
  {
    auto scope = timed.as_default(1);
    summary::scalar("a", 1.0);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::size_t seen = 0;
  while (seen < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seen = summary::read_events(timed.path(), {.allow_truncated_tail = true}).size();
  }
  EXPECT_EQ(seen, 2u) << "the background thread did not write within 10 s";
  // max_queue = 2: the third queued event wakes the writer long before its 2-minute timer.
  auto queued = summary::create_file_writer(dir / "queued", {.max_queue = 2});
  {
    auto scope = queued.as_default(1);
    for (int i = 0; i < 3; ++i) summary::scalar("b", i);
  }
  seen = 0;
  while (seen < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seen = summary::read_events(queued.path(), {.allow_truncated_tail = true}).size();
  }
  EXPECT_EQ(seen, 4u);
}

TEST(EventFiles, AKilledWriterLeavesEveryFlushedEventReadable) {
  skip_without_event_files();
  testing::TempDir dir;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto writer = summary::create_file_writer(dir / "logs");
    auto scope = writer.as_default();
    for (int step = 0; step < 5; ++step) summary::scalar("loss", step, step);
    writer.flush();
    summary::scalar("lost", 9.0, 9);  // queued, never written
    ::kill(::getpid(), SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  const auto events = summary::read_events(only_file(dir / "logs"));
  ASSERT_EQ(events.size(), 6u);
  for (int step = 0; step < 5; ++step)
    EXPECT_EQ(events[step + 1].values[0].tensor.numbers[0], step);
}

TEST(EventFiles, TruncatedFilesAreErrorsOrPrefixes) {
  skip_without_event_files();
  const std::string whole = read_bytes(fixture("tf_written.tfevents"));
  // Records end at these offsets; any other cut is inside a record.
  std::vector<std::size_t> ends;
  for (std::size_t at = 0; at < whole.size();) {
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
      n |= std::uint64_t{static_cast<unsigned char>(whole[at + i])} << (8 * i);
    at += 16 + n;
    ends.push_back(at);
  }
  ASSERT_EQ(ends.back(), whole.size());
  for (std::size_t cut = 1; cut < whole.size(); ++cut) {
    const std::string part = whole.substr(0, cut);
    const auto complete =
        static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), cut) - ends.begin());
    const bool at_boundary = std::find(ends.begin(), ends.end(), cut) != ends.end();
    if (at_boundary) {
      EXPECT_EQ(summary::parse_events(part, "cut").size(), complete) << cut;
      continue;
    }
    try {
      summary::parse_events(part, "cut.tfevents");
      ADD_FAILURE() << "a file cut at byte " << cut << " was read";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("cut.tfevents: event record"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
    EXPECT_EQ(summary::parse_events(part, "cut", {.allow_truncated_tail = true}).size(), complete)
        << cut;
  }
}

TEST(EventFiles, EveryFlippedBitIsCaught) {
  skip_without_event_files();
  const std::string whole = read_bytes(fixture("tf_written.tfevents"));
  int caught = 0;
  for (std::size_t byte = 0; byte < whole.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = whole;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      try {
        summary::parse_events(bad, "flipped");
        ADD_FAILURE() << "bit " << bit << " of byte " << byte << " flipped went unnoticed";
      } catch (const IoError&) {
        ++caught;
      }
    }
  }
  EXPECT_EQ(caught, static_cast<int>(whole.size() * 8));
}

TEST(EventFiles, OversizedAndMalformedRecordsAreRefusedBeforeAllocating) {
  skip_without_event_files();
  const auto record_claiming = [](std::uint64_t length) {
    const std::string header = le(length, 8);
    return header + le(mask(crc32c_bitwise(header)), 4) + "abcd";
  };
  for (const std::uint64_t length :
       {std::uint64_t{1} << 40, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    try {
      summary::parse_events(record_claiming(length), "big.tfevents");
      ADD_FAILURE() << length;
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("claims"), std::string::npos) << e.what();
    }
  }
  // Well framed, but not an Event; and an Event whose tensor claims more values than it holds.
  EXPECT_THROW(summary::parse_events(summary::detail::frame_record("\xff\xff\xff"), "junk"),
               IoError);
  std::string tensor_claims_too_much;
  // Event{summary{value{tag:"t" tensor{dtype:DT_FLOAT tensor_shape{dim{size:1000000}}}}}}
  const std::string shape = std::string("\x12\x04\x08\xc0\x84\x3d", 6);  // dim { size: 1000000 }
  const std::string tensor = std::string("\x08\x01", 2) + "\x12" + char(shape.size()) + shape +
                             "\x22\x04" + std::string(4, '\0');
  const std::string value = std::string("\x0a\x01t", 3) + "\x42" + char(tensor.size()) + tensor;
  const std::string summary_bytes = "\x0a" + std::string(1, char(value.size())) + value;
  const std::string event = "\x2a" + std::string(1, char(summary_bytes.size())) + summary_bytes;
  try {
    summary::parse_events(summary::detail::frame_record(event), "claims.tfevents");
    ADD_FAILURE();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("1000000 elements has 4 bytes"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(summary::read_events("/nonexistent/events"), IoError);
}

TEST(Png, EncodesAndDecodesPixelsExactly) {
  if (!io::png_available()) GTEST_SKIP() << "built without libpng";
  io::PngImage image{3, 2, 3, {}};
  for (int i = 0; i < 18; ++i) image.pixels.push_back(static_cast<std::uint8_t>(i * 14));
  const auto back = io::decode_png(io::encode_png(image));
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.width, 2);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, image.pixels);
  // Floats go through convert_image_dtype's rule: x * 255.5 clamped, rounded toward zero.
  const auto converted =
      io::to_png_image(constant({-1.0f, 0.0f, 0.25f, 0.999f, 1.0f, 2.0f}, {1, 6, 1}));
  EXPECT_EQ(converted.pixels, (std::vector<std::uint8_t>{0, 0, 63, 255, 255, 255}));
  EXPECT_THROW(io::decode_png("not a png", "x.png"), IoError);
  std::string cut = io::encode_png(image);
  cut.resize(cut.size() / 2);
  EXPECT_THROW(io::decode_png(cut, "cut.png"), IoError);
  testing::TempDir dir;
  io::write_png(dir / "a.png", constant(std::vector<double>(12, 0.5), {2, 2, 3}, DType::float32));
  const auto read = io::decode_png(read_bytes(dir / "a.png"));
  EXPECT_EQ(read.pixels, std::vector<std::uint8_t>(12, 127));
}

}  // namespace
}  // namespace ember
