// Runs real sandboxes: needs root, bubblewrap and writable cgroup v1
// hierarchies. When one is missing every test fails saying which.
#include "core/subprocess.h"
#include "runtime/native/native_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "runtime/data_volume.h"
#include "runtime/deploy_env.h"
#include "runtime/native/cgroup.h"
#include "runtime/testing/test_util.h"

namespace spaceport::runtime {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WaitUntil;

constexpr uid_t kUidBase = 260000;  // apart from a real server's range
constexpr char kSubtree[] = "spaceport-test";

constexpr char kHttpApp[] = R"(import http.server, os, signal, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the sandbox\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
def term(sig, frame):
    print("got SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
srv = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H)
print("listening", flush=True)
srv.serve_forever()
)";

struct HttpResult {
  std::string text;  // empty: nothing within the timeout
  Millis first_byte{0};
};

HttpResult HttpGet(int port, int timeout_ms) {
  HttpResult r;
  auto start = std::chrono::steady_clock::now();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const char req[] = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || write(fd, req, sizeof req - 1) < 0) {
    close(fd);
    return r;
  }
  auto give_up = start + Millis(timeout_ms);
  char buf[4096];
  while (true) {
    int left = static_cast<int>(std::chrono::duration_cast<Millis>(give_up - std::chrono::steady_clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    if (r.text.empty()) r.first_byte = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
    r.text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return r;
}

bool Answers(int port) { return HttpGet(port, 2000).text.find("hello from the sandbox") != std::string::npos; }

// Instance cgroup directories under the test subtree, in every controller.
std::vector<std::string> InstanceCgroups() {
  std::vector<std::string> out;
  std::string memory_own;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.find(":memory:") != std::string::npos) memory_own = line.substr(line.find(":memory:") + 8);
  }
  if (memory_own == "/") memory_own.clear();
  for (std::string base : {"/sys/fs/cgroup/memory" + memory_own, std::string("/sys/fs/cgroup/cpu"),
                           std::string("/sys/fs/cgroup/pids"), std::string("/sys/fs/cgroup/freezer")}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(base + "/" + kSubtree, ec)) {
      if (e.is_directory()) out.push_back(e.path());
    }
  }
  return out;
}

// Live (not zombie) host processes running as a sandbox uid of this test.
// bwrap's init may linger a moment as a zombie of the host's init: its
// parent, bwrap, exits as soon as it has the app's status.
std::vector<pid_t> SandboxPids() {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (!std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::ifstream status(e.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) break;
      if (line.rfind("Uid:", 0) != 0) continue;
      long uid = std::strtol(line.c_str() + 4, nullptr, 10);
      if (uid >= kUidBase && uid < kUidBase + 100) {
        out.push_back(std::stoi(name));
      }
    }
  }
  return out;
}

// Whether `dir` is a mount point in this process's mount table.
bool InMountTable(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point == dir) return true;
  }
  return false;
}

class NativeDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = MakeRealClock();
    logs_ = MakeFileLogStore(dir_.path() + "/logs", clock_.get());
    // Sandboxes pass through it to their app dirs (see CheckReachable).
    fs::permissions(dir_.path(), fs::perms::others_exec, fs::perm_options::add);
    fs::create_directories(dir_.path() + "/app");
    MakeDriver(/*data_volumes=*/false);
  }

  // A failed volume test must not leave its mount behind.
  void TearDown() override {
    driver_.reset();
    (void)UnmountDataVolume(dir_.path() + "/data/alice/demo");
  }

  void MakeDriver(bool data_volumes) {
    driver_.reset();
    NativeSandboxOptions options;
    options.clock = clock_.get();
    options.uid_base = kUidBase;
    options.uid_count = 100;
    options.cgroup_subtree = kSubtree;
    options.data_volumes = data_volumes;
    auto driver = MakeNativeSandboxDriver(options);
    ASSERT_TRUE(driver.ok()) << "the sandbox driver cannot run on this host: " << driver.status().ToString();
    driver_ = std::move(*driver);
  }

  InstanceSpec Spec(std::vector<std::string> argv) {
    InstanceSpec spec;
    spec.space_id = "alice/demo";
    spec.argv = std::move(argv);
    spec.cwd = dir_.path() + "/app";
    spec.data_dir = dir_.path() + "/data/alice/demo";
    spec.log = logs_.get();
    spec.limits = LimitsFor(LookupHardware("cpu-basic"));
    return spec;
  }

  InstanceSpec HttpSpec() {
    std::ofstream(dir_.path() + "/app/app.py") << kHttpApp;
    auto port = PickFreeLoopbackPort();
    EXPECT_TRUE(port.ok());
    InstanceSpec spec = Spec({"/usr/bin/python3", "app.py"});
    spec.port = *port;
    spec.env = {{"PORT", std::to_string(*port)}};
    return spec;
  }

  std::pair<InstanceId, std::future<ExitStatus>> Launch(const InstanceSpec& spec) {
    return testing::LaunchInstance(*driver_, spec);
  }

  ExitStatus WaitExit(std::future<ExitStatus>& f) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.valid() ? f.get() : ExitStatus{};
  }

  std::vector<std::string> RunLog(const std::string& space = "alice/demo") {
    std::vector<std::string> out;
    for (const auto& l : logs_->Tail(space, LogKind::kRun, 200)) out.push_back(l.text);
    return out;
  }

  bool LogHas(const std::string& text) {
    for (const auto& l : RunLog()) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<RuntimeDriver> driver_;
};


TEST_F(NativeDriverTest, ServesHttpThroughTheForwarderAndStopsWithSigterm) {
  InstanceSpec spec = HttpSpec();
  auto [id, exit] = Launch(spec);
  ASSERT_TRUE(WaitUntil([&] { return Answers(spec.port); })) << ::testing::PrintToString(RunLog());
  EXPECT_TRUE(driver_->Capabilities().freeze);
  EXPECT_EQ(InstanceCgroups().size(), 4u);  // memory, cpu, pids, freezer
  // cpu-basic's limits: 2 CPUs of time, 16 GiB, the pids cap.
  auto read = [](const std::string& file) {
    for (const std::string& dir : InstanceCgroups()) {
      std::ifstream in(dir + "/" + file);
      std::string value;
      if (in >> value) return value;
    }
    return std::string("missing");
  };
  EXPECT_EQ(read("cpu.cfs_quota_us"), "200000");
  EXPECT_EQ(read("cpu.cfs_period_us"), "100000");
  EXPECT_EQ(read("memory.limit_in_bytes"), std::to_string(int64_t{16} << 30));
  EXPECT_EQ(read("pids.max"), std::to_string(LimitsFor(LookupHardware("cpu-basic")).pids_max));
  EXPECT_FALSE(SandboxPids().empty());

  ASSERT_TRUE(driver_->Stop(id, Millis(10000)).ok());
  ExitStatus s = WaitExit(exit);
  // The app's own handler ran: SIGTERM reached it through bwrap's init.
  EXPECT_TRUE(LogHas("got SIGTERM")) << ::testing::PrintToString(RunLog());
  EXPECT_EQ(s.exit_code, 0) << s.Describe();
  EXPECT_TRUE(SandboxPids().empty());
  EXPECT_TRUE(InstanceCgroups().empty());
  EXPECT_FALSE(Answers(spec.port));
}

TEST_F(NativeDriverTest, KillsAfterGraceWhenTermIsIgnored) {
  auto [id, exit] = Launch(Spec({"/usr/bin/python3", "-c",
                                 "import signal, time, os; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                                 "os.fork(); print('ready', flush=True); time.sleep(300)"}));
  ASSERT_TRUE(WaitUntil([&] { return LogHas("ready"); }));
  ASSERT_TRUE(driver_->Stop(id, Millis(300)).ok());
  EXPECT_EQ(WaitExit(exit).term_signal, SIGKILL);
  EXPECT_TRUE(SandboxPids().empty());
  EXPECT_TRUE(InstanceCgroups().empty());
}

TEST_F(NativeDriverTest, ReportsExitCodesAndSignals) {
  auto [id, exit] = Launch(Spec({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  ExitStatus s = WaitExit(exit);
  EXPECT_EQ(s.exit_code, 3) << s.Describe();
  EXPECT_EQ(RunLog(), (std::vector<std::string>{"out", "err"}));
  auto [id2, exit2] = Launch(Spec({"sh", "-c", "kill -9 $$"}));
  EXPECT_EQ(WaitExit(exit2).Describe(), "app was killed by signal 9");
  EXPECT_EQ(driver_->Start(Spec({}), nullptr).status().code(), StatusCode::kInvalidArgument);
  InstanceSpec bad = Spec({"true"});
  bad.cwd = dir_.path() + "/missing";
  EXPECT_EQ(driver_->Start(bad, nullptr).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(InstanceCgroups().empty());
}

TEST_F(NativeDriverTest, IsolatesTheApp) {
  // A neighbour app, a host service on loopback, another Space's files and
  // the server's own data: none may be reachable from the probe.
  InstanceSpec neighbour = HttpSpec();
  neighbour.space_id = "bob/other";
  neighbour.cwd = dir_.path() + "/bob-app";
  neighbour.data_dir = dir_.path() + "/data/bob/other";
  fs::create_directories(neighbour.cwd);
  fs::copy_file(dir_.path() + "/app/app.py", neighbour.cwd + "/app.py");
  auto [nid, nexit] = Launch(neighbour);
  ASSERT_TRUE(WaitUntil([&] { return Answers(neighbour.port); }));
  std::ofstream(neighbour.data_dir + "/secret.txt") << "bob's secret";
  fs::create_directories(dir_.path() + "/server");
  std::ofstream(dir_.path() + "/server/spaceport.db") << "users";

  int host = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(host, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(host, 8), 0);
  getsockname(host, reinterpret_cast<sockaddr*>(&addr), &len);

  std::string probe = R"(import ctypes, os, socket, time
def attempt(f):
    try:
        f(); return "yes"
    except OSError as e:
        return "no"
def conn(port):
    s = socket.socket(); s.settimeout(2); s.connect(("127.0.0.1", port))
print("uid", os.getuid())
print("capeff", [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0])
print("read_neighbour_data", attempt(lambda: open(os.environ["NEIGHBOUR"] + "/secret.txt").read()))
print("read_server_data", attempt(lambda: open(os.environ["SERVER"] + "/spaceport.db").read()))
print("write_data", attempt(lambda: open("/data/mine.txt", "w").write("x")))
print("write_usr", attempt(lambda: open("/usr/evil", "w").write("x")))
print("host_loopback", attempt(lambda: conn(int(os.environ["HOST_PORT"]))))
print("neighbour_port", attempt(lambda: conn(int(os.environ["NEIGHBOUR_PORT"]))))
print("pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
libc = ctypes.CDLL(None, use_errno=True)
print("unshare", libc.unshare(0x10000000), ctypes.get_errno())
import threading
t = threading.Thread(target=print, args=("threads work",)); t.start(); t.join()
print("mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None), ctypes.get_errno())
t = time.time(); attempt(lambda: socket.gethostbyaddr("127.0.0.1"))
print("reverse_dns_fast", time.time() - t < 1)
import resource
print("open_files", resource.getrlimit(resource.RLIMIT_NOFILE)[0])
)";
  InstanceSpec spec = Spec({"/usr/bin/python3", "-c", probe});
  spec.env = {{"NEIGHBOUR", neighbour.data_dir}, {"SERVER", dir_.path() + "/server"},
              {"HOST_PORT", std::to_string(ntohs(addr.sin_port))}, {"NEIGHBOUR_PORT", std::to_string(neighbour.port)}};
  SetChildOpenFileLimit(512);  // as a server that raised its own limit records
  auto [id, exit] = Launch(spec);
  EXPECT_EQ(WaitExit(exit).exit_code, 0) << ::testing::PrintToString(RunLog());
  SetChildOpenFileLimit(0);
  std::vector<std::string> log = RunLog();
  auto has = [&](const std::string& line) { return std::find(log.begin(), log.end(), line) != log.end(); };
  EXPECT_TRUE(has("capeff 0000000000000000")) << ::testing::PrintToString(log);
  EXPECT_TRUE(has("read_neighbour_data no"));
  EXPECT_TRUE(has("read_server_data no"));
  EXPECT_TRUE(has("write_data yes"));
  EXPECT_TRUE(has("write_usr no"));
  EXPECT_TRUE(has("host_loopback no"));
  EXPECT_TRUE(has("neighbour_port no"));
  EXPECT_TRUE(has("pids [1, 2]"));  // bwrap's init and the probe: no host pids
  EXPECT_TRUE(has("unshare -1 1"));  // EPERM from the seccomp filter
  EXPECT_TRUE(has("mount -1 1"));
  EXPECT_TRUE(has("threads work"));  // clone3 -> ENOSYS falls back to clone
  EXPECT_TRUE(has("reverse_dns_fast True"));
  EXPECT_TRUE(has("open_files 512")) << ::testing::PrintToString(log);  // not the server's raised limit
  EXPECT_FALSE(has("uid 0"));
  EXPECT_TRUE(fs::exists(spec.data_dir + "/mine.txt"));
  sockaddr_in peer{};
  socklen_t peer_len = sizeof peer;
  EXPECT_LT(accept(host, reinterpret_cast<sockaddr*>(&peer), &peer_len), 0);  // nobody came
  close(host);
  ASSERT_TRUE(driver_->Stop(nid, Millis(5000)).ok());
}

// /data as a volume of its own: writing past its size is ENOSPC inside the
// app, the host spends at most the size, and the data outlives the instance
// (unmounted when it ends, mounted again for the next start).
TEST_F(NativeDriverTest, DataVolumeEndsWritesAtItsSize) {
  ASSERT_TRUE(ProbeDataVolumes().ok()) << "data volumes cannot be made on this host: " << ProbeDataVolumes().ToString();
  MakeDriver(/*data_volumes=*/true);
  EXPECT_TRUE(driver_->Capabilities().disk);
  constexpr int64_t kSize = 16 << 20;
  const char* fill = R"(
import errno, os
chunk = b"x" * (1 << 20)
written = 0
try:
    with open("/data/fill", "wb") as f:
        for _ in range(64):
            f.write(chunk); f.flush(); os.fsync(f.fileno()); written += 1
    print("wrote everything")
except OSError as e:
    print("stopped", errno.errorcode.get(e.errno), "after MB", written)
open("/data/keep.txt", "w").write("kept")
)";
  InstanceSpec spec = Spec({"/usr/bin/python3", "-c", fill});
  spec.limits.data_bytes = kSize;
  auto [id, exit] = Launch(spec);
  EXPECT_EQ(WaitExit(exit).exit_code, 0) << ::testing::PrintToString(RunLog());
  std::vector<std::string> log = RunLog();
  bool enospc = std::any_of(log.begin(), log.end(), [](const std::string& l) { return l.starts_with("stopped ENOSPC"); });
  EXPECT_TRUE(enospc) << ::testing::PrintToString(log);
  // The host paid for at most the volume's size (a sparse image).
  struct stat img {};
  ASSERT_EQ(stat(DataVolumeImage(spec.data_dir).c_str(), &img), 0);
  EXPECT_EQ(img.st_size, kSize);
  EXPECT_LE(img.st_blocks * 512, kSize);
  EXPECT_GT(img.st_blocks * 512, kSize / 2);  // the fill really landed in it
  // The app has ended: its volume left the host's mount table (the files are
  // in the image, not in the bare directory below it).
  ASSERT_TRUE(InMountTable("/proc"));  // the reading works
  EXPECT_FALSE(InMountTable(spec.data_dir));
  EXPECT_FALSE(fs::exists(spec.data_dir + "/keep.txt"));

  // Grown in place when asked for more; the data stays.
  spec.argv = {"/usr/bin/python3", "-c", "import os; print('free MB', os.statvfs('/data').f_bavail * os.statvfs('/data').f_frsize >> 20); print(open('/data/keep.txt').read())"};
  spec.limits.data_bytes = 2 * kSize;
  auto [id2, exit2] = Launch(spec);
  EXPECT_EQ(WaitExit(exit2).exit_code, 0) << ::testing::PrintToString(RunLog());
  EXPECT_TRUE(LogHas("kept"));  // mounted again for this start, data and all
  ASSERT_EQ(stat(DataVolumeImage(spec.data_dir).c_str(), &img), 0);
  EXPECT_EQ(img.st_size, 2 * kSize);
  log = RunLog();
  bool grew = std::any_of(log.begin(), log.end(), [](const std::string& l) {
    return l.starts_with("free MB ") && std::stoi(l.substr(8)) >= 8;  // was 0 before growing
  });
  EXPECT_TRUE(grew) << ::testing::PrintToString(log);

  ASSERT_TRUE(RemoveDataVolume(spec.data_dir).ok());
  EXPECT_FALSE(fs::exists(spec.data_dir));
  EXPECT_FALSE(fs::exists(DataVolumeImage(spec.data_dir)));
}

// Growing a volume whose file system fails its check leaves the image at its
// old size (the image's size stands for the file system's), so a later
// start tries again instead of taking it as grown.
TEST_F(NativeDriverTest, DataVolumeFailedGrowKeepsTheOldSize) {
  ASSERT_TRUE(ProbeDataVolumes().ok()) << "data volumes cannot be made on this host: " << ProbeDataVolumes().ToString();
  const std::string dir = dir_.path() + "/data/alice/demo";
  constexpr int64_t kSize = 16 << 20;
  ASSERT_TRUE(EnsureDataVolume(dir, kSize, /*sole_user=*/true, dir_.path()).ok());
  ASSERT_TRUE(UnmountDataVolume(dir).ok());
  const std::string image = DataVolumeImage(dir);
  {
    std::fstream f(image, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1024 + 56);  // the ext4 superblock's magic number
    f.write("\0\0", 2);
  }
  Status grown = EnsureDataVolume(dir, 2 * kSize, /*sole_user=*/true, dir_.path());
  EXPECT_FALSE(grown.ok());
  EXPECT_EQ(fs::file_size(image), static_cast<uintmax_t>(kSize)) << grown.ToString();
  EXPECT_FALSE(InMountTable(dir));
}

// A /data that predates volumes moves into its first volume.
TEST_F(NativeDriverTest, DataVolumeAdoptsAnOlderPlainDirectory) {
  ASSERT_TRUE(ProbeDataVolumes().ok()) << "data volumes cannot be made on this host: " << ProbeDataVolumes().ToString();
  InstanceSpec spec = Spec({"/usr/bin/python3", "-c", "print(open('/data/old.txt').read())"});
  fs::create_directories(spec.data_dir);
  std::ofstream(spec.data_dir + "/old.txt") << "from before";
  MakeDriver(/*data_volumes=*/true);
  spec.limits.data_bytes = 16 << 20;
  auto [id, exit] = Launch(spec);
  EXPECT_EQ(WaitExit(exit).exit_code, 0) << ::testing::PrintToString(RunLog());
  EXPECT_TRUE(LogHas("from before"));
  EXPECT_TRUE(fs::exists(DataVolumeImage(spec.data_dir)));
  EXPECT_FALSE(fs::exists(spec.data_dir + ".pre-volume"));
  ASSERT_TRUE(RemoveDataVolume(spec.data_dir).ok());
}

TEST_F(NativeDriverTest, ReportsOutOfMemory) {
  InstanceSpec spec = Spec({"/usr/bin/python3", "-c", "b = bytearray(512 * 1024 * 1024); print('survived')"});
  spec.limits.memory_bytes = 64 << 20;
  auto [id, exit] = Launch(spec);
  ExitStatus s = WaitExit(exit);
  EXPECT_EQ(s.term_signal, SIGKILL) << s.Describe();
  EXPECT_EQ(s.reason, "out of memory");
  EXPECT_EQ(s.Describe(), "app was killed by signal 9 (out of memory)");
  EXPECT_FALSE(LogHas("survived"));
  EXPECT_TRUE(InstanceCgroups().empty());
}

TEST_F(NativeDriverTest, PidsLimitContainsAForkBomb) {
  InstanceSpec spec = Spec({"/usr/bin/python3", "-c", R"(import os, time
n = 0
while n < 10000:
    try:
        pid = os.fork()
    except OSError as e:
        print("fork failed after", n, flush=True)
        break
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    n += 1
time.sleep(300)
)"});
  spec.limits.pids_max = 32;
  auto [id, exit] = Launch(spec);
  ASSERT_TRUE(WaitUntil([&] { return LogHas("fork failed after"); })) << ::testing::PrintToString(RunLog());
  EXPECT_LE(SandboxPids().size(), 32u);
  ASSERT_TRUE(driver_->Stop(id, Millis(200)).ok());
  WaitExit(exit);
  EXPECT_TRUE(SandboxPids().empty());
  EXPECT_TRUE(InstanceCgroups().empty());
}

TEST_F(NativeDriverTest, FreezeStopsAnswersAndThawResumesThem) {
  InstanceSpec spec = HttpSpec();
  auto [id, exit] = Launch(spec);
  ASSERT_TRUE(WaitUntil([&] { return Answers(spec.port); }));
  std::vector<double> freeze_ms, wake_ms, thaw_ms;
  for (int round = 0; round < 5; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(driver_->Freeze(id).ok());
    auto t1 = std::chrono::steady_clock::now();
    if (round == 0) {
      EXPECT_TRUE(HttpGet(spec.port, 500).text.empty()) << "a frozen app answered";
    }
    auto t2 = std::chrono::steady_clock::now();
    ASSERT_TRUE(driver_->Thaw(id).ok());
    auto t3 = std::chrono::steady_clock::now();
    HttpResult r = HttpGet(spec.port, 5000);
    ASSERT_NE(r.text.find("hello from the sandbox"), std::string::npos);
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    freeze_ms.push_back(ms(t1 - t0));
    thaw_ms.push_back(ms(t3 - t2));
    wake_ms.push_back(ms(t3 - t2) + static_cast<double>(r.first_byte.count()));
  }
  std::sort(wake_ms.begin(), wake_ms.end());
  std::printf("[measure] freeze %.2f ms, thaw %.2f ms, thaw->first byte median %.2f ms (max %.2f) over %zu rounds\n",
              freeze_ms.back(), thaw_ms.back(), wake_ms[wake_ms.size() / 2], wake_ms.back(), wake_ms.size());
  // Stopping a frozen app works too.
  ASSERT_TRUE(driver_->Freeze(id).ok());
  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
  EXPECT_EQ(WaitExit(exit).exit_code, 0);
  EXPECT_EQ(driver_->Freeze(id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(InstanceCgroups().empty());
}

TEST_F(NativeDriverTest, DestructorKillsRunningInstances) {
  auto [id, exit] = Launch(Spec({"sh", "-c", "echo up; exec sleep 300"}));
  ASSERT_TRUE(WaitUntil([&] { return LogHas("up"); }));
  driver_.reset();
  EXPECT_EQ(WaitExit(exit).term_signal, SIGKILL);
  EXPECT_TRUE(SandboxPids().empty());
  EXPECT_TRUE(InstanceCgroups().empty());
}

// What a killed server leaves: a group named after its (now dead) pid with a
// frozen process in it. The sweep at start thaws and ends it and removes the
// group; a group named after a live process of this program stays.
TEST(CgroupSweepTest, GroupsOfADeadServerAreEndedEvenWhenFrozen) {
  std::unique_ptr<Clock> clock = MakeRealClock();
  auto root = native::CgroupRoot::Discover(kSubtree);
  ASSERT_TRUE(root.ok()) << "cgroups are not writable on this host: " << root.status().ToString();
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  const std::string leftover = std::to_string(dead) + "-1-1";
  const std::string ours = std::to_string(getpid()) + "-1-1";
  auto old_group = native::InstanceCgroup::Create(*root, leftover, ResourceLimits{});
  ASSERT_TRUE(old_group.ok()) << old_group.status().ToString();
  auto own_group = native::InstanceCgroup::Create(*root, ours, ResourceLimits{});
  ASSERT_TRUE(own_group.ok()) << own_group.status().ToString();

  pid_t app = fork();
  if (app == 0) {
    pause();
    _exit(0);
  }
  for (const std::string& dir : (*old_group)->dirs()) {
    std::ofstream(dir + "/cgroup.procs") << app;
  }
  ASSERT_EQ((*old_group)->Pids(), std::vector<pid_t>{app});
  ASSERT_TRUE((*old_group)->Freeze(*clock, Millis(5000)).ok());

  EXPECT_EQ(native::SweepLeftoverGroups(*root, *clock), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(app, &wstatus, 0), app);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
  for (const std::string& dir : (*old_group)->dirs()) EXPECT_FALSE(fs::exists(dir)) << dir;
  for (const std::string& dir : (*own_group)->dirs()) EXPECT_TRUE(fs::exists(dir)) << dir;
  EXPECT_TRUE((*own_group)->Remove(*clock, Millis(5000)).ok());
}

}  // namespace
}  // namespace spaceport::runtime
