// The OCI driver against the host's real podman. The image is built here
// from Debian's busybox-static (scripts/oci-base-image), since no registry is
// reachable. Without a working engine every test fails, saying why.
#include "runtime/oci/oci_driver.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>

#include <gtest/gtest.h>

#include "core/strings.h"
#include "core/subprocess.h"
#include "http/client.h"
#include "runtime/deploy_env.h"
#include "runtime/log_store.h"
#include "runtime/oci/container_env.h"
#include "runtime/oci/image_build.h"
#include "runtime/testing/test_util.h"

namespace spaceport::runtime::oci {
namespace {

using testing::TempDir;
using testing::WaitUntil;

constexpr char kImage[] = "spaceport-test/oci-driver:1";
constexpr char kBaseImage[] = "localhost/spaceport/busybox:1";

// An HTTP server with CGI probes (their heads end lines with CRLF): env shows
// what the app sees, probe what it can reach and write.
constexpr char kDockerfile[] = R"(FROM localhost/spaceport/busybox:1
RUN mkdir -p /www/cgi-bin && echo 'hello from the container' > /www/index.html \
 && printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "uid=$(id -u) secret=$SECRET_TOKEN port=$PORT space=$SPACE_ID pem=$PEM_KEY"\n' > /www/cgi-bin/env \
 && printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nif printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 127.0.0.1 "$QUERY_STRING" >/dev/null 2>/dev/null; then echo reach=yes; else echo reach=no; fi\nif touch /rootfile 2>/dev/null; then echo root=writable; else echo root=readonly; fi\nif touch /data/probe 2>/dev/null; then echo data=writable; else echo data=readonly; fi\necho nets=$(ls /sys/class/net | tr "\\n" " ")\n' > /www/cgi-bin/probe \
 && chmod +x /www/cgi-bin/env /www/cgi-bin/probe
CMD ["httpd", "-f", "-p", "7860", "-h", "/www"]
)";

class OciDriverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<OciEngine> engine = ProbeOciEngine({});
    if (!engine.ok()) {
      engine_error_ = "podman does not work here (scripts/setup --test installs it): " + engine.status().message();
      return;
    }
    engine_ = new OciEngine(*engine);
    Result<CommandResult> base = RunCommand(
        {.argv = {std::string(SPACEPORT_SOURCE_DIR) + "/scripts/oci-base-image", kBaseImage}, .merge_stderr = true});
    if (!base.ok() || !base->ok()) {
      engine_error_ = "the base image could not be made: " + (base.ok() ? base->stdout_data : base.status().message());
      return;
    }
    TempDir context;
    std::ofstream(context.path() + "/Dockerfile") << kDockerfile;
    Result<CommandResult> built = RunCommand(
        {.argv = engine_->Command({"build", "--tag", kImage, context.path()}), .merge_stderr = true});
    if (!built.ok() || !built->ok()) {
      engine_error_ = "the test image did not build: " + (built.ok() ? built->stdout_data : built.status().message());
    }
  }
  static void TearDownTestSuite() {
    if (engine_ != nullptr) {
      (void)RunCommand({.argv = engine_->Command({"rmi", "--force", kImage, "spaceport-test/oci-hog:1"})});
    }
    delete engine_;
    engine_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(engine_error_.empty()) << engine_error_;
    clock_ = MakeRealClock();
    logs_ = MakeFileLogStore(dir_.path() + "/logs", clock_.get());
    OciDriverOptions options;
    options.engine = *engine_;
    options.clock = clock_.get();
    options.owner = "test-" + RandomHex(6);
    options.state_dir = dir_.path() + "/oci";
    auto driver = MakeOciDriver(options);
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    driver_ = std::move(*driver);
  }

  InstanceSpec Spec() {
    InstanceSpec spec;
    spec.space_id = "alice/docker";
    spec.image = kImage;
    spec.app_port = 7860;
    auto port = PickFreeLoopbackPort();
    EXPECT_TRUE(port.ok());
    spec.port = *port;
    spec.env = {{"PORT", "7860"},
                {"SPACE_ID", "alice/docker"},
                {"SECRET_TOKEN", "s3cr3t-value"},
                {"PEM_KEY", "-----BEGIN-----\nmultiline\n-----END-----"},
                // Would be the engine's (root's) if the app's env were the engine's.
                {"LD_PRELOAD", "/nonexistent-preload.so"}};
    spec.data_dir = dir_.path() + "/data";
    spec.log = logs_.get();
    spec.limits = LimitsFor(LookupHardware("cpu-basic"));
    return spec;
  }

  std::pair<InstanceId, std::future<ExitStatus>> Launch(const InstanceSpec& spec) {
    return testing::LaunchInstance(*driver_, spec);
  }

  static std::string Get(int port, const std::string& path, Millis timeout = Millis(3000)) {
    http::ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + path;
    req.timeout = timeout;
    Result<http::ClientResponse> r = http::Fetch(req);
    return r.ok() && r->status == 200 ? r->body : "";
  }

  std::string RunLog() {
    std::string out;
    for (const auto& l : logs_->Tail("alice/docker", LogKind::kRun, 200)) out += l.text + "\n";
    return out;
  }

  static inline OciEngine* engine_ = nullptr;
  static inline std::string engine_error_;
  TempDir dir_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<RuntimeDriver> driver_;
};

TEST_F(OciDriverTest, ServesThroughTheForwarderAsUid1000WithItsEnvironment) {
  InstanceSpec spec = Spec();
  auto [id, exit] = Launch(spec);
  ASSERT_TRUE(WaitUntil([&] { return Get(spec.port, "/").find("hello from the container") != std::string::npos; }))
      << RunLog();
  std::string env = Get(spec.port, "/cgi-bin/env");
  EXPECT_NE(env.find("uid=1000 "), std::string::npos) << env;
  EXPECT_NE(env.find("secret=s3cr3t-value"), std::string::npos) << env;
  EXPECT_NE(env.find("port=7860 space=alice/docker"), std::string::npos) << env;
  EXPECT_NE(env.find("pem=-----BEGIN-----\nmultiline\n-----END-----"), std::string::npos) << env;
  // The engine did not load the app's LD_PRELOAD (the loader would complain in the run log).
  EXPECT_EQ(RunLog().find("preload"), std::string::npos) << RunLog();
  // The env file was removed once the container existed.
  for (const auto& f : std::filesystem::directory_iterator(dir_.path() + "/oci")) {
    EXPECT_FALSE(EndsWith(f.path().string(), ".env")) << f.path();
  }
  // The secret reached the container without a command line carrying it.
  Result<std::string> ps = RunSimple({"ps", "-eo", "args"});
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ(ps->find("s3cr3t-value"), std::string::npos);

  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
  ASSERT_EQ(exit.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(Get(spec.port, "/", Millis(500)), "");
  // The container is gone, not just stopped.
  Result<CommandResult> left = RunCommand({.argv = engine_->Command({"ps", "--all", "--filter",
                                                                     "label=space.spaceport.space=alice/docker",
                                                                     "--format", "{{.Names}}"})});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->stdout_data.find("spaceport-" + std::to_string(getpid())), std::string::npos) << left->stdout_data;
}

TEST_F(OciDriverTest, ReachesNothingOnTheHostAndWritesOnlyData) {
  // A service on the host's loopback, as the hub or another Space's app is.
  Result<int> host_port = PickFreeLoopbackPort();
  ASSERT_TRUE(host_port.ok());
  TempDir www;
  std::ofstream(www.path() + "/index.html") << "host service";
  SpawnedChild server;
  auto spawned = SpawnWithPipes({"/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:" + std::to_string(*host_port), "-h",
                                 www.path()},
                                "", {"PATH=/usr/bin:/bin"});
  ASSERT_TRUE(spawned.ok()) << spawned.status().ToString();
  server = *spawned;
  ASSERT_TRUE(WaitUntil([&] { return Get(*host_port, "/") == "host service"; }));

  InstanceSpec spec = Spec();
  auto [id, exit] = Launch(spec);
  ASSERT_TRUE(WaitUntil([&] { return !Get(spec.port, "/").empty(); })) << RunLog();
  std::string probe = Get(spec.port, "/cgi-bin/probe?" + std::to_string(*host_port), Millis(10000));
  EXPECT_NE(probe.find("reach=no"), std::string::npos) << probe;
  EXPECT_NE(probe.find("root=readonly"), std::string::npos) << probe;
  EXPECT_NE(probe.find("data=writable"), std::string::npos) << probe;
  EXPECT_NE(probe.find("nets=lo\n"), std::string::npos) << probe;  // its own loopback only
  // Its own port inside is reachable: the probe can fail the other way.
  std::string self = Get(spec.port, "/cgi-bin/probe?7860", Millis(10000));
  EXPECT_NE(self.find("reach=yes"), std::string::npos) << self;
  EXPECT_TRUE(std::filesystem::exists(spec.data_dir + "/probe"));

  kill(server.pid, SIGKILL);
  waitpid(server.pid, nullptr, 0);
  for (int fd : {server.in, server.out, server.err}) close(fd);
  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
}

TEST_F(OciDriverTest, MemoryLimitHoldsAndTheKillIsReportedAsOutOfMemory) {
  InstanceSpec spec = Spec();
  spec.limits.memory_bytes = 48 << 20;
  // The app's first act allocates 256 MiB at once.
  Result<CommandResult> built = RunCommand(
      {.argv = engine_->Command({"build", "--tag", "spaceport-test/oci-hog:1", "--file", "-", "."}),
       .cwd = dir_.path(),
       .stdin_data = std::string("FROM ") + kBaseImage +
                     "\nCMD [\"sh\", \"-c\", \"echo allocating; exec dd if=/dev/zero of=/dev/null bs=256M count=1\"]\n",
       .merge_stderr = true});
  ASSERT_TRUE(built.ok() && built->ok()) << (built.ok() ? built->stdout_data : built.status().ToString());
  spec.image = "spaceport-test/oci-hog:1";
  auto [id, exit] = Launch(spec);
  ASSERT_EQ(exit.wait_for(std::chrono::seconds(60)), std::future_status::ready) << RunLog();
  ExitStatus s = exit.get();
  std::string log = RunLog();
  EXPECT_NE(log.find("allocating"), std::string::npos) << log;
  EXPECT_EQ(log.find("records in"), std::string::npos) << log;  // dd never finished
  EXPECT_EQ(s.term_signal, SIGKILL) << s.Describe();
  EXPECT_EQ(s.reason, "out of memory") << s.Describe();
  (void)id;
}

TEST_F(OciDriverTest, PausedContainerAnswersNothingUntilUnpaused) {
  InstanceSpec spec = Spec();
  auto [id, exit] = Launch(spec);
  ASSERT_TRUE(WaitUntil([&] { return !Get(spec.port, "/").empty(); })) << RunLog();
  ASSERT_TRUE(driver_->Freeze(id).ok());
  EXPECT_EQ(Get(spec.port, "/", Millis(700)), "");
  Result<int64_t> memory = driver_->MemoryBytes(id);
  ASSERT_TRUE(memory.ok()) << memory.status().ToString();
  EXPECT_GT(*memory, 0);
  ASSERT_TRUE(driver_->Thaw(id).ok());
  EXPECT_NE(Get(spec.port, "/").find("hello from the container"), std::string::npos);
  // A paused container still stops at once.
  ASSERT_TRUE(driver_->Freeze(id).ok());
  ASSERT_TRUE(driver_->Stop(id, Millis(5000)).ok());
  ASSERT_EQ(exit.wait_for(std::chrono::seconds(30)), std::future_status::ready);
}

TEST_F(OciDriverTest, AMissingImageIsReportedThroughTheExitWithTheEnginesMessage) {
  InstanceSpec spec = Spec();
  spec.image = "spaceport-test/no-such-image:1";
  auto [id, exit] = Launch(spec);
  ASSERT_EQ(exit.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  ExitStatus s = exit.get();
  EXPECT_EQ(s.exit_code, 125) << s.Describe();
  EXPECT_NE(RunLog().find("no-such-image"), std::string::npos) << RunLog();
  (void)id;
}

TEST(ContainerEnvTest, SingleLineValuesGoToTheFileOthersOnlyUnderHarmlessNames) {
  Result<ContainerEnv> env = SplitContainerEnv(
      {{"A", "1"}, {"LD_PRELOAD", "/data/x.so"}, {"PATH", "/host"}, {"CERT", "line1\nline2"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->file_text, "A=1\nLD_PRELOAD=/data/x.so\n");  // PATH stays the image's
  EXPECT_EQ(env->names, std::vector<std::string>{"CERT"});
  EXPECT_EQ(env->engine_env, std::vector<std::string>{"CERT=line1\nline2"});
  for (const char* name : {"LD_PRELOAD", "ld_library_path", "CONTAINERS_CONF", "GODEBUG", "TMPDIR", "XDG_CONFIG_HOME"}) {
    Result<ContainerEnv> refused = SplitContainerEnv({{name, "/data/x.so\n"}});
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << name;
  }
}

// Image builds (image_build.h) with the same engine.
class ImageBuildTest : public OciDriverTest {
 protected:
  void SetUp() override { ASSERT_TRUE(engine_error_.empty()) << engine_error_; }
  void TearDown() override { RemoveSpaceImages(*engine_, kSpace); }

  ImageBuildRequest Request(const std::string& dockerfile, const std::string& sha) {
    std::ofstream(context_.path() + "/Dockerfile") << dockerfile;
    ImageBuildRequest r;
    r.space_id = kSpace;
    r.commit_sha = sha;
    r.context_dir = context_.path();
    r.secrets_dir = dir_.path() + "/secrets";
    r.log = [this](std::string_view chunk) { log_.append(chunk); };
    return r;
  }

  std::vector<std::string> Tags() {
    Result<CommandResult> r = RunCommand({.argv = engine_->Command({"images", "--format", "{{.Tag}}", "--filter",
                                                                    std::string("reference=") + ImageRepository(kSpace)})});
    EXPECT_TRUE(r.ok() && r->ok());
    std::vector<std::string> tags;
    for (const std::string& t : Split(r.ok() ? r->stdout_data : "", '\n')) {
      if (!Trim(t).empty()) tags.emplace_back(Trim(t));
    }
    std::sort(tags.begin(), tags.end());
    return tags;
  }

  static constexpr char kSpace[] = "Alice/Image-Build";
  TempDir context_;
  std::string log_;
};

TEST_F(ImageBuildTest, ACommitIsBuiltOnceWithItsSecretOnlyInTheRunStepAndOldImagesArePruned) {
  EXPECT_TRUE(StartsWith(ImageRepository(kSpace), "spaceport/alice/image-build-")) << ImageRepository(kSpace);
  EXPECT_NE(ImageRepository("a/b_c"), ImageRepository("a/b__c"));  // one reference each
  const std::string dockerfile = std::string("FROM ") + kBaseImage +
                                 "\nARG FLAVOR\nRUN --mount=type=secret,id=TOKEN wc -c < /run/secrets/TOKEN > /len "
                                 "&& echo \"$FLAVOR\" > /flavor\nUSER 1234\n";
  ImageBuildRequest r = Request(dockerfile, std::string(40, 'a'));
  r.build_args = {{"FLAVOR", "mint"}};
  r.secrets = {{"TOKEN", "tok-5ecret-value"}};
  Result<BuiltImage> first = BuildSpaceImage(*engine_, r);
  ASSERT_TRUE(first.ok()) << first.status().ToString() << log_;
  // Tagged by the commit and its build args.
  EXPECT_TRUE(StartsWith(first->reference, ImageRepository(kSpace) + ":aaaaaaaaaaaa-")) << first->reference;
  EXPECT_EQ(first->user, "1234");
  EXPECT_FALSE(first->reused);
  EXPECT_FALSE(std::filesystem::exists(r.secrets_dir));  // the secret files are gone after the build
  Result<std::string> seen = RunSimple(engine_->Command({"run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit",
                                                         "nproc=1024:1024", first->reference, "cat", "/len", "/flavor"}));
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_EQ(*seen, "16\nmint\n");
  Result<std::string> history =
      RunSimple(engine_->Command({"history", "--no-trunc", "--format", "{{.CreatedBy}}", first->reference}));
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->find("tok-5ecret-value"), std::string::npos) << *history;

  // The same commit again: nothing is built.
  log_.clear();
  Result<BuiltImage> again = BuildSpaceImage(*engine_, r);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->user, "1234");
  EXPECT_NE(log_.find("already built for this commit"), std::string::npos) << log_;

  // Two more commits: the newest two images stay.
  for (char c : {'b', 'c'}) {
    ImageBuildRequest next = Request(dockerfile + "LABEL n=" + c + "\n", std::string(40, c));
    next.secrets = r.secrets;
    ASSERT_TRUE(BuildSpaceImage(*engine_, next).ok()) << log_;
  }
  EXPECT_EQ(Tags(), (std::vector<std::string>{"bbbbbbbbbbbb", "cccccccccccc"}));
  EXPECT_EQ(RemoveSpaceImages(*engine_, kSpace), 2);
  EXPECT_TRUE(Tags().empty());
}

TEST_F(ImageBuildTest, FailuresCarryTheEnginesMessageAndTheTimeLimitStopsABuild) {
  Result<BuiltImage> failed =
      BuildSpaceImage(*engine_, Request(std::string("FROM ") + kBaseImage + "\nRUN echo no-luck && exit 4\n",
                                        std::string(40, 'd')));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("podman build failed: Error:"), std::string::npos)
      << failed.status().message();
  EXPECT_NE(log_.find("no-luck"), std::string::npos) << log_;

  ImageBuildRequest slow = Request(std::string("FROM ") + kBaseImage + "\nRUN sleep 61\n", std::string(40, 'e'));
  slow.timeout = Millis(3000);
  auto start = std::chrono::steady_clock::now();
  Result<BuiltImage> stopped = BuildSpaceImage(*engine_, slow);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::kDeadlineExceeded) << stopped.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_TRUE(Tags().empty());
  // The step was ended, not left running, and the engine cleaned up after itself.
  Result<std::string> ps = RunSimple({"ps", "-eo", "args"});
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ(ps->find("sleep 61"), std::string::npos) << *ps;
  Result<std::string> working = RunSimple(engine_->Command({"ps", "--all", "--external", "--format", "{{.Names}}"}));
  ASSERT_TRUE(working.ok());
  EXPECT_EQ(working->find("working-container"), std::string::npos) << *working;
}

}  // namespace
}  // namespace spaceport::runtime::oci
