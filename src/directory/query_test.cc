#include "directory/query.h"

#include <gtest/gtest.h>

namespace spaceport::directory {
namespace {

std::string Expr(std::string_view text) {
  Result<SearchQuery> q = ParseSearchQuery(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status().message();
  return q.ok() ? q->expression : "";
}

TEST(SearchQuery, WordsAreAndedAndTheLastIsAPrefixWhileTyping) {
  EXPECT_EQ(Expr("Image Generation"), "\"image\" AND \"generation\"*");
  EXPECT_EQ(Expr("image generation "), "\"image\" AND \"generation\"");
  EXPECT_EQ(Expr("whisp"), "\"whisp\"*");
}

TEST(SearchQuery, OneLetterIsAWholeWord) { EXPECT_EQ(Expr("model a"), "\"model\" AND \"a\""); }

TEST(SearchQuery, OrAndExclusion) {
  EXPECT_EQ(Expr("whisper OR wav2vec speech "), "(\"whisper\" OR \"wav2vec\") AND \"speech\"");
  EXPECT_EQ(Expr("chat -llama "), "\"chat\" NOT \"llama\"");
  // A hyphen inside a word splits it; it does not exclude.
  EXPECT_EQ(Expr("text-generation "), "\"text\" AND \"generation\"");
  // A lower-case "or" is a word.
  EXPECT_EQ(Expr("this or that "), "\"this\" AND \"or\" AND \"that\"");
}

TEST(SearchQuery, PunctuationCannotEscapeTheQuotes) {
  EXPECT_EQ(Expr("a\"b) OR (c* NEAR"), "\"a\" AND (\"b\" OR \"c\") AND \"near\"*");
  EXPECT_EQ(Expr("{title}: x "), "\"title\" AND \"x\"");
}

TEST(SearchQuery, RefusesQueriesWithNothingToFind) {
  for (std::string_view bad : {"", "   ", "!!! ---", "-spam", "OR"}) {
    Result<SearchQuery> q = ParseSearchQuery(bad);
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseSearchQuery(std::string(201, 'a')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSearchQuery("a b c d e f g h i j k l m").status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchQuery, KeepsUtf8Words) { EXPECT_EQ(Expr("café "), "\"café\""); }

TEST(SearchQuery, InvalidUtf8AndSymbolsSeparateWords) {
  EXPECT_EQ(Expr("caf\xc3\xa9\xd9" "body "), "\"café\" AND \"body\"");  // a lone lead byte
  EXPECT_EQ(Expr("foo\xe2\x80\x94" "bar "), "\"foo\" AND \"bar\"");    // an em dash
  EXPECT_EQ(Expr("x\xe2\x82\xac" "y "), "\"x\" AND \"y\"");            // a euro sign
  EXPECT_EQ(Expr("\xed\xa0\x80" "a "), "\"a\"");                      // a surrogate
  EXPECT_EQ(Expr("\xe6\x97\xa5\xe6\x9c\xac "), "\"\xe6\x97\xa5\xe6\x9c\xac\"");  // CJK letters stay a word
}

}  // namespace
}  // namespace spaceport::directory
