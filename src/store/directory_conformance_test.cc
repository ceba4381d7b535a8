// The directory area of the store (store/directory_store.h) on every backend
// that shares one database between areas: documents indexed, matched in
// docid order from the top, moved between buckets, renamed and deleted with
// their Space; signals; the likes counter.
#include <gtest/gtest.h>

#include <algorithm>

#include "store/directory_store.h"
#include "store/testing/conformance.h"

namespace spaceport::store {
namespace {

using testing::BackendCase;
using testing::ConformanceTest;
using testing::kT0;

const std::vector<double> kWeights = {1, 1, 10, 1, 1, 1, 1};

class DirectoryConformanceTest : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    auto directory = backend_->OpenDirectory();
    ASSERT_TRUE(directory.ok()) << directory.status().ToString();
    directory_ = std::move(*directory);
  }
  std::vector<int64_t> Spaces(const std::string& expression, int64_t below = 0, int64_t limit = 100) {
    auto hits = directory_->Match(expression, below, limit, {});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    std::vector<int64_t> out;
    if (hits.ok()) {
      for (const DirectoryHit& h : *hits) out.push_back(SpaceOfDocid(h.docid));
    }
    return out;
  }

  std::unique_ptr<DirectoryStore> directory_;
};

TEST_P(DirectoryConformanceTest, MatchesWalkDownTheDocidsFromTheTop) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("alice", "b"), c = MakeSpace("alice", "c");
  ASSERT_TRUE(directory_->Index(a.id, {.title = "red apple"}, 5).ok());
  ASSERT_TRUE(directory_->Index(b.id, {.readme = "red bus"}, 9).ok());
  ASSERT_TRUE(directory_->Index(c.id, {.title = "green apple"}, 0).ok());
  EXPECT_EQ(Spaces("\"red\""), (std::vector<int64_t>{b.id, a.id}));  // bucket 9 before bucket 5
  EXPECT_EQ(Spaces("\"apple\""), (std::vector<int64_t>{a.id, c.id}));
  EXPECT_EQ(Spaces("\"apple\"", 0, 1), std::vector<int64_t>{a.id});
  EXPECT_EQ(Spaces("\"apple\"", DirectoryDocid(5, a.id)), std::vector<int64_t>{c.id});  // below a cursor
  EXPECT_EQ(Spaces("\"ap\"*"), (std::vector<int64_t>{a.id, c.id}));
  EXPECT_EQ(Spaces("{title} : \"red\""), std::vector<int64_t>{a.id});
  auto titles = directory_->Match("\"red\"", 0, 10, {1, 1, 1}, DirectoryScope::kTitles);  // the title index
  ASSERT_TRUE(titles.ok()) << titles.status().ToString();
  ASSERT_EQ(titles->size(), 1u);
  EXPECT_EQ(SpaceOfDocid((*titles)[0].docid), a.id);
  EXPECT_GT((*titles)[0].relevance, 0);
  EXPECT_EQ(directory_->Match("\"red\"", 0, 10, kWeights, DirectoryScope::kTitles).status().code(),
            StatusCode::kInvalidArgument);  // seven weights for three columns
  EXPECT_EQ(Spaces("\"red\" NOT \"bus\""), std::vector<int64_t>{a.id});
  EXPECT_EQ(directory_->CountMatches("\"red\" OR \"green\"", 100).value(), 3);
  EXPECT_EQ(directory_->CountMatches("\"red\" OR \"green\"", 2).value(), 2);
  EXPECT_EQ(directory_->CountDocuments().value(), 3);
}

TEST_P(DirectoryConformanceTest, ColumnFiltersNegationAndDiacritics) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("alice", "b"), c = MakeSpace("alice", "c");
  ASSERT_TRUE(directory_->Index(a.id, {.title = "Café demo", .tags = "gradio text-generation"}, 3).ok());
  ASSERT_TRUE(directory_->Index(b.id, {.title = "text tools", .tags = "generation", .readme = "demo"}, 2).ok());
  ASSERT_TRUE(directory_->Index(c.id, {.title = "cafe", .readme = "text generation demo"}, 1).ok());
  // Words match without their diacritics, either way round.
  EXPECT_EQ(Spaces("\"cafe\""), (std::vector<int64_t>{a.id, c.id}));
  EXPECT_EQ(Spaces("\"café\""), (std::vector<int64_t>{a.id, c.id}));
  // A filter holds for every word inside it; the rest match anywhere.
  EXPECT_EQ(Spaces("{tags} : (\"text\" AND \"generation\")"), std::vector<int64_t>{a.id});
  EXPECT_EQ(Spaces("{tags} : \"generation\" \"demo\""), (std::vector<int64_t>{a.id, b.id}));
  EXPECT_EQ(Spaces("{title tags} : \"text\""), (std::vector<int64_t>{a.id, b.id}));
  EXPECT_EQ(Spaces("\"demo\" NOT {title} : \"cafe\""), std::vector<int64_t>{b.id});
  EXPECT_EQ(Spaces("(\"tools\" OR \"cafe\") NOT \"gradio\""), (std::vector<int64_t>{b.id, c.id}));
  EXPECT_EQ(directory_->CountMatches("{readme} : \"demo\"", 10).value(), 2);
  EXPECT_EQ(directory_->Match("{nosuch} : \"x\"", 0, 10, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(DirectoryConformanceTest, RelevanceWeighsTheColumnsAWordIsIn) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("alice", "b");
  ASSERT_TRUE(directory_->Index(a.id, {.title = "whisper"}, 0).ok());
  ASSERT_TRUE(directory_->Index(b.id, {.readme = "whisper"}, 0).ok());
  auto hits = directory_->Match("\"whisper\"", 0, 10, kWeights);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  double title = 0, readme = 0;
  for (const DirectoryHit& h : *hits) (SpaceOfDocid(h.docid) == a.id ? title : readme) = h.relevance;
  EXPECT_GT(title, 5 * readme);
  EXPECT_GT(readme, 0);
}

TEST_P(DirectoryConformanceTest, ReindexRekeyAndSignals) {
  Space a = MakeSpace("alice", "a");
  ASSERT_TRUE(directory_->Index(a.id, {.title = "first"}, 1).ok());
  ASSERT_TRUE(directory_->Index(a.id, {.title = "second"}, 2).ok());
  EXPECT_EQ(Spaces("\"first\""), std::vector<int64_t>{});
  EXPECT_EQ(Spaces("\"second\""), std::vector<int64_t>{a.id});
  EXPECT_EQ(directory_->DocidOf(a.id).value(), DirectoryDocid(2, a.id));
  ASSERT_TRUE(directory_->Rekey(a.id, 700).ok());
  EXPECT_EQ(directory_->DocidOf(a.id).value(), DirectoryDocid(700, a.id));
  EXPECT_EQ(Spaces("\"second\""), std::vector<int64_t>{a.id});  // the words moved along
  auto moved = directory_->Match("\"second\"", 0, 10, {}, DirectoryScope::kTitles);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, (std::vector<DirectoryHit>{{DirectoryDocid(700, a.id), 0}}));
  EXPECT_EQ(directory_->CountMatches("\"second\"", 10).value(), 1);

  EXPECT_FALSE(directory_->Signals(a.id)->verified);
  DirectorySignals set;
  set.verified = true;
  set.duplicate_of = 42;
  set.trending_key = 1500;
  set.archived = true;
  set.like_burst_at = 77;
  set.reports = 3;
  ASSERT_TRUE(directory_->SetSignals(a.id, set).ok());
  DirectorySignals s = directory_->Signals(a.id).value();
  EXPECT_TRUE(s.verified);
  EXPECT_EQ(s.duplicate_of, 42);
  EXPECT_EQ(s.trending_key, 1500);
  EXPECT_TRUE(s.archived);
  EXPECT_EQ(s.like_burst_at, 77);
  EXPECT_EQ(s.reports, 3);
  auto updated = directory_->UpdateSignals(a.id, [](DirectorySignals& x) { x.trending_key += 1; });
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->trending_key, 1501);
  EXPECT_TRUE(updated->verified);  // the rest as it was
  EXPECT_EQ(directory_->Signals(a.id)->trending_key, 1501);
  EXPECT_EQ(directory_->UpdateSignals(999, [](DirectorySignals&) {}).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(directory_->Index(a.id, {.title = "third"}, 3).ok());
  EXPECT_TRUE(directory_->Signals(a.id)->verified);  // re-indexing keeps the signals

  EXPECT_EQ(directory_->Rekey(999, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(directory_->SetSignals(999, {}).code(), StatusCode::kNotFound);
  EXPECT_EQ(directory_->Index(999, {.title = "x"}, 1).code(), StatusCode::kNotFound);  // no such Space
  EXPECT_EQ(directory_->Index(a.id, {}, kDirectoryBuckets).code(), StatusCode::kInvalidArgument);
}

TEST_P(DirectoryConformanceTest, CandidatesCarryTheSpacesAttributes) {
  Space a = MakeSpace("alice", "a", Visibility::kPrivate);
  User bob = MakeUser("bob");
  ASSERT_TRUE(store_->Like(bob.id, a.id, kT0).ok());
  a.card_json = R"({"tags":["vision","text generation",3]})";
  ASSERT_TRUE(store_->UpdateSpace(a).ok());
  ASSERT_TRUE(directory_->Index(a.id, {.title = "x"}, 4).ok());
  ASSERT_TRUE(directory_->SetSignals(a.id, {.abandoned = true, .hidden = true}).ok());
  auto c = directory_->Candidates({DirectoryDocid(4, a.id), DirectoryDocid(1, 12345)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].space_id, a.id);
  EXPECT_EQ((*c)[0].owner, "alice");
  EXPECT_EQ((*c)[0].sdk, "static");
  EXPECT_TRUE((*c)[0].is_private);
  EXPECT_EQ((*c)[0].likes, 1);
  EXPECT_EQ((*c)[0].tags, (std::vector<std::string>{"vision", "text generation"}));  // strings only
  EXPECT_TRUE((*c)[0].signals.abandoned);
  EXPECT_TRUE((*c)[0].signals.hidden);
}

TEST_P(DirectoryConformanceTest, DocumentsFollowTheirSpaceThroughRenameAndDelete) {
  Space a = MakeSpace("alice", "before");
  ASSERT_TRUE(directory_->Index(a.id, {.owner = "alice", .name = "before"}, 0).ok());
  ASSERT_TRUE(store_->RenameSpace(a.id, "alice", "after", "alice-after").ok());
  EXPECT_EQ(Spaces("\"after\""), std::vector<int64_t>{a.id});
  EXPECT_EQ(Spaces("\"before\""), std::vector<int64_t>{});
  EXPECT_EQ(directory_->Match("\"after\"", 0, 10, {}, DirectoryScope::kTitles)->size(), 1u);
  EXPECT_EQ(directory_->Match("\"before\"", 0, 10, {}, DirectoryScope::kTitles)->size(), 0u);
  Space b = MakeSpace("alice", "b");
  EXPECT_EQ(directory_->Unindexed(0, 10).value(), std::vector<int64_t>{b.id});
  ASSERT_TRUE(store_->DeleteSpace(a.id).ok());
  EXPECT_EQ(Spaces("\"after\""), std::vector<int64_t>{});
  EXPECT_EQ(directory_->CountDocuments().value(), 0);
  EXPECT_EQ(directory_->DocidOf(a.id).status().code(), StatusCode::kNotFound);
}

TEST_P(DirectoryConformanceTest, LikesAreACounter) {
  Space a = MakeSpace("alice", "a");
  User bob = MakeUser("bob"), carol = MakeUser("carol");
  ASSERT_TRUE(store_->Like(bob.id, a.id, kT0).ok());
  ASSERT_TRUE(store_->Like(bob.id, a.id, kT0).ok());  // twice: once
  ASSERT_TRUE(store_->Like(carol.id, a.id, kT0).ok());
  EXPECT_EQ(store_->GetSpaceById(a.id)->likes, 2);
  ASSERT_TRUE(store_->Unlike(bob.id, a.id).ok());
  ASSERT_TRUE(store_->Unlike(bob.id, a.id).ok());  // twice: once
  EXPECT_EQ(store_->GetSpaceById(a.id)->likes, 1);
  EXPECT_EQ(store_->CountLikes(a.id).value(), 1);
}

TEST_P(DirectoryConformanceTest, ListingByTrendingFollowsTheKeysThenTheNewest) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("alice", "b"), c = MakeSpace("alice", "c");
  Space hidden = MakeSpace("alice", "hidden");
  for (const Space& s : {a, b, c, hidden}) ASSERT_TRUE(directory_->Index(s.id, {.name = s.name}, 0).ok());
  ASSERT_TRUE(directory_->UpdateSignals(a.id, [](DirectorySignals& s) { s.trending_key = 500; }).ok());
  ASSERT_TRUE(directory_->UpdateSignals(c.id, [](DirectorySignals& s) { s.trending_key = 900; }).ok());
  ASSERT_TRUE(directory_->UpdateSignals(hidden.id, [](DirectorySignals& s) {
    s.trending_key = 2000;
    s.hidden = true;
  }).ok());
  SpaceQuery q;
  q.sort = "trendingScore";
  q.directory_view = true;
  std::vector<int64_t> ids;
  const std::vector<Space> listed = store_->ListSpaces(q).value();  // kept: the loop must not outlive it
  for (const Space& s : listed) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{c.id, a.id, b.id}));
  q.limit = 1;
  q.offset = 1;
  EXPECT_EQ(store_->ListSpaces(q).value().front().id, a.id);
  q.directory_view = false;
  q.offset = 0;
  EXPECT_EQ(store_->ListSpaces(q).value().front().id, hidden.id);
}

TEST_P(DirectoryConformanceTest, MalformedExpressionsAreInvalidArgument) {
  Space a = MakeSpace("alice", "a");
  ASSERT_TRUE(directory_->Index(a.id, {.title = "x"}, 0).ok());
  EXPECT_EQ(directory_->Match("\"unclosed", 0, 10, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(directory_->Match("", 0, 10, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(directory_->Match("\"x\"", 0, 10, {1.0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(directory_->CountMatches("AND AND", 10).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(DirectoryConformanceTest, ProbesMakeAHealthSummaryAndASchedule) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("alice", "b");
  ASSERT_TRUE(directory_->Index(a.id, {.title = "a"}, 0).ok());
  ASSERT_TRUE(directory_->Index(b.id, {.title = "b"}, 0).ok());
  const int64_t day = 86400LL * 1000;
  HealthSummary none = directory_->Health(a.id, 0).value();
  EXPECT_EQ(none.last_at, 0);
  EXPECT_EQ(none.probes, 0);
  // Two new documents are due at once; a schedule moves them.
  EXPECT_EQ(directory_->DueForProbe(kT0, 10).value().size(), 2u);
  ASSERT_TRUE(directory_->ScheduleProbe(b.id, kT0 + 5 * day).ok());
  EXPECT_EQ(directory_->DueForProbe(kT0, 10).value(), std::vector<int64_t>{a.id});
  EXPECT_EQ(directory_->ScheduleProbe(999, kT0).code(), StatusCode::kNotFound);

  ASSERT_TRUE(directory_->RecordProbe({a.id, kT0, true, 200, true, ""}, kT0 + day).ok());
  ASSERT_TRUE(directory_->RecordProbe({a.id, kT0 + 1000, false, 500, false, "status 500"}, kT0 + day).ok());
  ASSERT_TRUE(directory_->RecordProbe({a.id, kT0 + 2000, false, 0, false, "no answer"}, kT0 + day).ok());
  HealthSummary h = directory_->Health(a.id, kT0).value();
  EXPECT_EQ(h.probes, 3);
  EXPECT_EQ(h.passed, 1);
  EXPECT_EQ(h.last_at, kT0 + 2000);
  EXPECT_FALSE(h.last_ok);
  EXPECT_EQ(h.last_detail, "no answer");
  EXPECT_EQ(h.failing_since, kT0 + 1000);  // the first failure after the last pass
  EXPECT_EQ(h.last_woke_at, kT0);
  EXPECT_EQ(directory_->Health(a.id, kT0 + 1500).value().probes, 1);  // since
  EXPECT_TRUE(directory_->DueForProbe(kT0, 10).value().empty());
  EXPECT_EQ(directory_->DueForProbe(kT0 + day, 10).value(), std::vector<int64_t>{a.id});

  // Probes older than a month go, except the last that woke the Space.
  ASSERT_TRUE(directory_->RecordProbe({a.id, kT0 + 40 * day, true, 200, false, ""}, kT0 + 41 * day).ok());
  h = directory_->Health(a.id, 0).value();
  EXPECT_EQ(h.probes, 2);
  EXPECT_EQ(h.last_woke_at, kT0);
  EXPECT_TRUE(h.last_ok);
  EXPECT_EQ(h.failing_since, 0);
  EXPECT_EQ(directory_->RecordProbe({999, kT0, true, 200, false, ""}, kT0).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->DeleteSpace(a.id).ok());
  EXPECT_EQ(directory_->Health(a.id, 0).value().probes, 0);  // gone with its Space
}

TEST_P(DirectoryConformanceTest, TrafficAddsAnswersAndKeepsTheLargerVisitorEstimate) {
  Space a = MakeSpace("alice", "a");
  ASSERT_TRUE(directory_->AddTraffic({{a.id, 100, 5, 10, 1}, {a.id, 101, 2, 3, 0}}).ok());
  ASSERT_TRUE(directory_->AddTraffic({{a.id, 100, 4, 6, 2}, {999, 100, 1, 1, 0}}).ok());  // a gone Space: skipped
  auto t = directory_->Traffic(a.id, 0).value();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].day, 100);
  EXPECT_EQ(t[0].visitors, 5);
  EXPECT_EQ(t[0].answers, 16);
  EXPECT_EQ(t[0].errors, 3);
  EXPECT_EQ(t[1].day, 101);
  EXPECT_EQ(directory_->Traffic(a.id, 101).value().size(), 1u);
  EXPECT_EQ(directory_->AddTraffic({{a.id, 102, -1, 0, 0}}).code(), StatusCode::kInvalidArgument);
}

TEST_P(DirectoryConformanceTest, LikesSinceCarryTheLikersAccountAge) {
  Space a = MakeSpace("alice", "a");
  User bob = MakeUser("bob"), carol = MakeUser("carol");
  ASSERT_TRUE(store_->Like(bob.id, a.id, kT0 + 5000).ok());
  ASSERT_TRUE(store_->Like(carol.id, a.id, kT0 + 9000).ok());
  auto likes = directory_->LikesSince(a.id, kT0 + 6000).value();
  ASSERT_EQ(likes.size(), 1u);
  EXPECT_EQ(likes[0].liked_at, kT0 + 9000);
  EXPECT_EQ(likes[0].liker_created_at, carol.created_at);
  EXPECT_EQ(directory_->LikesSince(a.id, 0).value().size(), 2u);
}

TEST_P(DirectoryConformanceTest, AbandonReviewListsStaleAndAbandonedDocuments) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("alice", "b"), c = MakeSpace("alice", "c");
  for (const Space& s : {a, b, c}) ASSERT_TRUE(directory_->Index(s.id, {.title = "x"}, 0).ok());
  ASSERT_TRUE(directory_->UpdateSignals(c.id, [](DirectorySignals& s) { s.abandoned = true; }).ok());
  // Modified at kT0 (MakeSpace): stale for a cutoff after it.
  EXPECT_EQ(directory_->AbandonReview(kT0, 0, 10).value(), std::vector<int64_t>{c.id});
  EXPECT_EQ(directory_->AbandonReview(kT0 + 1, 0, 10).value(), (std::vector<int64_t>{a.id, b.id, c.id}));
  EXPECT_EQ(directory_->AbandonReview(kT0 + 1, a.id, 1).value(), std::vector<int64_t>{b.id});
}

TEST_P(DirectoryConformanceTest, FingerprintsFindExactAndBandSharingCopies) {
  Space a = MakeSpace("alice", "a"), b = MakeSpace("bob", "b"), c = MakeSpace("carol", "c");
  for (const Space& s : {a, b, c}) ASSERT_TRUE(directory_->Index(s.id, {.title = "x"}, 0).ok());
  ASSERT_TRUE(directory_->SetFingerprint(a.id, {"k1", {1, 2, 3, 4}, {10, 11}}).ok());
  ASSERT_TRUE(directory_->SetFingerprint(b.id, {"k2", {1, 2, 3, 5}, {11, 12}}).ok());
  ASSERT_TRUE(directory_->SetFingerprint(c.id, {"k1", {9, 9, 9, 9}, {13}}).ok());
  auto like_a = directory_->SimilarTo(a.id, {"k1", {1, 2, 3, 4}, {10, 11}}, 10).value();
  ASSERT_EQ(like_a.size(), 2u);  // b by a band, c by its files; a itself left out
  std::vector<int64_t> ids = {like_a[0].space_id, like_a[1].space_id};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{b.id, c.id}));
  for (const FingerprintMatch& m : like_a) {
    if (m.space_id == b.id) {
      EXPECT_EQ(m.minhash, (std::vector<uint32_t>{1, 2, 3, 5}));
      EXPECT_EQ(m.files_key, "k2");
    }
  }
  // A new fingerprint replaces the old bands.
  ASSERT_TRUE(directory_->SetFingerprint(b.id, {"k3", {7}, {99}}).ok());
  auto now = directory_->SimilarTo(a.id, {"k1", {1, 2, 3, 4}, {10, 11}}, 10).value();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].space_id, c.id);
  EXPECT_EQ(directory_->SetFingerprint(999, {"k", {1}, {1}}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(directory_->UpdateSignals(c.id, [&](DirectorySignals& s) { s.duplicate_of = a.id; }).ok());
  EXPECT_EQ(directory_->DuplicatesOf(a.id).value(), std::vector<int64_t>{c.id});
  ASSERT_TRUE(store_->DeleteSpace(c.id).ok());
  EXPECT_TRUE(directory_->SimilarTo(a.id, {"k1", {1, 2, 3, 4}, {10, 11}}, 10).value().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, DirectoryConformanceTest, ::testing::ValuesIn(testing::SharedDatabaseBackends()),
                         [](const ::testing::TestParamInfo<BackendCase>& info) { return info.param.name; });

TEST(DirectoryStoreOpen, RefusesASeparateInMemoryDatabase) {
  EXPECT_EQ(OpenDirectoryStore({.url = "sqlite::memory:"}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spaceport::store
