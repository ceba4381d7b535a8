#include "directory/document.h"

#include <gtest/gtest.h>

namespace spaceport::directory {
namespace {

TEST(ReadmeBody, StripsFrontMatterOnly) {
  EXPECT_EQ(ReadmeBody("---\ntitle: x\n---\n# Hello\n"), "# Hello\n");
  EXPECT_EQ(ReadmeBody("---\r\ntitle: x\r\n---\r\nbody"), "body");
  EXPECT_EQ(ReadmeBody("# No card\n---\n"), "# No card\n---\n");
  EXPECT_EQ(ReadmeBody("---\nnever closed\n"), "---\nnever closed\n");
}

TEST(DocumentOf, TakesTheCardsFields) {
  store::Space s;
  s.owner = "alice";
  s.name = "speech-demo";
  s.sdk = "gradio";
  s.card_json = R"({"title":"Whisper","short_description":"Speech to text","tags":["audio","asr"],)"
                R"("models":["openai/whisper"],"datasets":"mozilla/cv"})";
  store::DirectoryText t = DocumentOf(s, "---\ntitle: Whisper\n---\nTranscribe audio.");
  EXPECT_EQ(t.owner, "alice");
  EXPECT_EQ(t.name, "speech-demo");
  EXPECT_EQ(t.title, "Whisper");
  EXPECT_EQ(t.description, "Speech to text");
  EXPECT_EQ(t.tags, "gradio audio asr");
  EXPECT_EQ(t.refs, "openai/whisper mozilla/cv");
  EXPECT_EQ(t.readme, "Transcribe audio.");
}

TEST(DocumentOf, CapsTheReadmeAtACharacterBoundary) {
  store::Space s;
  s.card_json = "not json";
  std::string long_readme(kMaxIndexedReadmeBytes - 1, 'a');
  long_readme += "\xc3\xa9 tail";  // a two-byte character across the cap
  store::DirectoryText t = DocumentOf(s, long_readme);
  EXPECT_EQ(t.readme.size(), kMaxIndexedReadmeBytes - 1);
  EXPECT_EQ(t.title, "");
}

}  // namespace
}  // namespace spaceport::directory
