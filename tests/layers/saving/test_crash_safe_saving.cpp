// Crash-safe saving (io/atomic_file.h): a child process saving a model (tests/tools/save_child.cpp)
// is killed with SIGKILL at the entry of each of its file-system calls in turn (counted under
// ptrace), and after random delays, for every format. After each kill the path must load, and to
// the old model or the new one, never a mix; the next complete save must leave nothing but the
// model beside it.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "io/atomic_file.h"
#include "tests/test_support.h"

using namespace ember;
using ember::testing::TempDir;
using ember::testing::values_of;

namespace {

namespace fs = std::filesystem;

struct Format {
  const char* name;
  const char* file;
  const char* kind;  // "model" (Model::save) or "weights" (save_weights)
  bool renames;      // the folder swap's two-rename fallback
};

const Format kFormats[] = {
    {"folder", "model", "model", false},
    {"folder_two_renames", "model", "model", true},
    {"keras", "model.keras", "model", false},
    {"h5", "model.h5", "model", false},
    {"safetensors", "model.safetensors", "weights", false},
    {"weights_h5", "model.weights.h5", "weights", false},
};

/// How a child run ended.
struct ChildRun {
  bool finished = false;  // exited by itself
  int exit_code = -1;
  int file_system_calls = 0;
};

std::vector<std::string> child_arguments(const Format& format, const std::string& path,
                                         int generation) {
  std::vector<std::string> args{EMBER_SAVE_CHILD, format.kind, path, std::to_string(generation)};
  if (format.renames) args.emplace_back("renames");
  return args;
}

[[noreturn]] void exec_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // In a sanitized build, LeakSanitizer checks at exit by ptrace-attaching to the process, which
  // fails in a child this test already traces (and it would count as a kill point): leaks are
  // checked in the other tests.
  ::setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

#if defined(__x86_64__) && defined(__linux__)
constexpr bool kCanTrace = true;

/// The system calls that create, write, sync, rename or delete files and folders.
bool is_file_system_call(unsigned long long number) {
  switch (number) {
    case SYS_open:
    case SYS_openat:
    case SYS_creat:
    case SYS_write:
    case SYS_pwrite64:
    case SYS_writev:
    case SYS_pwritev:
    case SYS_fsync:
    case SYS_fdatasync:
    case SYS_rename:
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_mkdir:
    case SYS_mkdirat:
    case SYS_unlink:
    case SYS_unlinkat:
    case SYS_rmdir:
    case SYS_ftruncate:
      return true;
    default:
      return false;
  }
}

/// Runs the child to the SIGSTOP it raises just before saving, then counts its file-system calls
/// under ptrace and kills it (SIGKILL) on entering call number `kill_at` (1-based; 0: never).
/// Returns nullopt when this machine refuses ptrace.
std::optional<ChildRun> run_traced(const std::vector<std::string>& args, int kill_at) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) ::_exit(126);
    exec_child(args);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);  // stopped at its exec, or gone
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 126) return std::nullopt;
    ADD_FAILURE() << "the child exited at its start with " << WEXITSTATUS(status);
    return ChildRun{true, WEXITSTATUS(status), 0};
  }
  ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
  int deliver = 0;
  for (;;) {  // to its SIGSTOP, passing other signals on
    ::ptrace(PTRACE_CONT, pid, nullptr, deliver);
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      ADD_FAILURE() << "the child ended before saving";
      return ChildRun{true, WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0};
    }
    deliver = WSTOPSIG(status);
    if (deliver == SIGSTOP) break;
  }
  ChildRun run;
  deliver = 0;
  for (;;) {
    ::ptrace(PTRACE_SYSCALL, pid, nullptr, deliver);
    deliver = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      run.finished = true;
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return run;
    }
    if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
      deliver = WSTOPSIG(status);
      continue;
    }
    user_regs_struct regs{};
    ::ptrace(PTRACE_GETREGS, pid, nullptr, &regs);
    const bool entry = static_cast<long long>(regs.rax) == -ENOSYS;
    if (entry && is_file_system_call(regs.orig_rax) && ++run.file_system_calls == kill_at) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return run;
    }
  }
}
#else
constexpr bool kCanTrace = false;
std::optional<ChildRun> run_traced(const std::vector<std::string>&, int) { return std::nullopt; }
#endif

/// Runs the child to its SIGSTOP, lets it save for `delay`, then kills it (if still running).
/// Returns whether it finished first, and the save's duration when it did.
std::pair<bool, std::chrono::microseconds> run_killed_after(const std::vector<std::string>& args,
                                                            std::chrono::microseconds delay) {
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(args);
  int status = 0;
  ::waitpid(pid, &status, WUNTRACED);
  if (!WIFSTOPPED(status)) {
    ADD_FAILURE() << "the child ended before saving";
    return {true, {}};
  }
  const auto start = std::chrono::steady_clock::now();
  ::kill(pid, SIGCONT);
  const auto deadline = start + delay;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    const auto now = std::chrono::steady_clock::now();
    if (done == pid) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      return {true, std::chrono::duration_cast<std::chrono::microseconds>(now - start)};
    }
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return {false, {}};
}

keras::Handle<keras::Sequential> child_model() {
  auto model = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({4}), layers::Dense(3)});
  model->compile(_optimizer = "adam", _loss = "mse");
  return model;
}

/// The generation the model at `path` was saved with: every weight holds it, or this fails.
double loaded_generation(const Format& format, const std::string& path) {
  std::vector<Variable> weights;
  keras::Handle<keras::Model> loaded;
  auto model = child_model();
  if (std::string(format.kind) == "model") {
    loaded = keras::load_model(path);
    weights = loaded->weights();
  } else {
    model->load_weights(path);
    weights = model->weights();
  }
  EXPECT_EQ(weights.size(), 2u);
  const double generation = values_of(weights.at(0).value()).at(0);
  for (const Variable& weight : weights)
    for (double v : values_of(weight.value())) EXPECT_EQ(v, generation) << "a mixed model";
  return generation;
}

/// Every entry of `dir` but `keep`.
std::vector<std::string> other_entries(const std::string& dir, const std::string& keep) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename() != keep) names.push_back(entry.path().filename().string());
  return names;
}

class CrashSafeSaving : public ::testing::TestWithParam<Format> {};

TEST_P(CrashSafeSaving, EveryKillLeavesTheOldOrTheNewModelAndNoTemporariesAfterTheNextSave) {
  if (!kCanTrace) GTEST_SKIP() << "the kill points are counted with ptrace on x86-64 Linux";
  const Format& format = GetParam();
  TempDir dir;
  const std::string path = dir / format.file;

  // Two whole saves: the first creates the model, the second (which replaces it) is counted.
  const std::optional<ChildRun> first = run_traced(child_arguments(format, path, 1), 0);
  if (!first) GTEST_SKIP() << "this machine refuses ptrace";
  ASSERT_TRUE(first->finished && first->exit_code == 0);
  const std::optional<ChildRun> second = run_traced(child_arguments(format, path, 2), 0);
  ASSERT_TRUE(second && second->finished && second->exit_code == 0);
  ASSERT_EQ(loaded_generation(format, path), 2.0);
  const int calls = second->file_system_calls;
  ASSERT_GT(calls, 2);

  double last = 2;
  int generation = 3, kills = 0;
  // Past the counted calls too: cleaning up earlier kills' leftovers adds some.
  for (int kill_at = 1; kill_at <= calls + 8; ++kill_at, ++generation) {
    const std::optional<ChildRun> run =
        run_traced(child_arguments(format, path, generation), kill_at);
    ASSERT_TRUE(run);
    if (run->finished) {
      ASSERT_EQ(run->exit_code, 0) << "killed at call " << kill_at;
    } else {
      ++kills;
    }
    const double now = loaded_generation(format, path);
    ASSERT_TRUE(now == last || now == generation)
        << "killed at file-system call " << kill_at << ": loaded generation " << now
        << ", expected " << last << " or " << generation;
    last = now;
  }

  // Kills at random instants of a save (measured first).
  const auto [finished, duration] =
      run_killed_after(child_arguments(format, path, ++generation), std::chrono::seconds(60));
  ASSERT_TRUE(finished);
  last = generation;
  std::mt19937 random(7);
  std::uniform_int_distribution<long> instant(0, duration.count());
  int random_kills = 0;
  for (int i = 0; i < 10; ++i) {
    ++generation;
    const std::chrono::microseconds delay(instant(random));
    if (!run_killed_after(child_arguments(format, path, generation), delay).first) ++random_kills;
    const double now = loaded_generation(format, path);
    ASSERT_TRUE(now == last || now == generation)
        << "killed after " << delay.count() << " us: loaded generation " << now;
    last = now;
  }

  // One whole save cleans up every killed save's temporaries.
  ++generation;
  const std::optional<ChildRun> clean = run_traced(child_arguments(format, path, generation), 0);
  ASSERT_TRUE(clean && clean->finished && clean->exit_code == 0);
  EXPECT_EQ(loaded_generation(format, path), generation);
  EXPECT_EQ(other_entries(dir / "", format.file), std::vector<std::string>{});
  std::cout << "[ kill points ] " << format.name << ": " << calls << " file-system calls per save, "
            << kills << " kills at a call, " << random_kills << " of 10 random kills mid-save, "
            << "save " << duration.count() << " us\n";
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, CrashSafeSaving, ::testing::ValuesIn(kFormats),
                         [](const auto& info) { return std::string(info.param.name); });

// --- the pieces, in-process --------------------------------------------------------------------

TEST(AtomicFile, StaleTemporariesAreRemovedButLiveOnesAndOthersKept) {
  TempDir dir;
  const fs::path target = dir / "model.keras";
  std::ofstream(dir / "model.keras.tmp-123") << "left by a killed save";
  fs::create_directories(dir / "model.keras.saving-45");
  std::ofstream(dir / "model.keras.tmp-live") << "not a temporary name (no digits)";
  std::ofstream(dir / "model.keras.tmp-678") << "a save in progress";
  std::ofstream(dir / "other.keras.tmp-9") << "another target's";
  {
    const io::TemporaryClaim live(dir / "model.keras.tmp-678");
    EXPECT_EQ(io::remove_stale_temporaries(target), 2);
    EXPECT_TRUE(fs::exists(dir / "model.keras.tmp-678"));
  }
  EXPECT_FALSE(fs::exists(dir / "model.keras.tmp-123"));
  EXPECT_FALSE(fs::exists(dir / "model.keras.saving-45"));
  EXPECT_TRUE(fs::exists(dir / "model.keras.tmp-live"));
  EXPECT_TRUE(fs::exists(dir / "other.keras.tmp-9"));
  EXPECT_EQ(io::remove_stale_temporaries(target), 1);  // its writer is gone now
}

TEST(AtomicFile, RecoverFolderPrefersTheCompleteNewFolderThenTheOld) {
  TempDir dir;
  const fs::path target = dir / "model";
  const std::vector<std::string> complete = {"config.json"};
  fs::create_directories(dir / "model.old-1");
  std::ofstream(dir / "model.old-1/config.json") << "old";
  fs::create_directories(dir / "model.saving-2");  // incomplete: no config
  EXPECT_TRUE(io::recover_folder(target, complete));
  EXPECT_TRUE(fs::exists(target / "config.json"));     // the old one
  EXPECT_FALSE(io::recover_folder(target, complete));  // nothing missing

  fs::remove_all(target);
  fs::create_directories(dir / "model.saving-3");
  std::ofstream(dir / "model.saving-3/config.json") << "new";
  fs::create_directories(dir / "model.old-4");
  std::ofstream(dir / "model.old-4/config.json") << "old";
  EXPECT_TRUE(io::recover_folder(target, complete));
  std::ifstream in(target / "config.json");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "new");
}

TEST(AtomicFile, ReplaceFolderSwapsBothWays) {
  for (bool exchange : {true, false}) {
    io::allow_folder_exchange(exchange);
    TempDir dir;
    const fs::path target = dir / "model";
    for (const char* contents : {"first", "second"}) {
      io::write_folder_atomically(target, [&](const fs::path& staging) {
        std::ofstream(staging / "config.json") << contents;
      });
      std::ifstream in(target / "config.json");
      std::string text;
      in >> text;
      EXPECT_EQ(text, contents) << (exchange ? "exchange" : "two renames");
      EXPECT_EQ(other_entries(dir / "", "model"), std::vector<std::string>{});
    }
    EXPECT_THROW(io::write_folder_atomically(
                     target, [](const fs::path&) { throw IoError("disk full, say"); }),
                 IoError);
    EXPECT_EQ(other_entries(dir / "", "model"), std::vector<std::string>{});  // staging removed
  }
  io::allow_folder_exchange(true);
}

}  // namespace
