#pragma once
// counting_http_peer.py as a test sees it: a bank, an EMR or any HTTP peer that logs every POST
// it gets before it answers, and can be taken down (503) and brought back without a restart.
// Header-only: the integration binary's support sources are listed one by one in
// tests/CMakeLists.txt.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/support/child_process.hpp"
#include "tests/integration/support/gateway_process.hpp"

namespace qiao::testing {

class CountingHttpPeer {
 public:
  // Files go under `dir` (peer.log, peer.down); `delay_ms` between logging and answering.
  // `log_header`: each line starts with that header's value; `key_field`: overlapping requests of
  // one value of that JSON field go to overlaps() too.
  explicit CountingHttpPeer(std::string dir, int delay_ms = 0, const std::string& log_header = "",
                            const std::string& key_field = "")
      : dir_(std::move(dir)) {
    std::vector<std::string> argv{"/usr/bin/python3",
                                  std::string(QIAO_SOURCE_DIR) + "/tests/integration/support/counting_http_peer.py",
                                  "--log",
                                  log_path(),
                                  "--down-file",
                                  dir_ + "/peer.down",
                                  "--delay-ms",
                                  std::to_string(delay_ms)};
    if (!log_header.empty()) argv.insert(argv.end(), {"--log-header", log_header});
    if (!key_field.empty()) argv.insert(argv.end(), {"--key-field", key_field});
    process_ = std::make_unique<ChildProcess>(argv, dir_);
    const std::string ready = "peer listening on ";
    if (!process_->wait_for_output(ready, std::chrono::seconds(10)))
      throw std::runtime_error("the HTTP peer did not start:\n" + process_->output());
    const std::string out = process_->output();
    port_ = std::stoi(out.substr(out.find(ready) + ready.size()));
  }
  CountingHttpPeer(const CountingHttpPeer&) = delete;
  CountingHttpPeer& operator=(const CountingHttpPeer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string log_path() const { return dir_ + "/peer.log"; }
  // The bodies it received, one line each, in the order it logged them.
  std::vector<std::string> requests() const {
    std::vector<std::string> lines;
    const std::string text = read_file(log_path());
    std::size_t start = 0;
    for (auto end = text.find('\n'); end != std::string::npos; start = end + 1, end = text.find('\n', start))
      lines.push_back(text.substr(start, end - start));
    return lines;
  }
  // Lines of requests that came while another of the same key was being answered.
  std::string overlaps() const { return read_file(log_path() + ".overlaps"); }
  void down(bool is_down) const {
    const std::string flag = dir_ + "/peer.down";
    if (is_down) std::ofstream(flag) << "down\n";
    else std::remove(flag.c_str());
  }

 private:
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace qiao::testing
