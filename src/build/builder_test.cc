// Builder tests against real git repositories and real pip, hermetic: every
// repository, cache and wheelhouse lives in a temp dir, pip never leaves it.
#include "build/builder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "build/python_env.h"
#include "core/subprocess.h"

namespace spaceport::build {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPython[] = "/usr/bin/python3";

void WriteText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Git(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@t",
                                   "-c", "init.defaultBranch=main"};
  argv.insert(argv.end(), args.begin(), args.end());
  Result<std::string> r = RunSimple(argv);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::string(*r) : "";
}

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sp-build-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    options_.cache_dir = root_ + "/cache";
    options_.python = kPython;
  }
  void TearDown() override { fs::remove_all(root_); }

  // Commits `files` to a fresh repository named `name`; returns the commit sha.
  std::string MakeRepo(const std::string& name, const std::map<std::string, std::string>& files) {
    std::string dir = root_ + "/src/" + name;
    fs::create_directories(dir);
    Git(dir, {"init", "-q"});
    for (const auto& [path, text] : files) WriteText(dir + "/" + path, text);
    Git(dir, {"add", "-A"});
    Git(dir, {"commit", "-q", "-m", "init"});
    std::string sha = Git(dir, {"rev-parse", "HEAD"});
    while (!sha.empty() && sha.back() == '\n') sha.pop_back();
    return sha;
  }

  Result<LaunchSpec> BuildRepo(const std::string& name, const std::string& sha, bool use_cache = true,
                               Builder* builder = nullptr) {
    std::unique_ptr<Builder> own;
    if (builder == nullptr) {
      own = MakeBuilder(options_);
      builder = own.get();
    }
    BuildRequest req;
    req.space_id = "alice/" + name;
    req.repo_path = root_ + "/src/" + name + "/.git";
    req.commit_sha = sha;
    req.work_dir = root_ + "/work/" + name + "-" + std::to_string(++builds_);
    req.use_cache = use_cache;
    req.disk_limit_bytes = disk_limit_;
    std::string* log = &logs_[name];
    log->clear();
    std::mutex* mu = &log_mu_;
    return builder->Build(req, [log, mu](std::string_view chunk) {
      std::lock_guard<std::mutex> lock(*mu);
      log->append(chunk);
    });
  }

  Result<LaunchSpec> Build(const std::string& name, const std::map<std::string, std::string>& files) {
    return BuildRepo(name, MakeRepo(name, files));
  }

  // A wheelhouse with tiny pure-Python packages, built here by pip itself.
  std::string MakeWheelhouse() {
    std::string wheels = root_ + "/wheels";
    MakeWheel(wheels, "spaceport_probe", "0.1", "VALUE = 42\n");
    MakeWheel(wheels, "gradio", "9.9.9", "FAKE = True\n");
    options_.pip_find_links = wheels;
    return wheels;
  }

  void MakeWheel(const std::string& wheels, const std::string& name, const std::string& version,
                 const std::string& init) {
    std::string pkg = root_ + "/pkgsrc/" + name;
    WriteText(pkg + "/" + name + "/__init__.py", init);
    WriteText(pkg + "/setup.py", "from setuptools import setup\nsetup(name='" + name + "', version='" + version +
                                     "', packages=['" + name + "'])\n");
    Result<std::string> r = RunSimple({kPython, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                                       "--no-index", "-w", wheels, pkg});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  static bool HaveSetuptools() {
    return RunSimple({kPython, "-c", "import setuptools, wheel"}).ok();
  }

  std::string root_;
  BuilderOptions options_;
  int64_t disk_limit_ = 0;  // BuildRequest::disk_limit_bytes of the next builds
  std::map<std::string, std::string> logs_;
  std::mutex log_mu_;
  std::atomic<int> builds_{0};
};

TEST_F(BuilderTest, StaticSpace) {
  Result<LaunchSpec> s = Build("site", {{"README.md", "---\nsdk: static\n---\n# Site\n"},
                                        {"index.html", "<h1>hi</h1>"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString() << logs_["site"];
  EXPECT_TRUE(s->is_static);
  EXPECT_EQ(s->sdk, "static");
  EXPECT_EQ(ReadText(s->static_root + "/index.html"), "<h1>hi</h1>");
  EXPECT_EQ(s->title, "site");  // no title in the card: the Space's name
  EXPECT_EQ(nlohmann::json::parse(s->card_json)["sdk"], "static");
  EXPECT_THAT(logs_["site"], HasSubstr("==> Exporting commit"));
  EXPECT_FALSE(fs::exists(root_ + "/cache/venvs"));  // static Spaces get no Python
}

TEST_F(BuilderTest, StaticWithBuildCommandAndAppFile) {
  Result<LaunchSpec> s = Build("built", {{"README.md",
                                          "---\ntitle: Built\nsdk: static\napp_file: dist/index.html\n"
                                          "app_build_command: echo compiling; mkdir -p dist && echo ok > dist/index.html\n"
                                          "---\n"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->static_root, s->cwd + "/dist");
  EXPECT_EQ(ReadText(s->static_root + "/index.html"), "ok\n");
  EXPECT_EQ(s->title, "Built");
  EXPECT_THAT(logs_["built"], HasSubstr("==> Running app_build_command"));
  EXPECT_THAT(logs_["built"], HasSubstr("compiling\n"));
}

TEST_F(BuilderTest, StaticWithoutIndexIsNoAppFile) {
  Result<LaunchSpec> s = Build("empty", {{"README.md", "---\nsdk: static\n---\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(), "index.html not found in the repository");
}

TEST_F(BuilderTest, FailingBuildCommandIsBuildErrorWithExitCode) {
  Result<LaunchSpec> s =
      Build("fails", {{"README.md", "---\nsdk: static\napp_build_command: echo broken >&2; exit 3\n---\n"},
                      {"index.html", "x"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
  EXPECT_THAT(s.status().message(), HasSubstr("app_build_command failed with exit code 3"));
  EXPECT_THAT(logs_["fails"], HasSubstr("broken"));
  EXPECT_THAT(logs_["fails"], HasSubstr("==> Build failed: app_build_command failed with exit code 3\n"));
}

TEST_F(BuilderTest, ProcessSpaceWithoutRequirements) {
  Result<LaunchSpec> s = Build("proc", {{"README.md", "---\nsdk: process\napp_command: ./serve --port $PORT\n"
                                                      "app_port: 8000\n---\n"},
                                        {"serve", "#!/bin/sh\n"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_THAT(s->argv, ElementsAre("sh", "-c", "./serve --port $PORT"));
  EXPECT_EQ(s->app_port, 8000);
  EXPECT_EQ(s->env.at("PATH"), "/usr/local/bin:/usr/bin:/bin");
  EXPECT_TRUE(fs::exists(s->cwd + "/serve"));
}

TEST_F(BuilderTest, ProcessWithoutAppCommandIsConfigError) {
  Result<LaunchSpec> s = Build("noc", {{"README.md", "---\nsdk: process\n---\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("app_command"));
}

TEST_F(BuilderTest, GradioWithoutAppPyIsNoAppFile) {
  Result<LaunchSpec> s = Build("noapp", {{"README.md", "---\nsdk: gradio\n---\n"}, {"main.py", ""}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(), "app.py not found in the repository");
}

TEST_F(BuilderTest, MissingReadmeIsConfigError) {
  Result<LaunchSpec> s = Build("noreadme", {{"app.py", ""}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), StartsWith("no README.md with a card"));
}

TEST_F(BuilderTest, ReadmeWithoutSdkIsConfigError) {
  Result<LaunchSpec> s = Build("nosdk", {{"README.md", "# Just text\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "README.md: no sdk in the card (add `sdk: static|gradio|streamlit|docker|process`)");
}

TEST_F(BuilderTest, BadCardIsConfigErrorWithLine) {
  Result<LaunchSpec> s = Build("bad", {{"README.md", "---\ntitle: x\nsdk: static\napp_port: abc\n---\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "README.md line 4: app_port: expected an integer between 1 and 65535, got \"abc\"");
}

TEST_F(BuilderTest, SymlinkedReadmeIsRefused) {
  std::string sha = MakeRepo("link", {{"index.html", "x"}});
  std::string dir = root_ + "/src/link";
  ASSERT_EQ(symlink("/etc/passwd", (dir + "/README.md").c_str()), 0);
  Git(dir, {"add", "-A"});
  Git(dir, {"commit", "-q", "-m", "link"});
  Result<LaunchSpec> s = BuildRepo("link", "HEAD");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("symbolic link"));
  (void)sha;
}

TEST_F(BuilderTest, DockerWithoutEngineIsBuildError) {
  options_.oci_engine = nullptr;
  options_.oci_missing = "podman not found (apt-get install podman)";
  Result<LaunchSpec> s = Build("dock", {{"README.md", "---\nsdk: docker\n---\n"}, {"Dockerfile", "FROM scratch\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
  EXPECT_EQ(s.status().message(),
            "sdk docker needs an OCI engine (podman), and none works on this host: podman not found (apt-get "
            "install podman)");
}

TEST_F(BuilderTest, DockerWithoutDockerfileIsNoAppFile) {
  Result<LaunchSpec> s = Build("nodock", {{"README.md", "---\nsdk: docker\n---\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("Dockerfile not found"));
}

TEST_F(BuilderTest, UnknownCommitIsBuildError) {
  MakeRepo("sha", {{"README.md", "---\nsdk: static\n---\n"}});
  Result<LaunchSpec> s = BuildRepo("sha", "0123456789abcdef0123456789abcdef01234567");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
  Result<LaunchSpec> dash = BuildRepo("sha", "--output=/tmp/x");
  ASSERT_FALSE(dash.ok());
}

TEST_F(BuilderTest, PackagesTxtWarns) {
  Result<LaunchSpec> s = Build("pkgs", {{"README.md", "---\nsdk: static\n---\n"}, {"index.html", "x"},
                                        {"packages.txt", "ffmpeg\n"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_THAT(logs_["pkgs"], HasSubstr("packages.txt"));
  EXPECT_THAT(logs_["pkgs"], HasSubstr("cannot install system packages"));
}

TEST_F(BuilderTest, NpmInstallWithoutDependencies) {
  Result<LaunchSpec> s = Build("node", {{"README.md", "---\nsdk: process\napp_command: node server.js\n---\n"},
                                        {"package.json", "{\"name\": \"demo\", \"version\": \"1.0.0\"}\n"},
                                        {"server.js", ""}});
  ASSERT_TRUE(s.ok()) << s.status().ToString() << logs_["node"];
  EXPECT_THAT(logs_["node"], HasSubstr("==> Installing Node dependencies (npm install)"));
  EXPECT_THAT(s->env.at("PATH"), HasSubstr(s->cwd + "/node_modules/.bin:"));
}

TEST_F(BuilderTest, BuildPastItsTimeLimitIsStoppedAndSaysWhich) {
  options_.timeout = Millis(1500);
  Result<LaunchSpec> s =
      Build("hangs", {{"README.md", "---\nsdk: static\napp_build_command: sleep 600\n---\n"}, {"index.html", "x"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.status().message(),
            "app_build_command was stopped: the build passed its time limit of 1 s (--build-timeout)");
}

TEST_F(BuilderTest, BuildLogPastItsCapIsStoppedAndCut) {
  options_.log_limit_bytes = 64 << 10;
  Result<LaunchSpec> s =
      Build("chatty", {{"README.md", "---\nsdk: static\napp_build_command: yes spaceport\n---\n"}, {"index.html", "x"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(s.status().message(), HasSubstr("the build log passed its size limit of 64 KiB (--build-log-limit)"));
  EXPECT_LT(logs_["chatty"].size(), static_cast<size_t>((64 << 10) + 4096));  // cut at the cap, plus our notes
}

TEST_F(BuilderTest, BuildFilesPastTheDiskLimitAreStoppedAndSayWhich) {
  disk_limit_ = 4 << 20;
  // Control: a build that stays below the limit succeeds.
  Result<LaunchSpec> small = Build(
      "small", {{"README.md", "---\nsdk: static\napp_build_command: head -c 1048576 /dev/zero > blob\n---\n"},
                {"index.html", "x"}});
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  // Many files, written on and on: stopped by a walk while it runs.
  Result<LaunchSpec> filler = Build(
      "filler", {{"README.md",
                  "---\nsdk: static\napp_build_command: \"i=0; while :; do i=$((i+1)); "
                  "head -c 1048576 /dev/zero > f$i; sleep 0.05; done\"\n---\n"},
                 {"index.html", "x"}});
  ASSERT_FALSE(filler.ok());
  EXPECT_EQ(filler.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(filler.status().message(),
            "app_build_command was stopped: the build's files passed its disk limit of 4 MiB (the hardware's "
            "ephemeral disk, --ephemeral-disk)");
  // One file past it by a command that then ends well: caught when the step ends.
  Result<LaunchSpec> big = Build(
      "big", {{"README.md", "---\nsdk: static\napp_build_command: head -c 8388608 /dev/zero > big\n---\n"},
              {"index.html", "x"}});
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("passed its disk limit of 4 MiB"));
}

TEST_F(BuilderTest, BuildStepsGetNoneOfTheServersEnvironment) {
  setenv("SPACEPORT_TEST_SERVER_SECRET", "hunter2", 1);
  Result<LaunchSpec> s = Build("env", {{"README.md", "---\nsdk: static\napp_build_command: env > index.html\n---\n"}});
  unsetenv("SPACEPORT_TEST_SERVER_SECRET");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string env = ReadText(s->static_root + "/index.html");
  EXPECT_THAT(env, HasSubstr("HOME=/tmp\n"));
  EXPECT_THAT(env, Not(HasSubstr("hunter2")));
}

TEST(RequirementsNameLocalCodeTest, PathsUrlsAndOptionsMakeAVenvPrivate) {
  EXPECT_FALSE(internal::RequirementsNameLocalCode("numpy>=1.0\n# ./not-a-path\nrequests[socks]; python_version>'3'\n"));
  for (const char* line : {"./probe", "../x", "/abs/pkg", "-e .", "-r other.txt", "--index-url https://x/simple",
                           "pkg @ https://example.org/p.whl", "git+https://example.org/r.git", "pkgs/probe"}) {
    EXPECT_TRUE(internal::RequirementsNameLocalCode(std::string("numpy\n") + line + "\n")) << line;
  }
  internal::VenvRequest a, b;
  a.requirements = b.requirements = "./probe\n";
  a.has_requirements = b.has_requirements = true;
  a.space_id = "alice/one";
  b.space_id = "bob/two";
  EXPECT_NE(internal::VenvHash(a), internal::VenvHash(b));
  a.requirements = b.requirements = "numpy\n";
  EXPECT_EQ(internal::VenvHash(a), internal::VenvHash(b));  // index packages: shared
}

TEST(RequirementsMentionTest, MatchesNormalisedNames) {
  EXPECT_TRUE(internal::RequirementsMention("numpy\nGradio>=4.0\n", "gradio"));
  EXPECT_TRUE(internal::RequirementsMention("  streamlit[extras]==1.2 # pinned\n", "streamlit"));
  EXPECT_FALSE(internal::RequirementsMention("gradio-client==1.0\n# gradio\n", "gradio"));
  EXPECT_FALSE(internal::RequirementsMention("", "gradio"));
}

TEST_F(BuilderTest, VenvFromWheelhouseIsBuiltOnceAndShared) {
  if (!HaveSetuptools()) GTEST_FAIL() << "setuptools/wheel not importable by " << kPython << ": run scripts/setup";
  MakeWheelhouse();
  const std::map<std::string, std::string> files = {
      {"README.md", "---\nsdk: process\napp_command: python -c 'import spaceport_probe'\n---\n"},
      {"requirements.txt", "spaceport-probe==0.1\n"}};
  Result<LaunchSpec> a = Build("first", files);
  ASSERT_TRUE(a.ok()) << a.status().ToString() << logs_["first"];
  const std::string venv = a->env.at("VIRTUAL_ENV");
  EXPECT_THAT(venv, StartsWith(options_.cache_dir + "/venvs/"));
  EXPECT_EQ(a->env.at("PATH"), venv + "/bin:/usr/local/bin:/usr/bin:/bin");
  EXPECT_THAT(logs_["first"], HasSubstr("==> Installing Python dependencies (new venv "));
  EXPECT_THAT(logs_["first"], HasSubstr("spaceport-probe"));  // pip's output streamed
  Result<std::string> value = RunSimple({venv + "/bin/python", "-c", "import spaceport_probe as p; print(p.VALUE)"});
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(*value, "42\n");
  // Scripts were relocated from the temp dir to the final one.
  const std::string pip_script = ReadText(venv + "/bin/pip");
  EXPECT_THAT(pip_script, HasSubstr(venv + "/bin/python"));
  EXPECT_THAT(pip_script, Not(HasSubstr("/.tmp-")));

  Result<LaunchSpec> b = Build("second", files);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->env.at("VIRTUAL_ENV"), venv);
  EXPECT_THAT(logs_["second"], HasSubstr("(cached venv " + fs::path(venv).filename().string().substr(0, 6) + ")"));
  EXPECT_THAT(logs_["second"], Not(HasSubstr("spaceport-probe")));  // pip did not run

  Result<LaunchSpec> c = BuildRepo("second", "HEAD", /*use_cache=*/false);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_THAT(logs_["second"], HasSubstr(", no caches)"));
  EXPECT_EQ(c->env.at("VIRTUAL_ENV"), venv);
  EXPECT_TRUE(RunSimple({venv + "/bin/python", "-c", "import spaceport_probe"}).ok());
  for (const auto& e : fs::directory_iterator(options_.cache_dir + "/venvs")) {
    EXPECT_THAT(e.path().filename().string(), Not(StartsWith(".")));  // no temp or old dirs left
  }
}

TEST_F(BuilderTest, GradioGetsTheSdkPackageAppended) {
  if (!HaveSetuptools()) GTEST_FAIL() << "setuptools/wheel not importable by " << kPython << ": run scripts/setup";
  MakeWheelhouse();
  Result<LaunchSpec> s = Build("gr", {{"README.md", "---\nsdk: gradio\nsdk_version: 9.9.9\n---\n"},
                                      {"app.py", "import gradio\n"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString() << logs_["gr"];
  const std::string venv = s->env.at("VIRTUAL_ENV");
  EXPECT_THAT(s->argv, ElementsAre(venv + "/bin/python", "app.py"));
  EXPECT_EQ(s->env.at("GRADIO_SERVER_PORT"), "{PORT}");
  EXPECT_TRUE(RunSimple({venv + "/bin/python", "-c", "import gradio; assert gradio.FAKE"}).ok());
}

TEST_F(BuilderTest, FailedPipInstallKeepsNoVenv) {
  if (!HaveSetuptools()) GTEST_FAIL() << "setuptools/wheel not importable by " << kPython << ": run scripts/setup";
  MakeWheelhouse();
  Result<LaunchSpec> s = Build("broken", {{"README.md", "---\nsdk: process\napp_command: 'true'\n---\n"},
                                          {"requirements.txt", "no-such-package-anywhere==1.0\n"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
  EXPECT_THAT(s.status().message(), HasSubstr("pip install failed with exit code"));
  for (const auto& e : fs::directory_iterator(options_.cache_dir + "/venvs")) {
    EXPECT_EQ(e.path().extension(), ".lock") << e.path();  // only the lock file remains
  }
}

TEST_F(BuilderTest, ConcurrentBuildsOfOneHashShareOneVenv) {
  if (!HaveSetuptools()) GTEST_FAIL() << "setuptools/wheel not importable by " << kPython << ": run scripts/setup";
  MakeWheelhouse();
  const std::map<std::string, std::string> files = {
      {"README.md", "---\nsdk: process\napp_command: 'true'\n---\n"}, {"requirements.txt", "spaceport-probe\n"}};
  std::string sha1 = MakeRepo("c1", files), sha2 = MakeRepo("c2", files);
  std::unique_ptr<Builder> builder = MakeBuilder(options_);
  logs_["c1"], logs_["c2"];  // no map insertions from the threads
  std::optional<Result<LaunchSpec>> r1, r2;
  std::thread t1([&] { r1.emplace(BuildRepo("c1", sha1, true, builder.get())); });
  std::thread t2([&] { r2.emplace(BuildRepo("c2", sha2, true, builder.get())); });
  t1.join();
  t2.join();
  ASSERT_TRUE(r1->ok()) << r1->status().ToString();
  ASSERT_TRUE(r2->ok()) << r2->status().ToString();
  EXPECT_EQ((*r1)->env.at("VIRTUAL_ENV"), (*r2)->env.at("VIRTUAL_ENV"));
  int fresh = 0;
  for (const char* name : {"c1", "c2"}) fresh += logs_[name].find("new venv") != std::string::npos;
  EXPECT_EQ(fresh, 1);
}

}  // namespace
}  // namespace spaceport::build
