#include "app/serve_runner.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "common/error.h"
#include "runtime/budget.h"
#include "runtime/control_socket.h"
#include "runtime/exit_status.h"
#ifdef MCTSNAS_HAVE_TORCH
#include "evaluator/torch/serve_instance.h"
#endif

namespace mctsnas {
namespace {

struct Instance {
  pid_t pid = -1;
  int fd = -1;
};

#ifdef MCTSNAS_HAVE_TORCH
class SocketChannel : public torchnas::InstanceChannel {
 public:
  explicit SocketChannel(int fd) : fd_(fd) {}
  void send(const nlohmann::json& m) override {
    if (!send_control(fd_, m)) throw Error("serve instance: the parent is gone");
  }
  void wait_go() override {
    std::string msg;
    if (recv_control(fd_, msg, nullptr) <= 0) throw Error("serve instance: the parent is gone");
  }

 private:
  int fd_;
};

[[noreturn]] void instance_main(const ServeSetting& s, int index, const RunSettingOptions& o, int fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  SocketChannel ch(fd);
  if (!s.cpu_sets.empty() && !set_process_affinity(s.cpu_sets[static_cast<size_t>(index)])) {
    ch.send({{"error", std::string("cannot pin to its CPU set: ") + std::strerror(errno)}});
    ::_exit(1);
  }
  torchnas::InstanceSpec spec{o.model_dir, s.model == "reference", s.threads, s.gpu, o.batches, o.seconds};
  ::_exit(torchnas::run_serve_instance(spec, ch));
}
#else
[[noreturn]] void instance_main(const ServeSetting&, int, const RunSettingOptions&, int fd) {
  send_control(fd, nlohmann::json{{"error", "serve-plan runs LibTorch models; this mctsnas was built without it"}});
  ::_exit(1);
}
#endif

Instance start_instance(const ServeSetting& s, int index, const RunSettingOptions& o) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw Error(std::string("serve-plan: socketpair: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    throw Error(std::string("serve-plan: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(sv[0]);
    instance_main(s, index, o, sv[1]);
  }
  ::close(sv[1]);
  return {pid, sv[0]};
}

// The next message of one instance; Error on a timeout, an error message or its end.
nlohmann::json receive(Instance& in, double timeout_s) {
  pollfd p{in.fd, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(timeout_s * 1000));
  if (r == 0) throw Error("an instance did not answer within " + std::to_string(static_cast<int>(timeout_s)) + " s");
  // The instance may still run: stop_all kills and reaps it.
  if (r < 0) throw Error(std::string("serve-plan: poll: ") + std::strerror(errno));
  std::string msg;
  if (recv_control(in.fd, msg, nullptr) <= 0) {
    int status = 0;
    ::waitpid(in.pid, &status, 0);
    in.pid = -1;
    throw Error("an instance ended: " + describe_exit(status));
  }
  auto j = nlohmann::json::parse(msg, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error("an instance sent a message that is not a JSON object");
  if (j.contains("error")) throw Error(j["error"].get<std::string>());
  return j;
}

void stop_all(std::vector<Instance>& group) {
  for (auto& in : group) {
    if (in.fd >= 0) ::close(in.fd);
    if (in.pid > 0) {
      ::kill(in.pid, SIGKILL);
      ::waitpid(in.pid, nullptr, 0);
    }
  }
  group.clear();
}

void record_loads(SettingResult& r, const std::vector<nlohmann::json>& loaded) {
  std::vector<double> first, second, to_device;
  for (const auto& l : loaded) {
    first.push_back(l.at("first_load_ms").get<double>());
    second.push_back(l.at("second_load_ms").get<double>());
    to_device.push_back(l.at("to_device_ms").get<double>());
    r.params = l.at("params").get<int64_t>();
  }
  r.first_load_ms = percentile(first, 0.5);
  r.second_load_ms = percentile(second, 0.5);
  r.to_device_ms = percentile(to_device, 0.5);
}

// One batch size: every instance ready, then go together, then their figures pooled.
ServePoint measure_batch(std::vector<Instance>& group, int64_t batch, const RunSettingOptions& o) {
  for (auto& in : group) receive(in, o.batch_timeout_s);   // {"ready": batch}
  for (auto& in : group)
    if (!send_control(in.fd, nlohmann::json{{"go", true}})) throw Error("an instance is gone");
  std::vector<double> ms;
  double elapsed = 0;
  int64_t gpu_peak = 0, rss = 0;
  for (auto& in : group) {
    const auto j = receive(in, o.seconds + o.batch_timeout_s);
    const auto v = j.at("ms").get<std::vector<double>>();
    ms.insert(ms.end(), v.begin(), v.end());
    elapsed = std::max(elapsed, j.at("elapsed_s").get<double>());
    gpu_peak = std::max(gpu_peak, j.at("gpu_peak_bytes").get<int64_t>());
    rss = std::max(rss, j.at("rss_bytes").get<int64_t>());
  }
  ServePoint p = summarize_point(batch, std::move(ms), elapsed);
  p.gpu_peak_bytes = gpu_peak;
  p.rss_bytes = rss;
  return p;
}

}  // namespace

SettingResult run_setting(const ServeSetting& setting, const RunSettingOptions& o) {
  SettingResult r;
  r.setting = setting;
  std::vector<Instance> group;
  try {
    for (int i = 0; i < setting.instances; ++i) group.push_back(start_instance(setting, i, o));
    std::vector<nlohmann::json> loaded;
    for (auto& in : group) loaded.push_back(receive(in, o.load_timeout_s).at("loaded"));
    record_loads(r, loaded);
    for (int64_t b : o.batches) r.points.push_back(measure_batch(group, b, o));
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  stop_all(group);
  return r;
}

}  // namespace mctsnas
