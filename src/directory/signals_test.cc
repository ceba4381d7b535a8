// The directory's signals over the real SQLite store: trending under a moved
// clock (likes, visitors, fresh-account bursts), health probes and the
// verified badge, the abandoned rule and archiving, near-duplicates and
// declared forks; and their pure parts (trending.h, traffic.h,
// fingerprint.h).
#include "directory/signals.h"

#include <gtest/gtest.h>

#include <cmath>

#include "directory/directory_fixture.h"
#include "directory/fingerprint.h"
#include "directory/health.h"
#include "directory/traffic.h"
#include "directory/trending.h"
#include "store/moderation_store.h"

namespace spaceport::directory {
namespace {

constexpr int64_t kDay = 86400LL * 1000;

TEST(TrendingTest, DecaysByHalfEveryThreeDaysWithNoCliff) {
  const int64_t liker = kT0 - 100 * kDay;  // an old account: weight 1
  std::vector<LikeEvent> likes = {{kT0, liker}};
  const double now = ComputeTrending(likes, {}, kT0).score;
  EXPECT_NEAR(now, 1.0, 1e-9);
  EXPECT_NEAR(ComputeTrending(likes, {}, kT0 + 3 * kDay).score, 0.5, 1e-9);
  // Day 7 and day 8 differ by a decay step, not a cliff.
  const double d7 = ComputeTrending(likes, {}, kT0 + 7 * kDay).score, d8 = ComputeTrending(likes, {}, kT0 + 8 * kDay).score;
  EXPECT_NEAR(d8 / d7, std::exp2(-1.0 / 3.0), 1e-9);
  // The key orders by the score at any later time, and decodes to it.
  TrendingResult r = ComputeTrending(likes, {}, kT0);
  EXPECT_NEAR(ScoreAt(r.key, kT0 + 3 * kDay), 0.5, 0.001);
  TrendingResult older = ComputeTrending({{kT0 - 6 * kDay, liker}, {kT0 - 6 * kDay, liker}, {kT0 - 6 * kDay, liker}}, {}, kT0);
  EXPECT_NEAR(older.score, 0.75, 1e-9);  // 3 likes, two half-lives ago
  EXPECT_GT(r.key, older.key);           // 1.0 beats 0.75 ...
  EXPECT_EQ(ScoreAt(0, kT0), 0.0);
  EXPECT_EQ(ComputeTrending({}, {}, kT0).key, 0);
}

TEST(TrendingTest, LikesWeighByAccountAgeAndVisitorsCount) {
  EXPECT_EQ(LikeWeight(kDay / 2), 0.0);  // younger than a day: nothing
  EXPECT_NEAR(LikeWeight(15 * kDay), 0.5, 1e-9);
  EXPECT_EQ(LikeWeight(300 * kDay), 1.0);
  const int64_t day = kT0 / kDay;
  const double visitors = ComputeTrending({}, {{day, 10}}, (day + 1) * kDay - 1).score;
  EXPECT_GT(visitors, 1.5);  // 10 visitors x 0.2, half a day of decay at most
  EXPECT_LE(visitors, 2.0);
}

TEST(TrendingTest, ABurstOfLikesFromFreshAccountsIsFlaggedAndDoesNotCount) {
  const int64_t fresh = kT0 - 2 * kDay;  // two days old: weight 1/15, may burst
  std::vector<LikeEvent> likes;
  for (int i = 0; i < 20; ++i) likes.push_back({kT0 + i * 60'000, fresh});
  TrendingResult r = ComputeTrending(likes, {}, kT0 + kDay);
  EXPECT_EQ(r.score, 0.0);
  EXPECT_EQ(r.burst_at, kT0);
  // Four fresh likes in an hour are no burst.
  likes.resize(4);
  r = ComputeTrending(likes, {}, kT0 + kDay);
  EXPECT_GT(r.score, 0.0);
  EXPECT_EQ(r.burst_at, 0);
}

TEST(TrafficCounterTest, CountsDistinctVisitorsPerDayAndAnswers) {
  TrafficCounter counter;
  for (int i = 0; i < 2000; ++i) counter.Visit(7, 0, "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), kT0);
  for (int i = 0; i < 50; ++i) counter.Visit(7, 0, "10.0.0.1", kT0);  // again: not new
  counter.Visit(7, 42, "10.0.0.1", kT0);                             // a signed-in caller: by id
  counter.Answer(7, 200, kT0);
  counter.Answer(7, 502, kT0);
  std::vector<store::TrafficCount> out = counter.Drain(kT0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].space_id, 7);
  EXPECT_EQ(out[0].day, kT0 / kDay);
  EXPECT_NEAR(static_cast<double>(out[0].visitors), 2001.0, 2001.0 * 0.1);
  EXPECT_EQ(out[0].answers, 2);
  EXPECT_EQ(out[0].errors, 1);
  EXPECT_TRUE(counter.Drain(kT0).empty());  // nothing new
  counter.Answer(7, 200, kT0);
  out = counter.Drain(kT0 + kDay);  // the old day goes once drained
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].answers, 1);
  EXPECT_GT(out[0].visitors, 1900);  // the day's estimate so far, not a delta
  counter.Visit(7, 1, "", kT0 + kDay);
  out = counter.Drain(kT0 + kDay);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].visitors, 1);  // a new day
}

std::string AppSource(int variant) {
  std::string s = "import gradio as gr\n\ndef predict(text):\n    return text[::-1]\n\n";
  for (int i = 0; i < 40; ++i) s += "def helper_" + std::to_string(i) + "(x):\n    return x * " + std::to_string(i) + "\n";
  if (variant == 1) s += "# retitled: my own copy\n";
  if (variant == 2) {
    s = "import streamlit as st\nst.title('Weather')\n";
    for (int i = 0; i < 40; ++i) s += "st.write(fetch_city_" + std::to_string(i) + "())\n";
  }
  return s;
}

TEST(FingerprintTest, NearCopiesAreAlikeAndOtherAppsAreNot) {
  store::Fingerprint a = FingerprintOf({{"app.py", "b1", AppSource(0)}, {"README.md", "r1", "# A"}});
  store::Fingerprint copy = FingerprintOf({{"app.py", "b2", AppSource(1)}, {"README.md", "r2", "# B"}});
  store::Fingerprint same = FingerprintOf({{"app.py", "b1", AppSource(0)}, {"README.md", "r9", "# C"}});
  store::Fingerprint other = FingerprintOf({{"app.py", "b3", AppSource(2)}});
  EXPECT_EQ(a.minhash.size(), static_cast<size_t>(kMinhashSize));
  EXPECT_EQ(a.bands.size(), static_cast<size_t>(kBands));
  EXPECT_EQ(a.files_key, same.files_key);  // the README does not count
  EXPECT_NE(a.files_key, copy.files_key);
  EXPECT_GE(Similarity(a.minhash, copy.minhash), kNearCopySimilarity);
  EXPECT_LT(Similarity(a.minhash, other.minhash), 0.3);
  EXPECT_TRUE(FingerprintOf({{"README.md", "r", "only a readme"}}).files_key.empty());
  EXPECT_TRUE(FingerprintOf({{"app.py", "b", "print(1)"}}).files_key.empty());  // too small to call a copy
  EXPECT_FALSE(FingerprintOf({{"model.bin", "b", "", false}}).files_key.empty());  // big: by its id
}

class SignalsTest : public DirectoryFixture {
 protected:
  void SetUp() override {
    DirectoryFixture::SetUp();
    signals_ = std::make_unique<Signals>(directory_.get(), store_.get(), &fake_clock_);
  }
  store::User User(const std::string& name, int64_t created_at) {
    auto u = store_->CreateUser(name, false, created_at);
    EXPECT_TRUE(u.ok()) << u.status().message();
    return *u;
  }
  double Trending(int64_t space_id) {
    return ScoreAt(directory_store_->Signals(space_id)->trending_key, fake_clock_.UnixMillis());
  }
  void Like(const store::User& u, const store::Space& s) {
    ASSERT_TRUE(store_->Like(u.id, s.id, fake_clock_.UnixMillis()).ok());
    ASSERT_TRUE(signals_->OnLikesChanged(s.id).ok());
  }
  store::Space Fork(const store::Space& from, const std::string& owner, const std::string& name) {
    store::Space s;
    s.owner = owner;
    s.name = name;
    s.sdk = "gradio";
    s.duplicated_from = from.id;
    auto created = store_->CreateSpace(s, kT0 + (++clock_));
    EXPECT_TRUE(created.ok());
    EXPECT_TRUE(directory_->IndexSpace(*created, "").ok());
    return *created;
  }
  std::unique_ptr<Signals> signals_;
};

TEST_F(SignalsTest, TrendingMovesWithLikesAndVisitorsUnderAMovedClockButNotWithAFreshBurst) {
  store::Space liked = Add("alice", "liked", "{}", "");
  store::Space visited = Add("alice", "visited", "{}", "");
  store::Space farmed = Add("alice", "farmed", "{}", "");
  fake_clock_.Advance(Millis(100 * kDay));
  for (int i = 0; i < 3; ++i) Like(User("old" + std::to_string(i), kT0), liked);
  EXPECT_NEAR(Trending(liked.id), 3.0, 0.01);
  const int64_t today = TrafficCounter::DayOf(fake_clock_.UnixMillis());
  ASSERT_TRUE(signals_->AddTraffic({{visited.id, today, 40, 40, 0}}).ok());
  EXPECT_GT(Trending(visited.id), 5.0);  // 40 visitors x 0.2, less the decay since midday
  // Twenty accounts made yesterday like within minutes: flagged, no move.
  for (int i = 0; i < 20; ++i) {
    Like(User("bot" + std::to_string(i), fake_clock_.UnixMillis() - 2 * kDay), farmed);
    fake_clock_.Advance(Millis(30'000));
  }
  EXPECT_EQ(Trending(farmed.id), 0.0);
  EXPECT_NE(directory_store_->Signals(farmed.id)->like_burst_at, 0);
  EXPECT_EQ(store_->GetSpaceById(farmed.id)->likes, 20);  // the likes stay; they just do not count
  // The sort follows, and time moves it: a like now beats three a week ago.
  fake_clock_.Advance(Millis(9 * kDay));
  store::Space fresh = Add("alice", "fresh", "{}", "");
  ASSERT_TRUE(store_->Like(User("late", kT0).id, fresh.id, fake_clock_.UnixMillis()).ok());
  ASSERT_TRUE(signals_->OnLikesChanged(fresh.id).ok());
  ASSERT_TRUE(signals_->OnLikesChanged(liked.id).ok());
  EXPECT_GT(Trending(fresh.id), Trending(liked.id));  // 1 vs 3 x 2^-3
  EXPECT_GT(directory_store_->Signals(fresh.id)->trending_key, directory_store_->Signals(liked.id)->trending_key);
  auto page = directory_->Search({.search = "alice", .sort = "trendingScore"});
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_GE(page->space_ids.size(), 2u);
  EXPECT_EQ(page->space_ids[0], fresh.id);
}

TEST_F(SignalsTest, ProbesSetTheVerifiedBadgeAndACrashLosesIt) {
  store::Space app = Add("alice", "app", "{}", "");
  std::string stage = "RUNNING";
  int status = 200;
  int sent = 0;
  Prober prober(signals_.get(), store_.get(),
                {.target = [&](const store::Space&) -> Result<ProbeTarget> {
                   return ProbeTarget{.stage = stage, .sha = "abc", .serving = stage == "RUNNING", .asleep = false};
                 },
                 .send = [&](const store::Space&, const card::ProbeSpec& spec) {
                   ++sent;
                   EXPECT_EQ(spec.path, "/");
                   return ProbeAnswer{.status = status, .body = "ok", .error = ""};
                 }},
                &fake_clock_);
  prober.AfterDeploy(app.id, "abc");
  EXPECT_GE(prober.Tick(), 1);
  EXPECT_TRUE(directory_store_->Signals(app.id)->verified);
  Result<Health> h = signals_->HealthOf(app.id);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->verified);
  EXPECT_EQ(h->last_probe_at, fake_clock_.UnixMillis());
  EXPECT_EQ(h->uptime30d.value_or(-1), 1.0);
  // Nothing is due again before the interval.
  const int before = sent;
  EXPECT_EQ(prober.Tick(), 0);
  EXPECT_EQ(sent, before);
  // The app crashes: the next probe records it and the badge goes.
  stage = "RUNTIME_ERROR";
  fake_clock_.Advance(Millis(7 * 3600 * 1000));
  EXPECT_EQ(prober.Tick(), 1);
  EXPECT_FALSE(directory_store_->Signals(app.id)->verified);
  h = signals_->HealthOf(app.id);
  EXPECT_FALSE(h->last_probe_ok);
  EXPECT_EQ(h->last_detail, "RUNTIME_ERROR");
  EXPECT_NEAR(h->uptime30d.value_or(-1), 0.5, 1e-9);
  // Back up, but answering 500: still not verified.
  stage = "RUNNING";
  status = 500;
  ASSERT_TRUE(prober.ProbeNow(app.id).ok());
  EXPECT_FALSE(directory_store_->Signals(app.id)->verified);
  EXPECT_EQ(signals_->HealthOf(app.id)->last_detail, "status 500");
  status = 200;
  EXPECT_EQ(prober.ProbeNow(app.id).status().code(), StatusCode::kResourceExhausted);  // once a minute
  fake_clock_.Advance(Millis(directory::kProbeNowEveryMs));
  ASSERT_TRUE(prober.ProbeNow(app.id).ok());
  EXPECT_TRUE(directory_store_->Signals(app.id)->verified);
  // The edge's record counts too: mostly 5xx answers take the badge away.
  ASSERT_TRUE(signals_->AddTraffic({{app.id, TrafficCounter::DayOf(fake_clock_.UnixMillis()), 0, 30, 25}}).ok());
  EXPECT_FALSE(directory_store_->Signals(app.id)->verified);
}

TEST_F(SignalsTest, ASleepingSpaceIsWokenByAProbeAtMostOnceAWeekAndPrivateOnesAreNotProbed) {
  store::Space app = Add("alice", "sleepy", R"({"spaceport":{"probe":{"path":"/run","expect_text":"ready"}}})", "");
  store::Space hidden = Add("alice", "hidden", "{}", "", "gradio", true);
  store::Space disabled = Add("alice", "disabled", "{}", "");
  auto moderation = store::OpenModerationStore({.url = "sqlite:" + dir_.path() + "/spaceport.db"});
  ASSERT_TRUE(moderation.ok()) << moderation.status().ToString();
  ASSERT_TRUE((*moderation)->SetDisabled(disabled.id, "Removed.").ok());
  std::vector<std::string> probed;
  Prober prober(signals_.get(), store_.get(),
                {.target = [&](const store::Space&) -> Result<ProbeTarget> {
                   return ProbeTarget{.stage = "RUNNING", .sha = "abc", .serving = true, .asleep = true};
                 },
                 .send = [&](const store::Space& s, const card::ProbeSpec& spec) {
                   probed.push_back(s.name + spec.path);
                   return ProbeAnswer{.status = 200, .body = "not yet", .error = ""};
                 }},
                &fake_clock_, {.interval = Millis(3600 * 1000)});
  EXPECT_EQ(prober.Tick(), 1);  // all due; the private and the disabled one only rescheduled
  EXPECT_EQ(probed, std::vector<std::string>{"sleepy/run"});
  EXPECT_EQ(signals_->HealthOf(disabled.id)->last_probe_at, 0);
  EXPECT_EQ(signals_->HealthOf(app.id)->last_detail, "the answer does not contain \"ready\"");
  EXPECT_EQ(signals_->HealthOf(hidden.id)->last_probe_at, 0);
  for (int hour = 0; hour < 24 * 6; ++hour) {  // six days of hourly checks: no wake
    fake_clock_.Advance(Millis(3600 * 1000));
    prober.Tick();
  }
  EXPECT_EQ(probed.size(), 1u);
  fake_clock_.Advance(Millis(kDay + 1000));
  prober.Tick();
  EXPECT_EQ(probed.size(), 2u);  // a week on: woken again
}

TEST_F(SignalsTest, TheAbandonedSweepGoesInBoundedStepsAndStartsOverAfterTheLast) {
  std::vector<store::Space> stale;
  for (const char* name : {"one", "two", "three"}) stale.push_back(Add("alice", name, "{}", ""));
  fake_clock_.Advance(Millis(200 * kDay));
  int64_t cursor = 0;
  Result<int64_t> changed = signals_->ReviewAbandonedBatch(&cursor, 2);
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(*changed, 2);
  EXPECT_EQ(cursor, stale[1].id);  // where the next step starts
  EXPECT_FALSE(directory_store_->Signals(stale[2].id)->abandoned);
  changed = signals_->ReviewAbandonedBatch(&cursor, 2);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(cursor, 0);  // the sweep is done
  EXPECT_TRUE(directory_store_->Signals(stale[2].id)->abandoned);
  changed = signals_->ReviewAbandonedBatch(&cursor, 2);  // a new sweep: nothing changes
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 0);
}

TEST_F(SignalsTest, AbandonedByTheRuleOrByArchivingLeavesDefaultResults) {
  store::Space old = Add("alice", "oldtool", R"({"title":"Tool"})", "");
  store::Space failing = Add("alice", "failtool", R"({"title":"Tool"})", "");
  store::Space kept = Add("alice", "keptool", R"({"title":"Tool"})", "");
  auto names = [&] { return Names(DirectoryQuery{.search = "tool"}); };
  EXPECT_EQ(names().size(), 3u);
  // 200 days without a push; one of them had a visitor 10 days ago.
  fake_clock_.Advance(Millis(200 * kDay));
  ASSERT_TRUE(signals_->AddTraffic({{kept.id, TrafficCounter::DayOf(fake_clock_.UnixMillis()) - 10, 1, 1, 0}}).ok());
  int64_t cursor = 0;
  Result<int64_t> changed = signals_->ReviewAbandonedBatch(&cursor, 100);
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(*changed, 2);
  EXPECT_EQ(cursor, 0);  // one step was the whole sweep
  EXPECT_TRUE(directory_store_->Signals(old.id)->abandoned);
  EXPECT_FALSE(directory_store_->Signals(kept.id)->abandoned);
  // A push brings one back; failing probes for 14 days take it out again.
  store::Space pushed = *store_->GetSpaceById(failing.id);
  pushed.last_modified = fake_clock_.UnixMillis();
  ASSERT_TRUE(store_->UpdateSpace(pushed).ok());
  ASSERT_TRUE(signals_->ReviewAbandoned(failing.id).ok());
  EXPECT_FALSE(directory_store_->Signals(failing.id)->abandoned);
  for (int day = 0; day <= 15; ++day) {
    ASSERT_TRUE(signals_->RecordProbe({failing.id, fake_clock_.UnixMillis(), false, 500, false, "status 500"},
                                      fake_clock_.UnixMillis() + kDay).ok());
    fake_clock_.Advance(Millis(kDay));
  }
  EXPECT_TRUE(directory_store_->Signals(failing.id)->abandoned);
  EXPECT_EQ(names(), std::vector<std::string>{"keptool"});
  EXPECT_EQ(Names(DirectoryQuery{.search = "tool", .include_abandoned = true}).size(), 3u);
  // The owner archives the last one; unarchiving brings it back.
  ASSERT_TRUE(signals_->SetArchived(kept.id, true).ok());
  EXPECT_TRUE(names().empty());
  ASSERT_TRUE(signals_->SetArchived(kept.id, false).ok());
  EXPECT_EQ(names(), std::vector<std::string>{"keptool"});
}

TEST_F(SignalsTest, ANearCopyIsMarkedAndCollapsedButADeclaredForkIsNot) {
  store::Space original = Add("alice", "reverser", R"({"title":"Reverser"})", "");
  ASSERT_EQ(signals_->OnFiles(original, {{"app.py", "b1", AppSource(0)}}).value(), 0);
  store::Space copy = Add("bob", "my-reverser", R"({"title":"Reverser"})", "");
  EXPECT_EQ(signals_->OnFiles(copy, {{"app.py", "b2", AppSource(1)}}).value(), original.id);
  store::Space exact = Add("carol", "reverser2", R"({"title":"Reverser"})", "");
  EXPECT_EQ(signals_->OnFiles(exact, {{"app.py", "b1", "", false}}).value(), original.id);  // same blob id, not read
  store::Space fork = Fork(original, "dave", "reverser-fork");
  EXPECT_EQ(signals_->OnFiles(fork, {{"app.py", "b1", AppSource(0)}}).value(), 0);  // lineage, not a copy
  store::Space other = Add("erin", "weather", R"({"title":"Reverser weather"})", "");
  EXPECT_EQ(signals_->OnFiles(other, {{"app.py", "b3", AppSource(2)}}).value(), 0);
  // The original is shown once with "2 similar"; the fork and the other app stand alone.
  auto page = directory_->Search({.search = "reverser"});
  ASSERT_TRUE(page.ok());
  std::vector<int64_t> ids = page->space_ids;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{original.id, fork.id, other.id}));
  EXPECT_EQ(page->similar[original.id], 2);
  // A copy that diverges is no copy any more.
  EXPECT_EQ(signals_->OnFiles(copy, {{"app.py", "b4", AppSource(2) + "extra()"}}).value(), 0);
  EXPECT_EQ(directory_store_->Signals(copy.id)->duplicate_of, 0);
}

}  // namespace
}  // namespace spaceport::directory
