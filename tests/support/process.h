#pragma once

// Running the real `understudy` binary from tests: one-shot commands and `understudy serve`.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/shared_data.h"

namespace understudy::testing {

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string Cli() { return (BinaryDir() / "cli" / "understudy").string(); }

/** Starts `argv` with stdout and stderr appended to `output`; returns the pid. */
inline pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& output) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

/** Waits for a child: its exit code, 128 + signal, or -1 on timeout (a liveness bound). */
inline int WaitFor(pid_t pid, std::chrono::seconds timeout = std::chrono::seconds(300)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

/** Runs the CLI to completion; its exit code, with its output in `output`. */
inline int RunCli(const std::vector<std::string>& args, const std::filesystem::path& output) {
  std::vector<std::string> argv = {Cli()};
  argv.insert(argv.end(), args.begin(), args.end());
  return WaitFor(Spawn(argv, output));
}

/**
 * `understudy serve` on ephemeral ports (ZeroMQ and HTTP), its output appended to dir/serve.out;
 * stopped with SIGTERM (then SIGKILL) if the test ends early. Starting a second one on the same
 * dir resumes its log (restart tests), and Output() shows only what this one printed.
 */
class ServeProcess {
 public:
  ServeProcess(const std::filesystem::path& dir, const std::vector<std::string>& extra = {})
      : ready_(dir / "ready.json"), output_(dir / "serve.out") {
    std::filesystem::remove(ready_);
    std::vector<std::string> argv = {Cli(),          "serve",
                                     "--ingest",     "tcp://127.0.0.1:*",
                                     "--publish",    "tcp://127.0.0.1:*",
                                     "--http",       "127.0.0.1:0",
                                     "--log-dir",    (dir / "log").string(),
                                     "--ready-file", ready_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    output_offset_ = std::filesystem::exists(output_) ? std::filesystem::file_size(output_) : 0;
    pid_ = Spawn(argv, output_);
    for (int i = 0; i < 3000 && !std::filesystem::exists(ready_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("serve exited before it was ready:\n" + Output());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!std::filesystem::exists(ready_)) throw std::runtime_error("serve never became ready");
    // The ready file is written whole before it is renamed into place.
    const nlohmann::json j = nlohmann::json::parse(Slurp(ready_));
    ingest = j.at("ingest").get<std::string>();
    publish = j.at("publish").get<std::string>();
    if (j.contains("http") && j["http"].is_string()) {
      const std::string http = j["http"].get<std::string>();
      http_port = std::stoi(http.substr(http.rfind(':') + 1));
    }
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (WaitFor(pid_, std::chrono::seconds(20)) < 0) {
        ::kill(pid_, SIGKILL);
        WaitFor(pid_);
      }
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  void Signal(int sig) { ::kill(pid_, sig); }
  /** Waits for the process to end: its exit code, 128 + signal, or -1 after `timeout`. */
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const int rc = WaitFor(pid_, timeout);
    if (rc >= 0) pid_ = -1;
    return rc;
  }
  /** SIGTERM, then Wait(). */
  int Stop() {
    Signal(SIGTERM);
    return Wait();
  }
  const std::filesystem::path& ready_file() const { return ready_; }
  /** What this process printed (not an earlier one's output in the same dir). */
  std::string Output() const { return Slurp(output_).substr(output_offset_); }

  std::string ingest, publish;
  int http_port = 0;

 private:
  std::filesystem::path ready_, output_;
  std::uintmax_t output_offset_ = 0;
  pid_t pid_ = -1;
};

}  // namespace understudy::testing
